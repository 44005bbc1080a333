"""Dockyard volumes for pods on a real local Kubernetes cluster (issue 12's persistent volumes).

A 1 master + 2 worker k8s_local cluster (driver calls, no API server) whose nodes carry the
`dockyard/volume` FlexVolume driver, Dockyard's real volume plugin serving each node's
socket, and the real local volume driver (loop-mounted ext4 images). A Dockyard volume is
given to Kubernetes as a PersistentVolume; a pod writes through a PVC, is refused to a second
node while it holds the volume (not multiattach), the volume cannot be deleted in use, and
after the pod is deleted the next pod, on the other node, reads what the first wrote. The
data is in the volume's image at the end.

Which sockets the plugin serves comes from the product's service
(services/cluster_volumes.engine_sockets) reading the cluster's row, as in a running dockyard.

Needs root, docker.io, loop devices and scripts/install-kubernetes (require_host).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from conftest import make_runtime
from harness.host import require_host
from harness.waiting import wait_until
from local_host import free_test_pool, make_spec, remove_clusters

from dockyard.api.docker_plugin.server import PluginSockets
from dockyard.certs.x509 import generate_ca
from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Cluster
from dockyard.drivers.base import ClusterSpec, Outcome
from dockyard.drivers.k8s_local.driver import LocalKubernetesDriver
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.kube_local.binaries import KubeBinaries
from dockyard.services import cluster_volumes, volumes
from dockyard.services.runtime import Runtime
from dockyard.volume_drivers.local import LocalVolumeDriver

pytestmark = [
    require_host("root", "docker", "kubernetes", "loop-devices"),
    pytest.mark.timeout(900),
]

CTX = RequestContext(project_id="project", user_id="u", request_id="req-k8s-volumes")
# make_spec's clusters belong to project "project": names resolve there.
MEMBER = RequestContext(project_id="project", user_id="alice", roles=("member", "reader"))
KUBECTL = KubeBinaries().path("kubectl")

VOLUME = """
apiVersion: v1
kind: PersistentVolume
metadata: {name: kvdata}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: dockyard
  flexVolume: {driver: dockyard/volume, fsType: ext4, options: {volume: kvdata}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: kvdata}
spec:
  storageClassName: dockyard
  volumeName: kvdata
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
"""


def pod(name: str, node: str) -> str:
    """A pod on `node` that shows what /data is, appends its name to /data/log, and stays."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {
                "nodeSelector": {"kubernetes.io/hostname": node},
                "terminationGracePeriodSeconds": 1,
                "containers": [
                    {
                        "name": "main",
                        "image": "dockyard/busybox:1",
                        "imagePullPolicy": "Never",
                        "command": [
                            "sh",
                            "-c",
                            "grep ' /data ' /proc/mounts; cat /data/log 2>/dev/null; "
                            "echo $(hostname) >> /data/log; exec sleep 3600",
                        ],
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    }
                ],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "kvdata"}}],
            },
        }
    )


@dataclass
class World:
    rt: Runtime
    driver: LocalKubernetesDriver
    spec: ClusterSpec
    admin: Path
    engines: dict[str, str]  # node hostname -> engine name in attachment records

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        state = self.spec.driver_state
        proc = subprocess.run(
            [
                KUBECTL,
                f"--server=https://127.0.0.1:{state['api_port']}",
                f"--certificate-authority={self.admin / 'ca.pem'}",
                f"--client-certificate={self.admin / 'cert.pem'}",
                f"--client-key={self.admin / 'key.pem'}",
                "--request-timeout=20s",
                *args,
            ],
            capture_output=True,
            text=True,
            input=stdin,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.admin)},
        )
        assert proc.returncode == 0, f"kubectl {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def phase(self, name: str) -> str:
        found = json.loads(self.kubectl("get", "pods", "-o", "json"))["items"]
        return next((p["status"]["phase"] for p in found if p["metadata"]["name"] == name), "")

    def wait_running(self, name: str, timeout: float) -> None:
        """Until pod `name` runs; on timeout the error says what its events said."""
        try:
            wait_until(lambda: self.phase(name) == "Running", timeout, f"{name} running")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; events: {self.events_of(name)}") from None

    def events_of(self, name: str) -> str:
        return self.kubectl(
            "get", "events", "--field-selector", f"involvedObject.name={name}",
            "-o", "jsonpath={.items[*].message}",
        )  # fmt: skip

    def engines_holding(self, volume: str) -> list[str]:
        return sorted(a.engine for a in volumes.attachments_of(self.rt, volume))

    @property
    def volume_driver(self) -> LocalVolumeDriver:
        found = self.rt.volume_drivers.get("local")
        assert isinstance(found, LocalVolumeDriver)
        return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("k8s-volumes")
    db_url = f"sqlite:///{tmp}/dockyard.sqlite"
    pool = free_test_pool()
    local = LocalSettings(
        state_dir=str(tmp / "state"), run_dir=f"/run/dykv-{os.getpid()}", address_pool=pool
    )
    rt = make_runtime(
        tmp,
        db_url,
        {"volume": {"local_root": str(tmp / "volumes")}},
        config_sections={
            "local_driver": {
                "state_dir": local.state_dir,
                "run_dir": local.run_dir,
                "address_pool": pool,
            }
        },
    )
    # Before the nodes start: volumes mounted later must propagate into their namespaces.
    volumes.prepare_host(rt)
    # The runtime's own k8s_local driver, so the sockets the plugin serves come from the
    # product's service (cluster_volumes.engine_sockets), not from the test.
    driver = rt.drivers.get("k8s_local")
    assert isinstance(driver, LocalKubernetesDriver)
    plugin: PluginSockets | None = None
    try:
        spec = make_spec(generate_ca("kv"), name="kv", workers=2, coe="kubernetes")
        created = driver.create_cluster(CTX, spec)
        assert created.outcome is Outcome.COMPLETE, created.reason
        spec = replace(spec, driver_state=created.driver_state or {})
        _record(rt, spec)
        sockets = cluster_volumes.engine_sockets(rt)
        assert sorted(s.engine for s in sockets) == sorted(
            f"cluster:{spec.uuid}/{node}"
            for node, _, _ in driver.plugin_endpoints(spec.driver_state)
        )
        assert {s.docker_url for s in sockets} == {None}
        plugin = PluginSockets(rt, engines=lambda: cluster_volumes.engine_sockets(rt))
        plugin.start()
        state = driver.nodes.load(spec)
        assert state is not None
        with driver.nodes.api(state, spec):  # writes the admin credentials kubectl uses
            pass
        admin = Path(driver.nodes.store.cluster_dir(spec.uuid)) / "admin"
        engines = {n.hostname: f"cluster:{spec.uuid}/{n.name}" for n in state.workers}
        yield World(rt, driver, spec, admin, engines)
    finally:
        if plugin is not None:
            plugin.stop()
        problems = remove_clusters(local)
        found = rt.volume_drivers.get("local")
        if isinstance(found, LocalVolumeDriver):
            for volume_id in found.attached_here():
                found.store.detach(volume_id)
        problems += volumes.release_host(rt)
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True)
        rt.db.dispose()
        assert problems == []


