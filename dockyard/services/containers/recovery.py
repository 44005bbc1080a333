"""At Dockyard's start: the container host back if it ran before, and requests a crash
interrupted settled against the engine (each engine container carries its Dockyard uuid in
its name and labels)."""

from __future__ import annotations

import logging

from dockyard.common import exceptions
from dockyard.db.repositories import containers as repo
from dockyard.domain import containers as domain
from dockyard.domain.containers import ContainerStatus
from dockyard.services import container_hosts
from dockyard.services.containers import engine
from dockyard.services.containers.lifecycle import finish_delete
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
    try:
        line = container_hosts.resume(rt)
    except exceptions.DockyardError as exc:
        return [f"container host not resumed: {exc}"]
    if line:
        reports.append(line)
    host = rt.conf.containers.host_name
    with rt.db.read() as session:
        transient = [r.uuid for r in repo.in_statuses(session, frozenset(domain.TRANSIENT))
                     if r.host == host]  # fmt: skip
        on_host = [r.uuid for r in repo.on_host(session, host)]
    for container_uuid in transient:
        reports += _settle(rt, container_uuid)
    engine.sync(rt, on_host)
    for line in reports:
        LOG.warning("containers at start: %s", line)
    return reports


def _settle(rt: Runtime, container_uuid: str) -> list[str]:
    api = container_hosts.client(rt)
    try:
        found = engine.find(api, container_uuid)
    finally:
        api.close()
    with rt.db.write() as session:
        row = repo.get_for_update(session, container_uuid)
        if row is None:
            return []
        if row.status != ContainerStatus.DELETING.value:
            engine.record(row, found, INTERRUPTED_CREATE)
            if found is not None:
                row.status_reason = f"{row.status_reason} (found after a restart)"
            return [f"container {container_uuid}: interrupted create -> {row.status}"]
    failure = finish_delete(rt, container_uuid)
    outcome = "finished" if failure is None else "failed"
    return [f"container {container_uuid}: interrupted delete {outcome}"]
