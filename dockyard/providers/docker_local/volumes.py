"""A node's data-root volume: a sparse ext4 image, loop-mounted inside the node.

The image is made here (truncate + mkfs.ext4, renamed into place only once complete); the
node's wrapper (node_exec.sh) mounts it with `mount -o loop` in the node's private mount
namespace, so the host never sees the mount. The loop device is attached with autoclear:
when the node's last process exits, its mount namespace, the mount and the loop device all
go away by themselves, after a kill -9 as well as after a clean stop. Before the image is
mounted again, `wait_detached` makes sure the previous mount is gone (an ext4 mounted twice
is corrupted).
"""

from __future__ import annotations

import os
import time

from dockyard.providers.docker_local.commands import run, which

LOOP_CONTROL = "/dev/loop-control"
GIB = 2**30


class VolumeError(RuntimeError):
    """A node volume could not be made, or is still mounted somewhere."""


def problems() -> list[str]:
    """What stops node volumes from working on this host (empty when all is well)."""
    found = []
    if not os.path.exists(LOOP_CONTROL):
        found.append(f"no {LOOP_CONTROL}: the kernel has no loop devices")
    missing = [tool for tool in ("losetup", "mkfs.ext4", "mount") if which(tool) is None]
    if missing:
        found.append(f"missing tools: {', '.join(missing)} (util-linux, e2fsprogs)")
    return found


def ensure_image(path: str, size_gib: int) -> None:
    """Make `path`, a sparse ext4 image of `size_gib` GiB, unless it already exists."""
    if os.path.exists(path):
        return
    tmp = f"{path}.tmp"
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.ftruncate(fd, size_gib * GIB)
    finally:
        os.close(fd)
    # Lazy init keeps mkfs fast and the file sparse; no reserved blocks on a data-root.
    run(["mkfs.ext4", "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1",
         "-L", "dockyard-node", tmp])  # fmt: skip
    os.replace(tmp, path)


def loop_devices(path: str) -> list[str]:
    """Loop devices that have `path` as their backing file."""
    out = run(["losetup", "-n", "-O", "NAME", "-j", path], check=False)
    return [line.strip() for line in out.splitlines() if line.strip()]


def wait_detached(path: str, timeout: float) -> list[str]:
    """Wait until no loop device uses `path`; returns the devices still there at `timeout`."""
    if not os.path.exists(path):
        return []
    deadline = time.monotonic() + timeout
    while True:
        devices = loop_devices(path)
        if not devices or time.monotonic() > deadline:
            return devices
        time.sleep(0.1)


def detach(devices: list[str]) -> None:
    """Detach loop devices (lazily: the kernel frees them once nothing mounts them)."""
    for device in devices:
        run(["losetup", "-d", device], check=False)
