"""Removing local clusters: a delete, and the sweep of orphans the database no longer knows."""

from __future__ import annotations

import contextlib
import os

from dockyard.drivers.base import ClusterSpec, DriverResult, Outcome
from dockyard.drivers.swarm_local.parts import DriverParts

# File times come from the kernel's coarse clock: a state saved just after the database was
# listed may look a little older. Anything changed this close to the listing is kept.
ORPHAN_CLOCK_MARGIN = 1.0


def delete(parts: DriverParts, spec: ClusterSpec) -> DriverResult:
    """Remove everything the cluster has; deleting what is already gone succeeds."""
    with parts.store.cluster_lock(spec.uuid) as lock_path:
        state = parts.store.existing_state(spec.uuid, spec.driver_state)
        problems: list[str] = []
        if state is not None:
            problems = parts.nodes.teardown_cluster(state)
        _forget_lock(lock_path)
    reason = "deleted" if not problems else "deleted; left behind: " + "; ".join(problems)
    return DriverResult(Outcome.COMPLETE, reason=reason, driver_state={}, events=problems)


def sweep_orphan(parts: DriverParts, uuid: str, listed_at: float) -> str | None:
    """Remove cluster `uuid`, which the database listed at `listed_at` does not know; a line
    for the log, or None when it was left alone (gone, or changed since the listing)."""
    with parts.store.cluster_lock(uuid) as lock_path:
        changed = parts.store.changed_at(uuid)
        if changed is None or changed >= listed_at - ORPHAN_CLOCK_MARGIN:
            return None  # gone meanwhile, or made by a create that started since
        try:
            state = parts.store.load(uuid)
        except (ValueError, TypeError, KeyError):  # unreadable: go by the UUID's names
            state = None
        problems = parts.nodes.sweep(uuid, state)
        _forget_lock(lock_path)
    what = f"{len(state.nodes)} node(s), subnet {state.subnet}" if state else "no state"
    line = f"orphan cluster {uuid} (not in the database; {what}): removed"
    return line + ("; left behind: " + "; ".join(problems) if problems else "")


def _forget_lock(lock_path: str) -> None:
    """Remove the lock file of a cluster that is gone (while still holding the lock)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock_path)
