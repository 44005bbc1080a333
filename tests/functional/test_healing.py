"""Auto-healing's rules, the health check around operations and the embedded fast resume,
with the real conductor on SQLite, PostgreSQL and MariaDB.

The TEST-ONLY fake driver stands in for a cluster whose nodes are down (label fake_down: its
health check reports them down, its `heal` completes and they stay "down", so the health check
starts heal after heal). Real nodes healed on this machine: tests/integration/test_healing.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Api, make_runtime, running_api
from harness.notifications import (
    Collector,
    Notification,
    listening,
    new_topic,
    notifier_overrides,
)
from harness.waiting import wait_until
from sqlalchemy import select
from test_durability import Processes, client, create, kill, status, template, timeline

from dockyard.conductor import periodics
from dockyard.conductor.worker import Conductor
from dockyard.db.models import Cluster, Operation, utcnow
from dockyard.domain.status import OperationState

ACTIVE = ("PENDING", "RUNNING")
# Heal soon after a node is seen down; health checked every second.
FAST = {"conductor": {"heal_grace_seconds": 0.2, "health_sync_interval": 1}}


@pytest.fixture
def healing_api(tmp_path: Path, any_db_url: str) -> Iterator[Api]:
    with running_api(make_runtime(tmp_path, any_db_url, FAST)) as api:
        yield api


def make_cluster(api: Api, name: str, node_count: int = 2, **labels: str) -> str:
    api.template(name=f"t-{name}")
    body = {
        "name": name,
        "cluster_template_id": f"t-{name}",
        "node_count": node_count,
        "labels": labels,
    }
    response = api.post("/v1/clusters", body)
    assert response.status_code == 202, response.text
    uuid = str(response.json()["uuid"])
    # Not the status: a heal may follow the create at once (UPDATE_*).
    wait_until(
        lambda: [o.state for o in operations(api, uuid) if o.kind == "create"],
        20,
        "the create to complete",
        until=lambda states: states == ["COMPLETE"],
    )
    return uuid


def operations(api: Api, cluster: str) -> list[Operation]:
    with api.runtime.db.read() as session:
        return list(
            session.scalars(
                select(Operation).where(Operation.cluster_id == cluster).order_by(Operation.id)
            )
        )


def events(api: Api, cluster: str) -> list[dict[str, Any]]:
    body = api.get(f"/v1/clusters/{cluster}/events").json()
    return list(body["events"])


def test_the_healing_loop_never_touches_a_cluster_an_operation_holds(
    healing_api: Api, tmp_path: Path
) -> None:
    """Resizes race heals started by the health check (the conductor's own loop, plus three
    threads running it flat out): a heal never overlaps another operation of the cluster,
    and a resize that comes while a heal runs gets the 409 that names it."""
    api = healing_api
    journal = tmp_path / "journal"
    uuid = make_cluster(
        api, "race", fake_down="race-node-0", fake_seconds="0.3", fake_journal=str(journal)
    )
    stop = threading.Event()
    conductor = api.conductor
    assert conductor is not None

    def heal_loop() -> None:
        while not stop.is_set():
            periodics.sync_health(api.runtime, conductor.tracker)

    loops = [threading.Thread(target=heal_loop) for _ in range(3)]
    for loop in loops:
        loop.start()
    answers: list[httpx.Response] = []

    def resize(size: int) -> bool:
        answers.append(api.post(f"/v1/clusters/{uuid}/actions/resize", {"node_count": size}))
        return answers[-1].status_code == 202

    def resized(size: int) -> bool:
        busy = [o for o in operations(api, uuid) if o.kind == "resize" and o.state in ACTIVE]
        return not busy and api.get(f"/v1/clusters/{uuid}").json()["node_count"] == size

    try:
        for size in [3, 2] * 5:
            wait_until(partial(resize, size), 30, f"a resize to {size} to be accepted")
            wait_until(partial(resized, size), 20, "the resize to end")
    finally:
        stop.set()
        for loop in loops:
            loop.join()
    conductor.wait_idle(20)
    ops = operations(api, uuid)
    heals = [o for o in ops if o.kind == "heal"]
    resizes = [o for o in ops if o.kind == "resize"]
    states = [(o.kind, o.state) for o in ops]
    # The conductor's own loop may have started one more heal since the threads stopped.
    assert heals and all(o.state in ("COMPLETE", "PENDING", "RUNNING") for o in heals), states
    assert len(resizes) == 10 and all(o.state == "COMPLETE" for o in resizes), states
    refused = [a for a in answers if a.status_code == 409]
    assert any("heal" in a.text for a in refused), [a.text for a in refused]
    assert all(a.status_code in (202, 409) for a in answers), [a.text for a in answers]
    # Each operation holds the cluster from its creation to its end: no two intervals meet.
    spans = sorted((o.created_at, o.finished_at or utcnow(), o.kind) for o in ops)
    for (_, end, kind), (start, _, next_kind) in itertools.pairwise(spans):
        assert end <= start, f"{kind} ended at {end}, after {next_kind} began at {start}"
    lines = journal.read_text().splitlines()
    healed = [o for o in heals if o.state == "COMPLETE"]
    assert len(healed) <= sum(" heal " in f" {line} " for line in lines) <= len(heals)


def test_healing_off_by_label_or_too_many_down_says_why(healing_api: Api) -> None:
    api = healing_api
    off = make_cluster(api, "off", fake_down="off-node-0", auto_healing_enabled="false")
    many = make_cluster(
        api,
        "many",
        node_count=3,
        fake_down="many-node-0,many-node-1",
        auto_healing_max_unhealthy="1",
    )
    assert api.conductor is not None
    periodics.sync_health(api.runtime, api.conductor.tracker)
    shown = api.get(f"/v1/clusters/{off}").json()
    assert shown["health_status"] == "UNHEALTHY"
    assert shown["health_status_reason"]["healing"] == (
        "off (auto_healing_enabled=false): off-node-0 stay(s) down"
    )
    shown = api.get(f"/v1/clusters/{many}").json()
    assert shown["health_status_reason"]["healing"] == (
        "waiting for a person: 2 of 3 nodes are down, more than auto_healing_max_unhealthy=1 "
        "allows (1)"
    )
    assert not [o for c in (off, many) for o in operations(api, c) if o.kind == "heal"]
    assert [e["message"] for e in events(api, off) if e["event"] == "node.down"] == [
        "node off-node-0 is down: told to be down"
    ]


def test_a_heal_is_an_operation_with_its_events_and_notifications(
    tmp_path: Path, sqlite_url: str
) -> None:
    topic = new_topic()
    overrides = {**FAST, **notifier_overrides(topic)}
    collector: Collector
    with (
        listening(topic) as collector,
        running_api(make_runtime(tmp_path, sqlite_url, overrides)) as api,
    ):
        uuid = make_cluster(api, "heal", fake_down="heal-node-1")

        def healed() -> list[Operation]:
            return [o for o in operations(api, uuid) if o.kind == "heal" and o.state == "COMPLETE"]

        wait_until(healed, 20, "a heal to complete")
        seen = [e["event"] for e in events(api, uuid)]
        for name in ("node.down", "heal.requested", "heal.started", "heal.complete"):
            assert name in seen, seen
        assert seen.index("node.down") < seen.index("heal.requested") < seen.index("heal.complete")
        done = next(e for e in events(api, uuid) if e["event"] == "heal.complete")
        assert done["message"] == "fake heal of heal-node-1"
        assert done["status"] == "UPDATE_COMPLETE"

        got: list[Notification] = []

        def types() -> set[tuple[str, str]]:
            got.extend(collector.collect(100, "", [uuid], timeout=0.5))
            return {(kind, payload["outcome"]) for _, kind, payload in got}

        wanted = {
            ("dockyard.cluster.node.down", "failure"),
            ("magnum.cluster.update", "pending"),
            ("magnum.cluster.update", "success"),
        }
        wait_until(lambda: wanted <= types(), 20, f"notifications {wanted}")


def test_a_resize_reason_comes_from_its_request(api: Api) -> None:
    uuid = make_cluster(api, "sized", node_count=1)
    assert api.post(f"/v1/clusters/{uuid}/actions/resize", {"node_count": 3}).status_code == 202
    shown = api.wait_status(uuid, "UPDATE_COMPLETE")
    assert shown["status_reason"] == "workers scaled from 1 to 3"


def test_health_is_recorded_right_after_an_operation(tmp_path: Path, sqlite_url: str) -> None:
    """No periodic check runs within the test (an hour apart), yet health shows right after
    the create, and right after a resize the removed nodes leave the reason although the
    status (UNHEALTHY: one node is down, healing off) stays the same."""
    slow = {"conductor": {"health_sync_interval": 3600}}
    with running_api(make_runtime(tmp_path, sqlite_url, slow)) as api:
        uuid = make_cluster(
            api, "fresh", node_count=3, fake_down="fresh-node-0", auto_healing_enabled="false"
        )

        def reason() -> dict[str, str]:
            body = api.get(f"/v1/clusters/{uuid}").json()
            assert body["health_status"] in (None, "UNHEALTHY"), body
            return dict(body["health_status_reason"] or {})

        nodes = {"fresh-node-0", "fresh-node-1", "fresh-node-2"}
        wait_until(reason, 20, "health after the create", until=lambda r: nodes <= set(r))
        response = api.post(f"/v1/clusters/{uuid}/actions/resize", {"node_count": 1})
        assert response.status_code == 202, response.text
        wait_until(
            reason,
            20,
            "health after the resize",
            until=lambda r: "fresh-node-1" not in r and "fresh-node-0" in r,
        )
        assert reason()["fresh-node-0"] == "told to be down"


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_only_sqlite_conductors_take_over_their_dead_previous_run(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """An operation RUNNING under a dead process of this host: on SQLite (one machine) the
    next conductor takes it at start; on a shared database the lease decides."""
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    rt = make_runtime(tmp_path, url)
    with running_api(rt) as api:
        uuid = make_cluster(api, "left")
    owner = f"{rt.conf.host}:{dead_pid()}:0"
    alive = f"{rt.conf.host}:{os.getppid()}:1"  # a live process: never taken over
    with rt.db.write() as session:
        for lease_owner in (owner, alive):
            session.add(
                Operation(
                    uuid=f"op-{lease_owner[-1]}-{backend}",
                    cluster_id=uuid,
                    project_id="p",
                    user_id="u",
                    kind="resize",
                    state=OperationState.RUNNING.value,
                    params={},
                    lease_owner=lease_owner,
                    lease_expires_at=utcnow() + dt.timedelta(hours=1),
                    next_run_at=utcnow(),
                )
            )
    taken = Conductor(rt).take_over_own_dead_runs()
    assert taken == (1 if backend == "sqlite" else 0)
    with rt.db.write() as session:  # leave nothing running behind
        for row in session.scalars(select(Operation).where(Operation.cluster_id == uuid)):
            row.state = OperationState.CANCELLED.value
        cluster = session.scalars(select(Cluster).where(Cluster.uuid == uuid)).one()
        cluster.active_operation_id = None
    rt.db.dispose()


def test_killed_embedded_dockyard_resumes_its_create_at_once(tmp_path: Path) -> None:
    """kill -9 of `dockyard` (SQLite) mid-create, then a restart: with a lease of 10 minutes,
    a create that finishes within the wait below can only have been taken over at start; and
    its health is recorded as soon as it completes."""
    group = Processes(tmp_path, f"sqlite:///{tmp_path / 'dockyard.sqlite'}")
    sections = {"conductor": {"lease_seconds": 600, "poll_interval": 0.1}}
    try:
        server = group.start("dockyard", **sections)
        with client(server) as http:
            uuid = create(http, template(http), "c1", fake_seconds=4)
            wait_until(
                lambda: any(o["state"] == "RUNNING" for o in timeline(http, uuid)["operations"]),
                20,
                "the create to run",
            )
        kill(server)
        again = group.start("dockyard", **sections)
        with client(again) as http:
            done = wait_until(
                lambda: status(http, uuid, "CREATE_COMPLETE"), 60, "the create to complete"
            )
            assert done is not None
            shown = wait_until(
                lambda: http.get(f"/v1/clusters/{uuid}").json(),
                20,
                "health",
                until=lambda b: b["health_status"] == "HEALTHY",
            )
            assert shown["status"] == "CREATE_COMPLETE"
            seen = [e["event"] for e in timeline(http, uuid)["events"]]
            assert "create.resumed" in seen, seen
    finally:
        for server in group.servers:
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        group.close()
