"""The status sync: container rows brought in line with what their engines report (the
container host's engine, or the swarm of a container's cluster).

Rows are read first and only those that differ are written, so reads do not queue behind
writers. Transient statuses are left to the request that holds them (or to
`recovery.resume`); nothing is started. No engine is called inside a transaction.
"""

from __future__ import annotations

from dockyard.db.repositories import containers as repo
from dockyard.domain import containers as domain
from dockyard.services.containers import cluster_engine, engine
from dockyard.services.containers.engine import Seen
from dockyard.services.runtime import Runtime


def sync(rt: Runtime, uuids: list[str]) -> set[str]:
    """Bring the statuses of `uuids` in line with their engines; returns the uuids whose row
    changed."""
    if not uuids:
        return set()
    on_host: dict[str, Seen] = {}
    by_cluster: dict[str, dict[str, Seen]] = {}
    with rt.db.read() as session:
        for row in repo.by_uuids(session, uuids):
            if row.status in domain.TRANSIENT:
                continue
            if row.cluster_id:
                by_cluster.setdefault(row.cluster_id, {})[row.uuid] = engine.seen(row)
            else:
                on_host[row.uuid] = engine.seen(row)
    recorded = dict(on_host)
    expected = engine.expected_on_host(rt, on_host) if on_host else {}
    for cluster_id, rows in by_cluster.items():
        recorded.update(rows)
        expected.update(cluster_engine.expected(rt, cluster_id, rows))
    changes = {u: (recorded[u], after) for u, after in expected.items() if after != recorded[u]}
    if not changes:
        return set()
    with rt.db.write() as session:
        for container_uuid, (before, after) in changes.items():
            current = repo.get_for_update(session, container_uuid)
            if current is None or engine.seen(current) != before:
                continue  # changed meanwhile by a request: that change wins
            current.status, current.status_reason, current.docker_id = after
    return set(changes)
