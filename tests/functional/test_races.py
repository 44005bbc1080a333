"""Races with real processes on SQLite, PostgreSQL and MariaDB: `dockyard-api` with
`[api] workers = 2` and two `dockyard-conductor` processes on one database, hit by many
requests at once (threads of one httpx client each). Counts go to docs/reliability.md.

What must hold whatever the interleaving: no 5xx; a template a cluster uses is never deleted
and every accepted cluster can be deleted; a quota of 5 gives exactly 5 clusters; every 200 of
a template PATCH is still reflected afterwards (a loser would have to get 409). After each
race, none of its clusters is left in any project, its templates can be deleted and no process
logged a traceback (`leaves_nothing`): a test judges what it made, so they run in any order.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest
from conftest import (
    LATEST,
    MYSQL_ADMIN_URL,
    PG_ADMIN_URL,
    Server,
    _create_database,
    _drop_database,
)
from harness.waiting import wait_until
from test_durability import Processes, wait_started

T = TypeVar("T")
ADMIN = {**LATEST, "X-Project-Id": "ops", "X-User-Id": "root", "X-Roles": "admin"}
THREADS = 30
SERVERS = {
    "postgresql": (PG_ADMIN_URL, "postgresql+psycopg://postgres@127.0.0.1:5432/"),
    "mysql": (MYSQL_ADMIN_URL, "mysql+pymysql://root@127.0.0.1:3306/"),
}


def member(project: str) -> dict[str, str]:
    return {**LATEST, "X-Project-Id": project, "X-User-Id": f"{project}-user", "X-Roles": "member"}


def at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run `calls` on as many threads, all released together."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """dockyard-api (2 workers) + 2 dockyard-conductor on a fresh database of each kind."""
    tmp_path = tmp_path_factory.mktemp(f"races-{request.param}")
    admin, name = "", ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dockyard.sqlite'}"
    else:
        admin, prefix = SERVERS[request.param]
        name, url = _create_database(admin, prefix)
    group = Processes(tmp_path, url)
    try:
        api = group.start("dockyard-api", api={"workers": 2})
        for host in ("conductor-a", "conductor-b"):
            wait_started(group.conductor(host))
        yield api
    finally:
        group.close()
        if name:
            _drop_database(admin, name)


@pytest.fixture
def http(stack: Server) -> Iterator[httpx.Client]:
    limits = httpx.Limits(max_connections=THREADS + 5)
    with httpx.Client(base_url=stack.url, headers=ADMIN, timeout=60, limits=limits) as client:
        yield client


def new_template(http: httpx.Client, name: str, **labels: str) -> str:
    body = {
        "name": name,
        "coe": "kubernetes",
        "image_id": "fedora-atomic-latest",
        "public": True,
        "labels": labels,
    }
    response = http.post("/v1/clustertemplates", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["uuid"])


def create_call(
    http: httpx.Client, template: str, name: str, headers: dict[str, str] | None = None
) -> Callable[[], httpx.Response]:
    body = {"name": name, "cluster_template_id": template, "node_count": 1}
    return lambda: http.post("/v1/clusters", json=body, headers=headers or ADMIN)


def no_server_errors(responses: list[httpx.Response]) -> Counter[int]:
    codes = Counter(r.status_code for r in responses)
    assert not [r for r in responses if r.status_code >= 500], [
        r.text for r in responses if r.status_code >= 500
    ]
    return codes


def delete_all(http: httpx.Client, uuids: list[str], headers: dict[str, str]) -> None:
    """Delete every cluster (retrying 409 while an operation holds one) until all are gone."""

    def gone() -> bool:
        left = 0
        for uuid in uuids:
            response = http.get(f"/v1/clusters/{uuid}", headers=headers)
            if response.status_code == 404:
                continue
            assert response.status_code == 200, response.text
            left += 1
            status = response.json()["status"]
            assert status != "DELETE_FAILED", response.json()
            if not status.startswith("DELETE") and not status.endswith("IN_PROGRESS"):
                answer = http.delete(f"/v1/clusters/{uuid}", headers=headers)
                assert answer.status_code in (204, 409), answer.text
        return left == 0

    wait_until(gone, 60, "every cluster to be deleted")


def leaves_nothing(stack: Server, http: httpx.Client, templates: list[str]) -> None:
    """No cluster of `templates` remains (an admin sees every project), each of them that
    still exists can be deleted, and no process logged a traceback."""
    listed = http.get("/v1/clusters/detail", params={"limit": 1000}).json()["clusters"]
    assert [c for c in listed if c["cluster_template_id"] in templates] == []
    for template in templates:
        if http.get(f"/v1/clustertemplates/{template}").status_code != 404:
            response = http.delete(f"/v1/clustertemplates/{template}")
            assert response.status_code == 204, response.text
    assert "Traceback" not in stack.log.read_text()


def settled(http: httpx.Client, uuid: str, headers: dict[str, str]) -> dict[str, Any] | None:
    body: dict[str, Any] = http.get(f"/v1/clusters/{uuid}", headers=headers).json()
    return body if body.get("status") in ("CREATE_COMPLETE", "CREATE_FAILED") else None


def test_template_delete_racing_creates(stack: Server, http: httpx.Client) -> None:
    rounds, accepted, deleted, templates = 4, [], 0, []
    for i in range(rounds):
        template = new_template(http, f"race-{i}")
        templates.append(template)
        calls = [create_call(http, template, f"r{i}-{n}") for n in range(5)]
        calls.append(lambda t=template: http.delete(f"/v1/clustertemplates/{t}"))  # type: ignore[misc]
        responses = at_once(calls)
        no_server_errors(responses)
        creates, removal = responses[:-1], responses[-1]
        assert {r.status_code for r in creates} <= {202, 404}, [r.text for r in creates]
        assert removal.status_code in (204, 409), removal.text
        ours = [str(r.json()["uuid"]) for r in creates if r.status_code == 202]
        if removal.status_code == 204:
            deleted += 1
            assert not ours, "a cluster was accepted on a template that was then deleted"
        else:
            assert ours, "the template delete answered 409 without a cluster using it"
        for uuid in ours:
            settle = functools.partial(settled, http, uuid, ADMIN)
            body = wait_until(settle, 60, f"{uuid} to settle")
            assert body["status"] == "CREATE_COMPLETE", body
            assert body["cluster_template_id"] == template
        accepted += ours
        delete_all(http, ours, ADMIN)
        if removal.status_code == 409:
            assert http.delete(f"/v1/clustertemplates/{template}").status_code == 204
    leaves_nothing(stack, http, templates)
    print(f"template race: {rounds} rounds, {len(accepted)} clusters, {deleted} deletes won")


def test_quota_holds_under_concurrent_creates(stack: Server, http: httpx.Client) -> None:
    project = "quota-race"
    response = http.post(
        "/v1/quotas", json={"project_id": project, "resource": "Cluster", "hard_limit": 5}
    )
    assert response.status_code == 201, response.text
    template = new_template(http, "quota-race")
    headers = member(project)
    calls = [create_call(http, template, f"q{n}", headers) for n in range(THREADS)]
    responses = at_once(calls)
    codes = no_server_errors(responses)
    assert codes == Counter({202: 5, 403: THREADS - 5}), codes
    listed = http.get("/v1/clusters", headers=headers).json()["clusters"]
    assert len(listed) == 5
    uuids = [c["uuid"] for c in listed]
    for uuid in uuids:
        wait_until(functools.partial(settled, http, uuid, headers), 60, f"{uuid} to settle")
    delete_all(http, uuids, headers)
    leaves_nothing(stack, http, [template])
    print(f"quota race: {THREADS} creates against 5: {dict(codes)}")


def test_concurrent_template_patches_lose_nothing(stack: Server, http: httpx.Client) -> None:
    template = new_template(http, "patch-race")

    def add_label(n: int) -> Callable[[], httpx.Response]:
        body = [{"op": "add", "path": f"/labels/race_{n}", "value": str(n)}]
        return lambda: http.patch(f"/v1/clustertemplates/{template}", json=body)

    responses = at_once([add_label(n) for n in range(THREADS)])
    codes = no_server_errors(responses)
    assert set(codes) <= {200, 409}, codes
    labels = http.get(f"/v1/clustertemplates/{template}").json()["labels"]
    won = [n for n, r in enumerate(responses) if r.status_code == 200]
    lost = [n for n in won if labels.get(f"race_{n}") != str(n)]
    assert not lost, f"labels answered 200 but lost: {lost}"
    leaves_nothing(stack, http, [template])
    print(f"patch race: {THREADS} patches: {dict(codes)}, {len(won)} labels kept")


def test_concurrent_deletes(stack: Server, http: httpx.Client) -> None:
    template = new_template(http, "delete-race")
    uuids = []
    for n in range(5):
        response = create_call(http, template, f"d{n}")()
        assert response.status_code == 202, response.text
        uuids.append(str(response.json()["uuid"]))
    for uuid in uuids:
        wait_until(functools.partial(settled, http, uuid, ADMIN), 60, f"{uuid} to settle")
    calls = [(lambda u=uuid: http.delete(f"/v1/clusters/{u}")) for uuid in uuids for _ in range(3)]
    responses = at_once(calls)  # type: ignore[arg-type]
    codes = no_server_errors(responses)
    assert set(codes) <= {204, 404, 409}, codes
    for i, uuid in enumerate(uuids):
        mine = [r.status_code for r in responses[3 * i : 3 * i + 3]]
        assert 204 in mine, (uuid, mine)
    delete_all(http, uuids, ADMIN)
    leaves_nothing(stack, http, [template])
    print(f"delete race: 3 deletes of each of 5 clusters: {dict(codes)}")
