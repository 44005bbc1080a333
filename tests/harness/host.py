"""What a test needs from the machine, declared in one way: `require_host(...)`.

A test that needs root, Docker, Chromium or a database server says so with a marker:

    from harness.host import require_host

    pytestmark = require_host("root", "docker")          # every test of the module

    @require_host("root", "loop-devices")                 # one test
    def test_mount(...): ...

Before the test (and before any of its fixtures) runs, each need is checked. When one is
missing the test is **skipped** on a developer's machine but **fails** under `CI=true`: a test
that skips in CI does not exist. A fixture that finds out late what it needs (a browser, a
database server) calls `require_host_now(...)` instead, with the same effect; a prerequisite
that is not a host check (Heat cannot be installed, ...) goes through `unavailable(reason)`.

The checks look at PATH the way a shell does (no fallback to system directories), so removing
Docker from PATH is enough to see the integration tier fail under CI=true. Each check runs at
most once per session. `NEEDS` lists the names; an unknown name is an error at import time.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import socket
from collections.abc import Callable
from typing import NoReturn

import pytest

MARKER = "require_host"


def in_ci() -> bool:
    """True when the run is CI's (CI=true): missing prerequisites fail instead of skipping."""
    return os.environ.get("CI", "").lower() == "true"


def _on_path(*programs: str, package: str) -> str | None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        return f"{', '.join(missing)} not on PATH ({package})"
    return None


def _root() -> str | None:
    if os.geteuid() != 0:
        return "not root (network namespaces, bridges, mounts and dockerd need it)"
    return None


def _docker() -> str | None:
    return _on_path("dockerd", "docker", package="docker.io: run scripts/install-docker")


def _docker_registry() -> str | None:
    return _on_path("docker-registry", package="docker-registry: run scripts/install-docker")


def _busybox() -> str | None:
    if not os.access("/bin/busybox", os.X_OK):
        return "no /bin/busybox (busybox-static: run scripts/install-docker)"
    return None


def _loop_devices() -> str | None:
    from dockyard.providers.block_local import image

    found = image.problems()
    return "; ".join(found) if found else None


def _chromium() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed"
    candidates = [os.environ.get("DOCKYARD_CHROMIUM", "")]
    candidates += [shutil.which(n) or "" for n in ("chromium", "chromium-browser", "google-chrome")]
    if not any(c and os.access(c, os.X_OK) for c in candidates):
        return "no chromium executable (run scripts/install-browser)"
    return None


def _answers(port: int, what: str) -> Callable[[], str | None]:
    def check() -> str | None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return None
        except OSError as exc:
            return f"{what} does not answer on 127.0.0.1:{port} ({exc.strerror or exc})"

    return check


def _kubernetes() -> str | None:
    """The local Kubernetes driver's binaries (scripts/install-kubernetes) and kubectl."""
    from dockyard.providers.kube_local.binaries import KubeBinaries

    binaries = KubeBinaries()
    found = binaries.problems()
    if not found and not os.access(binaries.path("kubectl"), os.X_OK):
        found = [f"no kubectl in {binaries.bin_dir}; run scripts/install-kubernetes"]
    return "; ".join(found) or None


# The names tests may ask for, each with the check that says why it is missing (None: present).
NEEDS: dict[str, Callable[[], str | None]] = {
    "root": _root,
    "docker": _docker,
    "docker-registry": _docker_registry,
    "busybox": _busybox,
    "loop-devices": _loop_devices,
    "chromium": _chromium,
    "kubernetes": _kubernetes,
    "postgres": _answers(5432, "PostgreSQL"),
    "mariadb": _answers(3306, "MariaDB"),
    "systemd-analyze": lambda: _on_path("systemd-analyze", package="apt-get install systemd"),
    "pg_dump": lambda: _on_path(
        "pg_dump", "pg_restore", package="apt-get install postgresql-client"
    ),
}


@functools.cache
def _problem_of(need: str) -> str | None:
    return NEEDS[need]()


def _known(needs: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [n for n in needs if n not in NEEDS]
    if unknown or not needs:
        raise ValueError(f"require_host: unknown or no needs {unknown}; known: {sorted(NEEDS)}")
    return needs


def host_problem(*needs: str) -> str | None:
    """Why this machine lacks one of `needs` (the first missing one), or None."""
    for need in _known(needs):
        problem = _problem_of(need)
        if problem is not None:
            return f"needs {need}: {problem}"
    return None


def unavailable(reason: str) -> NoReturn:
    """Skip the current test with `reason`, or fail it under CI=true."""
    if in_ci():
        pytest.fail(f"CI=true and this test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def require_host(*needs: str) -> pytest.MarkDecorator:
    """A marker: the test (or module, as `pytestmark`) runs only where `needs` are met; it
    skips elsewhere, except under CI=true, where it fails. See the module docstring."""
    return pytest.mark.require_host(*_known(needs))


def require_host_now(*needs: str) -> None:
    """The same check, made now: for fixtures (a marker on a fixture has no effect)."""
    problem = host_problem(*needs)
    if problem is not None:
        unavailable(problem)


# -- the plugin side (registered in tests/conftest.py) -------------------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*needs): needs these from the machine ({', '.join(NEEDS)}); skipped "
        "without them, except under CI=true, where that is a failure (tests/harness/host.py)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Check a test's needs before its fixtures start anything."""
    needs = tuple(need for mark in item.iter_markers(MARKER) for need in mark.args)
    if needs:
        require_host_now(*dict.fromkeys(needs))
