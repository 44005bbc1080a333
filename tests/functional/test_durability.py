"""Durable operations with real processes: `dockyard-api`, `dockyard-conductor` and `dockyard`
on PostgreSQL (and MariaDB), killed with SIGKILL or stopped with SIGTERM mid-operation.

The TEST-ONLY fake driver is steered by labels: fake_seconds makes each call slow and
fake_journal makes every driver call append "<cluster uuid> <call> <pid>" to a file, which is
how these tests see which process ran what, and how often.
"""

from __future__ import annotations

import datetime as dt
import signal
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import sqlalchemy as sa
from conftest import (
    LATEST,
    PG_ADMIN_URL,
    Server,
    _create_database,
    _drop_database,
    make_runtime,
    start_server,
)
from harness.waiting import wait_until

from dockyard.cmd.wiring import build_conductor
from dockyard.conductor.worker import Conductor
from dockyard.db import migration
from dockyard.db.models import ClusterEvent, Operation

T = TypeVar("T")
pytestmark = pytest.mark.postgres


# -- helpers ------------------------------------------------------------------------------
class Processes:
    """Dockyard processes of one test; whatever is still running at the end is killed."""

    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.tmp_path = tmp_path
        self.db_url = db_url
        self.servers: list[Server] = []
        self.conductors: list[Conductor] = []
        self.api: Server | None = None
        # Migrate once here, so processes started side by side never race on the schema.
        migration.upgrade(db_url)

    def start(self, command: str, **sections: dict[str, Any]) -> Server:
        sections.setdefault("database", {})["connection"] = self.db_url
        sections.setdefault("quotas", {})["max_clusters_per_project"] = 1000
        server = start_server(self.tmp_path, command, sections)
        self.servers.append(server)
        return server

    def conductor(self, host: str, **options: Any) -> Server:
        """A `dockyard-conductor` named `host`, with a short lease (2 s)."""
        return self.start(
            "dockyard-conductor",
            DEFAULT={"host": host},
            conductor={"lease_seconds": 2, "poll_interval": 0.1, **options},
        )

    def in_process(self, host: str, **options: Any) -> Conductor:
        """A conductor in this test process (one more, without a process's start-up time)."""
        rt = make_runtime(
            self.tmp_path / host,
            self.db_url,
            {
                "DEFAULT": {"host": host},
                "conductor": {"lease_seconds": 2, "poll_interval": 0.1, **options},
            },
        )
        conductor = build_conductor(rt)
        conductor.start()
        self.conductors.append(conductor)
        return conductor

    def close(self) -> None:
        for conductor in self.conductors:
            conductor.stop()
            conductor.rt.db.dispose()
        for server in self.servers:
            if server.process.poll() is None:
                server.process.kill()
            server.process.wait()


def wait_started(conductor: Server, timeout: float = 60) -> None:
    """Until the conductor logged that it runs (it needs no port, so start_server can't tell)."""

    def started() -> bool:
        if conductor.process.poll() is not None:
            raise AssertionError(f"conductor exited: {conductor.log.read_text()}")
        return " started with " in conductor.log.read_text()

    wait_until(started, timeout, f"{conductor.log.name} to start")


def kill(server: Server) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()


def client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=LATEST, timeout=30)


def template(http: httpx.Client) -> str:
    body = {"name": "k8s", "coe": "kubernetes", "image_id": "fedora-atomic-latest"}
    response = http.post("/v1/clustertemplates", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["uuid"])


def create(http: httpx.Client, template_id: str, name: str, **labels: Any) -> str:
    body = {
        "name": name,
        "cluster_template_id": template_id,
        "labels": {k: str(v) for k, v in labels.items()},
    }
    response = http.post("/v1/clusters", json=body)
    assert response.status_code == 202, response.text
    return str(response.json()["uuid"])


def timeline(http: httpx.Client, cluster: str) -> dict[str, Any]:
    response = http.get(f"/v1/clusters/{cluster}/events")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def running(http: httpx.Client, cluster: str, attempt: int) -> dict[str, Any] | None:
    """The cluster's create operation once it is RUNNING on its `attempt`th claim."""
    for op in timeline(http, cluster)["operations"]:
        if op["kind"] == "create" and op["state"] == "RUNNING" and op["attempts"] == attempt:
            return dict(op)
    return None


def status(http: httpx.Client, cluster: str, *wanted: str) -> dict[str, Any] | None:
    body: dict[str, Any] = http.get(f"/v1/clusters/{cluster}").json()
    return body if body.get("status") in wanted else None


