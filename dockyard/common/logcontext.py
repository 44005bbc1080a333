"""Request and cluster ids on every log line, carried by context variables.

The API sets the request id per request (Starlette copies the context into the worker thread
of a sync route); the conductor sets the operation's request id and cluster id while it runs
one. `ContextFilter` copies them onto each record; `JsonFormatter` writes one JSON object per
line for log collectors.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
cluster_id: contextvars.ContextVar[str] = contextvars.ContextVar("cluster_id", default="-")


@contextmanager
def bound(*, request: str | None = None, cluster: str | None = None) -> Iterator[None]:
    """Log lines inside the block carry `request` and `cluster`."""
    tokens = []
    if request is not None:
        tokens.append((request_id, request_id.set(request)))
    if cluster is not None:
        tokens.append((cluster_id, cluster_id.set(cluster)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextFilter(logging.Filter):
    """Adds `request_id` and `cluster_id` attributes to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.cluster_id = cluster_id.get()
        return True


TEXT_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s [req %(request_id)s] [cluster %(cluster_id)s] %(message)s"
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "cluster_id": getattr(record, "cluster_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)
