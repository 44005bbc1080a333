"""The services view: which Dockyard processes are alive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dockyard.common.context import RequestContext
from dockyard.db.models import Service, utcnow
from dockyard.db.repositories import services as repo
from dockyard.services.runtime import Runtime


@dataclass(frozen=True, slots=True)
class ServiceState:
    service: Service
    state: str


def heartbeat(rt: Runtime, binary: str) -> None:
    with rt.db.write() as session:
        repo.heartbeat(session, rt.conf.host, binary)


def list_services(rt: Runtime, ctx: RequestContext) -> list[ServiceState]:
    rt.policy.authorize(ctx, "magnum-service:get_all")
    down_after = dt.timedelta(seconds=int(rt.conf.service_down_time))
    now = utcnow()
    with rt.db.read() as session:
        rows = repo.all_services(session)
    return [ServiceState(row, "up" if repo.is_up(row, now, down_after) else "down") for row in rows]
