"""The dashboard's files as served by `api/routes/ui.py` (in-process, no browser needed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_runtime
from fastapi.testclient import TestClient

from dockyard.api.app import create_app
from dockyard.api.routes import ui

UI_FILES = sorted(
    p.relative_to(ui.UI_ROOT).as_posix() for p in ui.UI_ROOT.rglob("*") if p.is_file()
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app in-process, without a conductor: these tests only read files."""
    tmp = tmp_path_factory.mktemp("ui")
    runtime = make_runtime(tmp, f"sqlite:///{tmp / 'dockyard.sqlite'}")
    with TestClient(create_app(runtime)) as test_client:
        yield test_client
    runtime.db.dispose()


def test_ui_redirects_to_the_index_and_serves_it_with_a_strict_csp(client: TestClient) -> None:
    for path in ("/ui", "/ui/index.html"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == "/ui/"
    response = client.get("/ui/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="js/main.js">' in response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", UI_FILES)
def test_every_file_is_served_with_its_type(client: TestClient, path: str) -> None:
    response = client.get(f"/ui/{path}")
    assert response.status_code == 200, path
    assert response.headers["content-type"] == ui._TYPES[Path(path).suffix]


def test_the_page_loads_nothing_from_elsewhere() -> None:
    """No CDN, no inline script: every URL in the files is relative or same-origin."""
    for path in UI_FILES:
        text = (ui.UI_ROOT / path).read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "http://" not in text.replace("http://localhost", ""), path
        assert "https://" not in text, path
        if path.endswith(".html"):
            assert "<script>" not in text and "onclick=" not in text, path


@pytest.mark.parametrize(
    "path",
    [
        "/ui/../pyproject.toml",
        "/ui/%2e%2e/api/app.py",
        "/ui/..%2f..%2fpyproject.toml",
        "/ui/js/../../api/app.py",
        "/ui/missing.js",
        "/ui/js",
        "/ui/.hidden.js",
    ],
)
def test_nothing_outside_the_ui_folder_is_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "import" not in response.text


def test_config_tells_the_page_how_to_authenticate_and_which_volume_drivers(
    client: TestClient,
) -> None:
    response = client.get("/ui/config.json")
    assert response.status_code == 200
    assert response.json() == {
        "auth_strategy": "noauth",
        "api_min_version": "1.1",
        "api_max_version": "1.14",
        "volume_drivers": ["local", "cinder"],
        "default_volume_driver": "local",
    }
    assert response.headers["cache-control"] == "no-store"


def test_ui_paths_are_not_api_paths(client: TestClient) -> None:
    """No microversion negotiation under /ui, and / still answers version discovery."""
    response = client.get("/ui/", headers={"OpenStack-API-Version": "container-infra 9.9"})
    assert response.status_code == 200
    assert "openstack-api-version" not in response.headers
    assert client.get("/").json()["versions"][0]["id"] == "v1"
