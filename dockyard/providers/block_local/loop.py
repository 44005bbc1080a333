"""Loop devices backed by image files."""

from __future__ import annotations

from dockyard.providers.commands import run


def devices(image: str) -> list[str]:
    """Loop devices that have `image` as their backing file."""
    out = run(["losetup", "-n", "-O", "NAME", "-j", image], check=False)
    return [line.strip() for line in out.splitlines() if line.strip()]


def attach(image: str) -> str:
    """A new loop device on `image`; returns its path (/dev/loopN)."""
    return run(["losetup", "-f", "--show", image]).strip()


def refresh_capacity(device: str) -> None:
    """Make the device see its backing file's new size (after the file grew)."""
    run(["losetup", "-c", device])


def detach(found: list[str]) -> None:
    """Detach loop devices (lazily: the kernel frees one once nothing mounts it)."""
    for device in found:
        run(["losetup", "-d", device], check=False)
