"""CADF notifications through the machine's real RabbitMQ (127.0.0.1:5672, guest/guest)."""

from __future__ import annotations

import contextlib
import queue
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, make_runtime, running_api
from pycadf import cadftaxonomy, resource
from pycadf import event as cadf_event

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import oslo_messaging

RABBIT = "rabbit://guest:guest@127.0.0.1:5672/"


class _Collector:
    """A notification endpoint that queues (priority, event_type, payload)."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[str, str, dict[str, Any]]] = queue.Queue()

    def info(
        self, ctxt: Any, publisher_id: str, event_type: str, payload: Any, metadata: Any
    ) -> None:
        self.received.put(("INFO", event_type, payload))

    def error(
        self, ctxt: Any, publisher_id: str, event_type: str, payload: Any, metadata: Any
    ) -> None:
        self.received.put(("ERROR", event_type, payload))


@pytest.fixture
def topic() -> str:
    return f"dockyard-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def listener(topic: str, tmp_path: Path) -> Iterator[_Collector]:
    from dockyard.conf import load_config

    conf = load_config([], config_files=[])
    conf.set_override("transport_url", RABBIT)
    transport = oslo_messaging.get_notification_transport(conf)
    collector = _Collector()
    server = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic=topic)], [collector], executor="threading"
    )
    server.start()
    yield collector
    server.stop()
    server.wait()
    transport.cleanup()


@pytest.fixture
def rabbit_api(tmp_path: Path, sqlite_url: str, topic: str) -> Iterator[Api]:
    runtime = make_runtime(
        tmp_path,
        sqlite_url,
        {
            "DEFAULT": {"transport_url": RABBIT},
            "oslo_messaging_notifications": {"driver": ["messagingv2"], "topics": [topic]},
        },
    )
    with running_api(runtime) as client:
        yield client


def _collect(
    collector: _Collector, count: int, prefix: str = "magnum.cluster.", timeout: float = 20
) -> list[tuple[str, str, dict[str, Any]]]:
    """The first `count` notifications whose event type starts with `prefix`."""
    got: list[tuple[str, str, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            item = collector.received.get(timeout=0.2)
            if item[1].startswith(prefix):
                got.append(item)
    return got


def _check_cadf(payload: dict[str, Any], cluster: str, outcome: str, action: str) -> None:
    def _resource(data: dict[str, Any]) -> resource.Resource:
        return resource.Resource(typeURI=data["typeURI"], id=data["id"])

    event = cadf_event.Event(
        eventType=payload["eventType"],
        id=payload["id"],
        eventTime=payload["eventTime"],
        action=payload["action"],
        outcome=payload["outcome"],
        initiator=_resource(payload["initiator"]),
        target=_resource(payload["target"]),
        observer=_resource(payload["observer"]),
    )
    assert event.is_valid()
    assert payload["typeURI"] == cadf_event.TYPE_URI_EVENT
    assert payload["eventType"] == "activity"
    assert payload["outcome"] == outcome
    assert payload["action"] == action
    assert payload["target"]["id"] == cluster
    assert payload["target"]["typeURI"] == "service/magnum/cluster"
    assert payload["initiator"]["typeURI"] == cadftaxonomy.ACCOUNT_USER
    assert payload["initiator"]["id"] == "admin"
    assert payload["initiator"]["project_id"] == "default"
    (attachment,) = payload["attachments"]
    assert attachment["name"] == "cluster_data"
    assert attachment["content"]["uuid"] == cluster
    assert "docker_volume_size:" in attachment["content"]


def test_create_success_and_failure_reach_rabbitmq(rabbit_api: Api, listener: _Collector) -> None:
    api = rabbit_api
    api.template(name="k8s")
    good = api.post("/v1/clusters", {"cluster_template_id": "k8s"}).json()["uuid"]
    api.wait_status(good, "CREATE_COMPLETE")
    bad = api.post(
        "/v1/clusters", {"cluster_template_id": "k8s", "labels": {"fake_fail": "create"}}
    ).json()["uuid"]
    api.wait_status(bad, "CREATE_FAILED")
    got = _collect(listener, 4)
    by_cluster: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for item in got:
        by_cluster.setdefault(item[2]["target"]["id"], []).append(item)
    assert [(p, t, e["outcome"]) for p, t, e in by_cluster[good]] == [
        ("INFO", "magnum.cluster.create", "pending"),
        ("INFO", "magnum.cluster.create", "success"),
    ]
    assert [(p, t, e["outcome"]) for p, t, e in by_cluster[bad]] == [
        ("INFO", "magnum.cluster.create", "pending"),
        ("ERROR", "magnum.cluster.create", "failure"),
    ]
    for cluster, events in by_cluster.items():
        for _, _, payload in events:
            _check_cadf(payload, cluster, payload["outcome"], "create")
    final = by_cluster[bad][-1][2]["attachments"][0]["content"]
    assert final["status"] == "CREATE_FAILED"
    assert final["status_reason"] == "fake driver was told to fail create"


def test_delete_sends_delete_events(rabbit_api: Api, listener: _Collector) -> None:
    api = rabbit_api
    api.template(name="k8s")
    uuid_ = api.post("/v1/clusters", {"cluster_template_id": "k8s"}).json()["uuid"]
    api.wait_status(uuid_, "CREATE_COMPLETE")
    api.delete(f"/v1/clusters/{uuid_}")
    api.wait_status(uuid_, "DELETE_COMPLETE")
    got = [(t, e["outcome"]) for _, t, e in _collect(listener, 4)]
    assert got[-2:] == [("magnum.cluster.delete", "pending"), ("magnum.cluster.delete", "success")]


def test_template_changes_send_dockyard_events(rabbit_api: Api, listener: _Collector) -> None:
    api = rabbit_api
    template = api.template(name="t1")
    path = f"/v1/clustertemplates/{template['uuid']}"
    api.patch(path, [{"op": "replace", "path": "/name", "value": "t2"}])
    api.delete(path)
    got = _collect(listener, 3, prefix="dockyard.clustertemplate.")
    assert [(priority, kind, event["outcome"]) for priority, kind, event in got] == [
        ("INFO", "dockyard.clustertemplate.create", "success"),
        ("INFO", "dockyard.clustertemplate.update", "success"),
        ("INFO", "dockyard.clustertemplate.delete", "success"),
    ]
    for _, _, event in got:
        assert event["target"] == {
            "typeURI": "service/dockyard/clustertemplate",
            "id": template["uuid"],
        }
        assert event["attachments"][0]["name"] == "clustertemplate_data"
    assert got[1][2]["attachments"][0]["content"]["name"] == "t2"
