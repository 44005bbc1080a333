"""Event timeline rendering (Dockyard extension: GET /v1/clusters/{id}/events)."""

from __future__ import annotations

from typing import Any

from dockyard.api.views.common import timestamp
from dockyard.db.models import ClusterEvent, Operation


def render_event(event: ClusterEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "created_at": timestamp(event.created_at),
        "event": event.event,
        "level": event.level,
        "status": event.status,
        "message": event.message,
        "operation_id": event.operation_id,
        "host": event.host,
        "request_id": event.request_id,
        "progress": event.progress,
    }


def render_operation(op: Operation) -> dict[str, Any]:
    return {
        "uuid": op.uuid,
        "kind": op.kind,
        "state": op.state,
        "attempts": op.attempts,
        "error": op.error,
        "created_at": timestamp(op.created_at),
        "started_at": timestamp(op.started_at),
        "finished_at": timestamp(op.finished_at),
        "deadline_at": timestamp(op.deadline_at),
        "conductor": op.lease_owner,
    }
