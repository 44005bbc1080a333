"""Shared fixtures: configs, fresh databases on the machine's real servers, the in-process
API with its conductor, and a `dockyard` server process for the real `openstack` client.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
FAKE_DRIVERS = Path(__file__).resolve().parent / "fake_drivers"
# TEST-ONLY fake driver, found through its dist-info by importlib.metadata (see its docstring).
sys.path.insert(0, str(FAKE_DRIVERS))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The integration tier's host helpers (`local_host`), also used by e2e tests: one module name
# for them everywhere (mypy checks tests/ with the same search path, see pyproject.toml).
sys.path.insert(0, str(Path(__file__).resolve().parent / "integration"))

# harness.host is also a plugin (pytest_plugins below): let pytest rewrite it before import.
pytest.register_assert_rewrite("harness")
from harness.host import require_host_now  # noqa: E402
from harness.waiting import wait_until  # noqa: E402

from dockyard.api.app import create_app  # noqa: E402
from dockyard.cmd.wiring import build_conductor, build_runtime  # noqa: E402
from dockyard.conductor.worker import Conductor  # noqa: E402
from dockyard.conf import load_config  # noqa: E402
from dockyard.db import migration  # noqa: E402
from dockyard.providers.block_local import mounts  # noqa: E402
from dockyard.services.runtime import Runtime  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MYSQL_ADMIN_URL = "mysql+pymysql://root@127.0.0.1:3306/"
LATEST = {"OpenStack-API-Version": "container-infra latest"}
# require_host (skip locally, fail under CI=true), file order for scenario modules inside the
# random order, and the per-tier count of the run's summary.
pytest_plugins = ("harness.host", "harness.order", "harness.tiers")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    lines = []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {v}" for k, v in options.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


# -- databases ----------------------------------------------------------------------------
def _create_database(admin_url: str, url_prefix: str) -> tuple[str, str]:
    require_host_now("postgres" if admin_url.startswith("postgresql") else "mariadb")
    name = f"dockyard_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return name, f"{url_prefix}{name}"


def _drop_database(admin_url: str, name: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        else:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
    engine.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name, url = _create_database(PG_ADMIN_URL, "postgresql+psycopg://postgres@127.0.0.1:5432/")
    yield url
    _drop_database(PG_ADMIN_URL, name)


@pytest.fixture
def mysql_url() -> Iterator[str]:
    name, url = _create_database(MYSQL_ADMIN_URL, "mysql+pymysql://root@127.0.0.1:3306/")
    yield url
    _drop_database(MYSQL_ADMIN_URL, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dockyard.sqlite'}"


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite, PostgreSQL and MariaDB."""
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url", "mysql": "mysql_url"}
    return str(request.getfixturevalue(fixture[request.param]))


# -- host hygiene --------------------------------------------------------------------------
def _loop_devices_below(directory: str) -> list[str]:
    """Loop devices whose backing file lies under `directory` ("device file" lines)."""
    if not os.path.exists("/dev/loop-control"):
        return []
    listed = subprocess.run(
        ["losetup", "-n", "-l", "-O", "NAME,BACK-FILE"], capture_output=True, text=True
    ).stdout
    prefix = directory.rstrip(os.sep) + os.sep
    return sorted(line.strip() for line in listed.splitlines() if prefix in line)


