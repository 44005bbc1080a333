"""Acceptance tests of issue 2: the real `openstack coe` client (python-magnumclient 5.0.0)
against a real `dockyard` process.

Every check goes through `openstack --os-auth-type none --os-endpoint <url>/v1 coe ...` run as
a subprocess; httpx only prepares state the check is not about (a template with steering
labels, a quota in another project) and computes expected numbers. Each invocation costs ~2 s
of CPU, so one server, the `k8s-main` template and the `lifecycle` cluster are shared by the
module and only read; a test that changes a cluster or a template makes its own (with a name of
its own), so the tests run in any order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, start_server, subprocess_env
from harness.cli import TEMPLATE_ARGS, OpenStackCli, Result
from harness.waiting import wait_until

pytestmark = pytest.mark.client

MAIN_LABELS = {"kube_tag": "v1.2.3", "flannel_backend": "vxlan"}


class Coe(OpenStackCli):
    """Runs `openstack coe ...` against one Dockyard endpoint, without Keystone."""

    def __init__(self, url: str) -> None:
        # No OS_* variables from the caller's shell: only the command line configures the client.
        super().__init__({}, subprocess_env())
        self.url = url

    def run(self, *args: str, ok: bool = True) -> Result:
        """Run `openstack coe *args`; with `ok` the command must exit 0."""
        endpoint = ("--os-auth-type", "none", "--os-endpoint", f"{self.url}/v1", "coe")
        return super().run(*endpoint, *args, ok=ok)

    def table(self, *args: str) -> list[dict[str, str]]:
        """Run a command that prints a prettytable (quotas, stats) and return its rows."""
        rows = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in self.run(*args).out.splitlines()
            if line.startswith("|")
        ]
        assert rows, "no table printed"
        return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]

    def properties(self, *args: str) -> dict[str, str]:
        """A two-column Property/Value table as a dict."""
        return {row["Property"]: row["Value"] for row in self.table(*args)}

    def wait_cluster(
        self, name: str, done: Callable[[dict[str, Any]], bool], timeout: float = 90
    ) -> dict[str, Any]:
        """Poll `coe cluster show -f json` until `done(cluster)`."""
        shown: dict[str, Any] = wait_until(
            lambda: self.json("cluster", "show", name), timeout, f"cluster {name}",
            until=done, interval=0.3,
        )  # fmt: skip
        return shown


def has_status(status: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    def done(cluster: dict[str, Any]) -> bool:
        return cluster["status"] == status and all(cluster[k] == v for k, v in fields.items())

    return done


def http_template(url: str, name: str, labels: dict[str, str]) -> dict[str, Any]:
    """Setup only: a template created over HTTP (the CLI create is tested elsewhere)."""
    body = {"name": name, "coe": "kubernetes", "image_id": "fedora-atomic-latest"}
    response = httpx.post(
        f"{url}/v1/clustertemplates", json={**body, "labels": labels}, headers=LATEST
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def http_cluster(url: str, name: str, template: str, node_count: int) -> dict[str, Any]:
    """Setup only: a cluster created over HTTP (the CLI create is what `cluster` tests)."""
    body = {"name": name, "cluster_template_id": template, "node_count": node_count}
    response = httpx.post(f"{url}/v1/clusters", json=body, headers=LATEST)
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture(scope="module")
def coe(server: Server) -> Coe:
    return Coe(server.url)


@pytest.fixture(scope="module")
def template(coe: Coe) -> dict[str, Any]:
    """`coe cluster template create` output of the template the lifecycle uses."""
    labels = ",".join(f"{k}={v}" for k, v in MAIN_LABELS.items())
    created: dict[str, Any] = coe.json(
        "cluster",
        "template",
        "create",
        "k8s-main",
        "--coe",
        "kubernetes",
        "--image",
        "fedora-atomic-latest",
        "--external-network",
        "public",
        "--labels",
        labels,
        "--docker-volume-size",
        "5",
        "--master-flavor",
        "m1.large",
    )
    return created


@pytest.fixture(scope="module")
def cluster(coe: Coe, template: dict[str, Any]) -> dict[str, Any]:
    """`coe cluster show` of cluster `lifecycle` (2 workers) once it is CREATE_COMPLETE."""
    out = coe.run(
        "cluster", "create", "lifecycle", "--cluster-template", "k8s-main", "--node-count", "2"
    ).out
    assert re.search(r"Request to create cluster [0-9a-f-]{36} accepted", out), out
    return coe.wait_cluster("lifecycle", has_status("CREATE_COMPLETE"))


# -- cluster templates ----------------------------------------------------------------------
def test_template_create_list_show(coe: Coe, template: dict[str, Any]) -> None:
    assert template["name"] == "k8s-main"
    assert template["coe"] == "kubernetes"
    assert template["image_id"] == "fedora-atomic-latest"
    assert template["external_network_id"] == "public"
    assert template["labels"] == MAIN_LABELS
    assert template["docker_volume_size"] == 5
    assert template["master_flavor_id"] == "m1.large"
    assert template["network_driver"] == "flannel"
    assert template["cluster_distro"] == "fedora-atomic"
    assert template["public"] is False
    listed = coe.json("cluster", "template", "list")
    assert {"uuid": template["uuid"], "name": "k8s-main", "tags": None} in listed
    assert coe.json("cluster", "template", "show", "k8s-main") == template


def test_template_update_and_delete(coe: Coe, server: Server) -> None:
    http_template(server.url, "scratch", {"kube_tag": "v1.2.3", "flannel_backend": "udp"})
    updated = coe.json(
        "cluster",
        "template",
        "update",
        "scratch",
        "--name",
        "scratch-renamed",
        "--label",
        "flannel_backend=host-gw",
        "--no-label",
        "kube_tag",
        "--public",
    )
    assert updated["name"] == "scratch-renamed"
    assert updated["labels"] == {"flannel_backend": "host-gw"}
    assert updated["public"] is True  # the tests' noauth default caller (conftest) is an admin
    out = coe.run("cluster", "template", "delete", "scratch-renamed").out
    assert "Request to delete cluster template scratch-renamed has been accepted" in out
    gone = coe.fails("cluster", "template", "show", "scratch-renamed")
    assert "ClusterTemplate scratch-renamed could not be found (HTTP 404)" in gone


def test_template_bad_label_and_unknown_coe(coe: Coe, server: Server) -> None:
    bad_label = coe.fails(
        "cluster", "template", "create", "bad-label", *TEMPLATE_ARGS,
        "--labels", "flannel_network_cidr=10.0.0.0/33",
    )  # fmt: skip
    # The CLI prints only the title: a value with dots in it must survive in full.
    assert "Invalid label flannel_network_cidr: value '10.0.0.0/33' is invalid" in bad_label
    assert "(HTTP 400)" in bad_label
    bad_coe = coe.fails(
        "cluster", "template", "create", "bad-coe", "--coe", "nope",
        "--image", "fedora-atomic-latest", "--external-network", "public",
    )  # fmt: skip
    assert (
        "Invalid input for field/attribute coe: expected one of kubernetes, swarm, swarm-mode, "
        "mesos (value: 'nope') (HTTP 400)"
    ) in bad_coe
    names = [
        t["name"]
        for t in httpx.get(f"{server.url}/v1/clustertemplates", headers=LATEST).json()[
            "clustertemplates"
        ]
    ]
    assert "bad-label" not in names
    assert "bad-coe" not in names


def test_publishing_needs_admin(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A caller with only the member role may edit its template but not make it public."""
    member = start_server(
        tmp_path_factory.mktemp("member"), sections={"auth": {"default_roles": "member"}}
    )
    try:
        made = http_template(member.url, "mine", {})
        err = Coe(member.url).fails("cluster", "template", "update", "mine", "--public")
        assert "Not authorized to set public or hidden flag for cluster template" in err
        assert "(HTTP 403)" in err
        shown = httpx.get(f"{member.url}/v1/clustertemplates/{made['uuid']}", headers=LATEST)
        assert shown.json()["public"] is False
    finally:
        member.stop()


