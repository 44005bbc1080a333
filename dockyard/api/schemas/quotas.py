"""Quota bodies (PATCH takes a whole object, not a JSON patch)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dockyard.api.schemas.types import Str255


class QuotaBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: Str255
    resource: Literal["Cluster"] = "Cluster"
    hard_limit: int = Field(default=1, ge=0)
