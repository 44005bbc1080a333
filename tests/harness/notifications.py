"""The machine's real RabbitMQ (127.0.0.1:5672, guest/guest) as a notification consumer sees
it: an oslo.messaging listener on a topic of the test's own, and pycadf checks of what arrives.
"""

from __future__ import annotations

import contextlib
import queue
import time
import uuid
import warnings
from collections.abc import Collection, Iterator
from typing import Any

from pycadf import cadftaxonomy, resource
from pycadf import event as cadf_event

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import oslo_messaging

RABBIT = "rabbit://guest:guest@127.0.0.1:5672/"
Notification = tuple[str, str, dict[str, Any]]  # (priority, event_type, payload)


def new_topic() -> str:
    """A topic no other test listens on."""
    return f"dockyard-test-{uuid.uuid4().hex[:8]}"


def notifier_overrides(topic: str) -> dict[str, dict[str, Any]]:
    """`make_runtime` overrides that send notifications to RabbitMQ on `topic`."""
    return {
        "DEFAULT": {"transport_url": RABBIT},
        "oslo_messaging_notifications": {"driver": ["messagingv2"], "topics": [topic]},
    }


class Collector:
    """A notification endpoint that queues (priority, event_type, payload)."""

    def __init__(self) -> None:
        self.received: queue.Queue[Notification] = queue.Queue()

    def info(
        self, ctxt: Any, publisher_id: str, event_type: str, payload: Any, metadata: Any
    ) -> None:
        self.received.put(("INFO", event_type, payload))

    def error(
        self, ctxt: Any, publisher_id: str, event_type: str, payload: Any, metadata: Any
    ) -> None:
        self.received.put(("ERROR", event_type, payload))

    def collect(
        self, count: int, prefix: str, targets: Collection[str] = (), timeout: float = 20
    ) -> list[Notification]:
        """The first `count` notifications whose event type starts with `prefix` (and whose
        CADF target is one of `targets`, when given); others are dropped."""
        got: list[Notification] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                item = self.received.get(timeout=0.2)
                wanted = not targets or item[2]["target"]["id"] in targets
                if item[1].startswith(prefix) and wanted:
                    got.append(item)
        return got


@contextlib.contextmanager
def listening(topic: str) -> Iterator[Collector]:
    """An oslo.messaging notification listener on `topic` while the block runs."""
    from dockyard.conf import load_config

    conf = load_config([], config_files=[])
    conf.set_override("transport_url", RABBIT)
    transport = oslo_messaging.get_notification_transport(conf)
    collector = Collector()
    server = oslo_messaging.get_notification_listener(
        transport, [oslo_messaging.Target(topic=topic)], [collector], executor="threading"
    )
    server.start()
    try:
        yield collector
    finally:
        server.stop()
        server.wait()
        transport.cleanup()


def check_cadf(
    payload: dict[str, Any], *, target_id: str, target_type: str, outcome: str, action: str
) -> None:
    """`payload` is a valid CADF activity event (pycadf) about `target_id` with `outcome`."""

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
    assert payload["action"] in cadftaxonomy.ACTION_TAXONOMY
    assert payload["target"] == {"typeURI": target_type, "id": target_id}
    assert payload["initiator"]["typeURI"] == cadftaxonomy.ACCOUNT_USER
