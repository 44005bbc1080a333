"""Sparse image files that hold a filesystem (ext4), made complete or not at all."""

from __future__ import annotations

import contextlib
import os

from dockyard.providers.commands import CommandError, run, which

GIB = 2**30
LOOP_CONTROL = "/dev/loop-control"
# What a filesystem type needs to be made and grown here.
FSTYPES = {"ext4": ("mkfs.ext4", "e2fsck", "resize2fs")}


class ImageError(RuntimeError):
    """An image could not be made or grown."""


def problems(fstype: str = "ext4") -> list[str]:
    """What stops images of `fstype` from being made and loop-mounted here (empty: all well)."""
    found = []
    if not os.path.exists(LOOP_CONTROL):
        found.append(f"no {LOOP_CONTROL}: the kernel has no loop devices")
    tools = ("losetup", "mount", "umount", *FSTYPES.get(fstype, ()))
    missing = [tool for tool in tools if which(tool) is None]
    if missing:
        found.append(f"missing tools: {', '.join(missing)} (util-linux, e2fsprogs)")
    return found


def create(path: str, size_gib: int, *, label: str, reserved_percent: int = 0) -> None:
    """Make `path`, a sparse ext4 image of `size_gib` GiB, unless it already exists.

    The image is built under a temporary name and renamed into place once mkfs succeeded, so
    an image that exists is always complete (a crash leaves at most the `.tmp` file).
    """
    if os.path.exists(path):
        return
    tmp = f"{path}.tmp"
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.ftruncate(fd, size_gib * GIB)
    finally:
        os.close(fd)
    # Lazy init keeps mkfs fast and the file sparse.
    try:
        run(["mkfs.ext4", "-q", "-F", "-m", str(reserved_percent),
             "-E", "lazy_itable_init=1,lazy_journal_init=1", "-L", label[:16], tmp])  # fmt: skip
    except CommandError:
        os.unlink(tmp)
        raise
    os.replace(tmp, path)


CAP_SYS_RESOURCE = 24


def online_grow_problem() -> str | None:
    """Why a mounted ext4 cannot be grown by this process, or None.

    The kernel's online resize (EXT4_IOC_RESIZE_FS) needs CAP_SYS_RESOURCE, which containers
    and some sandboxes drop even for root.
    """
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("CapEff:"):
                if int(line.split()[1], 16) >> CAP_SYS_RESOURCE & 1:
                    return None
                break
    return "growing a mounted filesystem needs CAP_SYS_RESOURCE, which Dockyard's process lacks"


def grow_file(path: str, size_gib: int) -> None:
    """Extend the image file to `size_gib` GiB (sparse); never shrinks it."""
    if os.stat(path).st_size >= size_gib * GIB:
        return
    os.truncate(path, size_gib * GIB)


def grow_filesystem(device_or_image: str, *, mounted: bool) -> None:
    """Grow the filesystem to fill its device: online when mounted, else after a check."""
    if not mounted:
        # resize2fs refuses an unmounted filesystem that was not checked since last mounted.
        # e2fsck -p exits 1 when it fixed something, which is fine here.
        try:
            run(["e2fsck", "-f", "-p", device_or_image], timeout=600)
        except CommandError as exc:
            if exc.returncode not in (1,):
                raise
    run(["resize2fs", device_or_image], timeout=600)


def size_bytes(path: str) -> int:
    """The image's apparent size."""
    return os.stat(path).st_size


def allocated_bytes(path: str) -> int:
    """Bytes the image really takes on the host's disk (it is sparse)."""
    return os.stat(path).st_blocks * 512


def remove(path: str) -> None:
    """Delete the image and any half-made `.tmp` beside it."""
    for candidate in (path, f"{path}.tmp"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(candidate)
