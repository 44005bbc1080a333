"""k8s_local with 3 masters, driver calls only (no API): the API's haproxy keeps answering
while a master is down, a master killed with SIGKILL comes back at resume, and each node's
engine data-root is a loop-mounted volume with docker_volume_size.

Needs root, docker.io and scripts/install-kubernetes (require_host).
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
from harness.waiting import wait_until
from local_host import free_test_pool, leftovers, make_spec, remove_clusters

from dockyard.certs.x509 import generate_ca
from dockyard.common.context import RequestContext
from dockyard.drivers.base import ClusterInventory, ClusterSpec, Outcome
from dockyard.drivers.k8s_local.driver import LocalKubernetesDriver
from dockyard.drivers.k8s_local.settings import KubeSettings
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.kube_local.api import KubeApiError, node_ready

pytestmark = require_host("root", "docker", "kubernetes", "loop-devices")

CTX = RequestContext(project_id="p", user_id="u", request_id="req-k8s-ha")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKubernetesDriver]:
    tmp = tmp_path_factory.mktemp("k8s-ha")
    pool = free_test_pool()
    local = LocalSettings(
        state_dir=str(tmp / "state"), run_dir=f"/run/dyh-{os.getpid()}", address_pool=pool
    )
    made = LocalKubernetesDriver(KubeSettings(local))
    try:
        yield made
    finally:
        remove_clusters(local)
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True)


def ready(driver: LocalKubernetesDriver, cluster: ClusterSpec) -> dict[str, str | None]:
    """Node name -> None when Ready (else why not), through the cluster's loopback API."""
    state = driver.nodes.load(cluster)
    assert state is not None
    with driver.nodes.api(state, cluster) as api:
        return {name: node_ready(node) for name, node in api.nodes().items()}


def test_three_masters_keep_the_api_up_and_a_killed_master_comes_back(
    driver: LocalKubernetesDriver,
) -> None:
    cluster = make_spec(
        generate_ca("ha"), name="ha", masters=3, workers=1, coe="kubernetes", volume_gib=1
    )
    created = driver.create_cluster(CTX, cluster)
    assert created.outcome is Outcome.COMPLETE, created.reason
    cluster = replace(cluster, driver_state=created.driver_state or {})
    state: dict[str, Any] = created.driver_state or {}
    assert created.facts is not None and len(created.facts.master_addresses or []) == 3
    assert set(ready(driver, cluster).values()) == {None}

    # Each node's engine keeps its data on its own loop-mounted ext4 volume.
    cluster_dir = Path(driver.settings.local.state_dir) / "clusters" / cluster.uuid
    for node in state["nodes"]:
        mounts = Path(f"/proc/{node['pid']}/mountinfo").read_text()
        data_root = cluster_dir / "nodes" / node["name"] / "data"
        line = next(m for m in mounts.splitlines() if f" {data_root} " in m)
        assert " ext4 /dev/loop" in line, line

    first = next(n for n in state["nodes"] if n["name"] == "m0")
    os.kill(first["pid"], signal.SIGKILL)
    # The API (haproxy over the masters) answers again within seconds of losing a master,
    # then steadily.

    def answers() -> bool:
        try:
            return "ha-master-1" in ready(driver, cluster)
        except KubeApiError:
            # A connection the dying master held, an election, an apiserver whose etcd
            # client still points at the dead member: all within the wait below.
            return False

    wait_until(answers, 30, "the API through the surviving masters")
    for _ in range(5):
        assert "ha-master-1" in ready(driver, cluster)
    health = driver.check_health(CTX, cluster)
    assert health is not None and health.status == "UNHEALTHY"
    assert "not running" in health.reason["ha-master-0"], health.reason

    inventory = ClusterInventory(
        running=(cluster,), known=frozenset({cluster.uuid}), listed_at=time.time()
    )
    lines = driver.resume(CTX, inventory)
    assert any("restarted ha-master-0" in line for line in lines), lines

    def all_ready() -> bool:
        try:
            return set(ready(driver, cluster).values()) == {None}
        except KubeApiError:
            return False  # etcd settling again after the restarted member rejoined

    wait_until(all_ready, 60, "every node Ready")

    def healthy() -> bool:  # /readyz also waits for etcd to settle
        health = driver.check_health(CTX, cluster)
        return health is not None and health.status == "HEALTHY"

    wait_until(healthy, 60, "the cluster HEALTHY again")

    deleted = driver.delete_cluster(CTX, cluster)
    assert deleted.outcome is Outcome.COMPLETE and not deleted.events, deleted.reason
    dirs = [cluster_dir, Path(driver.settings.local.run_dir) / state["key"]]
    assert leftovers(state, dirs) == []
    with pytest.raises(KubeApiError):
        ready(driver, cluster)
