"""Issue 15: the dashboard without traps, driven in headless Chromium.

Each trap a new user met is a test here: storage fields of the container dialog, the top bar
at 1280 and 900 px, the Admin menu for members and readers, actions that could only fail,
the in-use template, search/filter/sort/bulk delete, the image catalog as a list, and the
overview page. Screenshots at 1280x800 and 900x700 go to $DOCKYARD_ARTIFACTS/e2e.

Browser and server fixtures come from test_dashboard.py (a real `dockyard`, SQLite, the
TEST-ONLY fake driver). Names are unique per test: the server is shared and the order random.
"""

from __future__ import annotations

import contextlib
import re
import uuid as uuidlib
from pathlib import Path
from typing import Any

import httpx
import pytest
import test_dashboard
from conftest import Server, make_runtime
from harness.waiting import wait_until
from test_dashboard import TIMEOUT_MS, open_ui, shot
from test_dashboard_volumes import _calls

from dockyard.api.app import create_app
from dockyard.api.routes import ui

with contextlib.suppress(ImportError):  # without it, the playwright fixture skips the test
    from playwright.sync_api import Page, Route, ViewportSize, expect

pytestmark = pytest.mark.e2e

artifacts = test_dashboard.artifacts
playwright = test_dashboard.playwright
browser = test_dashboard.browser
page = test_dashboard.page
server = test_dashboard.server
http = test_dashboard.http

NARROW: ViewportSize = {"width": 900, "height": 700}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuidlib.uuid4().hex[:6]}"


