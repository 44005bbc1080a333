"""Acceptance of issue 8 with the real `local` driver: the dashboard in headless Chromium
against a `dockyard` process that builds real Docker swarm-mode clusters on this machine.

One test, one page session that never reloads: a swarm-mode template (image dockyard-node)
through the template dialog, a 1-master + 1-worker cluster from the create dialog, its
progress steps shown in the list and per node on the cluster page while the create is held
(the node dockerds wait for a gate file the test creates; issue 15), followed to
CREATE_COMPLETE, and the same steps printed by `openstack coe cluster event list --follow`;
the Swarm config zip downloaded, unzipped and used with the docker CLI (2 Ready nodes);
scaled to 2 workers from the page (UPDATE_COMPLETE, 3 Ready nodes); deleted from the page,
leaving no network namespace (nor anything else) behind on the host.

Browser fixtures and page helpers come from test_dashboard.py; host helpers from
tests/integration/local_host.py. Needs root and Debian's docker.io (scripts/install-docker)
and Chromium (scripts/install-browser); skips otherwise. Screenshots go where the other e2e
tests put theirs ($DOCKYARD_ARTIFACTS/e2e). Traffic goes to 127.0.0.1 and to the namespaces
this test creates, on an address pool of the tests' own.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_dashboard
from conftest import LATEST, Server, start_server, subprocess_env
from harness.cli import OpenStackCli
from harness.host import require_host
from local_host import exports, free_test_pool, leftovers, remove_clusters, sh, wait_for
from test_dashboard import check_client_cert, open_ui, shot, wait_gone

from dockyard.drivers.swarm_local.layout import cluster_key
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.commands import which

DOCKER = shutil.which("docker") or "docker"
# Real clusters take seconds, not the fake driver's fraction of one.
SLOW_MS = 180_000


pytestmark = [pytest.mark.e2e, require_host("root", "docker", "chromium")]

with contextlib.suppress(ImportError):  # without it, the playwright fixture skips the test
    from playwright.sync_api import Page, expect

# The browser fixtures of test_dashboard.py, found by name here; `server` and `http` are this
# module's own (the local driver instead of the fake one).
artifacts = test_dashboard.artifacts
playwright = test_dashboard.playwright
browser = test_dashboard.browser
page = test_dashboard.page


@pytest.fixture(scope="module")
def local_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSettings]:
    tmp = tmp_path_factory.mktemp("dashboard-local")
    pool = free_test_pool()
    run_dir = f"/run/dye2e-{os.getpid()}"
    settings = LocalSettings(
        state_dir=str(tmp / "state" / "local_driver"), run_dir=run_dir, address_pool=pool
    )
    try:
        yield settings
    finally:
        remove_clusters(settings)  # whatever a failed test left
        # The driver keeps its pool's blackhole for good; this pool is the tests' own.
        subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True)


@pytest.fixture(scope="module")
def dockerd_gate(local_settings: LocalSettings) -> Path:
    """A file whose absence holds every node dockerd before it starts: the server's dockerd
    is a script that waits for it, then execs the real dockerd (same PID)."""
    return Path(local_settings.state_dir).parent.parent / "dockerd-gate"


@pytest.fixture(scope="module")
def server(local_settings: LocalSettings, dockerd_gate: Path) -> Iterator[Server]:
    """`dockyard` (API + conductor, SQLite) with the real local driver on a test pool."""
    tmp = Path(local_settings.state_dir).parent.parent
    dockerd = tmp / "gated-dockerd"
    dockerd.write_text(
        f"#!/bin/sh\nwhile [ ! -e {dockerd_gate} ]; do sleep 0.1; done\n"
        f'exec {which("dockerd")} "$@"\n'
    )
    dockerd.chmod(0o755)
    sections = {
        "local_driver": {
            "address_pool": local_settings.address_pool,
            "run_dir": local_settings.run_dir,
            "dockerd": str(dockerd),
        }
    }
    srv = start_server(tmp, sections=sections)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=LATEST, timeout=30) as client:
        yield client


def docker_nodes(workdir: Path, host: str) -> dict[str, str]:
    """Hostname -> status from `docker node ls`, with the downloaded files; {} on failure."""
    proc = subprocess.run(
        [DOCKER, "--tlsverify", "--tlscacert", "ca.pem", "--tlscert", "cert.pem",
         "--tlskey", "key.pem", "-H", host, "node", "ls", "--format",
         "{{.Hostname}} {{.Status}}"],
        cwd=workdir, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(workdir),
             "DOCKER_CONFIG": str(workdir / ".docker")},
    )  # fmt: skip
    if proc.returncode != 0:
        return {}
    return dict(line.split() for line in proc.stdout.splitlines() if line.strip())


def all_ready(workdir: Path, host: str, count: int) -> dict[str, str] | None:
    nodes = docker_nodes(workdir, host)
    ok = len(nodes) == count and all(s == "Ready" for s in nodes.values())
    return nodes if ok else None


def test_local_swarm_cluster_lifecycle_in_the_browser(
    page: Page,
    server: Server,
    dockerd_gate: Path,
    http: httpx.Client,
    local_settings: LocalSettings,
    artifacts: Path,
    tmp_path: Path,
) -> None:
    """Template, cluster from the dialog, CREATE_COMPLETE, config + docker CLI, scale,
    delete: a real swarm-mode cluster, all from one page session."""
    open_ui(page, server)
    expect(page.get_by_role("heading", name="Clusters", level=1)).to_be_visible()
    page.evaluate("window.__sameDocument = true")

    # A swarm-mode template for the local driver, through the create dialog.
    page.get_by_role("link", name="Cluster templates").click()
    page.get_by_role("button", name="Create cluster template").click()
    dialog = page.get_by_role("dialog", name="Create cluster template")
    dialog.get_by_label("Name", exact=True).fill("swarm-local")
    dialog.get_by_label("Container orchestration engine").select_option("swarm-mode")
    dialog.get_by_label("Image").select_option("dockyard-node")
    shot(page, artifacts, "local-template-create-dialog")
    dialog.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name="Cluster template swarm-local")).to_be_visible()
    template = http.get("/v1/clustertemplates/swarm-local").json()
    assert (template["coe"], template["image_id"]) == ("swarm-mode", "dockyard-node")

    # A 1-master + 1-worker cluster from the create dialog, followed to CREATE_COMPLETE.
    page.get_by_role("link", name="Clusters", exact=True).click()
    page.get_by_role("button", name="Create cluster", exact=True).click()
    dialog = page.get_by_role("dialog", name="Create cluster")
    dialog.get_by_label("Cluster name").fill("dock")
    dialog.get_by_label("Cluster template").select_option(
        label="swarm-local (swarm-mode, dockyard-node)"
    )
    dialog.get_by_label("Masters").fill("1")
    dialog.get_by_label("Worker nodes").fill("1")
    shot(page, artifacts, "local-cluster-create-dialog")
    dialog.get_by_role("button", name="Create cluster").click()
    expect(dialog).to_be_hidden()
    row = page.locator('tr[data-cluster="dock"]')
    expect(row).to_be_visible()

    # Progress while it builds: the node dockerds wait at the gate (see `dockerd_gate`), so
    # the create is held after every node reported its network, whatever the machine's speed.
    progress = row.locator("[data-progress]")
    expect(progress).to_contain_text(re.compile(r"\d+% · dock-node-0: network attached"))
    shot(page, artifacts, "local-cluster-progress")
    row.get_by_role("link", name="dock").click()
    panel = page.get_by_role("region", name="Status")
    for node in ("dock-master-0", "dock-node-0"):  # a step per node, before CREATE_COMPLETE
        expect(panel.locator(f'[data-node="{node}"]')).to_contain_text("network attached")
    status = panel.locator("[data-status]").first
    expect(status).to_have_attribute("data-status", "CREATE_IN_PROGRESS")
    shot(page, artifacts, "local-cluster-progress-nodes")
    dockerd_gate.touch()
    expect(status).to_have_attribute("data-status", "CREATE_COMPLETE", timeout=SLOW_MS)
    # The CLI prints the same timeline, and --follow ends at once on a settled cluster.
    cli = OpenStackCli({}, subprocess_env())
    endpoint = ("--os-auth-type", "none", "--os-endpoint", f"{server.url}/v1")
    out = cli.run(*endpoint, "coe", "cluster", "event", "list", "dock", "--follow").out
    for node in ("dock-master-0", "dock-node-0"):
        for what in ("network attached", "engine started", "joined the swarm", "ready"):
            assert re.search(rf"create\.progress \[\d+%\] {node}: {what}\n", out), out
    assert out.splitlines()[-1].endswith("-> CREATE_COMPLETE"), out
    assert "[100%]" in out, out
    page.get_by_role("link", name="Clusters", exact=True).first.click()
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "CREATE_COMPLETE")
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    cluster = http.get("/v1/clusters/dock").json()
    assert (cluster["master_count"], cluster["node_count"]) == (1, 1)
    expect(row).to_contain_text(cluster["api_address"])
    shot(page, artifacts, "local-clusters")
    state_file = Path(local_settings.state_dir) / "clusters" / cluster["uuid"] / "state.json"
    state: dict[str, Any] = json.loads(state_file.read_text())
    assert state["key"] == cluster_key(cluster["uuid"])

    # The Swarm config: a zip of ca.pem, cert.pem, key.pem and env.sh, used with the CLI.
    row.get_by_role("link", name="dock").click()
    expect(page.get_by_role("heading", name="Cluster dock")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download config").click()
    assert info.value.suggested_filename == "dock-docker.zip"
    path = tmp_path / "dock-docker.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as bundle:
        assert bundle.testzip() is None
        assert sorted(bundle.namelist()) == [
            "dock/ca.pem",
            "dock/cert.pem",
            "dock/env.sh",
            "dock/key.pem",
        ]
        bundle.extractall(tmp_path / "config")
    workdir = tmp_path / "config" / "dock"
    (workdir / "key.pem").chmod(0o600)
    files = {name: (workdir / name).read_text() for name in ("ca.pem", "cert.pem", "key.pem")}
    check_client_cert(files["ca.pem"], files["cert.pem"], files["key.pem"])
    env = exports((workdir / "env.sh").read_text())
    host = env["DOCKER_HOST"]
    assert host == cluster["api_address"] and host.startswith("tcp://127.0.0.1:"), env
    assert env["DOCKER_TLS_VERIFY"] == "True"
    done = page.get_by_role("dialog", name="Cluster config downloaded")
    expect(done).to_contain_text(". ./env.sh")
    shot(page, artifacts, "local-config-downloaded")
    done.get_by_role("button", name="Done").click()
    nodes = wait_for(lambda: all_ready(workdir, host, 2), 60, "2 Ready nodes in docker node ls")
    assert len(nodes) == 2, nodes

    # Scale the workers from 1 to 2.
    page.get_by_role("button", name="Scale").click()
    dialog = page.get_by_role("dialog", name="Scale cluster dock")
    expect(dialog.get_by_label("Node count")).to_have_value("1")
    dialog.get_by_label("Node count").fill("2")
    dialog.get_by_role("button", name="Scale").click()
    expect(dialog).to_be_hidden()
    status = page.locator(".status-panel [data-status]")
    expect(status).to_have_attribute("data-status", "UPDATE_COMPLETE", timeout=SLOW_MS)
    shot(page, artifacts, "local-cluster-scaled")
    assert http.get("/v1/clusters/dock").json()["node_count"] == 2
    nodes = wait_for(lambda: all_ready(workdir, host, 3), 60, "3 Ready nodes in docker node ls")
    assert len(nodes) == 3, nodes
    state = json.loads(state_file.read_text())  # now with the new worker

    # Delete, after a confirmation; the row goes once the cluster is gone.
    page.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete cluster")
    confirm.get_by_role("button", name="Delete cluster").click()
    expect(page.get_by_role("heading", name="Clusters", level=1)).to_be_visible()
    expect(page.locator('tr[data-cluster="dock"]')).to_have_count(0, timeout=SLOW_MS)
    wait_gone(http, cluster["uuid"], timeout=60)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    shot(page, artifacts, "local-cluster-deleted")

    # Nothing of it is left on the host: no network namespace, nor anything else.
    netns = [line for line in sh("ip", "netns", "list").splitlines() if state["key"] in line]
    assert netns == [], netns
    dirs = [state_file.parent, Path(local_settings.run_dir) / state["key"]]
    assert leftovers(state, dirs) == []
