"""Quota rendering."""

from __future__ import annotations

from typing import Any

from dockyard.api.views.common import timestamp
from dockyard.services.quotas import DefaultQuota


def render(quota: Any) -> dict[str, Any]:
    """A quota row (or the configured default for a project without one)."""
    body: dict[str, Any] = {
        "project_id": quota.project_id,
        "resource": quota.resource,
        "hard_limit": quota.hard_limit,
    }
    if not isinstance(quota, DefaultQuota):
        body["id"] = quota.id
        body["created_at"] = timestamp(quota.created_at)
        body["updated_at"] = timestamp(quota.updated_at)
    return body