def _record(rt: Runtime, spec: ClusterSpec) -> None:
    """The cluster's row, as the conductor leaves it after a create (what the plugin's
    service reads: driver, project, labels, driver_state)."""
    with rt.db.write() as session:
        session.add(
            Cluster(
                uuid=spec.uuid,
                name=spec.name,
                project_id=spec.project_id,
                user_id="u",
                cluster_template_id=str(uuid.uuid4()),
                driver="k8s_local",
                labels={},
                status="CREATE_COMPLETE",
                driver_state=dict(spec.driver_state),
            )
        )


def test_a_dockyard_volume_outlives_its_pod_and_moves_to_another_node(world: World) -> None:
    vol = volumes.create(world.rt, MEMBER, size=1, name="kvdata")
    assert vol.status == "available", vol.status_reason
    world.kubectl("apply", "-f", "-", stdin=VOLUME)
    wait_until(
        lambda: world.kubectl("get", "pvc", "kvdata", "-o", "jsonpath={.status.phase}") == "Bound",
        60,
        "the claim bound to the Dockyard volume's PersistentVolume",
    )
    first, second = sorted(world.engines)
    world.kubectl("apply", "-f", "-", stdin=pod("writer", first))
    world.wait_running("writer", 180)
    shown = world.kubectl("logs", "writer")
    # The pod has the volume itself (ext4 on a loop device), not the directory under the
    # host's mountpoint (the propagation trap, which would lose the data silently).
    assert " /data ext4 " in shown and shown.startswith("/dev/loop"), shown
    assert world.volume_driver.is_attached(
        volumes.volume_ref(volumes.get(world.rt, MEMBER, vol.uuid))
    )
    assert volumes.get(world.rt, MEMBER, "kvdata").status == "in-use"
    assert world.engines_holding(vol.uuid) == [world.engines[first]]
    with pytest.raises(exceptions.VolumeInUse):
        volumes.delete(world.rt, MEMBER, "kvdata")

    # A second pod on the other node is refused the volume while the writer holds it.
    world.kubectl("apply", "-f", "-", stdin=pod("reader", second))
    wait_until(
        lambda: "not multiattach" in world.events_of("reader"),
        120,
        "the reader's mount refused (the volume is mounted by the writer's node)",
    )
    assert world.phase("reader") == "Pending"
    assert world.engines_holding(vol.uuid) == [world.engines[first]]

    # Once the writer is gone, the reader gets the volume and what the writer wrote.
    world.kubectl("delete", "pod", "writer", "--wait=true")
    world.wait_running("reader", 240)
    assert "writer" in world.kubectl("logs", "reader").splitlines()
    assert world.engines_holding(vol.uuid) == [world.engines[second]]

    world.kubectl("delete", "pod", "reader", "--wait=true")

    def released() -> bool:
        return volumes.get(world.rt, MEMBER, "kvdata").status == "available"

    wait_until(released, 60, "the volume available again")
    assert world.engines_holding(vol.uuid) == []
    assert not world.volume_driver.is_attached(
        volumes.volume_ref(volumes.get(world.rt, MEMBER, vol.uuid))
    )
    # Both pods' lines are on the volume's own filesystem.
    mountpoint = world.volume_driver.store.attach(vol.uuid)
    try:
        assert Path(mountpoint, "log").read_text().split() == ["writer", "reader"]
    finally:
        world.volume_driver.store.detach(vol.uuid)
    world.kubectl("delete", "-f", "-", stdin=VOLUME)
    volumes.delete(world.rt, MEMBER, "kvdata")
