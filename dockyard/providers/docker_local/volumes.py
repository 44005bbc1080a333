"""A node's data-root volume: a sparse ext4 image, loop-mounted inside the node.

The image is made by `providers.block_local.image` (sparse, complete or absent); the
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

from dockyard.providers.block_local import image, loop

GIB = image.GIB


class VolumeError(RuntimeError):
    """A node volume could not be made, or is still mounted somewhere."""


def problems() -> list[str]:
    """What stops node volumes from working on this host (empty when all is well)."""
    return image.problems("ext4")


def ensure_image(path: str, size_gib: int) -> None:
    """Make `path`, a sparse ext4 image of `size_gib` GiB, unless it already exists."""
    # No reserved blocks on a data-root.
    image.create(path, size_gib, label="dockyard-node", reserved_percent=0)


loop_devices = loop.devices


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


detach = loop.detach
