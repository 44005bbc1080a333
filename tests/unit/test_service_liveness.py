"""Magnum's liveness rule for GET /v1/mservices, with explicit times (no clock, no waiting)."""

from __future__ import annotations

import datetime as dt

from dockyard.db.models import Service
from dockyard.db.repositories.services import is_up

NOW = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
DOWN_AFTER = dt.timedelta(seconds=3)


def _service(**fields: object) -> Service:
    return Service(host="h", binary="dockyard-conductor", forced_down=False, **fields)


def test_up_until_service_down_time_has_passed_since_the_last_heartbeat() -> None:
    assert is_up(_service(last_seen_up=NOW), NOW, DOWN_AFTER)
    assert is_up(_service(last_seen_up=NOW - DOWN_AFTER), NOW, DOWN_AFTER)
    later = NOW - DOWN_AFTER - dt.timedelta(microseconds=1)
    assert not is_up(_service(last_seen_up=later), NOW, DOWN_AFTER)


def test_without_a_heartbeat_the_row_times_count_and_forced_down_wins() -> None:
    assert is_up(_service(updated_at=NOW - dt.timedelta(seconds=1)), NOW, DOWN_AFTER)
    assert not is_up(_service(created_at=NOW - dt.timedelta(minutes=1)), NOW, DOWN_AFTER)
    forced = _service(last_seen_up=NOW)
    forced.forced_down = True
    assert not is_up(forced, NOW, DOWN_AFTER)
