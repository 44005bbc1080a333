"""Every operation ends: a delete cancels a create whose driver call never returns, the
deadline ends a hung operation, and transient backend errors are retried within it.

The in-process app and conductor on SQLite, with the TEST-ONLY fake driver steered by labels
(fake_hang, fake_transient)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from conftest import Api, make_runtime, running_api
from harness.waiting import wait_until

from dockyard.db.models import Operation

T = TypeVar("T")


@pytest.fixture
def api(tmp_path: Path, sqlite_url: str) -> Iterator[Api]:
    runtime = make_runtime(
        tmp_path,
        sqlite_url,
        {
            "conductor": {
                "lease_seconds": 2,
                "deadline_check_interval": 0.1,
                "retry_initial_delay": 0.05,
                "workers": 2,
            }
        },
    )
    with running_api(runtime) as client:
        yield client


def create(api: Api, **labels: str) -> str:
    template = api.template(name=f"t-{time.monotonic_ns()}")
    body = {"cluster_template_id": template["uuid"], "labels": labels}
    response = api.post("/v1/clusters", body)
    assert response.status_code == 202, response.text
    return str(response.json()["uuid"])


def events(api: Api, cluster: str) -> list[dict[str, Any]]:
    response = api.get(f"/v1/clusters/{cluster}/events")
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def started(api: Api, cluster: str) -> bool:
    return any(e["event"] == "create.started" for e in events(api, cluster))


def test_delete_cancels_a_create_that_never_returns(api: Api) -> None:
    cluster = create(api, fake_hang="create")
    wait_until(lambda: started(api, cluster), 20, "the create to start")
    response = api.delete(f"/v1/clusters/{cluster}")
    assert response.status_code == 204, response.text
    seen: list[str] = []

    def gone() -> bool:
        answer = api.get(f"/v1/clusters/{cluster}/events")
        if answer.status_code == 200:
            seen[:] = [e["event"] for e in answer.json()["events"]]
        return answer.status_code == 404

    wait_until(gone, 30, "the cluster to be deleted")
    assert "create.superseded" in seen, seen
    # The worker that ran the hung create is free again.
    assert api.conductor is not None and api.conductor.wait_idle(10)


def test_deadline_ends_a_create_that_never_returns(api: Api) -> None:
    cluster = create(api, fake_hang="create")
    wait_until(lambda: started(api, cluster), 20, "the create to start")
    engine = sa.create_engine(api.runtime.db.url)
    with engine.begin() as conn:  # minutes are too long to wait: move the deadline instead
        conn.execute(
            sa.update(Operation)
            .where(Operation.cluster_id == cluster)
            .values(deadline_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    engine.dispose()
    body = api.wait_status(cluster, "CREATE_FAILED", "CREATE_COMPLETE", timeout=20)
    assert body["status"] == "CREATE_FAILED"
    assert "timed out" in body["status_reason"]
    assert api.conductor is not None and api.conductor.wait_idle(10)
    # ... and the failed cluster can be deleted.
    assert api.delete(f"/v1/clusters/{cluster}").status_code == 204
    assert api.wait_status(cluster, "DELETE_COMPLETE", timeout=20)["status"] == "DELETE_COMPLETE"


def test_transient_backend_errors_are_retried(api: Api) -> None:
    cluster = create(api, fake_transient="2")
    body = api.wait_status(cluster, "CREATE_COMPLETE", "CREATE_FAILED", timeout=30)
    assert body["status"] == "CREATE_COMPLETE", body
    retries = [e for e in events(api, cluster) if e["event"] == "create.retry"]
    assert len(retries) == 2, retries
    assert "503 Service Unavailable" in retries[0]["message"]
    assert "retry 1 in" in retries[0]["message"] and "retry 2 in" in retries[1]["message"]


def test_a_4xx_is_not_retried(api: Api) -> None:
    cluster = create(api, fake_fail="create")
    body = api.wait_status(cluster, "CREATE_COMPLETE", "CREATE_FAILED", timeout=30)
    assert body["status"] == "CREATE_FAILED"
    assert not [e for e in events(api, cluster) if e["event"] == "create.retry"]
