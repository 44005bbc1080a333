"""Certificate expiry rows as the API shows them (GET /v1/clusters/{id}/certificates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dockyard.api.views.common import timestamp
from dockyard.db.models import ClusterCertificate
from dockyard.domain.certificates import days_left


def render_certificate(
    row: ClusterCertificate, now: dt.datetime, renew_before_days: int
) -> dict[str, Any]:
    left = days_left(row.not_after, now)
    return {
        "kind": row.kind,
        "name": row.name,
        "subject": row.subject,
        "serial": row.serial,
        "not_before": timestamp(row.not_before),
        "not_after": timestamp(row.not_after),
        "days_left": left,
        "expired": row.not_after <= now,
        "renew_due": left < renew_before_days,
        "recorded_at": timestamp(row.updated_at),
    }
