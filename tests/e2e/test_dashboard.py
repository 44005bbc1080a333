"""Acceptance tests of issue 8: the dashboard at /ui, driven in headless Chromium.

A real `dockyard` process (API + conductor, SQLite, the TEST-ONLY fake driver) serves the
page; Playwright drives Debian's `chromium` (no browser download: scripts/install-browser).
Every step goes through the page as a person would: dialogs, labels, buttons, the keyboard.
The API is read directly only to check what the page showed or downloaded.

Screenshots of the main pages go to $DOCKYARD_ARTIFACTS/e2e (default ./artifacts/e2e, which
git ignores). Without Chromium or Playwright the module is skipped, except under CI=true,
where that is a failure.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from conftest import LATEST, ROOT, Server, start_server
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from harness.host import require_host_now, unavailable
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

# Without playwright the `playwright` fixture skips (or fails under CI=true) via require_host.
with contextlib.suppress(ImportError):
    from playwright.sync_api import (
        Browser,
        Page,
        Playwright,
        ViewportSize,
        expect,
        sync_playwright,
    )

# Launch flags: headless, and quiet, so Chromium sends nothing past 127.0.0.1. Playwright
# adds --headless and a fresh temporary --user-data-dir itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--no-default-browser-check",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
TIMEOUT_MS = 30_000


def _chromium() -> str | None:
    candidates = [os.environ.get("DOCKYARD_CHROMIUM", "")]
    candidates += [shutil.which(n) or "" for n in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


# -- fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def artifacts() -> Path:
    base = Path(os.environ.get("DOCKYARD_ARTIFACTS") or ROOT / "artifacts")
    path = base / "e2e"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    require_host_now("chromium")  # the playwright package and a chromium executable
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = _chromium()
    if executable is None:
        unavailable("no chromium executable (run scripts/install-browser)")
    browser = playwright.chromium.launch(
        executable_path=executable, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Dockyard's own service names, so the Services page shows the API process too.
    srv = start_server(
        tmp_path_factory.mktemp("dashboard"), sections={"api": {"service_list_names": "dockyard"}}
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=LATEST, timeout=10) as client:
        yield client


@pytest.fixture
def page(
    browser: Browser, server: Server, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url) if not r.url.startswith((server.url, "blob:", "data:")) else None
        ),
    )
    yield page
    page.screenshot(path=str(artifacts / f"last-{request.node.name}.png"))
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not outside, f"the page reached past the server: {outside}"


def open_ui(page: Page, server: Server, route: str = "#/clusters") -> None:
    """Go to `route` and wait until the page has rendered it (html[data-route] is set last)."""
    page.goto(f"{server.url}/ui/{route}")
    page.wait_for_selector(f'html[data-ready=true][data-route="{route}"]')


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"))


# -- helpers ------------------------------------------------------------------------------
def kubeconfig_values(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*-?\s*([a-z-]+): (\S+)$", text, flags=re.M))


def check_client_cert(ca_pem: str, cert_pem: str, key_pem: str) -> None:
    """The client certificate chains to the cluster CA, names admin/system:masters, fits the key."""
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    cert.verify_directly_issued_by(ca)
    assert cert.issuer == ca.subject
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "admin"
    assert (
        cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    )
    assert key_pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n")  # as the CLI writes it
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]


def cli_kubeconfig(cluster: dict[str, Any], template: dict[str, Any], certs: dict[str, str]) -> str:
    """What `openstack coe cluster config` writes for the same cluster and certificates."""
    from magnumclient.common import utils as magnum_utils

    return str(
        magnum_utils.config_cluster(
            SimpleNamespace(**cluster),
            SimpleNamespace(**template),
            "/nonexistent",
            certs=certs,
            direct_output=True,
        )
    )


def wait_gone(http: httpx.Client, ident: str, timeout: float = 30) -> None:
    wait_until(lambda: http.get(f"/v1/clusters/{ident}").status_code == 404, timeout,
               f"cluster {ident} gone", interval=0.2)  # fmt: skip


# -- tests --------------------------------------------------------------------------------
def test_cluster_lifecycle_in_the_browser(
    page: Page, server: Server, http: httpx.Client, artifacts: Path, tmp_path: Path
) -> None:
    """Template create/edit, cluster create from the dialog, live status, timeline, config
    download, scale and delete: all in one page session that never reloads."""
    open_ui(page, server)
    expect(page.get_by_role("heading", name="Clusters", level=1)).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    # A cluster template, through the create dialog.
    page.get_by_role("link", name="Cluster templates").click()
    page.get_by_role("button", name="Create cluster template").click()
    dialog = page.get_by_role("dialog", name="Create cluster template")
    dialog.get_by_label("Name", exact=True).fill("k8s-e2e")
    dialog.get_by_label("Container orchestration engine").select_option("kubernetes")
    dialog.get_by_label("Image").select_option("fedora-atomic-latest")
    dialog.get_by_label("Labels", exact=True).fill("fake_seconds=1.5\nfake_async=2")
    shot(page, artifacts, "template-create-dialog")
    dialog.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name="Cluster template k8s-e2e")).to_be_visible()
    template = http.get("/v1/clustertemplates/k8s-e2e").json()
    assert template["labels"] == {"fake_seconds": "1.5", "fake_async": "2"}

    # Edit: only what changed goes out, as a JSON patch.
    patches: list[Any] = []
    page.on(
        "request",
        lambda r: patches.append(r.post_data_json) if r.method == "PATCH" else None,
    )
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit cluster template k8s-e2e")
    dialog.get_by_label("Tags").fill("e2e")
    dialog.get_by_label("DNS nameserver").fill("192.0.2.53")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    assert patches == [
        [
            {"op": "add", "path": "/tags", "value": "e2e"},
            {"op": "add", "path": "/dns_nameserver", "value": "192.0.2.53"},
        ]
    ]
    template = http.get("/v1/clustertemplates/k8s-e2e").json()
    assert (template["tags"], template["dns_nameserver"]) == ("e2e", "192.0.2.53")
    expect(page.locator("dd", has_text="192.0.2.53")).to_be_visible()
    shot(page, artifacts, "template-detail")

    # A cluster from the create dialog; the list follows it to CREATE_COMPLETE by polling.
    page.get_by_role("link", name="Clusters", exact=True).click()
    page.get_by_role("button", name="Create cluster", exact=True).click()
    dialog = page.get_by_role("dialog", name="Create cluster")
    dialog.get_by_label("Cluster name").fill("web")
    dialog.get_by_label("Cluster template").select_option(
        label="k8s-e2e (kubernetes, fedora-atomic-latest)"
    )
    dialog.get_by_label("Worker nodes").fill("2")
    dialog.get_by_label("Keypair").fill("default-key")
    dialog.get_by_label("Create timeout (minutes)").fill("30")
    dialog.get_by_label("Labels", exact=True).fill("fake_seconds=1.5,fake_async=2,team=web")
    shot(page, artifacts, "cluster-create-dialog")
    dialog.get_by_role("button", name="Create cluster").click()
    expect(dialog).to_be_hidden()
    row = page.locator('tr[data-cluster="web"]')
    expect(row).to_be_visible()
    shot(page, artifacts, "clusters-in-progress")
    expect(row.locator("[data-status]")).to_have_attribute(
        "data-status", "CREATE_COMPLETE", timeout=TIMEOUT_MS
    )
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    cluster = http.get("/v1/clusters/web").json()
    assert (cluster["node_count"], cluster["keypair"], cluster["create_timeout"]) == (
        2,
        "default-key",
        30,
    )
    assert cluster["labels"]["team"] == "web"
    expect(row).to_contain_text(cluster["api_address"])
    shot(page, artifacts, "clusters")

    # Detail: overview, addresses, nodegroups and the timeline.
    row.get_by_role("link", name="web").click()
    expect(page.get_by_role("heading", name="Cluster web")).to_be_visible()
    overview = page.get_by_role("tabpanel", name="Overview")
    for address in cluster["master_addresses"] + cluster["node_addresses"]:
        expect(overview.get_by_text(address, exact=True)).to_be_visible()
    shot(page, artifacts, "cluster-detail")
    page.get_by_role("tab", name="Nodegroups").click()
    expect(page.locator('tr[data-nodegroup="default-worker"]')).to_contain_text("2")
    page.get_by_role("tab", name="Timeline").click()
    timeline = page.get_by_role("tabpanel", name="Timeline")
    for event in ("create.requested", "create.started", "create.complete"):
        expect(timeline.locator(f'li[data-event="{event}"]').first).to_be_visible()
    shot(page, artifacts, "cluster-timeline")

    # Download the config: a kubeconfig exactly as `openstack coe cluster config` writes it.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download config").click()
    download = info.value
    assert download.suggested_filename == "web.kubeconfig"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    text = path.read_text()
    values = kubeconfig_values(text)
    assert values["server"] == cluster["api_address"]
    ca_pem = http.get(f"/v1/certificates/{cluster['uuid']}").json()["pem"]
    assert base64.b64decode(values["certificate-authority-data"]).decode() == ca_pem
    cert_pem = base64.b64decode(values["client-certificate-data"]).decode()
    key_pem = base64.b64decode(values["client-key-data"]).decode()
    check_client_cert(ca_pem, cert_pem, key_pem)
    certs = {"ca": ca_pem, "cert": cert_pem, "key": key_pem}
    assert text == cli_kubeconfig(cluster, template, certs)
    done = page.get_by_role("dialog", name="Cluster config downloaded")
    expect(done).to_contain_text("export KUBECONFIG=")
    shot(page, artifacts, "cluster-config-downloaded")
    done.get_by_role("button", name="Done").click()

    # Certificate authority tab: the same CA as the API's.
    page.get_by_role("tab", name="Certificate authority").click()
    page.get_by_role("button", name="Show CA certificate").click()
    expect(page.get_by_label("CA certificate (PEM)")).to_have_text(ca_pem)

    # Scale the workers from 2 to 3.
    page.get_by_role("button", name="Scale").click()
    dialog = page.get_by_role("dialog", name="Scale cluster web")
    expect(dialog.get_by_label("Node count")).to_have_value("2")
    dialog.get_by_label("Node count").fill("3")
    shot(page, artifacts, "cluster-scale-dialog")
    dialog.get_by_role("button", name="Scale").click()
    expect(dialog).to_be_hidden()
    # While it runs, the page says where the cluster is: which operation, where, how long.
    expect(page.locator(".status-panel .where")).to_contain_text("resize", timeout=TIMEOUT_MS)
    shot(page, artifacts, "cluster-scaling")
    status = page.locator(".status-panel [data-status]")
    expect(status).to_have_attribute("data-status", "UPDATE_COMPLETE", timeout=TIMEOUT_MS)
    assert http.get("/v1/clusters/web").json()["node_count"] == 3
    page.get_by_role("tab", name="Overview").click()
    expect(page.locator("dd", has_text="127.51.100.102")).to_be_visible()

    # Delete, after a confirmation; the list drops the row once the cluster is gone.
    page.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete cluster")
    confirm.get_by_role("button", name="Delete cluster").click()
    expect(page.get_by_role("heading", name="Clusters", level=1)).to_be_visible()
    expect(page.locator('tr[data-cluster="web"]')).to_have_count(0, timeout=TIMEOUT_MS)
    wait_gone(http, cluster["uuid"])
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"


def test_nodegroups_are_added_resized_and_deleted_in_the_browser(
    page: Page, server: Server, http: httpx.Client, artifacts: Path
) -> None:
    """The Nodegroups tab: add a labelled pool (a bad maximum is caught first), resize it
    within its limits, delete it after a confirmation; the API shows each change."""
    template = {"name": "ng-e2e", "coe": "kubernetes", "image_id": "fedora-atomic-latest"}
    assert http.post("/v1/clustertemplates", json=template).status_code == 201
    uuid = http.post(
        "/v1/clusters", json={"name": "pools", "cluster_template_id": "ng-e2e"}
    ).json()["uuid"]
    open_ui(page, server, f"#/clusters/{uuid}?tab=nodegroups")
    status = page.locator(".status-panel [data-status]")
    expect(status).to_have_attribute("data-status", "CREATE_COMPLETE", timeout=TIMEOUT_MS)

    page.get_by_role("button", name="Add nodegroup").click()
    dialog = page.get_by_role("dialog", name="Add a nodegroup to pools")
    dialog.get_by_label("Name").fill("fast")
    dialog.get_by_label("Node count").fill("2")
    dialog.get_by_label("Minimum nodes").fill("1")
    dialog.get_by_label("Maximum nodes").fill("1")
    dialog.get_by_label("Node labels").fill("disk=ssd")
    dialog.get_by_role("button", name="Add nodegroup").click()
    expect(dialog).to_contain_text("The maximum cannot be below the node count.")
    dialog.get_by_label("Maximum nodes").fill("3")
    shot(page, artifacts, "nodegroup-add-dialog")
    dialog.get_by_role("button", name="Add nodegroup").click()
    expect(dialog).to_be_hidden()
    row = page.locator('tr[data-nodegroup="fast"]')
    expect(row.locator("[data-status]")).to_have_attribute(
        "data-status", "CREATE_COMPLETE", timeout=TIMEOUT_MS
    )
    expect(row).to_contain_text("disk=ssd")
    shown = http.get(f"/v1/clusters/{uuid}/nodegroups/fast").json()
    assert (shown["node_count"], shown["min_node_count"], shown["max_node_count"]) == (2, 1, 3)
    assert shown["node_labels"] == {"disk": "ssd"}
    shot(page, artifacts, "nodegroups-tab")

    page.get_by_role("button", name="Resize fast").click()
    dialog = page.get_by_role("dialog", name="Scale cluster pools")
    expect(dialog.get_by_label("Nodegroup")).to_have_value("fast")
    dialog.get_by_label("Node count").fill("4")
    dialog.get_by_role("button", name="Scale").click()
    expect(dialog).to_contain_text("Node count must be at most 3 for fast.")
    dialog.get_by_label("Node count").fill("3")
    dialog.get_by_role("button", name="Scale").click()
    expect(dialog).to_be_hidden()
    expect(status).to_have_attribute("data-status", "UPDATE_COMPLETE", timeout=TIMEOUT_MS)
    expect(row.locator("td.num").first).to_have_text("3", timeout=TIMEOUT_MS)
    assert http.get(f"/v1/clusters/{uuid}").json()["node_count"] == 4

    expect(page.get_by_role("button", name="Delete default-worker")).to_have_count(0)
    page.get_by_role("button", name="Delete fast").click()
    confirm = page.get_by_role("dialog", name="Delete nodegroup")
    confirm.get_by_role("button", name="Delete nodegroup").click()
    expect(row).to_have_count(0, timeout=TIMEOUT_MS)
    wait_until(
        lambda: http.get(f"/v1/clusters/{uuid}/nodegroups/fast").status_code == 404,
        30, "nodegroup fast gone", interval=0.2,
    )  # fmt: skip
    assert http.get(f"/v1/clusters/{uuid}").json()["node_count"] == 1
    assert page.locator("#page-error").inner_text() == ""


def test_bad_input_is_caught_or_shown_in_the_apis_words(
    page: Page, server: Server, http: httpx.Client, artifacts: Path
) -> None:
    """Forms validate before submit; what only the API can refuse is shown verbatim."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    open_ui(page, server, "#/templates")

    # The API's refusal, word for word: a network driver the COE does not support.
    expected = http.post(
        "/v1/clustertemplates",
        json={"name": "broken", "coe": "mesos", "image_id": "ubuntu-mesos",
              "network_driver": "calico"},
    ).json()["errors"][0]  # fmt: skip
    page.get_by_role("button", name="Create cluster template").click()
    dialog = page.get_by_role("dialog", name="Create cluster template")
    dialog.get_by_label("Name", exact=True).fill("broken")
    dialog.get_by_label("Container orchestration engine").select_option("mesos")
    dialog.get_by_label("Image").select_option("ubuntu-mesos")
    dialog.get_by_label("Network driver").select_option("calico")
    dialog.get_by_role("button", name="Create template").click()
    alert = dialog.get_by_role("alert")
    expect(alert.locator(".error-detail")).to_have_text(expected["detail"])
    expect(alert).to_contain_text("HTTP 400")
    shot(page, artifacts, "error-from-api")

    # Checked in the page: a missing image never reaches the API.
    dialog.get_by_label("Image").select_option("")
    before = len(requests)
    dialog.get_by_role("button", name="Create template").click()
    expect(dialog.get_by_text("Image is required.")).to_be_visible()
    expect(dialog.get_by_label("Image")).to_be_focused()
    assert not [r for r in requests[before:] if r.startswith("POST")]
    dialog.get_by_role("button", name="Cancel").click()

    # Cluster dialog: a bad name and an even master count are caught before submit ...
    plain = http.post(
        "/v1/clustertemplates",
        json={"name": "plain", "coe": "kubernetes", "image_id": "fedora-atomic-latest"},
    ).json()
    page.get_by_role("link", name="Clusters", exact=True).click()
    page.get_by_role("button", name="Create cluster", exact=True).click()
    dialog = page.get_by_role("dialog", name="Create cluster")
    dialog.get_by_label("Cluster name").fill("1-bad name")
    dialog.get_by_label("Masters").fill("2")
    dialog.get_by_label("Labels", exact=True).fill("novalue")
    before = len(requests)
    dialog.get_by_role("button", name="Create cluster").click()
    expect(dialog.get_by_text("Name must start with a letter")).to_be_visible()
    expect(dialog.get_by_text("Cluster template is required.")).to_be_visible()
    expect(dialog.get_by_text("Masters must be an odd number.")).to_be_visible()
    expect(dialog.get_by_text('Labels must be key=value, not "novalue".')).to_be_visible()
    expect(dialog.get_by_label("Cluster name")).to_be_focused()
    assert not [r for r in requests[before:] if r.startswith("POST")]
    shot(page, artifacts, "form-validation")

    # ... and more nodes than a cluster may have is the API's to refuse, in its words.
    expected = http.post(
        "/v1/clusters",
        json={"name": "huge", "cluster_template_id": "plain", "node_count": 100000},
    ).json()["errors"][0]
    dialog.get_by_label("Cluster name").fill("huge")
    dialog.get_by_label("Cluster template").select_option(plain["uuid"])
    dialog.get_by_label("Masters").fill("1")
    dialog.get_by_label("Worker nodes").fill("100000")
    dialog.get_by_label("Labels", exact=True).fill("")
    dialog.get_by_role("button", name="Create cluster").click()
    expect(dialog.get_by_role("alert").locator(".error-detail")).to_have_text(expected["detail"])
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()