def journal(path: Path) -> list[tuple[str, str, int]]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [(u, call, int(pid)) for u, call, pid in (line.split() for line in lines)]


def names(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in events]


def pg_database() -> tuple[str, str]:
    """A fresh PostgreSQL database for a module fixture: (name, URL)."""
    name, url = _create_database(PG_ADMIN_URL, "postgresql+psycopg://postgres@127.0.0.1:5432/")
    return str(name), str(url)


@pytest.fixture(scope="module")
def pg_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """One `dockyard-api` on PostgreSQL, shared by the tests that bring their own conductors
    (each leaves nothing active behind); and its database URL."""
    name, url = pg_database()
    group = Processes(tmp_path_factory.mktemp("pg-api"), url)
    try:
        yield group.start("dockyard-api"), url
    finally:
        group.close()
        _drop_database(PG_ADMIN_URL, name)


@pytest.fixture
def procs(tmp_path: Path, pg_api: tuple[Server, str]) -> Iterator[Processes]:
    """This test's conductors, on the shared API's database."""
    group = Processes(tmp_path, pg_api[1])
    group.api = pg_api[0]
    yield group
    group.close()


# -- 1a: a conductor killed mid-operation -------------------------------------------------
def holder(conductors: list[Server], op: dict[str, Any]) -> Server:
    """The conductor process that holds `op` (its lease owner is "<host>:<pid>:<id>")."""
    pid = int(op["conductor"].split(":")[1])
    [server] = [c for c in conductors if c.process.pid == pid]
    return server


def test_killed_conductor_is_resumed_and_sigterm_hands_nothing_over(
    procs: Processes, tmp_path: Path
) -> None:
    log = tmp_path / "journal"
    # Both conductors from the start (processes are slow to start): whichever claims the
    # operation is SIGKILLed, the other resumes it.
    # A 3 s lease (renewed every second) leaves the SIGTERM part room on a busy machine.
    conductors = [procs.conductor(f"conductor-{i}", lease_seconds=3) for i in (1, 2)]
    for conductor in conductors:
        wait_started(conductor)
    assert procs.api is not None
    http = client(procs.api)
    cluster = create(http, template(http), "resumed", fake_seconds=3, fake_journal=log)
    first = holder(conductors, wait_until(lambda: running(http, cluster, 1), 30, "the create"))
    wait_until(lambda: journal(log), 10, "the driver to be called")

    kill(first)  # SIGKILL mid-operation: no chance to hand anything back
    op = wait_until(lambda: running(http, cluster, 2), 30, "the other conductor to resume it")
    assert status(http, cluster, "CREATE_IN_PROGRESS")
    [owner] = [c for c in conductors if c is not first]
    assert holder(conductors, op) is owner

    # SIGTERM the conductor running it, while a third conductor waits: the stopping one
    # finishes the operation, keeping its lease alive, instead of leaving it to the third.
    procs.in_process("conductor-3", lease_seconds=3)
    owner.process.send_signal(signal.SIGTERM)
    assert owner.process.wait(15) == 0
    body = status(http, cluster, "CREATE_COMPLETE")
    assert body is not None, "the conductor stopped by SIGTERM exited before finishing"
    assert body["master_addresses"] == ["127.51.100.10"]

    story = timeline(http, cluster)
    [create_op] = story["operations"]
    assert create_op["state"] == "COMPLETE"
    assert create_op["attempts"] == 2
    # The operation's own events (a health check right after it may add health.changed).
    ours = [e for e in story["events"] if e["event"].startswith("create.")]
    assert names(ours) == [
        "create.requested",
        "create.started",
        "create.resumed",
        "create.complete",
    ]
    started, resumed, complete = ours[1:]
    assert int(started["host"].split(":")[1]) == first.process.pid
    assert resumed["host"] == complete["host"] == op["conductor"]
    assert "(attempt 2)" in resumed["message"]
    # The driver was called by the killed process, then once more by the one that resumed.
    calls = journal(log)
    assert [(u, c) for u, c, _ in calls] == [(cluster, "create"), (cluster, "create")]
    assert [pid for _, _, pid in calls] == [first.process.pid, owner.process.pid]


def has_event(http: httpx.Client, cluster: str, event: str) -> bool:
    return event in names(timeline(http, cluster)["events"])


