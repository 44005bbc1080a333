"""The dashboard's volume and container pages, driven in headless Chromium against a `dockyard`
process whose container host is REAL: a Dockyard-owned dockerd on this machine, Dockyard's
volume plugin serving it, loop-mounted local volumes.

One page session that never reloads: a volume made in the create dialog, renamed and grown
(with the shrink caught in the page and the API's refusal shown verbatim); a container run from
the volume's page that writes to it, seen Running with its output in the logs panel, then
deleted with force; a second container, with the volume as a read-only mount, whose logs show
what the first one wrote; the volume in-use and its DELETE refused with the API's 409 shown word
for word; then stop, delete and the volume's delete, all from the page, leaving nothing on the
engine.

Also: the pages' pure helpers run in the browser, and a static check that the new modules are
routed, in the navigation, and call only endpoints the API serves.

Browser fixtures and page helpers come from test_dashboard.py; host helpers from
tests/integration. Needs root and Debian's docker.io (scripts/install-docker) for the
container host and Chromium (scripts/install-browser); skips otherwise.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_dashboard
from conftest import LATEST, Server, make_runtime, start_server
from harness.host import host_problem, require_host
from test_dashboard import open_ui, shot

from dockyard.api.app import create_app
from dockyard.api.routes import ui
from dockyard.providers.commands import run, unmount_below
from dockyard.providers.docker_local.host_engine import HostEngine, HostEngineSettings
from dockyard.services.containers import LABEL

pytestmark = pytest.mark.e2e

with contextlib.suppress(ImportError):  # without it, the playwright fixture skips the test
    from playwright.sync_api import Page, expect

HOST_PROBLEM = host_problem("root", "docker")
SHORT = f"{os.getpid() % 100000}"
NEW_MODULES = ("js/views/volumes.js", "js/views/containers.js")
SHELL_ARGS = [
    ["sh", "-c", "echo $X > /data/f"],
    ["sh", "-c", "echo 'hi' > /data/f", "plain-arg"],
    ["say", "\"x\" 'y' \\ `z`", ""],
]

# The browser fixtures of test_dashboard.py, found by name here; `server` and `http` are this
# module's own (a dockyard whose container host is real).
artifacts = test_dashboard.artifacts
playwright = test_dashboard.playwright
browser = test_dashboard.browser
page = test_dashboard.page


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`dockyard` (API + conductor + volume plugin, SQLite) with a container host of its own."""
    tmp = tmp_path_factory.mktemp("dashboard-volumes")
    host = {
        "host_name": f"ui{SHORT}",
        "state_dir": str(tmp / "host"),
        "run_dir": f"/run/dyui{SHORT}",
    }
    sections: dict[str, dict[str, Any]] = {
        "containers": {**host, "stop_timeout": 2},
        "volume": {"local_root": str(tmp / "volumes")},
    }
    srv = start_server(tmp, sections=sections)
    try:
        yield srv
    finally:
        srv.stop()
        if HOST_PROBLEM is None:  # the host runs in a session of its own: stop and remove it
            settings = HostEngineSettings(host["host_name"], host["state_dir"], host["run_dir"])
            engine = HostEngine(settings)
            left = engine_containers(engine) if engine.status().answers else []
            problems = engine.destroy()
            # The volumes' root is a shared bind mount of itself (docs/volumes.md).
            unmount_below(str(tmp / "volumes"))
            run(["umount", "-l", str(tmp / "volumes")], check=False)
            assert left == [] and problems == []


def engine_containers(engine: HostEngine) -> list[str]:
    """Names of the Dockyard containers the host's engine still has."""
    client = engine.client()
    try:
        return [c.name for c in client.containers.list(all=True, filters={"label": LABEL})]
    finally:
        client.close()


@pytest.fixture(scope="module")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=LATEST, timeout=30) as client:
        yield client


def detail_of(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["detail"])


