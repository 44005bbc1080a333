"""Acceptance tests of issue 5 (Keystone mode): a real Keystone 30.0.0 started by
scripts/openstack-harness and a real `dockyard` process with `[auth] strategy = keystone`.

The stock `openstack coe` client logs in with OS_* passwords and finds Dockyard through the
catalog (`container-infra`, no --os-endpoint). Accounts (tests/harness/keystone.py): `alice`
(member of project-a), `rita` (reader of project-a), `bob` (member of project-b) and `admin`.
Each CLI call costs ~2 s (start-up and a password login), so HTTP calls with a token prepare
state and check what the CLI is not needed for. Tests share one Keystone (session) and one
Dockyard (module) with a template and a cluster per project (`world`, made once); no test
changes them (every write a test tries is refused), so the tests run in any order. Exact
listings ("bob sees only cl-b") are the claim of isolation: no test adds to either project.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, start_server, subprocess_env
from harness.cli import TEMPLATE_ARGS, OpenStackCli
from harness.keystone import KeystoneCloud
from harness.waiting import wait_until
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

pytest_plugins = ["harness.fixtures"]
pytestmark = [pytest.mark.client, pytest.mark.keystone]

AUTH_REQUIRED = "The request you have made requires authentication"


@pytest.fixture(scope="module")
def dockyard(keystone: KeystoneCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Dockyard (API + conductor, SQLite, TEST-ONLY fake driver) on the catalog's port."""
    srv = start_server(
        tmp_path_factory.mktemp("dockyard-keystone"),
        sections={
            "auth": {"strategy": "keystone"},
            "keystone_authtoken": keystone.dockyard_authtoken_options(),
            "drivers": {"enabled_definitions": "fake"},
        },
        port=keystone.dockyard_port,
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def cli(keystone: KeystoneCloud) -> Callable[[str], OpenStackCli]:
    """`openstack` as one of the accounts, with only its OS_* password settings."""
    env = subprocess_env()
    return lambda name: OpenStackCli(keystone.accounts[name].os_env(), env)


@pytest.fixture(scope="module")
def tokens(keystone: KeystoneCloud) -> dict[str, str]:
    return {name: account.token() for name, account in keystone.accounts.items()}


def call(
    server: Server, method: str, path: str, token: str | None, **kwargs: Any
) -> httpx.Response:
    headers = {**LATEST, **kwargs.pop("headers", {})}
    if token is not None:
        headers["X-Auth-Token"] = token
    return httpx.request(method, server.url + path, headers=headers, timeout=30, **kwargs)


def wait_complete(server: Server, token: str, cluster: str) -> dict[str, Any]:
    shown: dict[str, Any] = wait_until(
        lambda: call(server, "GET", f"/v1/clusters/{cluster}", token).json(), 60,
        f"cluster {cluster} CREATE_COMPLETE", until=lambda c: c["status"] == "CREATE_COMPLETE",
    )  # fmt: skip
    return shown


@pytest.fixture(scope="module")
def template_a(dockyard: Server, cli: Callable[[str], OpenStackCli]) -> dict[str, Any]:
    """Made by alice with the CLI: password login, catalog lookup, POST with her token."""
    made: dict[str, Any] = cli("alice").json(
        "coe", "cluster", "template", "create", "tpl-a", *TEMPLATE_ARGS
    )
    return made


@pytest.fixture(scope="module")
def world(
    dockyard: Server, template_a: dict[str, Any], tokens: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """A cluster in each project and bob's template, made over HTTP (setup only)."""
    made = call(
        dockyard,
        "POST",
        "/v1/clustertemplates",
        tokens["bob"],
        json={"name": "tpl-b", "coe": "kubernetes", "image_id": "fedora-atomic-latest"},
    )
    assert made.status_code == 201, made.text
    template_b = made.json()
    clusters = {}
    for owner, name, template in (("alice", "cl-a", template_a), ("bob", "cl-b", template_b)):
        body = {"name": name, "cluster_template_id": template["uuid"], "node_count": 1}
        created = call(dockyard, "POST", "/v1/clusters", tokens[owner], json=body)
        assert created.status_code == 202, created.text
        clusters[name] = wait_complete(dockyard, tokens[owner], created.json()["uuid"])
    return {"tpl-a": template_a, "tpl-b": template_b, **clusters}


# -- no token, bad tokens, public routes -------------------------------------------------
def test_public_routes_need_no_token(dockyard: Server) -> None:
    for path in ("/", "/v1", "/v1/", "/healthcheck"):
        assert call(dockyard, "GET", path, None).status_code == 200, path


@pytest.mark.parametrize("path", ["/v1/clustertemplates", "/clusters", "/v1/mservices"])
def test_no_token_is_401(dockyard: Server, keystone: KeystoneCloud, path: str) -> None:
    response = call(dockyard, "GET", path, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'Keystone uri="{keystone.url}"'
    assert response.headers["x-openstack-request-id"].startswith("req-")
    (error,) = response.json()["errors"]
    assert (error["status"], error["code"]) == (401, "client")
    # The title is the whole message (errors.title_of), which begins as Keystone's.
    assert error["title"].startswith(AUTH_REQUIRED), error


@pytest.mark.parametrize("token", ["garbage", "notused", "g" * 300, "gAAAAA" + "x" * 180])
def test_bad_token_is_401(dockyard: Server, token: str) -> None:
    response = call(dockyard, "GET", "/v1/clustertemplates", token)
    assert response.status_code == 401, response.text
    (error,) = response.json()["errors"]
    assert error["title"].startswith(AUTH_REQUIRED), error
    assert "not valid: unknown, expired or revoked" in error["detail"]


def test_expired_token_is_401(dockyard: Server, keystone: KeystoneCloud) -> None:
    """A token that worked (and is in Dockyard's cache) is refused once it expires.

    Keystone caps a token's life at its application credential's `expires_at`, which gives a
    real token that expires in seconds without changing Keystone's configuration.
    """
    alice = keystone.accounts["alice"]
    lifetime = 6.0
    expires = datetime.now(UTC) + timedelta(seconds=lifetime)
    body = {"application_credential": {"name": f"short-{time.time_ns()}"}}
    body["application_credential"]["expires_at"] = expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    created = alice.session().post(
        f"{keystone.url}/users/{alice.user_id}/application_credentials", json=body
    )
    credential = created.json()["application_credential"]
    auth = v3.ApplicationCredential(
        auth_url=keystone.url,
        application_credential_id=credential["id"],
        application_credential_secret=credential["secret"],
    )
    access = auth.get_access(ks_session.Session())
    token_expires = access.expires
    assert token_expires is not None
    assert token_expires <= expires + timedelta(seconds=1)
    token = access.auth_token
    before = call(dockyard, "GET", "/v1/clustertemplates", token)
    assert before.status_code == 200, before.text
    # The same token, once Keystone's expiry has passed: refused (not served from a cache).
    left = max(0.0, (token_expires - datetime.now(UTC)).total_seconds())
    after = wait_until(lambda: call(dockyard, "GET", "/v1/clustertemplates", token), left + 30,
                       "the expired token refused", until=lambda r: r.status_code != 200,
                       interval=0.5)  # fmt: skip
    assert after.status_code == 401, after.text
    assert after.json()["errors"][0]["title"].startswith(AUTH_REQUIRED)


def test_system_scoped_token_is_403(dockyard: Server, keystone: KeystoneCloud) -> None:
    """Valid, but not project-scoped: refused as Magnum's scope_types=["project"] rules do."""
    admin = keystone.accounts["admin"]
    auth = v3.Password(
        auth_url=keystone.url,
        username=admin.username,
        password=admin.password,
        user_domain_name="Default",
        system_scope="all",
    )
    token = ks_session.Session(auth=auth).get_token()
    response = call(dockyard, "GET", "/v1/clusters", token)
    assert response.status_code == 403, response.text
    assert "needs a project-scoped token" in response.json()["errors"][0]["detail"]


# -- the stock client through the catalog ------------------------------------------------
def test_client_creates_and_lists_templates(
    cli: Callable[[str], OpenStackCli],
    keystone: KeystoneCloud,
    dockyard: Server,
    tokens: dict[str, str],
    template_a: dict[str, Any],
) -> None:
    alice = keystone.accounts["alice"]
    assert template_a["name"] == "tpl-a"
    assert template_a["project_id"] == alice.project_id
    # The stored owner (the CLI does not print user_id) comes from alice's validated token.
    stored = call(dockyard, "GET", f"/v1/clustertemplates/{template_a['uuid']}", tokens["alice"])
    assert (stored.json()["project_id"], stored.json()["user_id"]) == (
        alice.project_id,
        alice.user_id,
    )
    listed = cli("alice").json("coe", "cluster", "template", "list")
    assert {"uuid": template_a["uuid"], "name": "tpl-a", "tags": None} in listed


def test_client_sees_own_cluster(
    cli: Callable[[str], OpenStackCli], world: dict[str, dict[str, Any]]
) -> None:
    names = {c["name"] for c in cli("alice").json("coe", "cluster", "list")}
    assert names == {"cl-a"}


# -- project isolation --------------------------------------------------------------------
def test_other_project_cannot_see_templates_or_clusters(
    cli: Callable[[str], OpenStackCli], world: dict[str, dict[str, Any]]
) -> None:
    bob = cli("bob")
    assert {t["name"] for t in bob.json("coe", "cluster", "template", "list")} == {"tpl-b"}
    err = bob.fails("coe", "cluster", "template", "show", "tpl-a")
    assert "ClusterTemplate tpl-a could not be found (HTTP 404)" in err
    assert {c["name"] for c in bob.json("coe", "cluster", "list")} == {"cl-b"}


def test_other_project_cannot_touch_templates_or_clusters(
    dockyard: Server, tokens: dict[str, str], world: dict[str, dict[str, Any]]
) -> None:
    bob = tokens["bob"]
    template, cluster = world["tpl-a"]["uuid"], world["cl-a"]["uuid"]
    patch = [{"op": "replace", "path": "/name", "value": "stolen"}]
    attempts = [
        ("GET", f"/v1/clustertemplates/{template}", None),
        ("PATCH", f"/v1/clustertemplates/{template}", patch),
        ("DELETE", f"/v1/clustertemplates/{template}", None),
        ("GET", f"/v1/clusters/{cluster}", None),
        (
            "PATCH",
            f"/v1/clusters/{cluster}",
            [{"op": "replace", "path": "/node_count", "value": 2}],
        ),
        ("DELETE", f"/v1/clusters/{cluster}", None),
        ("GET", f"/v1/clusters/{cluster}/nodegroups", None),
        ("POST", f"/v1/clusters/{cluster}/nodegroups", {"name": "mine"}),
        (
            "PATCH",
            f"/v1/clusters/{cluster}/nodegroups/default-worker",
            [{"op": "replace", "path": "/max_node_count", "value": 3}],
        ),
        ("DELETE", f"/v1/clusters/{cluster}/nodegroups/default-worker", None),
        ("POST", f"/v1/clusters/{cluster}/actions/resize", {"node_count": 3}),
    ]
    for method, path, body in attempts:
        response = call(dockyard, method, path, bob, json=body)
        assert response.status_code == 404, (method, path, response.text)
    # Spoofed noauth headers change nothing: identity comes from the token only.
    spoofed = call(
        dockyard,
        "GET",
        "/v1/clusters",
        bob,
        headers={"X-Project-Id": world["cl-a"]["project_id"], "X-Roles": "admin"},
    )
    assert [c["name"] for c in spoofed.json()["clusters"]] == ["cl-b"]
    # alice's template and cluster are untouched.
    alice = tokens["alice"]
    assert call(dockyard, "GET", f"/v1/clustertemplates/{template}", alice).json()["name"] == (
        "tpl-a"
    )
    shown = call(dockyard, "GET", f"/v1/clusters/{cluster}", alice).json()
    assert (shown["status"], shown["node_count"]) == ("CREATE_COMPLETE", 1)


# -- roles --------------------------------------------------------------------------------
def test_reader_can_read_but_not_create(
    cli: Callable[[str], OpenStackCli],
    dockyard: Server,
    tokens: dict[str, str],
    world: dict[str, dict[str, Any]],
) -> None:
    rita = cli("rita")
    assert {t["name"] for t in rita.json("coe", "cluster", "template", "list")} == {"tpl-a"}
    err = rita.fails("coe", "cluster", "template", "create", "tpl-r", *TEMPLATE_ARGS)
    assert "Policy doesn't allow clustertemplate:create to be performed (HTTP 403)" in err
    reader = tokens["rita"]
    body = {"name": "cl-r", "cluster_template_id": world["tpl-a"]["uuid"]}
    assert call(dockyard, "POST", "/v1/clusters", reader, json=body).status_code == 403
    path = f"/v1/clusters/{world['cl-a']['uuid']}"
    assert call(dockyard, "DELETE", path, reader).status_code == 403
    assert call(dockyard, "GET", path, reader).json()["name"] == "cl-a"


def test_admin_sees_all_projects(
    cli: Callable[[str], OpenStackCli],
    dockyard: Server,
    tokens: dict[str, str],
    world: dict[str, dict[str, Any]],
) -> None:
    for name in ("cl-a", "cl-b"):
        path = f"/v1/clusters/{world[name]['uuid']}"
        assert call(dockyard, "GET", path, tokens["admin"]).json()["name"] == name
    admin = cli("admin")
    templates = {t["name"] for t in admin.json("coe", "cluster", "template", "list")}
    assert {"tpl-a", "tpl-b"} <= templates
    clusters = {c["name"] for c in admin.json("coe", "cluster", "list")}
    assert {"cl-a", "cl-b"} <= clusters
