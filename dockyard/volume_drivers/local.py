"""The `local` volume driver: sparse ext4 images on this host, loop-mounted by the plugin."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator

from dockyard.providers.block_local import image
from dockyard.providers.block_local import store as store_mod
from dockyard.providers.block_local.store import BlockStore
from dockyard.providers.commands import CommandError
from dockyard.volume_drivers.base import (
    GrowNeedsDetach,
    VolumeBusy,
    VolumeDriver,
    VolumeDriverError,
    VolumeRef,
    VolumeUsage,
)


class LocalVolumeDriver(VolumeDriver):
    """Volumes as `<root>/images/<uuid>.img`, mounted on `<root>/mnt/<uuid>`.

    Sizes are enforced by the filesystem: a volume of N GiB holds N GiB, not more. The host
    that made a volume is the only one that can mount it.
    """

    name = "local"
    fstypes = frozenset(image.FSTYPES)

    def __init__(self, root: str) -> None:
        self.store = BlockStore(root)

    def problems(self) -> list[str]:
        return image.problems("ext4")

    def prepare_host(self) -> None:
        """Make the volumes' root a shared mount; call before starting any engine."""
        self.store.prepare()

    def release_host(self) -> list[str]:
        """Undo `prepare_host` unless a volume is mounted; returns why not (empty: done)."""
        return self.store.release()

    def create(self, volume: VolumeRef) -> str:
        with _errors("create"):
            return self.store.create(volume.uuid, volume.size_gib, volume.fstype)

    def delete(self, volume: VolumeRef) -> None:
        with _errors("delete"):
            self.store.delete(volume.uuid)

    def grow(self, volume: VolumeRef, size_gib: int) -> None:
        try:
            with _errors("grow"):
                self.store.grow(volume.uuid, size_gib)
        except VolumeDriverError as exc:
            if isinstance(exc.__cause__, store_mod.GrowNeedsDetach):
                raise GrowNeedsDetach(str(exc.__cause__)) from exc
            raise

    def attach(self, volume: VolumeRef) -> str:
        with _errors("attach"):
            return self.store.attach(volume.uuid, volume.fstype)

    def detach(self, volume: VolumeRef) -> None:
        with _errors("detach"):
            self.store.detach(volume.uuid)

    def exists(self, volume: VolumeRef) -> bool:
        return self.store.exists(volume.uuid)

    def is_attached(self, volume: VolumeRef) -> bool:
        return self.store.is_mounted(volume.uuid)

    def usage(self, volume: VolumeRef) -> VolumeUsage | None:
        found = self.store.usage(volume.uuid)
        if found is None:
            return None
        return VolumeUsage(found.size, found.allocated, found.total, found.used)

    def mountpoint(self, volume: VolumeRef) -> str:
        return self.store.mountpoint(volume.uuid)

    def attached_here(self) -> list[str]:
        return self.store.mounted_volumes()


@contextlib.contextmanager
def _errors(action: str) -> Iterator[None]:
    """Host command and image failures as VolumeDriverError ("busy" as VolumeBusy)."""
    try:
        yield
    except CommandError as exc:
        cls = VolumeBusy if "busy" in exc.stderr.lower() else VolumeDriverError
        raise cls(f"local volume {action} failed: {exc}") from exc
    except (image.ImageError, OSError, subprocess.SubprocessError) as exc:
        raise VolumeDriverError(f"local volume {action} failed: {exc}") from exc