def test_conductors_that_keep_dying_fail_the_operation(procs: Processes) -> None:
    # The fake driver would take a minute: only the attempts limit can end this create.
    conductors = [procs.conductor(f"conductor-{i}", max_attempts=2) for i in (1, 2)]
    for conductor in conductors:
        wait_started(conductor)
    assert procs.api is not None
    http = client(procs.api)
    cluster = create(http, template(http), "doomed", fake_seconds=60)
    for attempt, event in ((1, "create.started"), (2, "create.resumed")):
        op = wait_until(partial(running, http, cluster, attempt), 30, f"attempt {attempt}")
        wait_until(partial(has_event, http, cluster, event), 10, event)
        kill(holder(conductors, op))
    assert all(c.process.poll() is not None for c in conductors)

    survivor = procs.in_process("conductor-3", max_attempts=2)
    body = wait_until(lambda: status(http, cluster, "CREATE_FAILED"), 30, "CREATE_FAILED")
    reason = "create failed: abandoned by 2 conductor(s) that stopped while running it"
    assert body["status_reason"] == reason
    assert body["faults"]
    story = timeline(http, cluster)
    assert story["status"] == "CREATE_FAILED"
    [create_op] = story["operations"]
    assert (create_op["state"], create_op["error"], create_op["attempts"]) == ("FAILED", reason, 3)
    assert names(story["events"]) == [
        "create.requested",
        "create.started",
        "create.resumed",
        "create.failed",
    ]
    assert story["events"][-1]["level"] == "ERROR"
    assert story["events"][-1]["host"] == survivor.owner


