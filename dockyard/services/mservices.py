"""The services view: which Dockyard processes are alive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dockyard.common.context import RequestContext
from dockyard.db.models import Service, utcnow
from dockyard.db.repositories import services as repo
from dockyard.services.runtime import Runtime

# Magnum's one service binary, and the Dockyard process that plays its part.
MAGNUM_CONDUCTOR = "magnum-conductor"
CONDUCTOR = "dockyard-conductor"


@dataclass(frozen=True, slots=True)
class ServiceState:
    service: Service
    state: str
    #: The name the list shows (Magnum's or Dockyard's, per [api] service_list_names).
    binary: str


def heartbeat(rt: Runtime, binary: str) -> None:
    with rt.db.write() as session:
        repo.heartbeat(session, rt.conf.host, binary)


def list_services(rt: Runtime, ctx: RequestContext) -> list[ServiceState]:
    """Every process's heartbeat; with Magnum's names (the default), only the conductors, as
    `magnum-conductor`: Magnum has no API row, and its clients expect that binary."""
    rt.policy.authorize(ctx, "magnum-service:get_all")
    down_after = dt.timedelta(seconds=int(rt.conf.service_down_time))
    now = utcnow()
    magnum_names = rt.conf.api.service_list_names == "magnum"
    with rt.db.read() as session:
        rows = repo.all_services(session)
    if magnum_names:
        rows = [row for row in rows if row.binary == CONDUCTOR]
    return [
        ServiceState(
            row,
            "up" if repo.is_up(row, now, down_after) else "down",
            MAGNUM_CONDUCTOR if magnum_names else row.binary,
        )
        for row in rows
    ]
