"""Offer only what the deployment can build: a template or cluster that no usable driver can
build gets a 400 naming what is missing (never a 202 that fails later), and a cluster whose
backend was never made is deleted whatever the driver's configuration.

These run the real drivers of a standalone deployment (no Keystone, no Heat): the TEST-ONLY
fake driver is disabled, so the registry sees what `dockyard` with no config file sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, make_runtime, running_api
from sqlalchemy import update

from dockyard.db.models import Cluster, ClusterTemplate

STANDALONE = {"drivers": {"disabled_drivers": ["fake"]}}
# A host the local driver cannot use: its dockerd binary does not exist.
NO_DOCKER = {"local_driver": {"dockerd": "/nonexistent/dockerd"}}


def _error(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["errors"][0]
    return error


@pytest.fixture
def standalone(tmp_path: Path, sqlite_url: str) -> Iterator[Api]:
    with running_api(make_runtime(tmp_path, sqlite_url, STANDALONE, NO_DOCKER)) as client:
        yield client


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (
            {"coe": "kubernetes", "image_id": "fedora-atomic-latest"},
            "kubernetes on fedora-atomic (vm) needs the driver k8s_fedora_atomic (Heat), "
            "which cannot build clusters here: no Keystone service credentials "
            "([keystone_authtoken] or [heat]:",
        ),
        (
            {"coe": "kubernetes", "image_id": "coreos-stable"},
            "kubernetes on coreos (vm) needs the driver k8s_coreos (Heat)",
        ),
        (
            {"coe": "mesos", "image_id": "ubuntu-mesos"},
            "mesos on ubuntu (vm) needs the driver mesos_ubuntu (Heat), which cannot build "
            "clusters here: no Keystone service credentials",
        ),
        (
            # Both candidates refuse: Heat (no credentials) and the local stand-in (no docker).
            {"coe": "swarm", "image_id": "fedora-atomic-latest"},
            "swarm on fedora-atomic (vm) has no driver that can build it here: "
            "swarm_fedora_atomic (Heat): no Keystone service credentials",
        ),
        (
            {"coe": "swarm-mode", "image_id": "dockyard-node"},
            "swarm-mode on dockyard-node (vm) needs the driver local (dockerds on this "
            "machine), which cannot build clusters here: ",
        ),
    ],
)
def test_template_create_names_what_the_deployment_lacks(
    standalone: Api, body: dict[str, Any], title: str
) -> None:
    response = standalone.post("/v1/clustertemplates", {"name": "t", **body})
    assert response.status_code == 400, response.text
    assert _error(response)["title"].startswith(title), _error(response)["title"]
    assert standalone.get("/v1/clustertemplates").json()["clustertemplates"] == []


def test_the_local_stand_in_names_its_own_problem(standalone: Api) -> None:
    response = standalone.post(
        "/v1/clustertemplates", {"name": "t", "coe": "swarm", "image_id": "fedora-atomic-latest"}
    )
    assert "; local (dockerds on this machine): no dockerd binary" in _error(response)["detail"]
    assert "/nonexistent/dockerd" in _error(response)["detail"]


def test_cluster_create_checks_again_and_delete_needs_no_configuration(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A template and a cluster made while a driver was usable (here the fake one, then
    pointed at the Heat driver, as after a configuration change): a new cluster is refused
    with 400, and the old one, which has no stack, is deleted without any credentials."""
    runtime = make_runtime(tmp_path, sqlite_url)
    with running_api(runtime) as api:
        template = api.template(name="k8s")
        created = api.post("/v1/clusters", {"cluster_template_id": "k8s", "name": "old"})
        assert created.status_code == 202, created.text
        uuid = created.json()["uuid"]
        api.wait_status(uuid, "CREATE_COMPLETE")
        with runtime.db.write() as session:
            session.execute(
                update(ClusterTemplate)
                .where(ClusterTemplate.uuid == template["uuid"])
                .values(driver="k8s_fedora_atomic")
            )
            session.execute(
                update(Cluster)
                .where(Cluster.uuid == uuid)
                .values(driver="k8s_fedora_atomic", driver_state={})
            )

        refused = api.post("/v1/clusters", {"cluster_template_id": "k8s", "name": "new"})
        assert refused.status_code == 400, refused.text
        assert _error(refused)["title"].startswith(
            "Cluster template k8s needs the driver k8s_fedora_atomic (Heat), which cannot "
            "build clusters here"
        )

        assert api.delete(f"/v1/clusters/{uuid}").status_code == 204
        api.wait_status(uuid, "DELETE_COMPLETE")
        assert api.get(f"/v1/clusters/{uuid}").status_code == 404
        assert api.get("/v1/clusters").json()["clusters"] == []


def test_clusters_of_a_driver_no_longer_loaded(tmp_path: Path, sqlite_url: str) -> None:
    """The fake driver made two clusters, then the service restarts with it disabled: the
    one whose create failed before anything was built is deleted at once, a resize of the
    other is refused with 400, and its delete fails saying the driver must be loaded again
    (only the driver knows what it built)."""
    with running_api(make_runtime(tmp_path, sqlite_url)) as api:
        api.template(name="k8s")
        never = api.post(
            "/v1/clusters",
            {"cluster_template_id": "k8s", "name": "never", "labels": {"fake_fail": "create"}},
        ).json()["uuid"]
        built = api.post("/v1/clusters", {"cluster_template_id": "k8s", "name": "built"})
        assert api.wait_status(never, "CREATE_FAILED")["status"] == "CREATE_FAILED"
        api.wait_status(built.json()["uuid"], "CREATE_COMPLETE")

    with running_api(make_runtime(tmp_path, sqlite_url, STANDALONE)) as api:
        resized = api.post("/v1/clusters/built/actions/resize", {"node_count": 2})
        assert resized.status_code == 400, resized.text
        assert _error(resized)["title"] == (
            "Cluster built needs the driver fake (not loaded), which cannot build clusters "
            "here: the driver fake is not loaded in this deployment ([drivers])"
        )
        assert api.delete("/v1/clusters/never").status_code == 204
        api.wait_status(never, "DELETE_COMPLETE")
        assert api.delete("/v1/clusters/built").status_code == 204
        failed = api.wait_status("built", "DELETE_FAILED")
        assert "load it again to delete what it built" in failed["status_reason"]