def test_swarm_config_is_a_zip_of_certificates_and_docker_env(
    page: Page, server: Server, http: httpx.Client, artifacts: Path, tmp_path: Path
) -> None:
    """Swarm: ca.pem, cert.pem, key.pem and env.sh with the CLI's DOCKER_* exports."""
    assert (
        http.post(
            "/v1/clustertemplates",
            json={"name": "swarm-e2e", "coe": "swarm", "image_id": "fedora-atomic-latest"},
        ).status_code
        == 201
    )
    uuid = http.post(
        "/v1/clusters", json={"name": "dock", "cluster_template_id": "swarm-e2e"}
    ).json()["uuid"]
    open_ui(page, server, f"#/clusters/{uuid}")
    status = page.locator(".status-panel [data-status]")
    expect(status).to_have_attribute("data-status", "CREATE_COMPLETE", timeout=TIMEOUT_MS)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download config").click()
    assert info.value.suggested_filename == "dock-docker.zip"
    path = tmp_path / "dock-docker.zip"
    info.value.save_as(path)
    cluster = http.get(f"/v1/clusters/{uuid}").json()
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as bundle:
        assert bundle.testzip() is None
        assert sorted(bundle.namelist()) == [
            "dock/ca.pem",
            "dock/cert.pem",
            "dock/env.sh",
            "dock/key.pem",
        ]
        files = {n.split("/")[1]: bundle.read(n).decode() for n in bundle.namelist()}
        key_mode = bundle.getinfo("dock/key.pem").external_attr >> 16
    assert key_mode & 0o777 == 0o600
    env = files["env.sh"]
    assert f"export DOCKER_HOST={cluster['api_address']}\n" in env
    assert 'export DOCKER_CERT_PATH="$(pwd)"\n' in env
    assert "export DOCKER_TLS_VERIFY=True\n" in env
    assert files["ca.pem"] == http.get(f"/v1/certificates/{uuid}").json()["pem"]
    check_client_cert(files["ca.pem"], files["cert.pem"], files["key.pem"])
    expect(page.get_by_role("dialog", name="Cluster config downloaded")).to_contain_text(
        ". ./env.sh"
    )
    shot(page, artifacts, "swarm-config-downloaded")


