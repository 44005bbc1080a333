"""Multi-master fail-over of the `local` driver's API endpoint, against real dockerds.

A 3-master + 1-worker TLS cluster: every manager's dockerd listens on the cluster's loopback
port (SO_REUSEPORT), so when the leader's dockerd is killed, the same DOCKER_HOST keeps
answering once raft has elected a new leader; health names the dead master; a repeated
create brings it back onto the same port; delete leaves no listener behind. Needs root and
Debian's docker.io (scripts/install-docker); skips otherwise. Traffic goes to 127.0.0.1 and
to the namespaces this test creates.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from harness.host import require_host
from local_host import (
    CTX,
    DockerCli,
    free_test_pool,
    leftovers,
    make_spec,
    sh,
    wait_for,
    write_client,
)

from dockyard.certs.x509 import generate_ca, issue
from dockyard.drivers.base import Outcome
from dockyard.drivers.swarm_local.driver import LocalDriver
from dockyard.drivers.swarm_local.settings import LocalSettings

pytestmark = require_host("root", "docker")

# Swarm's raft election timeout is fixed at 10 ticks of 1 s in Docker 20.10 (measured: 10-13 s).
FAILOVER_SECONDS = 25


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSettings]:
    workdir = tmp_path_factory.mktemp("local-ha")
    pool = free_test_pool()
    yield LocalSettings(
        state_dir=str(workdir / "state"), run_dir=f"/run/dockyard-ha-{os.getpid()}",
        address_pool=pool,
    )  # fmt: skip
    subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True, check=False)


def listeners(port: int) -> set[int]:
    """PIDs of the processes listening on 127.0.0.1:`port`."""
    out = sh("ss", "-Hltnp", "sport", "=", str(port))
    return {int(part.split("=")[1]) for part in out.replace(",", " ").split() if "pid=" in part}


def test_api_address_survives_the_leader(settings: LocalSettings, tmp_path: Path) -> None:
    ca = generate_ca("dockyard-test-ha")
    driver = LocalDriver(settings)
    spec = make_spec(ca, name="fo", masters=3, workers=1)
    state: dict[str, Any] = {}
    try:
        result = driver.create_cluster(CTX, spec)
        state = result.driver_state or {}
        assert result.outcome is Outcome.COMPLETE, result.reason
        spec = replace(spec, driver_state=state)
        port = state["api_port"]
        assert result.facts is not None and result.facts.api_address == f"tcp://127.0.0.1:{port}"
        managers = {n["hostname"]: n for n in state["nodes"] if n["role"] == "manager"}
        # One loopback port, served by all three managers' dockerds: no proxy process.
        assert listeners(port) == {n["pid"] for n in managers.values()}

        client = write_client(tmp_path / "client", ca, issue(ca, "admin", client=True))
        cli = DockerCli(tmp_path, result.facts.api_address, client)
        fmt = "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"
        status = dict(line.split(" ", 1) for line in cli.lines("node", "ls", "--format", fmt))
        leader = next(name for name, row in status.items() if row == "Ready Leader")
        os.kill(managers[leader]["pid"], signal.SIGKILL)
        killed = time.monotonic()

        seen: list[str] = []

        def leader_elected() -> dict[str, str] | None:
            proc = cli.run("node", "ls", "--format", fmt, check=False)
            seen.append(proc.stdout + proc.stderr)
            if proc.returncode != 0:
                return None  # no leader yet: the surviving managers say so
            rows = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
            new = [n for n, row in rows.items() if row.endswith(" Leader") and n != leader]
            return rows if new and rows[leader].endswith(" Unreachable") else None

        try:
            rows = wait_for(leader_elected, FAILOVER_SECONDS, "a new leader on the same port")
        except AssertionError:
            raise AssertionError(f"{leader} killed; node ls said: {seen[-3:]}") from None
        failover = time.monotonic() - killed
        assert sorted(rows) == ["fo-master-0", "fo-master-1", "fo-master-2", "fo-node-0"]
        print(f"fail-over: node ls answered with a new leader {failover:.1f}s after the kill")

        # The new leader learns the other nodes' states from their next heartbeats.
        others = [n for n in rows if n != leader]
        health = wait_for(
            lambda: (
                (
                    (h := driver.check_health(CTX, spec))
                    and all(h.reason[n] == "Ready" for n in others)
                )
                and h
            ),
            30,
            f"health to see {', '.join(others)} Ready",
        )
        assert health.status == "UNHEALTHY", health
        assert health.reason[leader].startswith("dockerd is not running"), health.reason
        assert health.reason["api"] == "ok"

        healed = driver.create_cluster(CTX, spec)  # the conductor's repair: restart the dead
        assert healed.outcome is Outcome.COMPLETE, healed.reason
        state = healed.driver_state or {}
        spec = replace(spec, driver_state=state)
        assert state["api_port"] == port
        assert listeners(port) == {n["pid"] for n in state["nodes"] if n["role"] == "manager"}
        wait_for(
            lambda: sorted(cli.lines("node", "ls", "--format", "{{.Status}}")) == ["Ready"] * 4,
            30,
            "every node Ready again",
        )
        health = driver.check_health(CTX, spec)
        assert health is not None and health.status == "HEALTHY", health
    finally:
        deleted = driver.delete_cluster(CTX, replace(spec, driver_state=state))
    assert deleted.outcome is Outcome.COMPLETE and deleted.reason == "deleted", deleted.reason
    dirs = [
        Path(settings.state_dir) / "clusters" / spec.uuid,
        Path(settings.run_dir) / state["key"],
    ]
    assert leftovers(state, dirs) == []
