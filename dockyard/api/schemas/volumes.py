"""Volume request bodies (POST; PATCH is a JSON patch of `name` and `size`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr

from dockyard.api.schemas.types import Str255

READ_ONLY = (
    "uuid", "status", "status_reason", "project_id", "user_id", "host", "attachments",
    "usage", "links", "created_at", "updated_at", "id",
)  # fmt: skip
# What a JSON patch may change; every other attribute is internal.
PATCHABLE = ("name", "size")


class VolumeCreate(BaseModel):
    """POST /v1/volumes. Range and option checks are the service's (one set of rules for the
    API and the Docker plugin)."""

    model_config = ConfigDict(extra="forbid")

    name: Str255 | None = None
    size: StrictInt
    volume_driver: Str255 | None = None
    options: dict[Str255, StrictStr | StrictBool] | None = None


class VolumeChanges(BaseModel):
    """A volume after a JSON patch: the new name and size."""

    model_config = ConfigDict(extra="forbid")

    name: Str255
    size: StrictInt