def test_admin_views_and_the_token_login_stub(
    page: Page, server: Server, http: httpx.Client, artifacts: Path
) -> None:
    """Quotas, stats and services for an admin; the stored token rides on every call; a
    member is refused in the API's words."""
    open_ui(page, server, "#/admin/quotas")
    page.get_by_role("button", name="Create quota").click()
    dialog = page.get_by_role("dialog", name="Create quota")
    dialog.get_by_label("Project ID").fill("team-a")
    dialog.get_by_label("Maximum clusters").fill("7")
    dialog.get_by_role("button", name="Create quota").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("row", name=re.compile("team-a"))).to_contain_text("7")
    assert http.get("/v1/quotas/team-a/Cluster").json()["hard_limit"] == 7
    page.get_by_role("button", name="Edit quota of team-a").click()
    dialog = page.get_by_role("dialog", name="Edit quota of team-a")
    dialog.get_by_label("Maximum clusters").fill("9")
    dialog.get_by_role("button", name="Save quota").click()
    expect(page.get_by_role("row", name=re.compile("team-a"))).to_contain_text("9")
    shot(page, artifacts, "admin-quotas")

    stats = http.get("/v1/stats").json()
    page.get_by_role("button", name="Admin").click()
    page.get_by_role("link", name="Stats").click()
    expect(page.locator('[data-stat="clusters"]')).to_have_text(str(stats["clusters"]))
    expect(page.locator('[data-stat="nodes"]')).to_have_text(str(stats["nodes"]))
    shot(page, artifacts, "admin-stats")

    page.get_by_role("button", name="Admin").click()
    page.get_by_role("link", name="Services").click()
    expect(page.get_by_role("row", name=re.compile("dockyard-api"))).to_contain_text("up")
    expect(page.get_by_role("row", name=re.compile("dockyard-conductor"))).to_contain_text("up")
    shot(page, artifacts, "admin-services")

    # The login stub: the token (and the noauth identity) go out on every API call.
    sent: list[dict[str, str]] = []
    page.on("request", lambda r: sent.append(r.headers) if "/v1/" in r.url else None)
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Token").fill("tok-e2e")
    page.get_by_label("Roles").fill("member")
    shot(page, artifacts, "login")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Clusters", level=1)).to_be_visible()
    # A member has no Admin menu; the page typed by hand shows the API's refusal.
    expect(page.get_by_role("button", name="Admin")).to_be_hidden()
    page.goto(f"{server.url}/ui/#/admin/services")
    expected = http.get("/v1/mservices", headers={"X-Roles": "member"}).json()["errors"][0]
    alert = page.get_by_role("alert")
    expect(alert.locator(".error-detail")).to_have_text(expected["detail"])
    expect(alert).to_contain_text("HTTP 403")
    assert sent and all(h.get("x-auth-token") == "tok-e2e" for h in sent)
    assert all(h.get("x-roles") == "member" for h in sent)
    assert all(h.get("openstack-api-version") == "container-infra latest" for h in sent)
    shot(page, artifacts, "error-forbidden")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_keyboard_only(page: Page, server: Server, http: httpx.Client) -> None:
    """Skip link first, real buttons in order, dialogs that trap and return focus, arrow-key
    tabs."""
    http.post(
        "/v1/clustertemplates",
        json={"name": "kbd", "coe": "kubernetes", "image_id": "fedora-atomic-latest"},
    )
    uuid = http.post("/v1/clusters", json={"name": "kbd", "cluster_template_id": "kbd"}).json()[
        "uuid"
    ]
    open_ui(page, server)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Dockyard home")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Overview", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Clusters", exact=True)).to_be_focused()

    create = page.get_by_role("button", name="Create cluster", exact=True)
    create.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Create cluster")
    expect(dialog.get_by_label("Cluster name")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Cluster template")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(create).to_be_focused()

    open_ui(page, server, f"#/clusters/{uuid}")
    overview = page.get_by_role("tab", name="Overview")
    overview.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Nodegroups")).to_be_focused()
    expect(page.get_by_role("tab", name="Nodegroups")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="Certificate authority")).to_be_focused()
    expect(page.get_by_role("tabpanel", name="Certificate authority")).to_be_visible()
    assert "tab=ca" in page.url


