"""Acceptance tests of issue 5 (Heat drivers) against a real Heat 27.0.1 and a real Keystone
30.0.0 (scripts/openstack-harness), with the stock `openstack coe` client.

- Each driver's templates (the top level and every fragment its environment selects) pass
  Heat's template-validate with real resource schemas (dummy catalog entries, no stand-ins).
- Each driver's cluster is created, scaled 1 -> 3 -> 2 (removing a named node) and deleted by
  `openstack coe` as alice (project-a, password login, catalog lookup), and what Dockyard
  shows - status, addresses, faults - is compared with the real stack. The templates are sent
  unmodified; only leaf infrastructure types (servers, ports, floating IPs, volumes, load
  balancers) map to the STAND-INS of tests/heat_standins through `[heat] environment_files`.
- A stand-in server that fails gives CREATE_FAILED with Heat's reason verbatim.
- The periodic sync of 100 in-progress clusters makes 1 Heat call in global-list mode and 100
  otherwise, counted in the Heat API's own access log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, start_server, subprocess_env, write_config
from harness.cli import OpenStackCli
from harness.heat import HEAT_DRIVERS, HeatServer, heat_sections
from harness.keystone import KeystoneCloud
from harness.waiting import wait_until
from openstack import connection

from dockyard.cmd.wiring import build_runtime
from dockyard.common.context import RequestContext
from dockyard.conductor import periodics
from dockyard.conf import load_config
from dockyard.db import migration
from dockyard.db.models import Cluster, Operation
from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.heat.driver import HeatDriver
from dockyard.providers.openstack.orchestration import Orchestration
from dockyard.services import cluster_templates, clusters

pytest_plugins = ["harness.fixtures"]
pytestmark = [pytest.mark.client, pytest.mark.keystone, pytest.mark.heat]

# driver -> `coe cluster template create` arguments (image os_distro selects the driver).
TEMPLATES: dict[str, tuple[str, ...]] = {
    "k8s_fedora_atomic": (
        "--coe", "kubernetes", "--image", "fedora-atomic-latest", "--network-driver", "flannel",
        "--volume-driver", "cinder", "--labels", "etcd_volume_size=2,flannel_backend=vxlan",
    ),
    "k8s_coreos": (
        "--coe", "kubernetes", "--image", "coreos-stable", "--network-driver", "calico",
        "--labels", "kube_tag=v1.3.0",
    ),
    "swarm_fedora_atomic": (
        "--coe", "swarm", "--image", "fedora-atomic-latest", "--network-driver", "docker",
        "--volume-driver", "rexray", "--labels", "swarm_strategy=binpack,rexray_preempt=true",
    ),
    "mesos_ubuntu": (
        "--coe", "mesos", "--image", "ubuntu-mesos", "--volume-driver", "rexray",
        "--labels", "mesos_slave_isolation=docker/runtime,mesos_slave_work_dir=/tmp/mesos",
    ),
}  # fmt: skip
COMMON: tuple[str, ...] = ("--external-network", "public", "--flavor", "m1.small")
COMMON += ("--master-flavor", "m1.small")
COMMON += ("--docker-volume-size", "3", "--dns-nameserver", "8.8.8.8")


# Stand-in addresses (tests/heat_standins/standin_port.yaml): 172.24.0.<host> for the fixed
# addresses every driver's bundles plan (dockyard/drivers/heat/kubernetes.py: masters from
# .10, nodes from .20, nodegroup slot n from .128 + 16 n).
def _addresses(driver: str) -> tuple[str, str]:
    """(first master's, node prefix) floating addresses of `driver`'s stand-in servers."""
    return "172.24.0.10", "172.24.0.2"


# Drivers whose lifecycle also adds, resizes and deletes a nodegroup (one Kubernetes, one not).
NODEGROUP_DRIVERS = ("k8s_fedora_atomic", "swarm_fedora_atomic")


@pytest.fixture(scope="module")
def dockyard(
    keystone: KeystoneCloud, heat: HeatServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Dockyard (API + conductor, SQLite) in keystone mode with the four Heat drivers."""
    srv = start_server(
        tmp_path_factory.mktemp("dockyard-heat"),
        sections=heat_sections(keystone),
        port=keystone.dockyard_port,
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def alice(keystone: KeystoneCloud) -> OpenStackCli:
    return OpenStackCli(keystone.accounts["alice"].os_env(), subprocess_env())


@pytest.fixture(scope="module")
def alice_heat(keystone: KeystoneCloud) -> Orchestration:
    """Heat as alice sees it (for comparing Dockyard's view with the real stack)."""
    conn = connection.Connection(
        session=keystone.accounts["alice"].session(), region_name="RegionOne"
    )
    return Orchestration(conn)


def call(server: Server, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {**LATEST, "X-Auth-Token": token}
    return httpx.request(method, server.url + path, headers=headers, timeout=30, **kw)


def wait_status(server: Server, token: str, name: str, *done: str) -> dict[str, Any]:

    def shown() -> dict[str, Any]:
        response = call(server, token, "GET", f"/v1/clusters/{name}")
        if response.status_code == 404 and "DELETE_COMPLETE" in done:
            return {"status": "DELETE_COMPLETE"}
        body: dict[str, Any] = response.json()
        return body

    return wait_until(shown, 150, f"cluster {name} in {done}",
                      until=lambda body: body.get("status") in done, interval=0.5)  # fmt: skip


# -- template validation by real Heat ------------------------------------------------------
def _spec(coe: str, template: dict[str, Any], labels: dict[str, str]) -> ClusterSpec:
    return ClusterSpec(
        uuid=str(uuid.uuid4()),
        name="validate",
        project_id="",
        coe=coe,
        master_count=3,
        node_count=2,
        labels=labels,
        template={"image_id": "img", "external_network_id": "public", **template},
        create_timeout=60,
        docker_volume_size=3,
        keypair="key",
        master_flavor_id="m1.small",
        flavor_id="m1.small",
        nodegroups=(),
        driver_state={},
    )


VALIDATE = {
    "k8s_fedora_atomic": ("kubernetes", "flannel", "cinder", {"etcd_volume_size": "2"}),
    "k8s_coreos": ("kubernetes", "calico", None, {"kube_tag": "v1.3.0"}),
    "swarm_fedora_atomic": ("swarm", "flannel", "rexray", {"swarm_strategy": "random"}),
    "mesos_ubuntu": ("mesos", "docker", "rexray", {"mesos_slave_image_providers": "docker"}),
}


@pytest.mark.parametrize("driver_name", HEAT_DRIVERS)
def test_templates_validate_in_real_heat(
    keystone: KeystoneCloud, heat: HeatServer, driver_name: str
) -> None:
    """Top level and every selected fragment, with and without the API load balancer, are
    accepted by Heat's template-validate. Only network.yaml is validated without Heat's
    service probe (for its router and security group Heat asks Neutron for its extensions,
    and nothing answers the dummy endpoint); every other fragment is checked in full."""
    from dockyard.drivers.registry import DriverRegistry

    registry = DriverRegistry(enabled=[driver_name])
    driver = registry.get(driver_name)
    assert isinstance(driver, HeatDriver)
    admin = keystone.accounts["admin"]
    conn = connection.Connection(session=admin.session(), region_name="RegionOne")
    coe, network_driver, volume_driver, labels = VALIDATE[driver_name]
    for lb in (True, False):
        template = {
            "network_driver": network_driver,
            "volume_driver": volume_driver,
            "master_lb_enabled": lb,
        }
        result = driver.validate_template(Orchestration(conn), _spec(coe, template, labels))
        assert "kube_tag" in result["Parameters"]
        assert set(result["shallow"]) <= {"dockyard/network.yaml"}, result["shallow"]
        probe = "Service neutron is not available for resource type OS::Neutron::"
        assert all(probe in m for m in result["shallow"].values()), result["shallow"]


def test_validation_catches_a_bad_fragment(keystone: KeystoneCloud, heat: HeatServer) -> None:
    """The check above can fail: a wrong property in a fragment is Heat's error, verbatim."""
    from dockyard.drivers.k8s_fedora_atomic.driver import K8sFedoraAtomicDriver
    from dockyard.providers.openstack.orchestration import HeatError

    driver = K8sFedoraAtomicDriver()
    server = driver.definition.files["dockyard/server.yaml"]
    driver.definition.files["dockyard/server.yaml"] = server.replace(
        "user_data_format: RAW", "user_data_format: RAW\n      bogus_prop: 1"
    )
    conn = connection.Connection(
        session=keystone.accounts["admin"].session(), region_name="RegionOne"
    )
    spec = _spec("kubernetes", {"network_driver": "flannel", "volume_driver": None}, {})
    with pytest.raises(HeatError) as caught:
        driver.validate_template(Orchestration(conn), spec)
    assert caught.value.message == (
        "dockyard/server.yaml: Property error: resources.server.properties: "
        "Unknown Property bogus_prop"
    )


# -- create, scale 1 -> 3 -> 2, delete with the real client ---------------------------------
def _lifecycle(
    dockyard: Server, alice: OpenStackCli, token: str, heat: Orchestration, driver: str
) -> dict[str, Any]:
    """One driver's cluster through its life; returns what was seen at each step."""
    seen: dict[str, Any] = {}
    template = alice.json(
        "coe", "cluster", "template", "create", f"tpl-{driver}", *TEMPLATES[driver], *COMMON
    )
    seen["template"] = template
    name = f"cl-{driver.replace('_', '-')}"
    alice.run("coe", "cluster", "create", name, "--cluster-template", template["uuid"])
    seen["created"] = wait_status(dockyard, token, name, "CREATE_COMPLETE", "CREATE_FAILED")
    created = seen["created"]
    assert created["status"] == "CREATE_COMPLETE", f"{driver}: {created['status_reason']}"
    stack_id = seen["created"]["cluster_id"]
    seen["stack_created"] = heat.find(stack_id)
    seen["rotation"] = _rotate(dockyard, alice, token, heat, name, stack_id)
    if driver in NODEGROUP_DRIVERS:
        seen["nodegroup"] = _nodegroup(dockyard, alice, token, heat, name, stack_id)
    alice.run("coe", "cluster", "resize", name, "3")
    seen["grown"] = wait_status(dockyard, token, name, "UPDATE_COMPLETE", "UPDATE_FAILED")
    stack = heat.find(stack_id)
    seen["stack_grown"] = stack
    assert stack is not None
    victim = stack.outputs["node_refs_map"]["0"]
    seen["victim_address"] = stack.outputs["node_address_map"]["0"]
    alice.run("coe", "cluster", "resize", name, "2", "--nodes-to-remove", victim)
    seen["shrunk"] = wait_status(dockyard, token, name, "UPDATE_COMPLETE", "UPDATE_FAILED")
    seen["stack_shrunk"] = heat.find(stack_id)
    seen["events"] = call(dockyard, token, "GET", f"/v1/clusters/{name}/events").json()
    alice.run("coe", "cluster", "delete", name)
    seen["deleted"] = wait_status(dockyard, token, name, "DELETE_COMPLETE", "DELETE_FAILED")
    seen["stack_deleted"] = heat.find(stack_id)
    alice.run("coe", "cluster", "template", "delete", template["uuid"])
    return seen


def _bundle_configs(heat: Orchestration, stack_id: str) -> dict[str, str]:
    """Each server's bundle part (write-bundle.sh's SoftwareConfig) by its nested stack's
    link."""
    stack = heat.find(stack_id)
    assert stack is not None
    resources = heat.api.get(
        f"/stacks/{stack.name}/{stack.id}/resources", params={"nested_depth": 3}
    ).json()["resources"]
    return {
        next(link["href"] for link in r["links"] if link["rel"] == "stack"): r[
            "physical_resource_id"
        ]
        for r in resources
        if r["resource_name"] == "bundle_config"
    }


def _rotate(
    dockyard: Server, alice: OpenStackCli, token: str, heat: Orchestration, name: str, stack: str
) -> dict[str, Any]:
    """`coe ca rotate`: a stack update re-renders every server's bundle."""
    before = {"ca": alice.run("coe", "ca", "show", name).out, "parts": _bundle_configs(heat, stack)}
    alice.run("coe", "ca", "rotate", name)
    done = wait_status(dockyard, token, name, "UPDATE_COMPLETE", "UPDATE_FAILED")
    after = {"ca": alice.run("coe", "ca", "show", name).out, "parts": _bundle_configs(heat, stack)}
    return {"before": before, "after": after, "cluster": done}


def wait_nodegroup(server: Server, token: str, cluster: str, group: str, *done: str) -> Any:
    def shown() -> dict[str, Any]:
        response = call(server, token, "GET", f"/v1/clusters/{cluster}/nodegroups/{group}")
        if response.status_code == 404:
            return {"status": "GONE"}
        body: dict[str, Any] = response.json()
        return body

    return wait_until(shown, 150, f"nodegroup {group} of {cluster} in {done}",
                      until=lambda body: body.get("status") in done, interval=0.5)  # fmt: skip


def _group_resources(heat: Orchestration, stack_id: str) -> dict[str, list[dict[str, Any]]]:
    """The resources of each nested Dockyard::NodeGroup stack, by its slot."""
    stack = heat.find(stack_id)
    assert stack is not None
    resources = heat.api.get(
        f"/stacks/{stack.name}/{stack.id}/resources", params={"nested_depth": 2}
    ).json()["resources"]
    slots = {
        r["physical_resource_id"]: r["resource_name"]
        for r in resources
        if r["resource_type"] == "Dockyard::NodeGroup"
    }
    found: dict[str, list[dict[str, Any]]] = {slot: [] for slot in slots.values()}
    for r in resources:
        parent = next((link["href"] for link in r["links"] if link["rel"] == "stack"), "")
        for nested, slot in slots.items():
            if parent.endswith(nested):
                found[slot].append(r)
    return found


def _link(resource: dict[str, Any], rel: str) -> str:
    href: str = next(link["href"] for link in resource["links"] if link["rel"] == rel)
    return href.split("/v1/", 1)[1].split("/", 1)[1]  # the path below /v1/<project>


def _group_node_settings(heat: Orchestration, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A nodegroup stack's node settings (what its fragments get) and its COE node
    configuration's text."""
    by_name = {r["resource_name"]: r for r in resources}
    settings = heat.api.get(_link(by_name["settings"], "self")).json()["resource"]
    nested = _link(by_name["node_config"], "nested")
    inner = heat.api.get(f"{nested}/resources/config").json()["resource"]
    body = heat.api.get(f"/software_configs/{inner['physical_resource_id']}").json()
    return {
        "settings": settings["attributes"]["value"],
        "config": str(body["software_config"]["config"]),
    }


def _nodegroup(
    dockyard: Server, alice: OpenStackCli, token: str, heat: Orchestration, name: str, stack: str
) -> dict[str, Any]:
    """`coe nodegroup create` (2 nodes), `coe cluster resize --nodegroup` (to 1), `coe
    nodegroup delete`, with the real stack after each step."""
    seen: dict[str, Any] = {}
    alice.run("coe", "nodegroup", "create", name, "pool", "--node-count", "2", "--role", "gpu")
    seen["created"] = wait_nodegroup(
        dockyard, token, name, "pool", "CREATE_COMPLETE", "CREATE_FAILED"
    )
    seen["stack_created"] = heat.find(stack)
    groups = _group_resources(heat, stack)
    seen["node"] = _group_node_settings(heat, groups["0"])
    seen["listed"] = alice.json("coe", "nodegroup", "list", name)
    # What cannot work is refused before anything is queued, naming why.
    groups_path = f"/v1/clusters/{name}/nodegroups"
    taint = {"key": "gpu", "value": "yes", "effect": "NoSchedule"}
    seen["refused"] = {
        "too_big": call(
            dockyard, token, "POST", groups_path, json={"name": "big", "node_count": 17}
        ),
        "tainted": call(
            dockyard, token, "POST", groups_path,
            json={"name": "tainted", "node_count": 1, "node_taints": [taint]},
        ),
        "relabel": call(
            dockyard, token, "PATCH", f"{groups_path}/pool",
            json=[{"op": "replace", "path": "/node_labels", "value": {"tier": "b"}}],
        ),
    }  # fmt: skip
    alice.run("coe", "cluster", "resize", name, "1", "--nodegroup", "pool")
    seen["resized"] = wait_nodegroup(
        dockyard, token, name, "pool", "UPDATE_COMPLETE", "UPDATE_FAILED"
    )
    seen["stack_resized"] = heat.find(stack)
    alice.run("coe", "nodegroup", "delete", name, "pool")
    seen["deleted"] = wait_nodegroup(dockyard, token, name, "pool", "GONE", "DELETE_FAILED")
    seen["stack_deleted"] = heat.find(stack)
    seen["cluster"] = wait_status(dockyard, token, name, "UPDATE_COMPLETE", "UPDATE_FAILED")
    return seen


@pytest.fixture(scope="module")
def lifecycles(
    dockyard: Server, alice: OpenStackCli, keystone: KeystoneCloud, alice_heat: Orchestration
) -> dict[str, Any]:
    """The four drivers' lifecycles, run side by side (Heat works on them concurrently)."""
    token = keystone.accounts["alice"].token()
    with ThreadPoolExecutor(len(HEAT_DRIVERS)) as pool:
        futures = {
            d: pool.submit(_lifecycle, dockyard, alice, token, alice_heat, d) for d in HEAT_DRIVERS
        }
        results: dict[str, Any] = {}
        for driver, future in futures.items():
            try:
                results[driver] = future.result()
            except Exception as exc:  # reported by that driver's test
                results[driver] = exc
    return results


# Four stacks created, rotated (Kubernetes), grown and shrunk side by side by one Heat engine
# on a shared 2-core machine: the module fixture's work is timed with the first test.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("driver_name", HEAT_DRIVERS)
def test_cluster_lifecycle_with_the_client(
    lifecycles: dict[str, Any], keystone: KeystoneCloud, driver_name: str
) -> None:
    seen = lifecycles[driver_name]
    if isinstance(seen, Exception):
        raise seen
    created = seen["created"]
    assert created["status"] == "CREATE_COMPLETE", created["status_reason"]
    stack = seen["stack_created"]
    rotation = seen["rotation"]
    # Every server's bundle part was rendered again, from the new CA (Kubernetes: the node
    # definition; Swarm and Mesos: their TLS files, tls_servers.py).
    assert rotation["cluster"]["status"] == "UPDATE_COMPLETE", rotation["cluster"]
    assert rotation["after"]["ca"] != rotation["before"]["ca"]
    before, after = rotation["before"]["parts"], rotation["after"]["parts"]
    assert len(before) == 2 and set(before) == set(after)
    assert all(after[server] != before[server] for server in before), (before, after)
    # Status, id and addresses come from the real stack (alice's project owns it).
    assert created["cluster_id"] == stack.id and stack.status == "CREATE_COMPLETE"
    assert created["status_reason"] == stack.reason == "Stack CREATE completed successfully"
    assert created["project_id"] == keystone.accounts["alice"].project_id
    master, nodes = _addresses(driver_name)
    assert created["master_addresses"] == stack.outputs["master_addresses"] == [master]
    assert created["node_addresses"] == stack.outputs["node_addresses"] == [f"{nodes}0"]
    assert created["api_address"].split("://")[1].startswith(f"{master}:")
    assert created["node_count"] == 1 and created["master_count"] == 1
    grown = seen["grown"]
    assert grown["status"] == "UPDATE_COMPLETE", grown["status_reason"]
    assert grown["node_count"] == 3
    assert grown["node_addresses"] == seen["stack_grown"].outputs["node_addresses"]
    assert sorted(grown["node_addresses"]) == [f"{nodes}0", f"{nodes}1", f"{nodes}2"]
    shrunk = seen["shrunk"]
    assert shrunk["status"] == "UPDATE_COMPLETE", shrunk["status_reason"]
    assert shrunk["node_count"] == 2
    # The named node left (removal policy), not the newest one.
    assert seen["victim_address"] == f"{nodes}0"
    assert sorted(shrunk["node_addresses"]) == [f"{nodes}1", f"{nodes}2"]
    assert shrunk["node_addresses"] == seen["stack_shrunk"].outputs["node_addresses"]
    messages = [e["message"] for e in seen["events"]["events"]]
    assert "nodes removed first (resource names): 0" in messages
    assert seen["deleted"]["status"] == "DELETE_COMPLETE"
    gone = seen["stack_deleted"]
    assert gone is None or gone.status == "DELETE_COMPLETE"
    if driver_name in NODEGROUP_DRIVERS:
        _check_nodegroup(seen["nodegroup"], nodes)


def _check_nodegroup(seen: dict[str, Any], nodes: str) -> None:
    """A nodegroup's nested stack: its count, its labels in its nodes' configuration, its
    resize and its deletion, as Dockyard shows them and as the real stack has them."""
    created = seen["created"]
    assert created["status"] == "CREATE_COMPLETE", created.get("status_reason")
    assert created["node_count"] == 2 and created["role"] == "gpu"
    group_addresses = seen["stack_created"].outputs["nodegroup_addresses"]
    assert sorted(created["node_addresses"]) == sorted(group_addresses["0"])
    assert sorted(group_addresses["0"]) == ["172.24.0.128", "172.24.0.129"]
    # The default worker group is untouched: one node, its own.
    assert seen["stack_created"].outputs["node_addresses"] == [f"{nodes}0"]
    # The group's name and role labels reach its nodes' fragments (Swarm: engine labels in
    # its script; Kubernetes: the kubelet's labels, in the bundles, tests/unit).
    settings, config = seen["node"]["settings"], seen["node"]["config"]
    assert settings["nodegroup"] == "pool"
    labels = set(settings["node_labels"].split(","))
    assert {"magnum.openstack.org/nodegroup=pool", "magnum.openstack.org/role=gpu"} <= labels
    if "swarm" in config.lower():
        assert settings["node_labels"] in config and "--label=" in config, config[:600]
    assert {g["name"] for g in seen["listed"]} == {"default-master", "default-worker", "pool"}
    refused = {k: (r.status_code, r.text) for k, r in seen["refused"].items()}
    assert refused["too_big"][0] == 400 and "at most 16 nodes" in refused["too_big"][1], refused
    assert refused["tainted"][0] == 400 and "node_taints" in refused["tainted"][1], refused
    assert refused["relabel"][0] == 400 and "Relabelling" in refused["relabel"][1], refused
    resized = seen["resized"]
    assert resized["status"] == "UPDATE_COMPLETE" and resized["node_count"] == 1
    assert seen["stack_resized"].outputs["nodegroup_addresses"]["0"] == ["172.24.0.128"]
    assert seen["deleted"]["status"] == "GONE"
    assert seen["stack_deleted"].outputs["nodegroup_addresses"]["0"] == []
    assert seen["cluster"]["node_count"] == 1


def test_failed_create_reports_heats_reason(
    dockyard: Server,
    alice: OpenStackCli,
    keystone: KeystoneCloud,
    alice_heat: Orchestration,
) -> None:
    """A server that fails to build (the stand-in fails for names with "doomed"): the
    cluster is CREATE_FAILED with the stack's reason verbatim, in status_reason, faults and
    the event timeline, with the failed resources' own reasons."""
    token = keystone.accounts["alice"].token()
    template = alice.json(
        "coe",
        "cluster",
        "template",
        "create",
        "tpl-doomed",
        *TEMPLATES["k8s_fedora_atomic"],
        *COMMON,
    )
    alice.run("coe", "cluster", "create", "doomed", "--cluster-template", template["uuid"])
    failed = wait_status(dockyard, token, "doomed", "CREATE_FAILED", "CREATE_COMPLETE")
    assert failed["status"] == "CREATE_FAILED"
    stack = alice_heat.find(failed["cluster_id"])
    assert stack is not None and stack.status == "CREATE_FAILED"
    assert failed["status_reason"] == stack.reason
    assert "Test Resource failed" in stack.reason
    assert set(failed["faults"].values()) == {stack.reason}
    shown = alice.json("coe", "cluster", "show", "doomed")
    assert shown["status_reason"] == stack.reason
    events = call(dockyard, token, "GET", "/v1/clusters/doomed/events").json()["events"]
    failed_events = [e for e in events if e["event"] == "create.failed"]
    assert [e["message"] for e in failed_events] == [stack.reason]
    driver_lines = [e["message"] for e in events if e["event"] == "create.driver"]
    assert any(
        line.startswith("CREATE_FAILED OS::Heat::TestResource boot") for line in driver_lines
    ), driver_lines
    alice.run("coe", "cluster", "delete", "doomed")
    wait_status(dockyard, token, "doomed", "DELETE_COMPLETE")


# -- periodic sync: Heat calls per period, counted in Heat's access log ---------------------
WAITING = """heat_template_version: 2021-04-16
resources:
  slow:
    type: OS::Heat::TestResource
    properties: {action_wait_secs: {create: 300}}
"""


@pytest.fixture(scope="module")
def waiting_stacks(keystone: KeystoneCloud, heat: HeatServer) -> Iterator[list[tuple[str, str]]]:
    """100 real stacks that stay CREATE_IN_PROGRESS (made by admin); deleted afterwards."""
    conn = connection.Connection(
        session=keystone.accounts["admin"].session(), region_name="RegionOne"
    )
    orchestration = Orchestration(conn)

    def make(i: int) -> tuple[str, str]:
        name = f"waiting-{i}-{uuid.uuid4().hex[:6]}"
        return name, orchestration.create(name, WAITING, {}, {}, {}, None, True)

    with ThreadPoolExecutor(8) as pool:
        stacks = list(pool.map(make, range(100)))
    yield stacks
    # Deletes are requested, not waited for: cancelling 100 running creates takes Heat about
    # two minutes, and heat-down drops the database at the end of the session anyway.
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda s: orchestration.delete(*s), stacks))


def _runtime(tmp: Path, db_url: str, keystone: KeystoneCloud, global_list: bool) -> Any:
    sections = heat_sections(keystone, periodic_global_stack_list=str(global_list).lower())
    sections["database"] = {"connection": db_url}
    sections["DEFAULT"] = {"state_path": str(tmp / "state"), "host": "test-host"}
    config = write_config(tmp / f"dockyard-global-{global_list}.conf", sections)
    conf = load_config([], config_files=[str(config)])
    migration.upgrade(db_url)
    return build_runtime(conf)


def _stack_calls(heat: HeatServer, before: int) -> list[str]:
    return [line for line in heat.settled_requests()[before:] if "/stacks" in line]


def test_periodic_sync_calls_per_period(
    tmp_path: Path,
    keystone: KeystoneCloud,
    heat: HeatServer,
    waiting_stacks: list[tuple[str, str]],
) -> None:
    db_url = f"sqlite:///{tmp_path / 'sync.sqlite'}"
    per_cluster = _runtime(tmp_path, db_url, keystone, global_list=False)
    global_list = _runtime(tmp_path, db_url, keystone, global_list=True)
    alice = keystone.accounts["alice"]
    ctx = RequestContext(
        project_id=alice.project_id, user_id=alice.user_id, roles=("member", "reader")
    )
    template = cluster_templates.create(
        per_cluster,
        ctx,
        {"coe": "kubernetes", "image_id": "fedora-atomic-latest", "name": "sync"},
    )
    per_cluster.conf.set_override("max_clusters_per_project", 200, group="quotas")
    for name, stack_id in waiting_stacks:
        cluster_uuid = clusters.create(
            per_cluster, ctx, {"cluster_template_id": template.uuid, "name": name}
        )
        with per_cluster.db.write() as session:
            cluster = session.query(Cluster).filter_by(uuid=cluster_uuid).one()
            cluster.driver_state = {"stack_id": stack_id, "stack_name": name}
            op = session.query(Operation).filter_by(uuid=cluster.active_operation_id).one()
            op.polling = True
    for rt, expected in ((global_list, 1), (per_cluster, 100)):
        periodics.sync_in_progress(rt)  # warm-up: tokens and endpoint discovery
        before = len(heat.settled_requests())
        woken = periodics.sync_in_progress(rt)
        calls = _stack_calls(heat, before)
        assert woken == 0  # every stack is still CREATE_IN_PROGRESS
        assert len(calls) == expected, [c for c in calls if calls.count(c) > 1 or "id=" in c]
        if expected == 1:
            assert calls[0].startswith("GET /v1/") and "global_tenant=True" in calls[0]
            assert calls[0].count("id=") == 100
        else:
            ids = {line.split()[1].rsplit("/", 1)[1] for line in calls}
            assert ids == {stack_id for _, stack_id in waiting_stacks}


# -- what the deployment offers -------------------------------------------------------------
def test_heat_is_preferred_to_the_local_stand_in_where_it_is_usable(
    keystone: KeystoneCloud, heat: HeatServer, tmp_path: Path
) -> None:
    """With Keystone and Heat configured, swarm on fedora-atomic is Heat's (the local driver
    only stands in where Heat is not usable), and a template's needs are asked of the real
    catalog: Heat, Cinder (volumes) and Octavia (master_lb_enabled) are all registered."""
    from dockyard.drivers.registry import DriverRegistry

    sections = heat_sections(keystone)
    sections["drivers"] = {"enabled_definitions": "local,swarm_fedora_atomic"}
    conf = load_config([], config_files=[str(write_config(tmp_path / "d.conf", sections))])
    registry = DriverRegistry(["local", "swarm_fedora_atomic"], conf=conf)
    assert registry.usability()["swarm_fedora_atomic"] == []
    needs = {"docker_volume_size": 5, "master_lb_enabled": True, "volume_driver": "rexray"}
    chosen = registry.select("vm", "fedora-atomic", "swarm", template=needs)
    assert chosen.name == "swarm_fedora_atomic"
    # The same driver without credentials names what it lacks.
    bare = DriverRegistry(["swarm_fedora_atomic"], conf=load_config([], config_files=[]))
    problems = bare.usability()["swarm_fedora_atomic"]
    assert problems and "no Keystone service credentials" in problems[0]
