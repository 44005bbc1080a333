"""CADF notifications through the machine's real RabbitMQ (127.0.0.1:5672, guest/guest):
clusters, templates and volumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, make_runtime, running_api
from harness.notifications import (
    Collector,
    Notification,
    check_cadf,
    listening,
    new_topic,
    notifier_overrides,
)

from dockyard.cmd.wiring import local_root


@pytest.fixture
def topic() -> str:
    return new_topic()


@pytest.fixture
def listener(topic: str) -> Iterator[Collector]:
    with listening(topic) as collector:
        yield collector


@pytest.fixture
def rabbit_api(tmp_path: Path, sqlite_url: str, topic: str) -> Iterator[Api]:
    runtime = make_runtime(tmp_path, sqlite_url, notifier_overrides(topic))
    with running_api(runtime) as client:
        yield client


def _check_cadf(payload: dict[str, Any], cluster: str, outcome: str, action: str) -> None:
    check_cadf(
        payload, target_id=cluster, target_type="service/magnum/cluster", outcome=outcome,
        action=action,
    )  # fmt: skip
    assert payload["initiator"]["id"] == "admin"
    assert payload["initiator"]["project_id"] == "default"
    (attachment,) = payload["attachments"]
    assert attachment["name"] == "cluster_data"
    assert attachment["content"]["uuid"] == cluster
    assert "docker_volume_size:" in attachment["content"]


def test_create_success_and_failure_reach_rabbitmq(rabbit_api: Api, listener: Collector) -> None:
    api = rabbit_api
    api.template(name="k8s")
    good = api.post("/v1/clusters", {"cluster_template_id": "k8s"}).json()["uuid"]
    api.wait_status(good, "CREATE_COMPLETE")
    bad = api.post(
        "/v1/clusters", {"cluster_template_id": "k8s", "labels": {"fake_fail": "create"}}
    ).json()["uuid"]
    api.wait_status(bad, "CREATE_FAILED")
    got = listener.collect(4, "magnum.cluster.")
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


def test_delete_sends_delete_events(rabbit_api: Api, listener: Collector) -> None:
    api = rabbit_api
    api.template(name="k8s")
    uuid_ = api.post("/v1/clusters", {"cluster_template_id": "k8s"}).json()["uuid"]
    api.wait_status(uuid_, "CREATE_COMPLETE")
    api.delete(f"/v1/clusters/{uuid_}")
    api.wait_status(uuid_, "DELETE_COMPLETE")
    got = [(t, e["outcome"]) for _, t, e in listener.collect(4, "magnum.cluster.")]
    assert got[-2:] == [("magnum.cluster.delete", "pending"), ("magnum.cluster.delete", "success")]


def test_template_changes_send_dockyard_events(rabbit_api: Api, listener: Collector) -> None:
    api = rabbit_api
    template = api.template(name="t1")
    path = f"/v1/clustertemplates/{template['uuid']}"
    api.patch(path, [{"op": "replace", "path": "/name", "value": "t2"}])
    api.delete(path)
    got = listener.collect(3, "dockyard.clustertemplate.")
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


# -- volumes (containers need a host: tests/integration/test_containers.py) ------------------
VOLUME_TYPE = "service/dockyard/volume"


def _volume_events(got: list[Notification]) -> list[tuple[str, str, str]]:
    return [(priority, kind, payload["outcome"]) for priority, kind, payload in got]


def _check_volume_cadf(got: list[Notification], volume: str, action: str) -> dict[str, Any]:
    """Every event is valid CADF about `volume`; returns the last one's volume_data."""
    for _, _, payload in got:
        check_cadf(
            payload, target_id=volume, target_type=VOLUME_TYPE, outcome=payload["outcome"],
            action=action,
        )  # fmt: skip
        assert (payload["initiator"]["id"], payload["initiator"]["project_id"]) == (
            "admin", "default",
        )  # fmt: skip
        (attachment,) = payload["attachments"]
        assert attachment["name"] == "volume_data"
        assert attachment["content"]["uuid"] == volume
    content: dict[str, Any] = got[-1][2]["attachments"][0]["content"]
    return content


def test_volume_create_update_delete_reach_rabbitmq(rabbit_api: Api, listener: Collector) -> None:
    made = rabbit_api.post("/v1/volumes", {"name": "v1", "size": 1})
    assert made.status_code == 201, made.text
    volume = made.json()["uuid"]
    grown = rabbit_api.patch("/v1/volumes/v1", [{"op": "replace", "path": "/size", "value": 2}])
    assert grown.status_code == 200, grown.text
    assert rabbit_api.delete("/v1/volumes/v1").status_code == 204

    created = listener.collect(2, "dockyard.volume.create", [volume])
    assert _volume_events(created) == [
        ("INFO", "dockyard.volume.create", "pending"),
        ("INFO", "dockyard.volume.create", "success"),
    ]
    content = _check_volume_cadf(created, volume, "create")
    assert (content["name"], content["size"], content["status"]) == ("v1", 1, "available")
    updated = listener.collect(1, "dockyard.volume.update", [volume])
    assert _volume_events(updated) == [("INFO", "dockyard.volume.update", "success")]
    assert _check_volume_cadf(updated, volume, "update")["size"] == 2
    deleted = listener.collect(2, "dockyard.volume.delete", [volume])
    assert _volume_events(deleted) == [
        ("INFO", "dockyard.volume.delete", "pending"),
        ("INFO", "dockyard.volume.delete", "success"),
    ]
    _check_volume_cadf(deleted, volume, "delete")


def test_a_volume_the_driver_fails_to_create_is_an_error_notification(
    rabbit_api: Api, listener: Collector
) -> None:
    # The local driver keeps images in <local_root>/images: a file there makes it fail.
    root = Path(local_root(rabbit_api.runtime.conf))
    root.mkdir(parents=True)
    (root / "images").write_text("not a directory")
    made = rabbit_api.post("/v1/volumes", {"name": "broken", "size": 1})
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "error", made.json()
    volume = made.json()["uuid"]

    got = listener.collect(2, "dockyard.volume.create", [volume])
    assert _volume_events(got) == [
        ("INFO", "dockyard.volume.create", "pending"),
        ("ERROR", "dockyard.volume.create", "failure"),
    ]
    content = _check_volume_cadf(got, volume, "create")
    assert content["status"] == "error"
    assert "local volume create failed" in content["status_reason"]
