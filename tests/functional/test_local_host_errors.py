"""A host that cannot run local clusters gets a clear 400 at template create, not a traceback."""

from __future__ import annotations

from pathlib import Path

import httpx
from conftest import LATEST, start_server


def test_template_create_says_why_the_host_cannot_run_local_clusters(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, "dockyard", {"local_driver": {"dockerd": "/nonexistent/dockerd"}}
    )
    try:
        response = httpx.post(
            f"{server.url}/v1/clustertemplates",
            json={"coe": "swarm-mode", "image_id": "dockyard-node", "name": "swarm"},
            headers=LATEST,
            timeout=30,
        )
        assert response.status_code == 400, response.text
        error = response.json()["errors"][0]
        assert error["title"].startswith(
            "swarm-mode on dockyard-node (vm) needs the driver local (dockerds on this machine), "
            "which cannot build clusters here"
        )
        assert "/nonexistent/dockerd" in error["detail"]
        listed = httpx.get(f"{server.url}/v1/clustertemplates", headers=LATEST).json()
        assert listed["clustertemplates"] == []
    finally:
        server.stop()