def make_template(http: httpx.Client, name: str, **labels: str) -> dict[str, Any]:
    response = http.post(
        "/v1/clustertemplates",
        json={"name": name, "coe": "kubernetes", "image_id": "fedora-atomic-latest",
              "labels": labels},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_cluster(http: httpx.Client, name: str, template: str, **labels: str) -> str:
    response = http.post(
        "/v1/clusters", json={"name": name, "cluster_template_id": template, "labels": labels}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["uuid"])


def wait_status(http: httpx.Client, ident: str, status: str) -> None:
    wait_until(
        lambda: http.get(f"/v1/clusters/{ident}").json().get("status") == status,
        30, f"cluster {ident} {status}", interval=0.2,
    )  # fmt: skip


def sign_in(page: Page, server: Server, *, roles: str = "", project: str = "") -> None:
    open_ui(page, server, "#/login")
    page.get_by_label("Project ID").fill(project)
    page.get_by_label("Roles").fill(roles)
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_selector('html[data-route="#/clusters"]')


def one_line(page: Page) -> None:
    """Every item of the top bar sits inside its 52 px and inside the viewport."""
    bar = page.locator("header.topbar").bounding_box()
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert bar is not None and bar["height"] == 52
    items = page.locator(
        "header.topbar .brand, header.topbar .nav > li:not([hidden]), #session > *:visible"
    )
    for i in range(items.count()):
        box = items.nth(i).bounding_box()
        assert box is not None
        text = items.nth(i).inner_text()
        assert box["y"] >= bar["y"] and box["y"] + box["height"] <= bar["y"] + bar["height"], (
            f"{text!r} is outside the top bar: {box}"
        )
        assert box["x"] + box["width"] <= width, f"{text!r} is cut off at {width}px: {box}"


# -- the create-container dialog -----------------------------------------------------------
def test_storage_fields_show_only_for_the_chosen_storage(page: Page, server: Server) -> None:
    """'No volume' hides (and does not require) the volume fields; a name typed for 'One
    volume' goes out as vol_name."""
    # What the page sends is what this test checks: each POST is recorded and not let through
    # (a container host is not what this test is about; the page then shows a network error).
    posted: list[Any] = []

    def record(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posted.append(route.request.post_data_json)
        route.abort()

    page.route("**/v1/containers", record)
    open_ui(page, server, "#/containers")
    page.get_by_role("button", name="Create container").click()
    dialog = page.get_by_role("dialog", name="Create container")
    expect(dialog.get_by_label("No volume")).to_be_checked()
    field = {
        n: dialog.locator(f'[name="{n}"]')
        for n in ("vol_name", "vol_size", "vol_destination", "mounts")
    }
    for locator in field.values():
        expect(locator).to_have_count(1)  # there, and hidden
        expect(locator).to_be_hidden()
    dialog.get_by_label("One volume, by name").check()
    expect(field["vol_name"]).to_be_visible()
    expect(field["mounts"]).to_be_hidden()
    dialog.get_by_label("Volume name").fill("keep-me")
    dialog.get_by_label("Size of a new volume (GiB)").fill("1")
    dialog.get_by_label("Mounts (existing volumes").check()
    expect(field["vol_name"]).to_be_hidden()
    expect(field["mounts"]).to_be_visible()
    dialog.get_by_label("No volume").check()
    expect(field["mounts"]).to_be_hidden()
    dialog.get_by_label("Name", exact=True).fill(unique("plain"))
    dialog.get_by_role("button", name="Create container").click()
    wait_until(lambda: bool(posted), 10, "the create request")
    expect(dialog.get_by_text("is required")).to_have_count(0)
    assert "vol_name" not in posted[0] and "mounts" not in posted[0]

    dialog.get_by_label("One volume, by name").check()
    expect(dialog.get_by_label("Volume name")).to_have_value("keep-me")
    dialog.get_by_role("button", name="Create container").click()
    wait_until(lambda: len(posted) == 2, 10, "the second create request")
    assert posted[1]["vol_name"] == "keep-me" and posted[1]["vol_size"] == 1
    assert posted[1]["vol_destination"] == "/data"


# -- the top bar ----------------------------------------------------------------------------
def test_top_bar_stays_on_one_line_at_1280_and_900(
    page: Page, server: Server, artifacts: Path
) -> None:
    sign_in(page, server, roles="admin", project="a-rather-long-project-id-0123456789abcdef")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("button", name="Admin")).to_be_visible()
    one_line(page)
    shot(page, artifacts, "topbar-1280")
    page.set_viewport_size(NARROW)
    one_line(page)
    expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport(ratio=1)
    shot(page, artifacts, "topbar-900")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_in_viewport(ratio=1)
    one_line(page)


# -- roles ----------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["member", "reader"])
def test_admin_menu_and_forbidden_actions_are_hidden_by_role(
    page: Page, server: Server, http: httpx.Client, artifacts: Path, role: str
) -> None:
    name = unique(f"role-{role}")
    make_template(http, name)
    sign_in(page, server, roles=role)
    expect(page.get_by_role("heading", name="Clusters", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Admin")).to_be_hidden()
    expect(page.get_by_role("link", name="Quotas")).to_have_count(0)
    create = page.get_by_role("button", name="Create cluster", exact=True)
    expect(create).to_have_count(1 if role == "member" else 0)
    page.get_by_role("link", name="Cluster templates").click()
    row = page.locator(f'tr[data-template="{name}"]')
    expect(row).to_be_visible()
    expect(row.get_by_role("button", name=f"Create cluster from {name}")).to_have_count(
        1 if role == "member" else 0
    )
    expect(page.get_by_role("button", name="Create cluster template")).to_have_count(
        1 if role == "member" else 0
    )
    expect(page.get_by_role("button", name="Delete selected")).to_have_count(
        1 if role == "member" else 0
    )
    shot(page, artifacts, f"templates-as-{role}")


def test_admin_sees_the_admin_menu(page: Page, server: Server) -> None:
    open_ui(page, server, "#/clusters")
    admin = page.get_by_role("button", name="Admin")
    expect(admin).to_have_attribute("aria-expanded", "false")
    admin.click()
    expect(admin).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")  # closes, and the focus returns to the button
    expect(page.get_by_role("link", name="Quotas")).to_be_hidden()
    expect(admin).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Quotas")).to_be_visible()
    page.get_by_role("link", name="Services").click()
    expect(page.get_by_role("heading", name="Services", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Quotas")).to_be_hidden()  # the menu closed


# -- actions that can only fail -------------------------------------------------------------
def test_actions_that_can_only_fail_are_disabled_with_the_reason(
    page: Page, server: Server, http: httpx.Client, artifacts: Path
) -> None:
    template = unique("tpl-fail")
    make_template(http, template)
    failed = make_cluster(http, unique("broken"), template, fake_fail="create")
    wait_status(http, failed, "CREATE_FAILED")
    open_ui(page, server, f"#/clusters/{failed}")
    expect(page.get_by_role("button", name="Scale")).to_be_disabled()
    expect(page.get_by_role("button", name="Download config")).to_be_disabled()
    note = page.locator("#actions-note")
    expect(note).to_contain_text("cannot be scaled: delete it and create it again")
    expect(note).to_contain_text("once the cluster is ready (it is CREATE_FAILED")
    expect(page.get_by_role("button", name="Delete")).to_be_enabled()
    shot(page, artifacts, "cluster-failed-actions")

    slow = make_cluster(http, unique("slow"), template, fake_seconds="20")
    open_ui(page, server, f"#/clusters/{slow}")
    expect(page.get_by_role("button", name="Download config")).to_be_disabled()
    expect(page.get_by_role("button", name="Scale")).to_be_disabled()
    expect(page.locator("#actions-note")).to_contain_text("waits until the running operation")
    assert http.delete(f"/v1/clusters/{slow}").status_code == 204


def test_an_in_use_template_names_its_clusters_and_edits_what_may_change(
    page: Page, server: Server, http: httpx.Client, artifacts: Path
) -> None:
    name = unique("tpl-used")
    template = make_template(http, name)
    cluster = unique("user")
    make_cluster(http, cluster, name)

    # The API's 409 names the cluster (and the CLI prints it: the title is the whole message).
    refused = http.delete(f"/v1/clustertemplates/{name}")
    assert refused.status_code == 409
    error = refused.json()["errors"][0]
    assert f"In use by {cluster}. Delete those clusters first" in error["detail"]
    assert cluster in error["title"]

    open_ui(page, server, f"#/templates/{template['uuid']}")
    expect(page.get_by_role("button", name="Delete")).to_be_disabled()
    expect(page.locator("#template-in-use")).to_contain_text(f"In use by {cluster}")
    shot(page, artifacts, "template-in-use")

    patches: list[Any] = []
    page.on("request", lambda r: patches.append(r.post_data_json) if r.method == "PATCH" else None)
    page.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name=f"Edit cluster template {name}")
    expect(dialog.get_by_role("note")).to_contain_text(f"In use by {cluster}")
    expect(dialog.get_by_label("Image")).to_be_disabled()
    expect(dialog.get_by_label("DNS nameserver")).to_be_disabled()
    dialog.get_by_label("Tags").fill("shared")
    dialog.get_by_label("Name", exact=True).fill(f"{name}-v2")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    assert patches == [
        [{"op": "replace", "path": "/name", "value": f"{name}-v2"}],
        [{"op": "add", "path": "/tags", "value": "shared"}],
    ]
    saved = http.get(f"/v1/clustertemplates/{template['uuid']}").json()
    assert (saved["name"], saved["tags"]) == (f"{name}-v2", "shared")

    # In the list, its checkbox and row Delete are disabled with the reason.
    open_ui(page, server, "#/templates")
    row = page.locator(f'tr[data-template="{name}-v2"]')
    expect(row.get_by_role("checkbox")).to_be_disabled()
    expect(row.get_by_role("button", name=f"Delete template {name}-v2")).to_have_attribute(
        "title", f"In use by {cluster}"
    )


# -- lists ----------------------------------------------------------------------------------
def test_search_filter_sort_and_bulk_delete(
    page: Page, server: Server, http: httpx.Client, artifacts: Path
) -> None:
    tag = uuidlib.uuid4().hex[:6]
    template = unique("tpl-list")
    make_template(http, template)
    names = [f"{n}-{tag}" for n in ("alpha", "bravo", "charlie")]
    uuids = {n: make_cluster(http, n, template) for n in names[:2]}
    uuids[names[2]] = make_cluster(http, names[2], template, fake_fail="create")
    for n in names[:2]:
        wait_status(http, uuids[n], "CREATE_COMPLETE")
    wait_status(http, uuids[names[2]], "CREATE_FAILED")

    open_ui(page, server, "#/clusters")
    page.get_by_label("Search clusters").fill(tag)
    rows = page.locator("tbody tr[data-cluster]")
    expect(rows).to_have_count(3)
    expect(page.locator(".list-count")).to_have_text(re.compile(r"^3 (of \d+ )?clusters$"))

    # Sorted by name at first; a click on the header sorts the other way, another back.
    name_header = page.locator("th", has=page.get_by_role("button", name="Name"))
    expect(name_header).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_have_attribute("data-cluster", names[0])
    page.get_by_role("button", name="Name").click()
    expect(name_header).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_have_attribute("data-cluster", names[2])
    page.get_by_role("button", name="Status").click()
    expect(rows.first).to_have_attribute("data-cluster", names[0])  # CREATE_COMPLETE first
    expect(rows.last).to_have_attribute("data-cluster", names[2])  # CREATE_FAILED last

    # Filter by status; the search still applies.
    page.get_by_label("Status", exact=True).select_option("CREATE_FAILED")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-cluster", names[2])
    page.get_by_label("Status", exact=True).select_option("")
    page.get_by_label("Search clusters").fill(f"bravo-{tag}")
    expect(rows).to_have_count(1)
    shot(page, artifacts, "clusters-search")

    # Bulk delete two, after one confirmation.
    page.get_by_label("Search clusters").fill(tag)
    expect(rows).to_have_count(3)
    page.get_by_role("checkbox", name=f"Select {names[0]}").check()
    page.get_by_role("checkbox", name=f"Select {names[2]}").check()
    page.get_by_role("button", name="Delete selected (2)").click()
    confirm = page.get_by_role("dialog", name="Delete 2 clusters")
    expect(confirm).to_contain_text(f"{names[0]}, {names[2]}")
    confirm.get_by_role("button", name="Delete").click()
    expect(rows).to_have_count(1, timeout=TIMEOUT_MS)
    expect(rows.first).to_have_attribute("data-cluster", names[1])
    for n in (names[0], names[2]):
        test_dashboard.wait_gone(http, uuids[n])
    assert http.get(f"/v1/clusters/{uuids[names[1]]}").status_code == 200

    # A row action: delete the last one from its row.
    page.get_by_role("button", name=f"Delete cluster {names[1]}").click()
    page.get_by_role("dialog", name="Delete cluster").get_by_role(
        "button", name="Delete cluster"
    ).click()
    expect(rows).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.locator("tbody td.empty")).to_have_text("No clusters match.")


def test_template_dialog_picks_the_image_from_the_catalog(
    page: Page, server: Server, http: httpx.Client
) -> None:
    catalog = http.get("/v1/images").json()
    assert catalog["listed"] is True
    names = [i["name"] for i in catalog["images"]]
    assert "fedora-atomic-latest" in names
    open_ui(page, server, "#/templates")
    page.get_by_role("button", name="Create cluster template").click()
    dialog = page.get_by_role("dialog", name="Create cluster template")
    image = dialog.get_by_label("Image")
    assert image.evaluate("e => e.tagName") == "SELECT"
    values = image.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert values == ["", *names]
    name = unique("picked")
    dialog.get_by_label("Name", exact=True).fill(name)
    image.select_option("coreos-stable")
    dialog.get_by_role("button", name="Create template").click()
    expect(page.get_by_role("heading", name=f"Cluster template {name}")).to_be_visible()
    assert http.get(f"/v1/clustertemplates/{name}").json()["image_id"] == "coreos-stable"


# -- overview -------------------------------------------------------------------------------
def test_overview_counts_states_failures_and_certificate_expiry(
    page: Page, server: Server, http: httpx.Client, artifacts: Path
) -> None:
    template = unique("tpl-ov")
    make_template(http, template)
    good = unique("ov-good")
    bad = unique("ov-bad")
    good_uuid = make_cluster(http, good, template)
    bad_uuid = make_cluster(http, bad, template, fake_fail="create")
    wait_status(http, good_uuid, "CREATE_COMPLETE")
    wait_status(http, bad_uuid, "CREATE_FAILED")
    # Other tests of this module may have left clusters being deleted: wait until none is
    # busy, so the page and this count see the same set.
    clusters = wait_until(
        lambda: http.get("/v1/clusters").json()["clusters"], 60, "no cluster in progress",
        until=lambda cs: not any(c["status"].endswith("_IN_PROGRESS") for c in cs),
    )  # fmt: skip
    by_status: dict[str, int] = {}
    for c in clusters:
        by_status[c["status"]] = by_status.get(c["status"], 0) + 1

    open_ui(page, server, "#/overview")
    expect(page.locator('[data-total="clusters"]')).to_have_text(str(len(clusters)))
    for status, count in by_status.items():
        expect(page.locator(f'[data-count="clusters:{status}"] .count')).to_have_text(str(count))
    failure = page.locator(f'tr[data-failure="{bad}"]')
    expect(failure).to_contain_text("CREATE_FAILED")
    expect(failure.get_by_role("link", name=bad)).to_have_attribute(
        "href", re.compile(rf"#/clusters/{bad_uuid}\?tab=timeline")
    )
    certs = http.get(f"/v1/clusters/{good_uuid}/certificates").json()["certificates"]
    assert certs, "the fake driver records certificates"
    soonest = min(c["days_left"] for c in certs)
    expect(page.locator("tr[data-cert-cluster] [data-days-left]").first).to_be_visible()
    shown = page.locator("[data-days-left]").evaluate_all(
        "els => els.map(e => Number(e.dataset.daysLeft))"
    )
    assert shown == sorted(shown) and shown[0] <= soonest
    shot(page, artifacts, "overview-1280")
    page.set_viewport_size(NARROW)
    shot(page, artifacts, "overview-900")


def test_screenshots_of_the_main_pages_at_two_widths(
    page: Page, server: Server, http: httpx.Client, artifacts: Path
) -> None:
    """The pages at 1280x800 and 900x700: nothing sticks out past the right edge."""
    template = unique("tpl-shot")
    make_template(http, template)
    uuid = make_cluster(http, unique("shot"), template)
    wait_status(http, uuid, "CREATE_COMPLETE")
    routes = {
        "overview": "#/overview",
        "clusters": "#/clusters",
        "cluster": f"#/clusters/{uuid}",
        "templates": "#/templates",
        "volumes": "#/volumes",
        "containers": "#/containers",
    }
    for width, size in (("1280", test_dashboard.VIEWPORT), ("900", NARROW)):
        page.set_viewport_size(size)
        for name, route in routes.items():
            open_ui(page, server, route)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways at {width}px by {overflow}px"
            shot(page, artifacts, f"{name}-{width}")


# -- static: no browser ---------------------------------------------------------------------
def test_every_module_calls_only_endpoints_the_api_serves(tmp_path: Path) -> None:
    """Every API call in every dashboard module is a route of the app."""
    runtime = make_runtime(tmp_path, f"sqlite:///{tmp_path / 'dockyard.sqlite'}")
    routes = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path))
        for path, methods in create_app(runtime).openapi()["paths"].items()
        for method in methods
    }
    runtime.db.dispose()
    seen = set()
    for path in sorted(ui.UI_ROOT.glob("js/**/*.js")):
        source = path.read_text()
        code = re.sub(r"^\s*//.*$", "", source, flags=re.M)  # comments may name what is banned
        assert "innerHTML" not in code and "insertAdjacentHTML" not in code, path
        for method, called in _calls(source):
            # a query put together inside the template literal: `/v1/stats${q ? `?..` : ''}`
            call = (method, called.split("${")[0])
            assert call in routes, f"{path.name} calls {call}, which the API does not serve"
            seen.add(call)
    assert {("GET", "/v1/capabilities"), ("GET", "/v1/images")} <= seen
