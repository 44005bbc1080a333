"""Log levels: an ordinary create is a handful of lines ([DEFAULT] default_log_levels)."""

from __future__ import annotations

from pathlib import Path

import httpx
from conftest import LATEST, Server, start_server
from harness.waiting import wait_until


def _create(server: Server) -> tuple[str, list[str]]:
    """A template and a cluster made and polled to CREATE_COMPLETE; the lines they logged."""
    start = len(server.log.read_text().splitlines())
    with httpx.Client(base_url=server.url, headers=LATEST, timeout=10) as http:
        http.post("/v1/clustertemplates", json={"name": "t", "coe": "kubernetes",
                                                "image_id": "fedora-atomic-latest"})  # fmt: skip
        body = {"name": "c", "cluster_template_id": "t", "labels": {"fake_steps": "3"}}
        uuid = http.post("/v1/clusters", json=body).json()["uuid"]
        wait_until(lambda: http.get(f"/v1/clusters/{uuid}").json()["status"], 30,
                   "CREATE_COMPLETE", until=lambda s: s == "CREATE_COMPLETE")  # fmt: skip
        assert http.get("/v1/clusters/nope").status_code == 404

    def settled() -> list[str]:
        return server.log.read_text().splitlines()[start:]

    # Lines land after the fact: create.complete after its commit, an access line after its
    # response went out.
    lines = wait_until(settled, 10, "the create's log lines",
                       until=lambda ls: any("create.complete" in ln for ln in ls)
                       and any("/v1/clusters/nope" in ln for ln in ls))  # fmt: skip
    return uuid, lines


def test_an_ordinary_create_is_a_handful_of_lines(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        startup = server.log.read_text()
        assert "alembic" not in startup
        assert "database schema upgraded from empty to" in startup
        uuid, lines = _create(server)
    finally:
        server.stop()
    text = "\n".join(lines)
    assert "oslo.messaging.notification" not in text  # the `log` driver's JSON, quiet
    assert " GET /v1/clusters/" + uuid + " 200" not in text  # polling reads, quiet
    assert "GET /v1/clusters/nope 404" in text  # errors are always in the access log
    assert "POST /v1/clusters 202" in text
    for event in ("create.requested", "create.started", "create.complete"):
        assert f"cluster {uuid} {event}" in text, text
    assert "create.progress" not in text  # progress steps are DEBUG
    assert len(lines) <= 8, text


def test_default_log_levels_bring_back_what_was_quiet(tmp_path: Path) -> None:
    levels = "oslo.messaging.notification=INFO,dockyard.access.read=INFO,dockyard.timeline=DEBUG"
    server = start_server(
        tmp_path, sections={"DEFAULT": {"default_log_levels": levels, "debug": True}}
    )
    try:
        uuid, lines = _create(server)
    finally:
        server.stop()
    text = "\n".join(lines)
    assert "oslo.messaging.notification.magnum.cluster.create" in text
    assert f"GET /v1/clusters/{uuid} 200" in text
    assert f"cluster {uuid} create.progress" in text
