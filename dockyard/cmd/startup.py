"""Start-up errors as one line each, and the `--help` text of the server commands.

Whatever stops a server command before it serves (a missing or unreadable config file, a value
of the wrong type, a database that does not answer, a port in use) is printed as one line
naming what is wrong and what to do, on stderr, with exit status 1: never a traceback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from oslo_config import cfg
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

_COMMON_EPILOG = (
    "Configuration: the files given with --config-file (or --config-dir), else "
    "$DOCKYARD_CONFIG, else /etc/dockyard/dockyard.conf when it exists, else defaults. Any "
    "option can also be set from the environment as OS_<GROUP>__<OPTION> (for example "
    "OS_API__PORT=9600, OS_DATABASE__CONNECTION=postgresql+psycopg://...). `dockyard-manage "
    "db upgrade` migrates the schema when [database] auto_upgrade is false. Documentation: "
    "README.md and docs/ (architecture.md, api.md)."
)

HELP = {
    "dockyard": (
        "Run Dockyard in one process: the Magnum-compatible API (http://[api] host:[api] "
        "port/v1, default 127.0.0.1:9511), the dashboard at /ui/ and an embedded conductor "
        "that runs cluster operations. With no configuration it keeps a SQLite database under "
        "[DEFAULT] state_path (./var), migrates it on start and trusts noauth identity "
        "headers: for one machine, not for a cloud (use dockyard-api and dockyard-conductor "
        "there)."
    ),
    "dockyard-api": (
        "Run the Dockyard API alone ([api] workers processes on [api] host:[api] port), for "
        "a cloud deployment with PostgreSQL or MariaDB in [database] connection and Keystone "
        "([auth] strategy = keystone). Operations it accepts are run by dockyard-conductor "
        "processes on the same database."
    ),
    "dockyard-conductor": (
        "Run a Dockyard conductor: it claims cluster operations from the shared database "
        "([database] connection), calls the cluster drivers, keeps leases alive and runs "
        "the periodic tasks (heartbeats, deadlines, cluster health). Run one or more beside "
        "dockyard-api; stop it with SIGTERM."
    ),
}


def epilog() -> str:
    return _COMMON_EPILOG


class StartupError(Exception):
    """A reason not to start, already phrased for the operator (one line)."""


def safe_url(url: str) -> str:
    """`url` with its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable URL>"


def database_error(url: str, exc: Exception) -> StartupError:
    """One line for a database that cannot be reached or used."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [orig.__class__.__name__])[0]
    return StartupError(
        f"cannot use the database {safe_url(url)}: {first}. Check [database] connection and "
        "that the database server runs and accepts this user."
    )


def bind_error(host: str, port: int, exc: OSError) -> StartupError:
    reason = exc.strerror or str(exc)
    return StartupError(
        f"cannot listen on {host}:{port}: {reason}. Stop whatever listens there or set "
        "[api] port (or [api] host)."
    )


def _describe(exc: BaseException) -> str | None:
    """The one line for a start-up failure we know, else None."""
    if isinstance(exc, StartupError):
        return str(exc)
    if isinstance(exc, cfg.ConfigFilesNotFoundError):
        files = ", ".join(exc.config_files)
        return f"config file not found or not readable: {files}. Pass an existing --config-file."
    if isinstance(exc, cfg.ConfigFileParseError):
        return f"cannot parse config file {exc.config_file}: {exc.msg}."
    if isinstance(exc, (cfg.ConfigFileValueError, cfg.ConfigSourceValueError)):
        return f"bad configuration value {exc}. Fix it in the config file or environment."
    if isinstance(exc, cfg.RequiredOptError):
        return f"missing configuration: {exc}."
    if isinstance(exc, cfg.Error):
        return f"configuration error: {exc}."
    if isinstance(exc, sa_exc.ArgumentError):
        return f"bad [database] connection: {exc}."
    return None


@contextlib.contextmanager
def one_line_errors(prog: str) -> Iterator[None]:
    """Turn the start-up failures above into `<prog>: error: <line>` and exit status 1."""
    try:
        yield
    except Exception as exc:
        line = _describe(exc)
        if line is None:
            raise
        print(f"{prog}: error: {line}", file=sys.stderr)
        raise SystemExit(1) from None
