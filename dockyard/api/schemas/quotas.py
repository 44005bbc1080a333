"""Quota bodies (PATCH takes a whole object, not a JSON patch). `Node` (nodes of all the
project's clusters) is a Dockyard extension beside Magnum's `Cluster`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from dockyard.api.schemas.types import QuotaHardLimit, Str255


class QuotaBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: Str255
    resource: Literal["Cluster", "Node"] = "Cluster"
    hard_limit: QuotaHardLimit = 1
