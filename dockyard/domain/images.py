"""An image as templates see it, wherever it was found (Dockyard's catalog or Glance)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Image:
    """`os_distro` (with the server type and COE) selects the driver; `properties` may name one
    (`dockyard_driver`)."""

    id: str
    name: str
    os_distro: str | None
    properties: dict[str, Any] = field(default_factory=dict)
