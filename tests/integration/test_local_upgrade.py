"""Cluster upgrade in the `local` driver: a rolling restart with the new template's settings.

A 1-master + 2-worker TLS cluster runs a 3-replica service. Upgrading to a template with
`docker_debug=true` and `registry_enabled` restarts the manager alone, then both workers
together (max_batch_size 2), each group drained first; the service's containers are counted
on every node's own socket throughout and never all stop. Afterwards every dockerd runs with
the new daemon.json, the registry runs, and a repeated upgrade restarts nothing. An upgrade
whose dockerd cannot start raises (the conductor records UPDATE_FAILED with the message) and
the next upgrade finishes the job. Needs root, docker.io and docker-registry
(scripts/install-docker); skips otherwise. Traffic stays on 127.0.0.1, unix sockets and the
namespaces this test creates.

Every test upgrades (or tries to upgrade) a cluster of its own, made from the OLD template
(about 3 s); the driver and its address pool are shared by the module.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from harness.host import require_host
from local_host import (
    CTX,
    SERVICE_CMD,
    free_test_pool,
    leftovers,
    make_spec,
    wait_for,
)

from dockyard.certs.x509 import generate_ca
from dockyard.common.exceptions import InvalidLabel, NotSupported
from dockyard.drivers.base import ClusterSpec, Outcome
from dockyard.drivers.swarm_local.driver import LocalDriver
from dockyard.drivers.swarm_local.layout import ClusterState
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.docker_local import swarm
from dockyard.providers.docker_local.daemon import DaemonError

pytestmark = require_host("root", "docker", "docker-registry")

OLD = {"uuid": "tmpl-old", "name": "swarm-old", "coe": "swarm-mode", "labels": {}}
NEW = {
    "uuid": "tmpl-new",
    "name": "swarm-new",
    "coe": "swarm-mode",
    "labels": {"docker_debug": "true", "docker_log_level": "debug"},
    "registry_enabled": True,
}
DEBUG = {**OLD, "uuid": "tmpl-debug", "labels": {"docker_debug": "true"}}


class Watch(threading.Thread):
    """Counts the service's running containers on every node's own socket, until stopped."""

    def __init__(self, driver: LocalDriver, spec: ClusterSpec) -> None:
        super().__init__(daemon=True)
        self.driver, self.spec = driver, spec
        self.counts: list[int] = []
        self.done = threading.Event()

    def count(self) -> int:
        state = self.driver.store.load(self.spec.uuid)
        assert state is not None
        total = 0
        for node in state.nodes:
            try:
                api = self.driver.nodes.client(state, node, timeout=2)
                try:
                    label = "com.docker.swarm.service.name=web"
                    total += len(api.containers.list(filters={"label": label}))
                finally:
                    api.close()
            except Exception:
                continue  # this node is restarting
        return total

    def run(self) -> None:
        while not self.done.is_set():
            self.counts.append(self.count())
            time.sleep(0.1)


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDriver]:
    """The module's driver, on an address pool of its own (its blackhole removed after)."""
    tmp = tmp_path_factory.mktemp("local-upgrade")
    pool = free_test_pool()
    settings = LocalSettings(
        state_dir=str(tmp / "state"), run_dir=f"/run/dockyard-up-{os.getpid()}",
        address_pool=pool, drain_timeout=10,
    )  # fmt: skip
    try:
        yield LocalDriver(settings)
    finally:
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True, check=False)


@pytest.fixture
def cluster(driver: LocalDriver) -> Iterator[tuple[LocalDriver, ClusterSpec]]:
    """The test's own cluster of the OLD template running `web` (3 replicas); deleted after,
    leaving nothing on the host."""
    settings = driver.settings
    spec = make_spec(generate_ca("dockyard-test-upgrade"), name="up", template=OLD)
    result = driver.create_cluster(CTX, spec)
    spec = replace(spec, driver_state=result.driver_state or {})
    try:
        assert result.outcome is Outcome.COMPLETE, result.reason
        state = ClusterState.from_dict(dict(spec.driver_state))
        api = driver.nodes.client(state, state.node("m0"))
        try:
            api.services.create(
                state.image_id, SERVICE_CMD, name="web", mode={"Replicated": {"Replicas": 3}},
                endpoint_spec={"Mode": "dnsrr"},
            )  # fmt: skip
        finally:
            api.close()
        yield driver, spec
    finally:
        state_dict = driver.store.load(spec.uuid)
        final = replace(spec, driver_state=state_dict.to_dict() if state_dict else {})
        deleted = driver.delete_cluster(CTX, final)
        dirs = [Path(settings.state_dir) / "clusters" / spec.uuid,
                Path(settings.run_dir) / final.driver_state.get("key", "none")]  # fmt: skip
        left = leftovers(final.driver_state, dirs) if final.driver_state else []
        assert deleted.outcome is Outcome.COMPLETE and left == [], (deleted.reason, left)


