"""Mounts of this process's mount namespace, and the shared root volumes live under.

Why the shared root: a container engine runs in a mount namespace of its own (`ip netns exec`
makes one), which is a copy of the host's taken when the engine started. With the host's `/`
private, a volume mounted on the host *after* that does not appear in the engine's copy: the
container gets the empty directory underneath and writes its data there, not into the volume
(silent data loss, reference local-swarm.md §5). `ensure_shared_root` makes the volumes' root
a bind mount of itself with shared propagation; every namespace copied from the host after
that (engines must start after it) receives the mounts made under it later.
`release_shared_root` undoes it once nothing is mounted below and no engine needs it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dockyard.providers.commands import run

MOUNTINFO = "/proc/self/mountinfo"
_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True, slots=True)
class Mount:
    """One line of /proc/self/mountinfo."""

    mount_id: int
    parent_id: int
    device: str  # major:minor
    root: str  # the directory of the device's filesystem that is mounted here
    target: str
    source: str
    fstype: str
    propagation: tuple[str, ...]  # optional fields: shared:N, master:N, ...


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), value)


def parse(text: str) -> list[Mount]:
    """The mounts described by mountinfo `text` (see proc(5))."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        sep = fields.index("-")
        found.append(
            Mount(
                mount_id=int(fields[0]),
                parent_id=int(fields[1]),
                device=fields[2],
                root=_unescape(fields[3]),
                target=_unescape(fields[4]),
                source=_unescape(fields[sep + 2]) if len(fields) > sep + 2 else "",
                fstype=fields[sep + 1] if len(fields) > sep + 1 else "",
                propagation=tuple(fields[6:sep]),
            )
        )
    return found


def current() -> list[Mount]:
    """The mounts of this process's mount namespace."""
    with open(MOUNTINFO, encoding="utf-8") as handle:
        return parse(handle.read())


def at(target: str, mounts: list[Mount] | None = None) -> Mount | None:
    """The topmost mount on `target`, or None when it is not a mount point."""
    target = os.path.realpath(target)
    found = [m for m in (mounts if mounts is not None else current()) if m.target == target]
    return found[-1] if found else None


def is_shared(mount: Mount) -> bool:
    return any(tag.startswith("shared:") for tag in mount.propagation)


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    # Beside the root, not in it: a file inside would be hidden by the bind mount.
    with open(f"{path.rstrip(os.sep)}.lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_shared_root(path: str) -> None:
    """Make `path` a bind mount of itself with rshared propagation (idempotent).

    Call it before any engine that should see volumes mounted under `path` starts.
    """
    path = os.path.realpath(path)
    os.makedirs(path, mode=0o700, exist_ok=True)
    with _locked(path):
        mount = at(path)
        if mount is None:
            run(["mount", "--bind", path, path])
            mount = at(path)
        if mount is None or not is_shared(mount):
            run(["mount", "--make-rshared", path])


def is_self_bind(mount: Mount, mounts: list[Mount]) -> bool:
    """Whether `mount` binds its own directory onto itself (what ensure_shared_root makes),
    as opposed to a filesystem or another directory an operator mounted there."""
    parent = next((m for m in mounts if m.mount_id == mount.parent_id), None)
    if parent is None or parent.device != mount.device:
        return False
    relative = os.path.relpath(mount.target, parent.target)
    return os.path.normpath(os.path.join(parent.root, relative)) == mount.root


def below(path: str, mounts: list[Mount] | None = None) -> list[str]:
    """Mount points strictly under `path`."""
    prefix = os.path.realpath(path).rstrip(os.sep) + os.sep
    found = mounts if mounts is not None else current()
    return sorted({m.target for m in found if m.target.startswith(prefix)})


def release_shared_root(path: str) -> list[str]:
    """Undo `ensure_shared_root`: unmount `path`'s bind of itself, unless something is still
    mounted below it. Returns why it was left (empty: released, or nothing to release).

    Only call it when no engine that was started after `ensure_shared_root` still runs:
    mounts made under a new shared root would not reach that engine's namespace.
    """
    path = os.path.realpath(path)
    if not os.path.isdir(path):
        return []
    with _locked(path):
        found = current()
        busy = below(path, found)
        if busy:
            return [f"{path} stays a shared mount: still mounted below it: {', '.join(busy)}"]
        top = at(path, found)
        while top is not None and is_self_bind(top, found):
            run(["umount", path])
            found = current()
            top = at(path, found)
    return []


def mount(device: str, target: str, fstype: str) -> None:
    """Mount `device` (a filesystem of `fstype`) on `target`, made if missing."""
    os.makedirs(target, mode=0o755, exist_ok=True)
    run(["mount", "-t", fstype, "-o", "noatime", device, target])


def unmount(target: str) -> None:
    """Unmount `target` (not lazily: a mount still in use anywhere fails with 'busy')."""
    run(["umount", target])
