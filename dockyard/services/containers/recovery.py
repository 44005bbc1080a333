"""At Dockyard's start: the container host back if it ran before, and requests a crash
interrupted settled against their engine, the container host's or a cluster's (each engine
container or swarm service carries its Dockyard uuid in its name and labels)."""

from __future__ import annotations

import contextlib
import logging

from dockyard.common import exceptions
from dockyard.db.models import Container
from dockyard.db.repositories import containers as repo
from dockyard.domain import containers as domain
from dockyard.domain.containers import ContainerStatus
from dockyard.services import container_hosts
from dockyard.services.containers import cluster_engine, engine
from dockyard.services.containers.engine import Seen
from dockyard.services.containers.lifecycle import finish_delete
from dockyard.services.containers.sync import sync
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)
INTERRUPTED_CREATE = (
    "creation was interrupted by a restart of Dockyard before the engine created the container"
)


def resume(rt: Runtime) -> list[str]:
    """Bring the container host back if it ran before, settle containers a crash left
    Creating or Deleting, and sync every status with the engine. Returns (and logs) what
    was done."""
    reports: list[str] = []
    host: str | None = rt.conf.containers.host_name
    try:
        line = container_hosts.resume(rt)
    except exceptions.DockyardError as exc:
        line, host = f"container host not resumed: {exc}", None  # its containers wait
    if line:
        reports.append(line)
    with rt.db.read() as session:
        transient = [r for r in repo.in_statuses(session, frozenset(domain.TRANSIENT))
                     if r.cluster_id or (host is not None and r.host == host)]  # fmt: skip
        on_host = [r.uuid for r in repo.on_host(session, host)] if host is not None else []
    for row in transient:
        reports += _settle(rt, row)
    sync(rt, on_host)
    for line in reports:
        LOG.warning("containers at start: %s", line)
    return reports


def _found(rt: Runtime, row: Container) -> Seen | None:
    """What the container's engine reports about it (None: not there, or no answer)."""
    if row.cluster_id:
        return cluster_engine.find_seen(rt, row)
    with contextlib.closing(container_hosts.client(rt)) as api:
        found = engine.find(api, row.uuid)
    return None if found is None else engine.reported(found)


def _settle(rt: Runtime, row: Container) -> list[str]:
    seen = _found(rt, row)
    with rt.db.write() as session:
        current = repo.get_for_update(session, row.uuid)
        if current is None:
            return []
        if current.status != ContainerStatus.DELETING.value:
            engine.apply(current, seen, INTERRUPTED_CREATE)
            if seen is not None:
                current.status_reason = f"{current.status_reason} (found after a restart)"
            return [f"container {row.uuid}: interrupted create -> {current.status}"]
    failure = finish_delete(rt, current)
    outcome = "finished" if failure is None else "failed"
    return [f"container {row.uuid}: interrupted delete {outcome}"]