# -- one cluster's life ---------------------------------------------------------------------
def test_cluster_created(cluster: dict[str, Any], template: dict[str, Any]) -> None:
    assert cluster["status"] == "CREATE_COMPLETE"
    assert cluster["name"] == "lifecycle"
    assert cluster["cluster_template_id"] == template["uuid"]
    assert cluster["node_count"] == 2
    assert cluster["master_count"] == 1
    assert cluster["node_addresses"] == ["127.51.100.100", "127.51.100.101"]
    assert cluster["master_addresses"] == ["127.51.100.10"]
    assert cluster["api_address"] == "https://127.51.100.10:6443"
    assert cluster["coe_version"] == "v1.2.0"
    assert cluster["cluster_id"] == f"fake-{cluster['uuid'][:8]}"
    assert cluster["labels"] == MAIN_LABELS
    assert cluster["labels_added"] == cluster["labels_overridden"] == {}
    assert cluster["docker_volume_size"] == 5  # from the template
    assert cluster["master_flavor_id"] == "m1.large"  # from the template
    assert cluster["status_reason"] is None


def test_cluster_list(coe: Coe, cluster: dict[str, Any]) -> None:
    listed = {c["uuid"]: c for c in coe.json("cluster", "list")}
    row = listed[cluster["uuid"]]
    # health_status is present but not compared: the health periodic may set it at any time.
    assert set(row) == {
        "uuid", "name", "keypair", "node_count", "master_count", "status", "health_status"
    }  # fmt: skip
    assert (row["name"], row["keypair"], row["node_count"], row["master_count"]) == (
        "lifecycle",
        None,
        2,
        1,
    )
    assert row["status"] == "CREATE_COMPLETE"


