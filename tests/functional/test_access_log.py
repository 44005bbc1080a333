"""The access log: one line per request with method, path, status, duration, request id and
project, so the Request-ID the client prints for an error can be found in the log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import start_server, subprocess_env
from harness.cli import OpenStackCli

pytestmark = pytest.mark.client


def test_the_request_id_the_client_prints_is_in_the_access_log(tmp_path: Path) -> None:
    server = start_server(tmp_path, sections={"auth": {"default_project_id": "proj-access"}})
    try:
        cli = OpenStackCli({}, subprocess_env())
        endpoint = ("--os-auth-type", "none", "--os-endpoint", f"{server.url}/v1")
        failed = cli.run(*endpoint, "coe", "cluster", "show", "nope", ok=False)
        assert failed.rc != 0
        shown = re.search(r"\(Request-ID: (req-[0-9a-f-]+)\)", failed.err)
        assert shown, failed.err
        request_id = shown.group(1)
        log = server.log.read_text()
        lines = [ln for ln in log.splitlines() if f"request_id={request_id}" in ln]
        assert len(lines) == 1, log
        assert re.search(
            rf"dockyard\.access .*GET /v1/clusters/nope 404 \d+\.\dms "
            rf"request_id={request_id} project=proj-access$",
            lines[0],
        ), lines[0]
    finally:
        server.stop()