def engine_facts(driver: LocalDriver, spec: ClusterSpec) -> dict[str, Any]:
    state = driver.store.load(spec.uuid)
    assert state is not None
    facts = {}
    for node in state.nodes:
        api = driver.nodes.client(state, node)
        try:
            info = api.info()
            facts[node.hostname] = (info["Debug"], info["RegistryConfig"]["Mirrors"], node.pid)
        finally:
            api.close()
    return facts


def running_tasks(driver: LocalDriver, spec: ClusterSpec) -> int:
    state = driver.store.load(spec.uuid)
    assert state is not None
    api = driver.nodes.client(state, state.node("m0"))
    try:
        return sum(len(tasks) for tasks in swarm.running_tasks(api).values())
    finally:
        api.close()


def test_upgrade_refuses_what_a_restart_cannot_change(
    cluster: tuple[LocalDriver, ClusterSpec],
) -> None:
    driver, spec = cluster
    with pytest.raises(NotSupported, match="TLS on or off"):
        driver.upgrade_cluster(CTX, spec, {**NEW, "tls_disabled": True}, 1)
    with pytest.raises(InvalidLabel, match="docker_log_level"):
        driver.upgrade_cluster(CTX, spec, {**NEW, "labels": {"docker_log_level": "loud"}}, 1)


def test_rolling_upgrade_keeps_the_service_running(
    cluster: tuple[LocalDriver, ClusterSpec],
) -> None:
    driver, spec = cluster
    wait_for(lambda: running_tasks(driver, spec) == 3, 30, "3 running tasks")
    before = engine_facts(driver, spec)
    assert {debug for debug, _, _ in before.values()} == {False}
    watch = Watch(driver, spec)
    watch.start()
    started = time.monotonic()
    try:
        result = driver.upgrade_cluster(CTX, spec, NEW, 2)
    finally:
        watch.done.set()
        watch.join()
    seconds = time.monotonic() - started
    assert result.outcome is Outcome.COMPLETE, result.reason
    assert result.events == [
        "upgraded together: up-master-0",
        "upgraded together: up-node-0, up-node-1",
    ]
    assert "up-master-0, up-node-0, up-node-1" in (result.reason or "")
    print(f"upgrade of 3 nodes: {seconds:.1f}s; containers seen: {watch.counts}")
    assert len(watch.counts) > 5 and min(watch.counts) >= 1, watch.counts  # never all down
    spec = replace(spec, driver_state=result.driver_state or {})
    after = engine_facts(driver, spec)
    registry = f"https://{spec.driver_state['subnet'].rsplit('.', 1)[0]}.2:5000/"
    for host, (debug, mirrors, pid) in after.items():
        assert debug is True and mirrors == [registry], (host, after[host])
        assert pid != before[host][2]
    assert spec.driver_state["template_id"] == "tmpl-new" and spec.driver_state["registry_pid"]
    wait_for(lambda: running_tasks(driver, spec) == 3, 30, "3 running tasks again")
    health = driver.check_health(CTX, spec)
    assert health is not None and health.status == "HEALTHY", health

    again = driver.upgrade_cluster(CTX, spec, NEW, 2)
    assert again.outcome is Outcome.COMPLETE and (again.reason or "").endswith(": none")
    assert again.events == []


def test_a_failed_upgrade_is_finished_by_the_next(
    cluster: tuple[LocalDriver, ClusterSpec],
) -> None:
    driver, spec = cluster
    broken = LocalDriver(replace(driver.settings, dockerd="/bin/false", start_timeout=5))
    with pytest.raises(DaemonError, match="up-master-0"):
        broken.upgrade_cluster(CTX, spec, DEBUG, 1)  # the conductor: UPDATE_FAILED, this reason
    spec = replace(spec, driver_state=driver.store.load(spec.uuid).to_dict())  # type: ignore[union-attr]
    result = driver.upgrade_cluster(CTX, spec, DEBUG, 1)
    assert result.outcome is Outcome.COMPLETE, result.reason
    assert [e.split(": ")[1] for e in result.events] == ["up-master-0", "up-node-0", "up-node-1"]
    spec = replace(spec, driver_state=result.driver_state or {})
    assert {debug for debug, _, _ in engine_facts(driver, spec).values()} == {True}
    assert spec.driver_state["template_id"] == "tmpl-debug"
    assert spec.driver_state["registry_pid"] is None  # DEBUG has no registry
    wait_for(lambda: running_tasks(driver, spec) == 3, 30, "3 running tasks")
