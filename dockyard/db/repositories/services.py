"""Service heartbeats (the rows behind GET /v1/mservices)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dockyard.db.models import Service, utcnow
from dockyard.db.repositories import execute_count


def heartbeat(session: Session, host: str, binary: str) -> None:
    """Create or bump this process's service row."""
    now = utcnow()
    statement = (
        update(Service)
        .where(Service.host == host, Service.binary == binary)
        .values(report_count=Service.report_count + 1, last_seen_up=now, updated_at=now)
    )
    if execute_count(session, statement) == 0:
        try:
            with session.begin_nested():
                session.add(Service(host=host, binary=binary, report_count=1, last_seen_up=now))
        except IntegrityError:
            pass  # Another process registered the same (host, binary) at the same moment.


def is_up(service: Service, now: dt.datetime, down_after: dt.timedelta) -> bool:
    """Up: not forced down and seen within `down_after` (Magnum's rule)."""
    seen = service.last_seen_up or service.updated_at or service.created_at
    return not service.forced_down and now - seen <= down_after


def all_services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.id)))