@pytest.fixture(scope="module", autouse=True)
def no_mounts_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail the module that leaves a mount (a volume, the volumes' shared root, ...) or a loop
    device under this session's tmp dir, then remove them so the machine stays clean."""
    base = os.path.realpath(tmp_path_factory.getbasetemp())
    before = set(mounts.below(base)), set(_loop_devices_below(base))
    yield
    left = [m for m in mounts.below(base) if m not in before[0]]
    loops = [d for d in _loop_devices_below(base) if d not in before[1]]
    for target in sorted(left, key=len, reverse=True):
        subprocess.run(["umount", "-l", target], capture_output=True)
    for line in loops:
        subprocess.run(["losetup", "-d", line.split()[0]], capture_output=True)
    assert not left and not loops, f"left behind: mounts {left}, loop devices {loops}"


# -- in-process service -------------------------------------------------------------------
def make_runtime(
    tmp_path: Path,
    db_url: str,
    overrides: dict[str, dict[str, Any]] | None = None,
    config_sections: dict[str, dict[str, Any]] | None = None,
) -> Runtime:
    """A Runtime on `db_url` (migrated), with fast conductor timings for tests.

    `config_sections` go through a config file (for options registered only when they are
    read, such as keystoneauth plugin options); `overrides` are set directly."""
    files = []
    if config_sections:
        files.append(str(write_config(tmp_path / "runtime.conf", config_sections)))
    conf = load_config([], config_files=files)
    settings: dict[str, dict[str, Any]] = {
        "DEFAULT": {"state_path": str(tmp_path / "state"), "host": "test-host"},
        # Tests act as admin unless they send X-Roles (the product's noauth default is member;
        # tests/functional/test_noauth_defaults.py covers it).
        "auth": {"default_roles": ["admin", "member", "reader"]},
        "database": {"connection": db_url},
        "conductor": {"poll_interval": 0.05, "lease_seconds": 3},
    }
    for group, options in (overrides or {}).items():
        settings.setdefault(group, {}).update(options)
    for group, options in settings.items():
        for key, value in options.items():
            conf.set_override(key, value, group=None if group == "DEFAULT" else group)
    migration.upgrade(db_url)
    return build_runtime(conf)


class Api:
    """An HTTP client for the in-process app, speaking the latest microversion by default."""

    def __init__(self, client: Any, runtime: Runtime, conductor: Conductor | None) -> None:
        self.client = client
        self.runtime = runtime
        self.conductor = conductor

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**LATEST, **kwargs.pop("headers", {})}
        response: httpx.Response = self.client.request(method, path, headers=headers, **kwargs)
        return response

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, json=body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, json=body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def wait_status(self, cluster: str, *statuses: str, timeout: float = 20) -> dict[str, Any]:
        """Poll GET /v1/clusters/{cluster} until its status is one of `statuses`."""

        def shown() -> dict[str, Any]:
            response = self.get(f"/v1/clusters/{cluster}")
            if response.status_code == 404 and "DELETE_COMPLETE" in statuses:
                return {"status": "DELETE_COMPLETE"}
            body: dict[str, Any] = response.json()
            return body

        return wait_until(
            shown, timeout, f"cluster {cluster} in {statuses}",
            until=lambda body: body.get("status") in statuses, interval=0.05,
        )  # fmt: skip

    def template(self, **fields: Any) -> dict[str, Any]:
        body = {"coe": "kubernetes", "image_id": "fedora-atomic-latest", **fields}
        response = self.post("/v1/clustertemplates", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def runtime(tmp_path: Path, sqlite_url: str) -> Runtime:
    return make_runtime(tmp_path, sqlite_url)


@contextmanager
def running_api(runtime: Runtime) -> Iterator[Api]:
    """The app in-process (TestClient) with an embedded conductor on `runtime`."""
    from fastapi.testclient import TestClient

    conductor = build_conductor(runtime)
    conductor.start()
    try:
        with TestClient(create_app(runtime)) as client:
            yield Api(client, runtime, conductor)
    finally:
        conductor.stop()
        runtime.db.dispose()


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    """The app in-process with an embedded conductor, on SQLite."""
    with running_api(runtime) as client:
        yield client


# -- a real server process ----------------------------------------------------------------
class Server:
    def __init__(self, url: str, process: subprocess.Popen[bytes], config: Path, log: Path):
        self.url = url
        self.process = process
        self.config = config
        self.log = log

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def subprocess_env() -> dict[str, str]:
    """Environment for Dockyard processes and the openstack client started by tests."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(FAKE_DRIVERS)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    env.setdefault("SHELL", "/bin/bash")
    return env


def start_server(
    tmp_path: Path,
    command: str = "dockyard",
    sections: dict[str, dict[str, Any]] | None = None,
    port: int | None = None,
    start_timeout: float = 30,
) -> Server:
    """Start a Dockyard command with its own config and wait until it answers (API worker
    processes take longer to start on a loaded machine: pass a longer `start_timeout`)."""
    port = port or free_port()
    config: dict[str, dict[str, Any]] = {
        "DEFAULT": {"state_path": str(tmp_path / "state"), "host": "test-host"},
        "auth": {"default_roles": "admin,member,reader"},  # as in make_runtime
        "api": {"port": port},
        "conductor": {"poll_interval": 0.1, "lease_seconds": 3},
    }
    for section, options in (sections or {}).items():
        config.setdefault(section, {}).update(options)
    config_path = write_config(tmp_path / f"{command}-{port}.conf", config)
    log = tmp_path / f"{command}-{port}.log"
    binary = str(Path(sys.executable).parent / command)
    process = subprocess.Popen(
        [binary, "--config-file", str(config_path)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=subprocess_env(),
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited: {log.read_text()}")
        try:
            return httpx.get(url + "/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    if command != "dockyard-conductor":
        try:
            wait_until(answers, start_timeout, f"{command} to answer on {url}")
        except AssertionError:
            # SIGTERM first: dockyard-api then stops its worker processes too.
            Server(url, process, config_path, log).stop()
            raise RuntimeError(f"{command} did not start: {log.read_text()}") from None
    return Server(url, process, config_path, log)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`dockyard` (API + conductor, SQLite) as the README's first command runs it."""
    srv = start_server(tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()
