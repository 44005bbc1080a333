"""noauth is safe by default: no X-Roles means member, a non-loopback bind is refused unless
the operator opts in, and the SQLite file is private."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LATEST, free_port, make_runtime, subprocess_env, write_config
from fastapi.testclient import TestClient

from dockyard.api.app import create_app


def test_no_roles_header_gets_member_not_admin(tmp_path: Path, sqlite_url: str) -> None:
    rt = make_runtime(tmp_path, sqlite_url)
    rt.conf.clear_override("default_roles", group="auth")  # the product default
    quota = {"project_id": "other", "resource": "Cluster", "hard_limit": 3}
    with TestClient(create_app(rt)) as client:
        for headers in ({}, {"X-Project-Id": "p1"}):
            response = client.post("/v1/quotas", json=quota, headers={**LATEST, **headers})
            assert response.status_code == 403, response.text
            assert client.get("/v1/clusters", headers={**LATEST, **headers}).status_code == 200
        admin = {**LATEST, "X-Roles": "admin"}
        assert client.post("/v1/quotas", json=quota, headers=admin).status_code == 201
    rt.db.dispose()


def _run_dockyard(tmp_path: Path, **auth: str) -> subprocess.Popen[str]:
    config = write_config(
        tmp_path / "dockyard.conf",
        {
            "DEFAULT": {"state_path": tmp_path / "state"},
            "api": {"host": "0.0.0.0", "port": free_port()},
            "auth": auth,
        },
    )
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "dockyard"), "--config-file", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=subprocess_env(),
    )


def test_noauth_on_a_network_address_is_refused(tmp_path: Path) -> None:
    process = _run_dockyard(tmp_path)
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "refusing to start: [auth] strategy = noauth on [api] host = 0.0.0.0" in output


def test_noauth_on_a_network_address_when_allowed_warns(tmp_path: Path) -> None:
    process = _run_dockyard(tmp_path, noauth_allow_network="true")
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "SECURITY: noauth on 0.0.0.0" in line:
                break
        else:
            pytest.fail("no warning before the output ended")
        mode = stat.S_IMODE((tmp_path / "state" / "dockyard.sqlite").stat().st_mode)
        assert mode == 0o600, oct(mode)
    finally:
        process.terminate()
        process.wait(30)
