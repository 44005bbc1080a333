"""Magnum's OpenStack checks at template create/update and cluster create (`[openstack]
lookups = true`), with alice's Keystone token from the real harness Keystone 30.0.0:

- images: a REAL Glance 33.0.0 (scripts/openstack-harness/glance-up, SQLite, file store), with
  a public image carrying `os_distro = fedora-atomic`, one without `os_distro`, and a private
  image of project B;
- flavors, keypairs, networks and subnets: the STAND-IN of tests/harness/nova_neutron_standin.py
  (Nova and Neutron cannot run here), registered in the same Keystone catalog;
- the cluster that passes the checks is built and deleted by the real Heat 27.0.1 (stand-in
  servers, as in test_heat_drivers.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, make_runtime, running_api
from harness.glance import GlanceServer
from harness.glance import unavailable_reason as glance_unavailable_reason
from harness.heat import STANDINS, HeatServer
from harness.host import unavailable
from harness.keystone import KeystoneCloud
from harness.nova_neutron_standin import CloudData, NovaNeutronStandIn
from openstack import connection

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.services import cluster_templates

pytest_plugins = ["harness.fixtures"]
pytestmark = [pytest.mark.keystone, pytest.mark.heat]

PUBLIC_NET = "5a3e0a1c-0b8e-4a53-9f33-2d6f0c7a0001"
PRIVATE_NET = "5a3e0a1c-0b8e-4a53-9f33-2d6f0c7a0002"


def _cloud_data() -> CloudData:
    return CloudData(
        flavors=[
            {"id": "2", "name": "m1.small", "ram": 2048, "vcpus": 1, "disk": 20},
            {"id": "3", "name": "m1.medium", "ram": 4096, "vcpus": 2, "disk": 40},
        ],
        keypairs=[{"name": "alice-key", "type": "ssh", "fingerprint": "aa:bb", "public_key": "x"}],
        networks=[
            {"id": PUBLIC_NET, "name": "public", "router:external": True},
            {"id": PRIVATE_NET, "name": "private", "router:external": False},
            {"id": "twin-1", "name": "twin", "router:external": True},
            {"id": "twin-2", "name": "twin", "router:external": True},
        ],
        subnets=[{"id": "subnet-1", "name": "private-subnet", "network_id": PRIVATE_NET}],
    )


@pytest.fixture(scope="module")
def glance(
    keystone: KeystoneCloud, heat: HeatServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GlanceServer]:
    """Real Glance with three images; the catalog's image entry points at it meanwhile."""
    reason = glance_unavailable_reason()
    if reason is not None:
        unavailable(reason)
    server = GlanceServer.start(tmp_path_factory.mktemp("glance"), keystone)
    try:
        admin = connection.Connection(
            session=keystone.accounts["admin"].session(), region_name="RegionOne"
        )
        bob = connection.Connection(
            session=keystone.accounts["bob"].session(), region_name="RegionOne"
        )
        common: dict[str, Any] = {
            "disk_format": "raw",
            "container_format": "bare",
            "data": b"\0" * 512,
        }
        admin.image.create_image(
            name="fedora-atomic-latest", os_distro="fedora-atomic", visibility="public", **common
        )
        admin.image.create_image(name="no-distro", visibility="public", **common)
        bob.image.create_image(name="b-private", os_distro="fedora-atomic", **common)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def standin(keystone: KeystoneCloud, heat: HeatServer) -> Iterator[NovaNeutronStandIn]:
    server = NovaNeutronStandIn.start(_cloud_data())
    server.register(keystone)
    try:
        yield server
    finally:
        NovaNeutronStandIn.unregister(keystone)
        server.stop()


def _sections(keystone: KeystoneCloud, **openstack: Any) -> dict[str, dict[str, Any]]:
    return {
        "auth": {"strategy": "keystone"},
        "keystone_authtoken": keystone.dockyard_authtoken_options(),
        "drivers": {"enabled_definitions": "k8s_fedora_atomic,k8s_coreos"},
        "heat": {
            "region_name": "RegionOne",
            "environment_files": str(STANDINS / "environment.yaml"),
            "periodic_sync_interval": 1,
            "operation_poll_interval": 60,
        },
        "openstack": {"lookups": "true", "region_name": "RegionOne", **openstack},
    }


