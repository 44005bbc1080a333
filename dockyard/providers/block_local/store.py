"""One directory of block volumes: `images/<id>.img` and their mountpoints `mnt/<id>`.

Both live under one root, which `ensure_shared_root` makes a shared mount before the first
mount, so engines started after it see every volume mounted later.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from dockyard.providers.block_local import image, loop, mounts


class GrowNeedsDetach(image.ImageError):
    """The volume is mounted and cannot be grown online here; unmount it first."""


@dataclass(frozen=True, slots=True)
class Usage:
    """Sizes of one volume, in bytes. `used`/`total` are the filesystem's, when mounted."""

    size: int
    allocated: int
    total: int | None = None
    used: int | None = None


class BlockStore:
    """Sparse ext4 volumes under `root`, attached with losetup and mounted on this host."""

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)

    def image_path(self, volume_id: str) -> str:
        return os.path.join(self.root, "images", f"{volume_id}.img")

    def mountpoint(self, volume_id: str) -> str:
        return os.path.join(self.root, "mnt", volume_id)

    def prepare(self) -> None:
        """Make the root a shared mount (engines must be started after this)."""
        mounts.ensure_shared_root(self.root)

    def release(self) -> list[str]:
        """Undo `prepare` unless a volume is still mounted; returns why not (empty: done)."""
        return mounts.release_shared_root(self.root)

    def create(self, volume_id: str, size_gib: int, fstype: str = "ext4") -> str:
        """Make the volume's image (idempotent); returns its path."""
        if fstype not in image.FSTYPES:
            raise image.ImageError(f"filesystem {fstype!r} is not supported here")
        path = self.image_path(volume_id)
        image.create(path, size_gib, label=f"dy-{volume_id[:13]}")
        return path

    def exists(self, volume_id: str) -> bool:
        return os.path.exists(self.image_path(volume_id))

    def is_mounted(self, volume_id: str) -> bool:
        return mounts.at(self.mountpoint(volume_id)) is not None

    def attach(self, volume_id: str, fstype: str = "ext4") -> str:
        """Mount the volume on its mountpoint (idempotent); returns the mountpoint."""
        target = self.mountpoint(volume_id)
        if mounts.at(target) is not None:
            return target
        path = self.image_path(volume_id)
        if not os.path.exists(path):
            raise image.ImageError(f"volume image {path} does not exist")
        self.prepare()
        # A device left by a crash between losetup and mount is reused, never doubled: one
        # ext4 mounted through two devices at once is corrupted.
        found = loop.devices(path)
        device = found[0] if found else loop.attach(path)
        try:
            mounts.mount(device, target, fstype)
        except Exception:
            loop.detach([device])
            raise
        loop.detach(found[1:])
        return target

    def detach(self, volume_id: str) -> None:
        """Unmount the volume and free its loop device (idempotent); 'busy' raises."""
        target = self.mountpoint(volume_id)
        while mounts.at(target) is not None:
            mounts.unmount(target)
        with contextlib.suppress(FileNotFoundError, OSError):
            os.rmdir(target)
        path = self.image_path(volume_id)
        if os.path.exists(path):
            loop.detach(loop.devices(path))

    def grow(self, volume_id: str, size_gib: int) -> None:
        """Grow the image and its filesystem to `size_gib`, online when it is mounted.

        A mounted volume that this process cannot grow online raises GrowNeedsDetach before
        anything is changed.
        """
        path = self.image_path(volume_id)
        if self.is_mounted(volume_id):
            problem = image.online_grow_problem()
            if problem is not None:
                raise GrowNeedsDetach(problem)
        image.grow_file(path, size_gib)
        found = loop.devices(path)
        for device in found:
            loop.refresh_capacity(device)
        if self.is_mounted(volume_id) and found:
            image.grow_filesystem(found[0], mounted=True)
        elif found:
            raise image.ImageError(
                f"volume {volume_id} has a loop device but is not mounted; detach it first"
            )
        else:
            image.grow_filesystem(path, mounted=False)

    def usage(self, volume_id: str) -> Usage | None:
        """The volume's sizes, or None when its image does not exist."""
        path = self.image_path(volume_id)
        if not os.path.exists(path):
            return None
        usage = Usage(size=image.size_bytes(path), allocated=image.allocated_bytes(path))
        target = self.mountpoint(volume_id)
        if mounts.at(target) is not None:
            stat = os.statvfs(target)
            total = stat.f_blocks * stat.f_frsize
            used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
            usage = Usage(usage.size, usage.allocated, total, used)
        return usage

    def delete(self, volume_id: str) -> None:
        """Detach the volume and remove its image (idempotent)."""
        self.detach(volume_id)
        image.remove(self.image_path(volume_id))

    def mounted_volumes(self) -> list[str]:
        """Ids of the volumes mounted under this root right now."""
        prefix = os.path.realpath(os.path.join(self.root, "mnt")) + os.sep
        return sorted(
            {m.target[len(prefix) :] for m in mounts.current() if m.target.startswith(prefix)}
        )
