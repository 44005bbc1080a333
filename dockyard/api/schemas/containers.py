"""Container request bodies (Dockyard extension, after Zun's container API)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from dockyard.api.schemas.types import Str255

ContainerName = Annotated[str, Field(max_length=255, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
AbsolutePath = Annotated[StrictStr, Field(min_length=1, max_length=1024, pattern=r"^/")]
EnvName = Annotated[StrictStr, Field(min_length=1, max_length=255, pattern=r"^[^=\x00]+$")]
EnvValue = Annotated[StrictStr, Field(max_length=32768)]


class MountBody(BaseModel):
    """One mount: a Dockyard volume (by name or uuid) or, when allowed, a host directory."""

    model_config = ConfigDict(extra="forbid")

    source: Annotated[StrictStr, Field(min_length=1, max_length=1024)]
    destination: AbsolutePath
    type: Literal["volume", "bind"] = "volume"
    read_only: StrictBool = False


class ContainerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ContainerName | None = None
    image: Str255 | None = None
    # A list of arguments, or one string split as a shell would (no shell runs it).
    command: list[Annotated[StrictStr, Field(max_length=32768)]] | StrictStr | None = None
    environment: dict[EnvName, EnvValue] | None = None
    # Seed 001, approach 1: a named volume, created with vol_size when it does not exist.
    volume_driver: Str255 | None = None
    vol_name: Str255 | None = None
    vol_size: StrictInt | None = Field(default=None, ge=1)
    vol_destination: AbsolutePath = "/data"
    mounts: list[MountBody] | None = None
    # Run it on a local Swarm cluster of the caller's project instead of the container host.
    cluster: Str255 | None = None
    # Start it after creating it (Zun's `run`); false leaves it Created.
    start: StrictBool = True
