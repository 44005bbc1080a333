"""Driver progress reports as timeline events (`<kind>.progress`, with the fraction done).

Each report is its own short write transaction, made while the driver call runs (outside the
operation's transactions), so the API shows it at once. A report that cannot be written is
logged and dropped: progress is for people watching, never a reason to fail an operation.
"""

from __future__ import annotations

import logging

from dockyard.conductor.deps import ConductorDeps
from dockyard.db.repositories import events as event_repo
from dockyard.drivers.base import ProgressReporter, ProgressStep

LOG = logging.getLogger(__name__)


def reporter(
    rt: ConductorDeps,
    cluster_uuid: str,
    op_uuid: str,
    kind: str,
    request_id: str | None,
    owner: str,
) -> ProgressReporter:
    """The `ClusterSpec.progress` of one run of operation `op_uuid` by conductor `owner`."""

    def report(step: ProgressStep) -> None:
        fraction = step.fraction
        LOG.debug("progress %s: %s (%s)", kind, step.message, fraction)
        try:
            with rt.db.write() as session:
                event_repo.record(
                    session,
                    cluster_uuid,
                    f"{kind}.progress",
                    step.message,
                    operation_uuid=op_uuid,
                    host=owner,
                    request_id=request_id,
                    progress=fraction,
                )
        except Exception:  # never fail the driver call over a progress line
            LOG.warning("could not record progress of operation %s", op_uuid, exc_info=True)

    return report
