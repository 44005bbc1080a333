"""The cgroup subtree of one node: created before dockerd starts, emptied and removed after.

A node's dockerd joins `<node path>/daemon` in every hierarchy (node_exec.sh does that before
it execs dockerd), and dockerd puts its containers under `<node path>` (`--cgroup-parent`).
So everything a node ever ran - dockerd, its containerd, shims and containers - lives below
the node path, and nothing else does: that is how teardown finds processes that outlived a
killed dockerd, and it signals nothing outside the subtree.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass

ROOT = "/sys/fs/cgroup"
DAEMON_LEAF = "daemon"


@dataclass(frozen=True, slots=True)
class Mount:
    """One mount at or below /sys/fs/cgroup, as node_exec.sh must repeat it in the node."""

    fstype: str
    source: str
    options: str
    target: str

    @property
    def is_hierarchy(self) -> bool:
        return self.fstype in ("cgroup", "cgroup2")


def _unescape(path: str) -> str:
    return path.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")


def mounts() -> list[Mount]:
    """This process's mounts at or below /sys/fs/cgroup, parents first."""
    found: list[Mount] = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            left, _, right = line.partition(" - ")
            target = _unescape(left.split()[4])
            if target != ROOT and not target.startswith(ROOT + "/"):
                continue
            fstype, source, super_opts = right.split()[:3]
            opts = [o for o in super_opts.split(",") if o not in ("rw", "ro")]
            if fstype == "cgroup" and opts and all(o.startswith("name=") for o in opts):
                opts.insert(0, "none")  # a named hierarchy without controllers
            if fstype == "tmpfs":
                opts = [o for o in opts if o.startswith("mode=")]
            found.append(Mount(fstype, source, ",".join(opts), target))
    return found


def hierarchies() -> list[str]:
    """Mount points of the cgroup hierarchies (v1 controllers, named, and cgroup2)."""
    return [m.target for m in mounts() if m.is_hierarchy]


def _is_cpuset(hierarchy: str) -> bool:
    # A v1 cpuset group needs cpus/mems before it can take a task; dockerd fills in the
    # groups it creates for containers itself, so the daemon leaf is left out of cpuset.
    return "cpuset" in os.path.basename(hierarchy).split(",")


def create(path: str) -> None:
    """Create `path/daemon` in every hierarchy except v1 cpuset."""
    for hierarchy in hierarchies():
        if _is_cpuset(hierarchy):
            continue
        os.makedirs(os.path.join(hierarchy, path, DAEMON_LEAF), exist_ok=True)


def attach(path: str, pid: int) -> None:
    """Move `pid` into `path/daemon` in every hierarchy where create() made it."""
    for hierarchy in hierarchies():
        if _is_cpuset(hierarchy):
            continue
        procs_file = os.path.join(hierarchy, path, DAEMON_LEAF, "cgroup.procs")
        with open(procs_file, "w", encoding="ascii") as handle:
            handle.write(str(pid))


def _subtree_dirs(path: str) -> list[str]:
    """Every existing cgroup directory below `path`, deepest first."""
    dirs: list[str] = []
    for hierarchy in hierarchies():
        top = os.path.join(hierarchy, path)
        for current, _subdirs, _files in os.walk(top):
            dirs.append(current)
    return sorted(dirs, key=lambda d: d.count(os.sep), reverse=True)


def pids(path: str) -> set[int]:
    """PIDs of every process anywhere below `path`, in any hierarchy."""
    found: set[int] = set()
    for directory in _subtree_dirs(path):
        procs_file = os.path.join(directory, "cgroup.procs")
        with contextlib.suppress(OSError), open(procs_file, encoding="ascii") as handle:
            found.update(int(line) for line in handle if line.strip())
    return found


def kill_all(path: str, timeout: float = 5.0) -> set[int]:
    """SIGKILL every process below `path` until none is left; returns those that resisted."""
    deadline = time.monotonic() + timeout
    left = pids(path)
    while left and time.monotonic() < deadline:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
        left = pids(path)
    return left


def remove(path: str) -> list[str]:
    """rmdir the subtree `path` bottom-up in every hierarchy; returns what could not go."""
    stuck: list[str] = []
    for directory in _subtree_dirs(path):
        try:
            os.rmdir(directory)
        except FileNotFoundError:
            pass
        except OSError:
            stuck.append(directory)
    return stuck


def remove_if_empty(path: str) -> None:
    """rmdir `path` (no subtree) in every hierarchy where it is empty; for shared parents."""
    for hierarchy in hierarchies():
        with contextlib.suppress(OSError):
            os.rmdir(os.path.join(hierarchy, path))