@pytest.fixture(scope="module")
def api(
    keystone: KeystoneCloud,
    glance: GlanceServer,
    standin: NovaNeutronStandIn,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Api]:
    """Dockyard in-process (keystone mode, lookups on, SQLite) speaking as alice."""
    tmp = tmp_path_factory.mktemp("lookups")
    runtime = make_runtime(tmp, f"sqlite:///{tmp}/d.sqlite", config_sections=_sections(keystone))
    with running_api(runtime) as client:
        client.client.headers["X-Auth-Token"] = keystone.accounts["alice"].token()
        yield client


def template_body(**fields: Any) -> dict[str, Any]:
    return {
        "coe": "kubernetes",
        "image_id": "fedora-atomic-latest",
        "external_network_id": "public",
        "flavor_id": "m1.small",
        "master_flavor_id": "m1.small",
        **fields,
    }


def refused(api: Api, status: int, body: dict[str, Any]) -> str:
    response = api.post("/v1/clustertemplates", body)
    assert response.status_code == status, response.text
    error = response.json()["errors"][0]
    assert error["status"] == status
    return str(error["detail"])


def test_glance_image_selects_the_driver(api: Api, keystone: KeystoneCloud) -> None:
    """The image's os_distro in the real Glance (by name, then by id) selects the driver."""
    by_name = api.template(**template_body(fixed_network="private", fixed_subnet="private-subnet"))
    assert by_name["cluster_distro"] == "fedora-atomic"
    assert by_name["driver"] == "k8s_fedora_atomic"
    alice = connection.Connection(
        session=keystone.accounts["alice"].session(), region_name="RegionOne"
    )
    glance_id = alice.image.find_image("fedora-atomic-latest", ignore_missing=False).id
    by_id = api.template(**template_body(image_id=glance_id))
    assert by_id["driver"] == "k8s_fedora_atomic"
    assert by_id["image_id"] == glance_id


@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        ({"image_id": "nope"}, 400, "Image nope could not be found."),
        ({"image_id": "no-distro"}, 400, "Image no-distro doesn't contain os_distro field."),
        # project B's private image: Glance does not show it to alice.
        ({"image_id": "b-private"}, 400, "Image b-private could not be found."),
        ({"flavor_id": "m1.huge"}, 400, "Unable to find flavor m1.huge."),
        ({"master_flavor_id": "m9"}, 400, "Unable to find flavor m9."),
        ({"external_network_id": "private"}, 400, "Unable to find external network private."),
        ({"external_network_id": "nowhere"}, 400, "Unable to find external network nowhere."),
        (
            {"external_network_id": "twin"},
            409,
            "Multiple external networks exist with same name 'twin'. Please use the external "
            "network ID instead.",
        ),
        ({"fixed_network": "lan"}, 400, "Unable to find fixed network lan."),
        ({"fixed_subnet": "sub"}, 400, "Unable to find fixed subnet sub."),
    ],
)
def test_template_create_refuses_what_openstack_does_not_have(
    api: Api, fields: dict[str, Any], status: int, detail: str
) -> None:
    assert refused(api, status, template_body(**fields)) == detail


def test_external_network_by_id(api: Api) -> None:
    created = api.template(**template_body(external_network_id=PUBLIC_NET))
    assert created["external_network_id"] == PUBLIC_NET


def test_template_update_checks_again(api: Api) -> None:
    template = api.template(**template_body())
    path = f"/v1/clustertemplates/{template['uuid']}"
    for patch, detail in [
        ("/image_id", "no-distro"),
        ("/flavor_id", "m1.huge"),
        ("/external_network_id", "private"),
    ]:
        response = api.patch(path, [{"op": "replace", "path": patch, "value": detail}])
        assert response.status_code == 400, response.text
        assert detail in response.json()["errors"][0]["detail"]
    ok = api.patch(path, [{"op": "replace", "path": "/flavor_id", "value": "m1.medium"}])
    assert ok.status_code == 200, ok.text
    assert ok.json()["flavor_id"] == "m1.medium"