def test_page_helpers_labels_patch_csr_and_zip(page: Page, server: Server) -> None:
    """The pure helpers, run in the browser itself: label parsing as the CLI does it, the
    template JSON patch, the CSR, and the zip writer."""
    open_ui(page, server, "#/login")
    result = page.evaluate(
        """async () => {
          const forms = await import('./js/forms.js');
          const templates = await import('./js/views/templates.js');
          const csr = await import('./js/lib/csr.js');
          const zip = await import('./js/lib/zip.js');
          const made = await csr.generateCsrAndKey();
          return {
            labels: [
              forms.parseLabels('a=1,b=2\\nc=x,y\\n\\n d = 4 \\na=3'),
              forms.parseLabels('e=1;f=2'),
              forms.parseLabels('oops'),
            ],
            patch: templates.templatePatch(
              {name: 'a', tags: 'x', docker_volume_size: null, public: false,
               master_lb_enabled: null, labels: {k: 'v'}},
              {name: 'b', tags: '', docker_volume_size: '5', public: true,
               master_lb_enabled: false, labels: ''}),
            csr: made.csr,
            key: made.key,
            crc: zip.crc32(new TextEncoder().encode('123456789')),
            zip: Array.from(zip.makeZip([
              {name: 'd/a.txt', data: 'hello'},
              {name: 'd/k', data: 'x', mode: 0o600},
            ])),
          };
        }"""
    )
    assert result["labels"][0] == {
        "labels": {"a": "1,3", "b": "2", "c": "x,y", "d": "4"},
        "error": None,
    }
    assert result["labels"][1] == {"labels": {"e": "1", "f": "2"}, "error": None}
    assert result["labels"][2]["error"] == 'Labels must be key=value, not "oops".'
    assert result["patch"] == [
        {"op": "replace", "path": "/name", "value": "b"},
        {"op": "remove", "path": "/tags"},
        {"op": "add", "path": "/docker_volume_size", "value": 5},
        {"op": "replace", "path": "/public", "value": True},
        {"op": "remove", "path": "/labels"},
    ]
    request = x509.load_pem_x509_csr(result["csr"].encode())
    assert request.is_signature_valid
    assert request.subject.rfc4514_string() == "O=system:masters,CN=admin"
    key = serialization.load_pem_private_key(result["key"].encode(), password=None)
    assert key.public_key().public_numbers() == request.public_key().public_numbers()  # type: ignore[union-attr]
    assert result["crc"] == 0xCBF43926  # the CRC-32 check value
    with zipfile.ZipFile(io.BytesIO(bytes(result["zip"]))) as bundle:
        assert bundle.testzip() is None
        assert bundle.read("d/a.txt") == b"hello"
        assert (bundle.getinfo("d/k").external_attr >> 16) & 0o777 == 0o600
