"""GET /v1/mservices reflects which processes are alive (heartbeats)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx
from conftest import LATEST, start_server
from harness.waiting import wait_until


def _states(url: str) -> dict[str, str]:
    services = httpx.get(f"{url}/v1/mservices", headers=LATEST, timeout=10).json()["mservices"]
    return {s["binary"]: s["state"] for s in services}


def test_magnum_names_list_the_conductor_alone(tmp_path: Path, postgres_url: str) -> None:
    sections: dict[str, dict[str, Any]] = {
        "DEFAULT": {"heartbeat_interval": 1},
        "database": {"connection": postgres_url},
    }
    api = start_server(tmp_path, "dockyard-api", sections)
    conductor = start_server(tmp_path, "dockyard-conductor", sections)
    try:
        wait_until(
            lambda: _states(api.url).get("magnum-conductor") == "up",
            30,
            "the conductor to report itself up",
        )
        assert set(_states(api.url)) == {"magnum-conductor"}
    finally:
        conductor.stop()
        api.stop()


def test_killed_conductor_goes_down(tmp_path: Path, postgres_url: str) -> None:
    """Heartbeats keep a process up; a killed one goes down (after service_down_time: the rule
    itself, with explicit times, is tests/unit/test_service_liveness.py)."""
    sections: dict[str, dict[str, Any]] = {
        "DEFAULT": {"service_down_time": 3, "heartbeat_interval": 1},
        "database": {"connection": postgres_url},
        "api": {"service_list_names": "dockyard"},
    }
    api = start_server(tmp_path, "dockyard-api", sections)
    conductor = start_server(tmp_path, "dockyard-conductor", sections)
    try:
        up = wait_until(lambda: _states(api.url), 30, "the conductor up",
                        until=lambda s: s.get("dockyard-conductor") == "up")  # fmt: skip
        assert up["dockyard-api"] == "up"
        conductor.process.send_signal(signal.SIGKILL)
        conductor.process.wait(10)
        down = wait_until(lambda: _states(api.url), 60, "the killed conductor down",
                          until=lambda s: s["dockyard-conductor"] == "down")  # fmt: skip
        assert down["dockyard-api"] == "up"  # its own heartbeats keep it up meanwhile
    finally:
        conductor.stop()
        api.stop()


def test_api_with_two_worker_processes(tmp_path: Path) -> None:
    """`dockyard-api` with [api] workers = 2 serves from two processes sharing the database."""
    api = start_server(
        tmp_path,
        "dockyard-api",
        {"api": {"workers": 2, "service_list_names": "dockyard"}},
        start_timeout=150,
    )
    try:
        children = [
            pid
            for pid in Path("/proc").iterdir()
            if pid.name.isdigit() and _parent(pid) == api.process.pid
        ]
        assert len(children) >= 2, "expected two uvicorn worker processes"
        created = httpx.post(
            f"{api.url}/v1/quotas",
            json={"project_id": "p1", "resource": "Cluster", "hard_limit": 3},
            headers=LATEST,
        )
        assert created.status_code == 201
        for _ in range(10):  # whichever worker answers sees the same row
            got = httpx.get(f"{api.url}/v1/quotas/p1/Cluster", headers=LATEST).json()
            assert got["hard_limit"] == 3
        assert _states(api.url)["dockyard-api"] == "up"
    finally:
        api.stop()


def _parent(proc: Path) -> int:
    try:
        stat = (proc / "stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])
