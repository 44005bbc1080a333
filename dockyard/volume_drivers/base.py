"""The VolumeDriver interface: where a volume's bytes live and how this host mounts them.

A driver gets plain values (a `VolumeRef`) and never sees the database or configuration. Every
method is idempotent, because a call may be repeated after a crash: `create` of a volume that
exists, `delete` of one that is gone, `attach` of a mounted one and `detach` of an unmounted
one all succeed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar


class VolumeDriverError(RuntimeError):
    """The backend failed; the message says what and why (it becomes a status_reason)."""


class VolumeBusy(VolumeDriverError):
    """The volume is still in use where the driver cannot see (e.g. an open file)."""


class GrowNeedsDetach(VolumeDriverError):
    """The volume cannot grow while it is attached (here); the message says why."""


@dataclass(frozen=True, slots=True)
class VolumeRef:
    """One volume as a driver needs it.

    `backend_ref` is what `create` returned (an image path, a Cinder id), None before.
    `auth_token` and `project_id` are the caller's, for backends that act as the user.
    """

    uuid: str
    name: str
    size_gib: int
    fstype: str = "ext4"
    multiattach: bool = False
    backend_ref: str | None = None
    auth_token: str | None = None
    project_id: str | None = None


@dataclass(frozen=True, slots=True)
class VolumeUsage:
    """Sizes in bytes: the backend's size and allocation; the filesystem's when mounted."""

    size: int
    allocated: int | None = None
    total: int | None = None
    used: int | None = None


class VolumeDriver(ABC):
    """One storage backend for container volumes."""

    name: ClassVar[str]
    #: Filesystems `create` can make.
    fstypes: ClassVar[frozenset[str]] = frozenset({"ext4"})

    def problems(self) -> list[str]:
        """What stops this driver from working here (empty when all is well)."""
        return []

    @abstractmethod
    def create(self, volume: VolumeRef) -> str:
        """Make the volume; returns its backend reference."""

    @abstractmethod
    def delete(self, volume: VolumeRef) -> None:
        """Remove the volume and free its storage (it is detached first)."""

    @abstractmethod
    def grow(self, volume: VolumeRef, size_gib: int) -> None:
        """Grow the volume and its filesystem to `size_gib`, keeping the data."""

    @abstractmethod
    def attach(self, volume: VolumeRef) -> str:
        """Mount the volume on this host; returns the mountpoint engines bind into containers."""

    @abstractmethod
    def detach(self, volume: VolumeRef) -> None:
        """Unmount the volume from this host."""

    @abstractmethod
    def exists(self, volume: VolumeRef) -> bool:
        """Whether the backend has the volume (complete: a half-made one does not count)."""

    @abstractmethod
    def is_attached(self, volume: VolumeRef) -> bool:
        """Whether the volume is mounted on this host now."""

    @abstractmethod
    def usage(self, volume: VolumeRef) -> VolumeUsage | None:
        """The volume's sizes, or None when the backend does not have it."""

    def mountpoint(self, volume: VolumeRef) -> str:
        """Where `attach` mounts the volume on this host ("" when the driver cannot)."""
        return ""

    def attached_here(self) -> list[str]:
        """Uuids of this driver's volumes mounted on this host (for reconciliation)."""
        return []