@require_host("root", "docker", "chromium")
def test_volume_and_containers_in_the_browser(
    page: Page, server: Server, http: httpx.Client, artifacts: Path
) -> None:
    """Volume create/rename/grow, a writer and a reader container on it, the in-use 409 shown
    verbatim, stop and deletes: a real container host, all from one page session."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    open_ui(page, server, "#/volumes")
    nav = page.get_by_role("navigation", name="Main")
    expect(page.get_by_role("heading", name="Volumes", level=1)).to_be_visible()
    expect(nav.get_by_role("link", name="Volumes")).to_have_attribute("aria-current", "page")
    page.evaluate("window.__sameDocument = true")

    # The keyboard opens and closes the dialog, and the focus returns to its button.
    create = page.get_by_role("button", name="Create volume")
    create.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Create volume")
    expect(dialog.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(create).to_be_focused()

    # A volume from the create dialog; a bad name never reaches the API.
    create.click()
    dialog.get_by_label("Name", exact=True).fill("-scratch")
    dialog.get_by_label("Size (GiB)").fill("2")
    dialog.get_by_label("Volume driver").select_option("local")
    before = len(requests)
    dialog.get_by_role("button", name="Create volume").click()
    expect(dialog.get_by_text("Name must start with a letter or digit")).to_be_visible()
    expect(dialog.get_by_label("Name", exact=True)).to_be_focused()
    assert not [r for r in requests[before:] if r.startswith("POST")]
    dialog.get_by_label("Name", exact=True).fill("scratch")
    shot(page, artifacts, "volume-create-dialog")
    dialog.get_by_role("button", name="Create volume").click()
    expect(dialog).to_be_hidden()
    row = page.locator('tr[data-volume="scratch"]')
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "available")
    expect(row.locator("[data-attachments]")).to_have_text("0")
    expect(row).to_contain_text("local")
    made = http.get("/v1/volumes/scratch").json()
    assert (made["size"], made["volume_driver"], made["options"]) == (
        2,
        "local",
        {"fstype": "ext4", "multiattach": False},
    )

    # Rename, then grow: a shrink is caught in the page, a size past the server's maximum is
    # the API's to refuse (shown verbatim), and a real grow goes out as a JSON patch.
    row.get_by_role("link", name="scratch").click()
    expect(page.get_by_role("heading", name="Volume scratch", level=1)).to_be_focused()
    page.get_by_role("button", name="Rename").click()
    dialog = page.get_by_role("dialog", name="Rename volume scratch")
    dialog.get_by_label("New name").fill("e2e-data")
    dialog.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Volume e2e-data", level=1)).to_be_visible()
    grow = page.get_by_role("button", name="Grow")
    grow.click()
    dialog = page.get_by_role("dialog", name="Grow volume e2e-data")
    dialog.get_by_label("New size (GiB)").fill("1")
    before = len(requests)
    dialog.get_by_role("button", name="Grow").click()
    expect(
        dialog.get_by_text("Size must be at least 2 GiB: a volume can grow, not shrink.")
    ).to_be_visible()
    assert not [r for r in requests[before:] if r.startswith("PATCH")]
    too_big = [{"op": "replace", "path": "/size", "value": 999999}]
    expected = detail_of(http.patch(f"/v1/volumes/{made['uuid']}", json=too_big))
    dialog.get_by_label("New size (GiB)").fill("999999")
    dialog.get_by_role("button", name="Grow").click()
    alert = dialog.get_by_role("alert")
    expect(alert.locator(".error-detail")).to_have_text(expected)
    expect(alert).to_contain_text("HTTP 400")
    dialog.get_by_label("New size (GiB)").fill("3")
    dialog.get_by_role("button", name="Grow").click()
    expect(dialog).to_be_hidden()
    expect(grow).to_be_focused()  # the focus returns to the button that opened the dialog
    expect(page.locator("dt:text-is('Size (GiB)') + dd")).to_have_text("3")
    assert http.get(f"/v1/volumes/{made['uuid']}").json()["size"] == 3

    # A container run from the volume's page writes to it and keeps running.
    page.get_by_role("button", name="Run a container").click()
    dialog = page.get_by_role("dialog", name="Create container")
    expect(dialog.get_by_label("One volume, by name")).to_be_checked()
    expect(dialog.get_by_label("Volume name")).to_have_value("e2e-data")
    dialog.get_by_label("Name", exact=True).fill("writer")
    dialog.get_by_label("Command").fill(
        "sh -c \"echo $GREETING > /data/msg; cat /data/msg; trap 'exit 0' TERM; "
        'while :; do sleep 1; done"'
    )
    dialog.get_by_label("Environment").fill("GREETING=hello from the writer")
    shot(page, artifacts, "container-create-dialog")
    dialog.get_by_role("button", name="Create container").click()
    expect(page.get_by_role("heading", name="Container writer", level=1)).to_be_visible()
    status = page.locator(".status-panel [data-status]")
    expect(status).to_have_attribute("data-status", "Running")
    logs = page.get_by_label("Container output")
    expect(logs).to_have_text("hello from the writer")
    expect(page.locator("[data-command]")).to_contain_text("echo $GREETING > /data/msg")
    expect(
        page.locator('tr[data-mount="/data"]').get_by_role("link", name="e2e-data")
    ).to_be_visible()
    expect(page.get_by_role("region", name="Environment")).to_contain_text("GREETING")
    logs.scroll_into_view_if_needed()
    shot(page, artifacts, "container-running")
    writer = http.get("/v1/containers/writer").json()
    assert writer["environment"] == {"GREETING": "hello from the writer"}
    assert writer["mounts"] == [
        {"type": "volume", "source": made["uuid"], "destination": "/data", "read_only": False}
    ]

    # Delete while running: the confirmation says so, and the delete is forced.
    page.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete container")
    expect(confirm).to_contain_text("is running")
    confirm.get_by_role("button", name="Stop and delete").click()
    expect(page.get_by_role("heading", name="Containers", level=1)).to_be_visible()
    expect(page.locator('tr[data-container="writer"]')).to_have_count(0)
    assert any(r.startswith("DELETE ") and r.endswith("?force=true") for r in requests)
    assert http.get("/v1/containers/writer").status_code == 404

    # A second container mounts the volume read-only and reads what the first one wrote.
    page.get_by_role("button", name="Create container").click()
    dialog = page.get_by_role("dialog", name="Create container")
    dialog.get_by_label("Name", exact=True).fill("reader")
    dialog.get_by_label("No volume").focus()  # the storage choice is a radio group
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(dialog.get_by_label("Mounts (existing volumes")).to_be_checked()
    dialog.get_by_role("textbox", name="Mounts", exact=True).fill("e2e-data:/in:ro")
    dialog.get_by_label("Command").fill(
        "sh -c \"cat /in/msg; trap 'exit 0' TERM; while :; do sleep 1; done\""
    )
    dialog.get_by_role("button", name="Create container").click()
    expect(page.get_by_role("heading", name="Container reader", level=1)).to_be_visible()
    expect(status).to_have_attribute("data-status", "Running")
    expect(logs).to_have_text("hello from the writer")
    mount = page.locator('tr[data-mount="/in"]')
    expect(mount).to_contain_text("Yes")  # read-only
    logs.scroll_into_view_if_needed()
    shot(page, artifacts, "container-reader")

    # The volume is in use: its page shows the attachment and who mounts it, and a DELETE is
    # refused with the API's own words.
    mount.get_by_role("link", name="e2e-data").click()
    expect(page.get_by_role("heading", name="Volume e2e-data", level=1)).to_be_visible()
    expect(page.locator(".status-panel [data-status]")).to_have_attribute("data-status", "in-use")
    expect(page.locator("tr[data-attachment]")).to_have_count(1)
    expect(page.locator("tr[data-attachment]")).to_contain_text(f"host:ui{SHORT}")
    expect(page.locator('tr[data-user="reader"]')).to_contain_text("/in")
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete volume").get_by_role(
        "button", name="Delete volume"
    ).click()
    alert = page.get_by_role("alert")
    expected = detail_of(http.delete(f"/v1/volumes/{made['uuid']}"))
    assert "is attached" in expected, expected
    expect(alert.locator(".error-detail")).to_have_text(expected)
    expect(alert).to_contain_text("HTTP 409")
    expect(alert).to_be_focused()
    shot(page, artifacts, "volume-in-use-409")
    nav.get_by_role("link", name="Volumes").click()
    row = page.locator('tr[data-volume="e2e-data"]')
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "in-use")
    expect(row.locator("[data-attachments]")).to_have_text("1")
    shot(page, artifacts, "volumes")

    # Clean up from the page: stop the reader (the volume is released), delete it, delete
    # the volume.
    nav.get_by_role("link", name="Containers").click()
    expect(page.locator('tr[data-container="reader"]')).to_contain_text(f"ui{SHORT}")
    shot(page, artifacts, "containers")
    page.get_by_role("link", name="reader").click()
    page.get_by_role("button", name="Stop").click()
    expect(status).to_have_attribute("data-status", "Stopped")
    expect(page.get_by_role("button", name="Start")).to_be_enabled()
    page.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete container")
    confirm.get_by_role("button", name="Delete container").click()
    expect(page.get_by_role("heading", name="Containers", level=1)).to_be_visible()
    expect(page.locator('tr[data-container="reader"]')).to_have_count(0)
    nav.get_by_role("link", name="Volumes").click()
    page.get_by_role("link", name="e2e-data").click()
    expect(page.locator(".status-panel [data-status]")).to_have_attribute(
        "data-status", "available"
    )
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete volume").get_by_role(
        "button", name="Delete volume"
    ).click()
    expect(page.get_by_role("heading", name="Volumes", level=1)).to_be_visible()
    expect(page.locator('tr[data-volume="e2e-data"]')).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert http.get("/v1/containers").json()["containers"] == []
    assert http.get("/v1/volumes").json()["volumes"] == []


def test_page_helpers_for_volumes_and_containers(page: Page, server: Server) -> None:
    """The pure helpers, run in the browser itself."""
    open_ui(page, server, "#/login")
    result = page.evaluate(
        """async (SHELL_ARGS) => {
          const c = await import('./js/views/containers.js');
          const v = await import('./js/views/volumes.js');
          return {
            env: [
              c.parseEnvironment('A=1\\nB = x=y z\\n\\n'),
              c.parseEnvironment('A=1\\nA=2\\noops'),
            ],
            mounts: [
              c.parseMounts('data:/data\\n/srv/in:/in:ro\\n'),
              c.parseMounts('data:rel\\nx\\nd:/a:rx'),
              c.parseMounts('a:/d\\nb:/d'),
            ],
            shell: SHELL_ARGS.map((args) => c.shellJoin(args)),
            names: ['ok.name-1', '-bad', 'has space', '123e4567-e89b-12d3-a456-426614174000', '']
              .map(v.checkVolumeName),
            bytes: [0, 1023, 1024, 1536, 5 * 1024 ** 3].map(v.fmtBytes),
          };
        }""",
        SHELL_ARGS,
    )
    assert result["env"][0] == {"environment": {"A": "1", "B": " x=y z"}, "error": None}
    assert result["env"][1]["error"] == (
        'A is given twice. Environment lines must be NAME=value, not "oops".'
    )
    assert result["mounts"][0] == {
        "mounts": [
            {"source": "data", "destination": "/data", "type": "volume", "read_only": False},
            {"source": "/srv/in", "destination": "/in", "type": "bind", "read_only": True},
        ],
        "error": None,
    }
    assert result["mounts"][1]["error"] == (
        'The destination of "data:rel" must be an absolute path. '
        'Mounts must be source:/destination or source:/destination:ro, not "x". '
        'The mode of "d:/a:rx" must be ro or rw.'
    )
    assert result["mounts"][2]["error"] == "Two mounts share one destination."
    # The command line shown splits back into the same arguments, as the API splits it.
    assert [shlex.split(line) for line in result["shell"]] == SHELL_ARGS
    assert result["shell"][:2] == [
        "sh -c 'echo $X > /data/f'",
        """sh -c "echo 'hi' > /data/f" plain-arg""",
    ]
    assert result["names"][0] is None and result["names"][4] is None
    assert result["names"][1].startswith("Name must start with a letter or digit")
    assert result["names"][2].startswith("Name must start with a letter or digit")
    assert result["names"][3] == "Name must not be a UUID."
    assert result["bytes"] == ["0 B", "1023 B", "1.00 KiB", "1.50 KiB", "5.00 GiB"]


# -- static: no browser, no container host ----------------------------------------------------
def test_new_pages_are_routed_navigable_and_served(tmp_path: Path) -> None:
    """main.js routes both pages, the top bar links them, and the files are served as
    JavaScript modules."""
    main = (ui.UI_ROOT / "js/main.js").read_text()
    index = (ui.UI_ROOT / "index.html").read_text()
    for name in ("volumes", "containers"):
        assert f"from './views/{name}.js'" in main
        assert f"[/^\\/{name}\\/?$/, '{name}'," in main
        assert f"[/^\\/{name}\\/([^/]+)$/, '{name}'," in main
        assert f'<a href="#/{name}" data-nav="{name}">' in index
    runtime = make_runtime(tmp_path, f"sqlite:///{tmp_path / 'dockyard.sqlite'}")
    from fastapi.testclient import TestClient

    with TestClient(create_app(runtime)) as client:
        for path in NEW_MODULES:
            response = client.get(f"/ui/{path}")
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    runtime.db.dispose()


def _calls(source: str) -> list[tuple[str, str]]:
    """(METHOD, /v1/path with {} for each interpolation) for every API call in `source`."""
    found = []
    for method, quoted in re.findall(
        r"(?:api\.(get|post|patch|delete)|listAll)\(\s*([`'][^`']*[`'])", source
    ):
        path = re.sub(r"\$\{[^}]*\}", "{}", quoted[1:-1]).split("?")[0]
        path = re.sub(r"(?<=[^/])\{\}$", "", path)  # a query string put together before
        found.append(((method or "get").upper(), path))
    return found


def test_new_pages_call_only_endpoints_the_api_serves(tmp_path: Path) -> None:
    """Every API call in the new modules is a route of the app, and nothing inserts HTML."""
    runtime = make_runtime(tmp_path, f"sqlite:///{tmp_path / 'dockyard.sqlite'}")
    routes = [
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, methods in create_app(runtime).openapi()["paths"].items()
        for method in methods
    ]
    runtime.db.dispose()
    seen: set[tuple[str, str]] = set()
    for path in NEW_MODULES:
        source = (ui.UI_ROOT / path).read_text()
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, path
        for call in _calls(source):
            assert call in routes, f"{path} calls {call}, which the API does not serve"
            seen.add(call)
    assert seen >= {
        ("GET", "/v1/volumes"), ("POST", "/v1/volumes"), ("GET", "/v1/volumes/{}"),
        ("PATCH", "/v1/volumes/{}"), ("DELETE", "/v1/volumes/{}"),
        ("GET", "/v1/containers"), ("POST", "/v1/containers"), ("GET", "/v1/containers/{}"),
        ("GET", "/v1/containers/{}/logs"), ("DELETE", "/v1/containers/{}"),
        ("POST", "/v1/containers/{}/start"), ("POST", "/v1/containers/{}/stop"),
    }, seen  # fmt: skip
