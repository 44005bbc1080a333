"""Progress you can watch: driver steps land in the timeline as `<kind>.progress` events with
the fraction done while the operation runs, and `openstack coe cluster event list --follow`
prints them and exits when the operation ends (non-zero when it failed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import LATEST, Server, make_runtime, running_api, start_server, subprocess_env
from harness.cli import OpenStackCli, Result

from dockyard.drivers.base import ProgressStep, StepCounter


def test_step_counter_reports_each_step_with_its_fraction() -> None:
    seen: list[ProgressStep] = []
    steps = StepCounter(seen.append, total=4)
    steps.step("network")
    steps.grow(2)  # never lowers the total
    steps.step("engine")
    assert [(s.message, s.done, s.total, s.fraction) for s in seen] == [
        ("network", 1, 4, 0.25),
        ("engine", 2, 4, 0.5),
    ]
    assert ProgressStep("no total yet", 3, 0).fraction is None


def _timeline(client: Any, uuid: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/v1/clusters/{uuid}/events").json()
    return body


def test_progress_events_show_while_the_create_runs(tmp_path: Path, any_db_url: str) -> None:
    with running_api(make_runtime(tmp_path, any_db_url)) as api:
        api.template(name="k8s")
        labels = {"fake_steps": "2", "fake_seconds": "4"}
        response = api.post("/v1/clusters", {"cluster_template_id": "k8s", "labels": labels})
        assert response.status_code == 202, response.text
        uuid = response.json()["uuid"]
        # Watched as a dashboard does: a progress step shows while the cluster still builds.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            body = _timeline(api, uuid)
            if any(e["event"] == "create.progress" for e in body["events"]):
                break
            time.sleep(0.05)
        assert body["status"] == "CREATE_IN_PROGRESS", body
        api.wait_status(uuid, "CREATE_COMPLETE")
        # The operation's own events (the health check right after it adds health.changed).
        events = [e for e in _timeline(api, uuid)["events"] if e["event"].startswith("create.")]
        assert [(e["event"], e["progress"]) for e in events] == [
            ("create.requested", None),
            ("create.started", None),
            ("create.progress", 0.5),
            ("create.progress", 1.0),
            ("create.complete", None),
        ]
        progress = [e for e in events if e["event"] == "create.progress"]
        assert [e["message"] for e in progress] == ["fake step 1 of 2", "fake step 2 of 2"]
        started = events[1]  # the same operation, on the same conductor
        assert {(e["operation_id"], e["host"]) for e in progress} == {
            (started["operation_id"], started["host"])
        }


class Coe(OpenStackCli):
    def __init__(self, url: str) -> None:
        super().__init__({}, subprocess_env())
        self.url = url

    def run(self, *args: str, ok: bool = True) -> Result:
        endpoint = ("--os-auth-type", "none", "--os-endpoint", f"{self.url}/v1", "coe")
        return super().run(*endpoint, *args, ok=ok)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Coe]]:
    server = start_server(tmp_path_factory.mktemp("progress"))
    try:
        template = {"name": "k8s", "coe": "kubernetes", "image_id": "fedora-atomic-latest"}
        created = httpx.post(f"{server.url}/v1/clustertemplates", json=template, headers=LATEST)
        assert created.status_code == 201, created.text
        yield server, Coe(server.url)
    finally:
        server.stop()


def _create(server: Server, name: str, labels: dict[str, str]) -> str:
    body = {"name": name, "cluster_template_id": "k8s", "labels": labels}
    response = httpx.post(f"{server.url}/v1/clusters", json=body, headers=LATEST)
    assert response.status_code == 202, response.text
    return str(response.json()["uuid"])


@pytest.mark.client
def test_cli_follows_a_create_until_it_completes(served: tuple[Server, Coe]) -> None:
    server, coe = served
    uuid = _create(server, "watched", {"fake_steps": "3", "fake_seconds": "1.5"})
    out = coe.run("cluster", "event", "list", "watched", "--follow", "--interval", "0.2").out
    # The operation's own lines (the health check right after it may add health.changed).
    lines = [ln for ln in out.splitlines() if ln.split()[1].startswith("create.")]
    assert [ln.split()[1] for ln in lines] == [
        "create.requested", "create.started",
        "create.progress", "create.progress", "create.progress", "create.complete",
    ]  # fmt: skip
    assert "[33%] fake step 1 of 3" in lines[2]
    assert "[100%] fake step 3 of 3" in lines[4]
    assert lines[-1].endswith("-> CREATE_COMPLETE")
    listed = coe.json("cluster", "event", "list", uuid)
    assert [(e["event"], e["progress"]) for e in listed][2:5] == [
        ("create.progress", "33%"), ("create.progress", "67%"), ("create.progress", "100%"),
    ]  # fmt: skip
    # --after pages on from a known event; a settled cluster is followed to its end at once.
    tail = coe.run("cluster", "event", "list", uuid, "--follow", "--after", str(listed[4]["id"]))
    followed = [ln.split()[1] for ln in tail.out.splitlines()]
    assert [e for e in followed if e.startswith("create.")] == ["create.complete"]


@pytest.mark.client
def test_cli_follow_exits_non_zero_when_the_operation_fails(served: tuple[Server, Coe]) -> None:
    server, coe = served
    _create(server, "doomed", {"fake_fail": "create", "fake_seconds": "0.5"})
    printed = coe.fails("cluster", "event", "list", "doomed", "--follow", "--interval", "0.2")
    assert "create.failed" in printed
    assert "is CREATE_FAILED: fake driver was told to fail create" in printed
    assert "Cluster nothing could not be found (HTTP 404)" in coe.fails(
        "cluster", "event", "list", "nothing", "--follow"
    )