# -- 1b: two conductors never run one operation twice -------------------------------------
@pytest.fixture(params=["postgresql", pytest.param("mysql", marks=pytest.mark.mysql)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Processes]:
    """Processes on PostgreSQL (the shared API) or on MariaDB (an API of its own)."""
    if request.param == "postgresql":
        api, url = request.getfixturevalue("pg_api")
    else:
        api, url = None, request.getfixturevalue("mysql_url")
    group = Processes(tmp_path, url)
    group.api = api
    yield group
    group.close()


def test_two_conductors_never_run_one_operation_twice(backend: Processes, tmp_path: Path) -> None:
    log = tmp_path / "journal"
    # The API first, alone: start_server gives it 30 s to answer, on a machine that may be busy.
    api = backend.api or backend.start("dockyard-api")
    # Nobody dies here: a long lease, so only a claim bug could run an operation twice.
    hosts = ("conductor-a", "conductor-b")
    conductors = [backend.conductor(host, workers=4, lease_seconds=10) for host in hosts]
    for conductor in conductors:
        wait_started(conductor)
    http = client(api)
    template_id = template(http)

    # Both conductors poll while 30 creates arrive at once: they race for the same rows.
    def one(i: int) -> str:
        return create(http, template_id, f"c{i:02d}", fake_seconds=0.3, fake_journal=log)

    with ThreadPoolExecutor(6) as pool:
        clusters = set(pool.map(one, range(30)))

    def all_complete() -> bool:
        rows = http.get("/v1/clusters", params={"limit": 1000}).json()["clusters"]
        ours = [r["status"] for r in rows if r["uuid"] in clusters]
        assert set(ours) <= {"CREATE_IN_PROGRESS", "CREATE_COMPLETE"}
        return ours == ["CREATE_COMPLETE"] * 30

    wait_until(all_complete, 60, "all 30 clusters to be CREATE_COMPLETE")
    calls = journal(log)
    assert Counter((u, c) for u, c, _ in calls) == {(u, "create"): 1 for u in clusters}
    per_process = Counter(pid for _, _, pid in calls)
    assert set(per_process) == {c.process.pid for c in conductors}, per_process
    for cluster in clusters:
        [op] = timeline(http, cluster)["operations"]
        assert (op["state"], op["attempts"]) == ("COMPLETE", 1)


# -- 1c and 1d: one `dockyard` (API + conductor) process on PostgreSQL -----------------------
@pytest.fixture(scope="module")
def all_in_one(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """`dockyard` checking deadlines every 0.2 s, and its database URL."""
    name, url = pg_database()
    group = Processes(tmp_path_factory.mktemp("all-in-one"), url)
    try:
        conductor = {"deadline_check_interval": 0.2, "lease_seconds": 2}
        yield group.start("dockyard", conductor=conductor), url
    finally:
        group.close()
        _drop_database(PG_ADMIN_URL, name)


def test_create_timeout_fails_the_cluster(all_in_one: tuple[Server, str], tmp_path: Path) -> None:
    server, db_url = all_in_one
    log = tmp_path / "journal"
    http = client(server)
    template_id = template(http)
    response = http.post(
        "/v1/clusters",
        json={
            "name": "slow",
            "cluster_template_id": template_id,
            "create_timeout": 30,
            "labels": {"fake_seconds": "3", "fake_journal": str(log)},
        },
    )
    assert response.status_code == 202, response.text
    cluster = response.json()["uuid"]
    op = wait_until(lambda: running(http, cluster, 1), 30, "the create to run")
    wait_until(lambda: journal(log), 10, "the driver to be called")
    assert op["deadline_at"] is not None

    # create_timeout counts minutes: instead of waiting 30 of them, the test moves this
    # operation's deadline into the past directly in the database.
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        moved = conn.execute(
            sa.update(Operation)
            .where(Operation.uuid == op["uuid"])
            .values(deadline_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
        assert moved.rowcount == 1
    engine.dispose()
    # Found by the deadline check ([conductor] deadline_check_interval, 0.2 s here), not by the
    # driver's answer, which would have made it CREATE_COMPLETE.
    body = wait_until(lambda: status(http, cluster, "CREATE_FAILED"), 30, "CREATE_FAILED")
    reason = "create timed out: not finished within 30 minute(s) (create_timeout)"
    assert body["status_reason"] == reason

    # The driver's late answer (COMPLETE, ~3 s after it started) is dropped, not recorded.
    dropped = f"operation {op['uuid']} is no longer ours; dropping its result"
    wait_until(lambda: dropped in server.log.read_text(), 15, "the late result to arrive")
    assert status(http, cluster, "CREATE_FAILED")
    story = timeline(http, cluster)
    [create_op] = story["operations"]
    assert (create_op["state"], create_op["error"]) == ("FAILED", reason)
    assert names(story["events"]) == ["create.requested", "create.started", "create.failed"]


def test_delete_supersedes_a_running_create(all_in_one: tuple[Server, str], tmp_path: Path) -> None:
    server, db_url = all_in_one
    log = tmp_path / "journal"
    http = client(server)
    cluster = create(http, template(http), "short-lived", fake_seconds=1.5, fake_journal=log)
    wait_until(lambda: running(http, cluster, 1), 30, "the create to run")
    wait_until(lambda: journal(log), 10, "the driver to be called")

    response = http.delete(f"/v1/clusters/{cluster}")
    assert response.status_code == 204, response.text
    assert status(http, cluster, "DELETE_IN_PROGRESS")

    seen: list[dict[str, Any]] = []

    def gone() -> bool:
        response = http.get(f"/v1/clusters/{cluster}/events")
        if response.status_code == 404:
            return True
        seen.append(response.json())
        return False

    wait_until(gone, 30, "the cluster to be deleted")
    assert http.get(f"/v1/clusters/{cluster}").status_code == 404
    # While it was being deleted, the API told the story so far.
    last = seen[-1]
    assert last["status"] == "DELETE_IN_PROGRESS"
    ops = {op["kind"]: op for op in last["operations"]}
    assert ops["create"]["state"] == "CANCELLED"
    assert ops["create"]["error"] == "superseded by a delete request"
    assert ops["delete"]["state"] == "RUNNING"
    assert "create.superseded" in names(last["events"])

    # The whole story, kept in the database after the cluster row went.
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        events = conn.execute(
            sa.select(ClusterEvent.event, ClusterEvent.status)
            .where(ClusterEvent.cluster_id == cluster)
            .order_by(ClusterEvent.id)
        ).all()
        states = conn.execute(
            sa.select(Operation.kind, Operation.state)
            .where(Operation.cluster_id == cluster)
            .order_by(Operation.id)
        ).all()
    engine.dispose()
    assert [tuple(e) for e in events] == [
        ("create.requested", "CREATE_IN_PROGRESS"),
        ("create.started", None),
        ("delete.requested", "DELETE_IN_PROGRESS"),
        ("create.superseded", None),
        ("delete.started", None),
        ("delete.complete", "DELETE_COMPLETE"),
    ]
    assert [tuple(s) for s in states] == [("create", "CANCELLED"), ("delete", "COMPLETE")]
    # The delete waited for the running create call to return before calling the driver.
    assert [c for _, c, _ in journal(log)] == ["create", "delete"]