def test_template_in_use_cannot_change(
    coe: Coe, server: Server, template: dict[str, Any], cluster: dict[str, Any]
) -> None:
    referenced = f"ClusterTemplate {template['uuid']} is referenced by one or multiple clusters"
    err = coe.fails("cluster", "template", "update", "k8s-main", "--label", "flannel_backend=udp")
    assert referenced in err
    assert re.search(r"\(HTTP 4(00|09)\)", err), err
    # The 5.0 client prints a failed delete and still exits 0, so read what it printed.
    out = coe.run("cluster", "template", "delete", "k8s-main").text
    assert "Delete for cluster template k8s-main failed" in out
    assert referenced in out
    shown = httpx.get(f"{server.url}/v1/clustertemplates/k8s-main", headers=LATEST)
    assert shown.status_code == 200
    assert shown.json()["labels"] == MAIN_LABELS


def test_nodegroups(coe: Coe, cluster: dict[str, Any]) -> None:
    listed = {ng["name"]: ng for ng in coe.json("nodegroup", "list", "lifecycle")}
    assert set(listed) == {"default-master", "default-worker"}
    assert listed["default-master"]["role"] == "master"
    assert listed["default-master"]["node_count"] == 1
    assert listed["default-worker"]["role"] == "worker"
    assert listed["default-worker"]["node_count"] == 2
    assert {ng["status"] for ng in listed.values()} == {"CREATE_COMPLETE"}
    worker = coe.json("nodegroup", "show", "lifecycle", "default-worker")
    assert worker["uuid"] == listed["default-worker"]["uuid"]
    assert worker["cluster_id"] == cluster["uuid"]
    assert worker["is_default"] is True
    assert worker["node_count"] == 2
    assert worker["node_addresses"] == cluster["node_addresses"]
    assert worker["labels"] == MAIN_LABELS


def test_cluster_update_changes_only_node_count(coe: Coe, cluster: dict[str, Any]) -> None:
    err = coe.fails("cluster", "update", "lifecycle", "--name", "renamed")
    assert "cannot change cluster property(ies) name (HTTP 400)" in err


def test_cluster_update_resize_delete(coe: Coe, server: Server, template: dict[str, Any]) -> None:
    """On a cluster of its own: the shared `lifecycle` cluster stays as it was made."""
    made = http_cluster(server.url, "resized", template["uuid"], node_count=2)
    coe.wait_cluster("resized", has_status("CREATE_COMPLETE"))
    out = coe.run("cluster", "update", "resized", "--node-count", "3").out
    assert "Request to update cluster resized has been accepted" in out
    grown = coe.wait_cluster("resized", has_status("UPDATE_COMPLETE", node_count=3))
    assert len(grown["node_addresses"]) == 3
    out = coe.run("cluster", "resize", "resized", "1").out
    assert "Request to resize cluster resized has been accepted" in out
    shrunk = coe.wait_cluster("resized", has_status("UPDATE_COMPLETE", node_count=1))
    assert shrunk["uuid"] == made["uuid"]
    assert shrunk["node_addresses"] == ["127.51.100.100"]
    out = coe.run("cluster", "delete", "resized").out
    assert "Request to delete cluster resized has been accepted" in out

    def gone() -> Any:
        shown = coe.run("cluster", "show", "resized", "-f", "json", ok=False)
        if shown.rc == 0:
            assert json.loads(shown.out)["status"] == "DELETE_IN_PROGRESS"
            return None
        return shown

    shown = wait_until(gone, 60, "cluster resized deleted", interval=0.3)
    assert "Cluster resized could not be found (HTTP 404)" in shown.text


# -- refusals and failures ------------------------------------------------------------------
def test_second_operation_is_refused(coe: Coe, server: Server) -> None:
    """Magnum answers 202 and drops the update; Dockyard says 409 at once."""
    # fake_async keeps the create in progress for 60 polls (>= 12 s) without busy workers.
    http_template(server.url, "slow", {"fake_async": "60"})
    out = coe.run("cluster", "create", "busy", "--cluster-template", "slow").out
    busy_uuid = re.search(r"Request to create cluster ([0-9a-f-]{36}) accepted", out)
    assert busy_uuid, out
    err = coe.fails("cluster", "update", "busy", "--node-count", "2")
    assert (
        f"Cluster {busy_uuid[1]} already has an operation in progress "
        "(create, status CREATE_IN_PROGRESS). Wait for it to finish and retry (HTTP 409)"
    ) in err
    busy = httpx.get(f"{server.url}/v1/clusters/busy", headers=LATEST).json()
    assert (busy["status"], busy["node_count"]) == ("CREATE_IN_PROGRESS", 1)


