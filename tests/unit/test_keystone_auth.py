"""Keystone mode's own logic without a Keystone: the token cache, shared validations, token
document parsing, and what clients get when Keystone cannot be reached (a closed port, real
keystoneauth). Behaviour against a real Keystone is in tests/functional/test_keystone.py.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from fastapi.testclient import TestClient
from oslo_config.cfg import ConfigOpts

from dockyard.api.app import create_app
from dockyard.api.auth.authenticator import KeystoneUnavailable, TokenAuthenticator
from dockyard.api.auth.cache import ExpiringLRU
from dockyard.api.auth.identity import Identity, from_token_document
from dockyard.api.auth.keystone import KeystoneValidator
from dockyard.cmd.wiring import build_runtime
from dockyard.conf import load_config
from dockyard.db import migration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def identity(expires_at: float, project_id: str | None = "p1") -> Identity:
    return Identity("u1", "alice", "default", ("member", "reader"), expires_at, project_id)


class Counting:
    """A validate callable that answers from a table and counts its calls."""

    def __init__(self, answers: dict[str, Identity | None], delay: float = 0) -> None:
        self.answers = answers
        self.delay = delay
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, token: str) -> Identity | None:
        with self.lock:
            self.calls.append(token)
        time.sleep(self.delay)
        return self.answers[token]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- cache ----------------------------------------------------------------------------------
def test_lru_expires_and_evicts() -> None:
    clock = Clock()
    cache: ExpiringLRU[str] = ExpiringLRU(2, clock)
    cache.put(b"a", "A", deadline=1010)
    cache.put(b"b", "B", deadline=1005)
    assert cache.get(b"a") == (True, "A")  # a is now the most recent
    cache.put(b"c", "C", deadline=1010)  # evicts b, the least recently used
    assert cache.get(b"b") == (False, None)
    clock.now = 1010
    assert cache.get(b"a") == (False, None)
    cache.put(b"d", "D", deadline=1000)  # already dead: not stored
    assert len(cache) == 1


def test_results_are_cached_until_cache_time_or_expiry() -> None:
    clock = Clock()
    validate = Counting({"short": identity(1030), "long": identity(99999), "bad": None})
    auth = TokenAuthenticator(validate, cache_time=300, cache_size=10, clock=clock)

    async def scenario() -> None:
        for _ in range(3):
            assert await auth.authenticate("long") == identity(99999)
            assert await auth.authenticate("short") == identity(1030)
            assert await auth.authenticate("bad") is None
        assert validate.calls == ["long", "short", "bad"]
        clock.now = 1030  # "short" expired: asked again (a real Keystone would now say no)
        await auth.authenticate("short")
        await auth.authenticate("long")
        assert validate.calls == ["long", "short", "bad", "short"]
        clock.now = 1301  # past token_cache_time: everything is asked again
        await auth.authenticate("long")
        await auth.authenticate("bad")
        assert validate.calls[-2:] == ["long", "bad"]

    asyncio.run(scenario())


def test_concurrent_requests_share_one_validation() -> None:
    validate = Counting({"t": identity(time.time() + 3600)}, delay=0.2)
    auth = TokenAuthenticator(validate, cache_time=300, cache_size=10)

    async def scenario() -> list[Identity | None]:
        return list(await asyncio.gather(*(auth.authenticate("t") for _ in range(20))))

    results = asyncio.run(scenario())
    assert len(set(results)) == 1
    assert validate.calls == ["t"]


def test_cache_time_zero_always_asks_and_failures_are_not_cached() -> None:
    outcomes: list[Any] = [KeystoneUnavailable("down"), identity(time.time() + 60)]

    def validate(token: str) -> Identity | None:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        result: Identity | None = outcome
        return result

    auth = TokenAuthenticator(validate, cache_time=300, cache_size=10)

    async def scenario() -> None:
        with pytest.raises(KeystoneUnavailable):
            await auth.authenticate("t")
        assert (await auth.authenticate("t")) is not None

    asyncio.run(scenario())
    uncached = Counting({"t": None})
    auth = TokenAuthenticator(uncached, cache_time=0, cache_size=10)
    asyncio.run(auth.authenticate("t"))
    asyncio.run(auth.authenticate("t"))
    assert uncached.calls == ["t", "t"]


# -- token documents ------------------------------------------------------------------------
def test_token_document_scopes() -> None:
    user = {"id": "u1", "name": "alice", "domain": {"id": "default", "name": "Default"}}
    base = {"user": user, "expires_at": "2030-01-01T00:00:00.000000Z", "roles": []}
    project = {"id": "p1", "name": "a", "domain": {"id": "default"}}
    roles = [{"id": "r1", "name": "member"}, {"id": "r2", "name": "reader"}]
    scoped = from_token_document({"token": {**base, "project": project, "roles": roles}})
    assert (scoped.scope, scoped.project_id, scoped.roles) == ("project", "p1", roles_of(roles))
    assert scoped.user_domain_id == "default"
    assert scoped.expires_at == 1893456000.0
    assert from_token_document({"token": {**base, "domain": {"id": "d"}}}).scope == "domain"
    assert from_token_document({"token": {**base, "system": {"all": True}}}).scope == "system"
    unscoped = from_token_document({"token": base})
    assert (unscoped.scope, unscoped.project_id) == ("unscoped", None)


def roles_of(roles: list[dict[str, str]]) -> tuple[str, ...]:
    return tuple(r["name"] for r in roles)


# -- Keystone unreachable -------------------------------------------------------------------
def keystone_options(port: int) -> dict[str, Any]:
    return {
        "auth_url": f"http://127.0.0.1:{port}/v3",
        "username": "dockyard",
        "password": "secret",
        "project_name": "service",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
        "http_request_max_retries": 0,
    }


def keystone_conf(tmp_path: Path, port: int) -> ConfigOpts:
    """A config file, as operators write one: the password plugin's options are registered
    only when the plugin loads, so they cannot be set with set_override beforehand."""
    db_url = f"sqlite:///{tmp_path / 'dockyard.sqlite'}"
    path = write_config(
        tmp_path / "dockyard.conf",
        {
            "DEFAULT": {"state_path": str(tmp_path / "state")},
            "database": {"connection": db_url},
            "auth": {"strategy": "keystone"},
            "keystone_authtoken": keystone_options(port),
        },
    )
    migration.upgrade(db_url)
    conf: ConfigOpts = load_config(["--config-file", str(path)])
    return conf


def test_validator_reports_unreachable_keystone(tmp_path: Path) -> None:
    conf = keystone_conf(tmp_path, closed_port())
    with pytest.raises(KeystoneUnavailable):
        KeystoneValidator(conf).validate("some-token")


def test_app_answers_401_without_token_and_503_when_keystone_is_down(tmp_path: Path) -> None:
    port = closed_port()
    runtime = build_runtime(keystone_conf(tmp_path, port))
    with TestClient(create_app(runtime)) as client:
        assert client.get("/").status_code == 200
        assert client.get("/v1").status_code == 200
        assert client.get("/healthcheck").status_code == 200
        # noauth headers are no identity in keystone mode
        anonymous = client.get("/v1/clusters", headers={"X-Project-Id": "p", "X-Roles": "admin"})
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == f'Keystone uri="http://127.0.0.1:{port}/v3"'
        down = client.get("/v1/clusters", headers={"X-Auth-Token": "t"})
        assert down.status_code == 503
        (error,) = down.json()["errors"]
        assert (error["status"], error["code"]) == (503, "server")
        assert error["title"].startswith("The Identity service is unavailable")
    runtime.db.dispose()
