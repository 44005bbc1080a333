"""Start-up shared by every command: config, logging, database schema, runtime."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from oslo_config import cfg
from sqlalchemy import exc as sa_exc

from dockyard.cmd import startup
from dockyard.cmd.wiring import build_runtime
from dockyard.common import logcontext
from dockyard.conf import check_values, database_url, load_config
from dockyard.db import migration
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)


def setup_logging(conf: cfg.ConfigOpts) -> None:
    """Log to stderr with request and cluster ids on every line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(logcontext.ContextFilter())
    handler.setFormatter(
        logcontext.JsonFormatter()
        if conf.log_format == "json"
        else logging.Formatter(logcontext.TEXT_FORMAT)
    )
    logging.basicConfig(level=logging.DEBUG if conf.debug else logging.INFO, handlers=[handler])
    for pair in conf.default_log_levels:
        name, level = pair.split("=", 1)
        logging.getLogger(name).setLevel(level)


def prepare(argv: Sequence[str] | None = None, prog: str | None = None) -> Runtime:
    """Parse config, set up logging, bring the schema up to date, build the runtime.

    Raises `startup.StartupError` (or an oslo.config error) with a one-line reason when the
    configuration or the database is unusable; `startup.one_line_errors` prints it.
    """
    conf = load_config(
        list(sys.argv[1:] if argv is None else argv),
        description=startup.HELP.get(prog or ""),
        epilog=startup.epilog(),
    )
    check_values(conf)
    setup_logging(conf)
    url = database_url(conf)
    try:
        if conf.database.auto_upgrade:
            before = migration.current_version(url)
            migration.upgrade(url)
            after = migration.current_version(url)
            if before != after:
                LOG.info("database schema upgraded from %s to %s", before or "empty", after)
        elif migration.current_version(url) != migration.head_version():
            raise startup.StartupError(
                f"the database schema of {startup.safe_url(url)} is not current: run "
                "`dockyard-manage db upgrade` first."
            )
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        raise startup.database_error(url, exc) from exc
    return build_runtime(conf)