def test_found_resources_are_cached_per_project_and_misses_are_not(
    api: Api, standin: NovaNeutronStandIn
) -> None:
    api.template(**template_body(flavor_id="m1.medium"))
    before = list(standin.requests)
    api.template(**template_body(flavor_id="m1.medium"))
    assert standin.requests == before  # flavors and network from the cache
    assert refused(api, 400, template_body(flavor_id="m2.new")) == "Unable to find flavor m2.new."
    standin.data.flavors.append({"id": "9", "name": "m2.new", "ram": 1, "vcpus": 1, "disk": 1})
    try:
        assert api.template(**template_body(flavor_id="m2.new"))["flavor_id"] == "m2.new"
    finally:
        standin.data.flavors.pop()


def test_cluster_create_checks_keypair_and_overrides(api: Api, standin: NovaNeutronStandIn) -> None:
    template = api.template(**template_body(keypair_id="alice-key"))
    base = {"cluster_template_id": template["uuid"], "master_count": 1, "node_count": 1}
    missing_key = api.post("/v1/clusters", {**base, "name": "k", "keypair": "nope"})
    assert missing_key.status_code == 404, missing_key.text
    assert missing_key.json()["errors"][0]["detail"] == "Unable to find keypair nope."
    bad_flavor = api.post("/v1/clusters", {**base, "name": "f", "flavor_id": "m1.huge"})
    assert bad_flavor.status_code == 400, bad_flavor.text
    assert bad_flavor.json()["errors"][0]["detail"] == "Unable to find flavor m1.huge."
    bad_subnet = api.post("/v1/clusters", {**base, "name": "s", "fixed_subnet": "sub"})
    assert bad_subnet.status_code == 400
    names = {c["name"] for c in api.get("/v1/clusters").json()["clusters"]}
    assert not names & {"k", "f", "s"}, names  # nothing half done

    # The template's keypair, which exists: accepted and built by the real Heat.
    accepted = api.post("/v1/clusters", {**base, "name": "good"})
    assert accepted.status_code == 202, accepted.text
    assert any("/os-keypairs/alice-key" in r for r in standin.requests)
    shown = api.wait_status("good", "CREATE_COMPLETE", "CREATE_FAILED", timeout=120)
    assert shown["status"] == "CREATE_COMPLETE", shown.get("status_reason")
    assert api.delete("/v1/clusters/good").status_code == 204
    api.wait_status("good", "DELETE_COMPLETE", timeout=120)


def test_unreachable_service_is_a_503_not_a_traceback(
    keystone: KeystoneCloud, glance: GlanceServer, standin: NovaNeutronStandIn, tmp_path: Path
) -> None:
    """A region without these services (endpoint not in the catalog), and a registered
    endpoint where nothing listens: a 503 that names the service."""
    alice = keystone.accounts["alice"]
    ctx = RequestContext(alice.project_id, alice.user_id, ("member",), auth_token=alice.token())
    sections = _sections(keystone, region_name="RegionNowhere")
    runtime = make_runtime(tmp_path, f"sqlite:///{tmp_path}/n.sqlite", config_sections=sections)
    with pytest.raises(exceptions.ServiceUnavailable) as raised:
        cluster_templates.create(runtime, ctx, template_body())
    assert raised.value.http_status == 503
    assert str(raised.value).startswith("The image service (Glance) is unavailable: ")

    # Nova's catalog entry back on the dummy port, where nothing listens; Glance still answers.
    NovaNeutronStandIn.unregister(keystone)
    try:
        other = make_runtime(
            tmp_path, f"sqlite:///{tmp_path}/b.sqlite", config_sections=_sections(keystone)
        )
        with running_api(other) as client:
            response = client.post(
                "/v1/clustertemplates", template_body(), headers={"X-Auth-Token": ctx.auth_token}
            )
        assert response.status_code == 503, response.text
        detail = response.json()["errors"][0]["detail"]
        assert detail.startswith("The compute service (Nova) is unavailable: "), detail
    finally:
        standin.register(keystone)