def test_failed_create_shows_reason_and_faults(coe: Coe, server: Server) -> None:
    http_template(server.url, "failing", {"fake_fail": "create"})
    coe.run("cluster", "create", "broken", "--cluster-template", "failing")
    shown = coe.wait_cluster("broken", lambda c: c["status"] != "CREATE_IN_PROGRESS")
    reason = "fake driver was told to fail create"
    assert shown["status"] == "CREATE_FAILED"
    assert shown["status_reason"] == reason
    assert shown["faults"] == {"default-master": reason, "default-worker": reason}


# -- quotas, stats, services ----------------------------------------------------------------
def test_quotas(coe: Coe, server: Server) -> None:
    other = httpx.post(
        f"{server.url}/v1/quotas",
        json={"project_id": "other-project", "resource": "Cluster", "hard_limit": 4},
        headers=LATEST,
    )
    assert other.status_code == 201, other.text
    key = ("--project-id", "default", "--resource", "Cluster")
    created = coe.properties("quotas", "create", *key, "--hard-limit", "10")
    assert (created["project_id"], created["resource"], created["hard_limit"]) == (
        "default",
        "Cluster",
        "10",
    )
    own = {"project_id": "default", "resource": "Cluster", "hard_limit": "10"}
    assert coe.table("quotas", "list") == [own]  # without --all-tenants: own project only
    everyone = coe.table("quotas", "list", "--all-tenants")
    assert own in everyone
    assert {"project_id": "other-project", "resource": "Cluster", "hard_limit": "4"} in everyone
    shown = coe.properties("quotas", "show", *key)
    assert (shown["id"], shown["hard_limit"]) == (created["id"], "10")
    updated = coe.properties("quotas", "update", *key, "--hard-limit", "12")
    assert (updated["id"], updated["hard_limit"]) == (created["id"], "12")
    out = coe.run("quotas", "delete", *key).out
    assert "Request to delete quota for project id default and resource Cluster" in out
    default = coe.properties("quotas", "show", *key)
    assert default == {"project_id": "default", "resource": "Cluster", "hard_limit": "20"}


def test_stats(coe: Coe, server: Server, cluster: dict[str, Any]) -> None:
    """The counts of what the project has now (at least the shared `lifecycle` cluster)."""
    clusters = httpx.get(f"{server.url}/v1/clusters/detail", headers=LATEST).json()["clusters"]
    assert cluster["uuid"] in {c["uuid"] for c in clusters}
    nodes = sum(c["node_count"] + c["master_count"] for c in clusters)
    stats = coe.properties("stats", "list", "default")
    assert stats == {"clusters": str(len(clusters)), "nodes": str(nodes)}


def test_service_list(coe: Coe) -> None:
    """Magnum's names by default: the conductor alone, as magnum-conductor."""
    services = {s["binary"]: s for s in coe.json("service", "list")}
    assert set(services) == {"magnum-conductor"}
    for service in services.values():
        assert service["state"] == "up"
        assert service["host"] == "test-host"
        assert service["disabled"] is False


def test_errors_print_every_sentence(coe: Coe, server: Server) -> None:
    """The client prints only `title`: what to do next and the supported values must be in it
    (Magnum's title stops at the first '.')."""
    for _ in range(2):
        body = {"name": "twin-cli", "coe": "kubernetes", "image_id": "fedora-atomic-latest"}
        made = httpx.post(f"{server.url}/v1/clustertemplates", json=body, headers=LATEST)
        assert made.status_code == 201, made.text
    twin = coe.fails("cluster", "template", "show", "twin-cli")
    assert (
        "Multiple clustertemplates exist with same name. Please use the clustertemplate uuid "
        "instead (HTTP 409) (Request-ID: req-"
    ) in twin
    unsupported = coe.fails(
        "cluster", "template", "create", "swarm-on-coreos", "--coe", "swarm-mode",
        "--image", "coreos-stable", "--external-network", "public",
    )  # fmt: skip
    assert (
        "Cluster type (vm, coreos, swarm-mode) is not supported by any loaded cluster driver. "
        "Loaded drivers support: "
    ) in unsupported
    assert "(HTTP 400)" in unsupported
