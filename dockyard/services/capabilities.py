"""What the caller may do: the answer of `GET /v1/capabilities`, which the dashboard uses to
hide what policy or a cluster's status would refuse (docs/api.md).

Rules are evaluated with the loaded policy (defaults plus the operator's overrides) against
the caller's own project, so the dashboard never duplicates the policy file. Which cluster
statuses allow which operation comes from the same table the operations layer enforces.
"""

from __future__ import annotations

from typing import Any

from dockyard.common.context import RequestContext
from dockyard.domain.status import ALLOWED_FROM
from dockyard.services.runtime import Runtime

# The rules the dashboard asks about: one per button or page it may hide.
DASHBOARD_RULES = (
    "cluster:create",
    "cluster:delete",
    "cluster:resize",
    "clustertemplate:create",
    "clustertemplate:update",
    "clustertemplate:delete",
    "certificate:create",
    "certificate:rotate_ca",
    "volume:create",
    "volume:update",
    "volume:delete",
    "container:create",
    "container:start",
    "container:stop",
    "container:delete",
    "quota:get_all",
    "quota:create",
    "quota:delete",
    "stats:get_all",
    "magnum-service:get_all",
    "image:get_all",
)


def describe(rt: Runtime, ctx: RequestContext) -> dict[str, Any]:
    """The caller's identity, the dashboard's rules as allowed or not, and which cluster
    statuses each operation may start from."""
    return {
        "project_id": ctx.project_id,
        "user_id": ctx.user_id,
        "roles": list(ctx.roles),
        "is_admin": ctx.is_admin,
        "rules": {rule: rt.policy.check(ctx, rule) for rule in DASHBOARD_RULES},
        "cluster_operations": {
            kind.value: sorted(status.value for status in statuses)
            for kind, statuses in ALLOWED_FROM.items()
        },
    }
