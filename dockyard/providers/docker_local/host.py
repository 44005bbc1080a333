"""What this machine must have to run local nodes; each problem is one readable sentence."""

from __future__ import annotations

import os
import struct

from dockyard.providers.commands import succeeds, which
from dockyard.providers.docker_local import cgroups

INSTALL_HINT = "run scripts/install-docker (Debian's docker.io, iproute2, iptables, ...)"
TOOLS = ("ip", "iptables", "unshare", "mount", "hostname", "bash", "containerd", "runc")


def _is_static_elf(path: str) -> bool:
    """Whether `path` is an ELF executable without a program interpreter (static)."""
    with open(path, "rb") as handle:
        header = handle.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2:  # 64-bit only
            return False
        (phoff,) = struct.unpack_from("<Q", header, 32)
        phentsize, phnum = struct.unpack_from("<HH", header, 54)
        handle.seek(phoff)
        table = handle.read(phentsize * phnum)
    for i in range(phnum):
        (p_type,) = struct.unpack_from("<I", table, i * phentsize)
        if p_type == 3:  # PT_INTERP: dynamically linked
            return False
    return True


def problems(dockerd: str, busybox: str) -> list[str]:
    """Everything that stops local nodes from running here (empty when all is well)."""
    found: list[str] = []
    if os.geteuid() != 0:
        found.append("the service does not run as root (namespaces, bridges and dockerd need it)")
    if which(dockerd) is None:
        found.append(f"no dockerd binary at {dockerd!r}; {INSTALL_HINT}")
    missing = [tool for tool in TOOLS if which(tool) is None]
    if missing:
        found.append(f"missing tools: {', '.join(missing)}; {INSTALL_HINT}")
    if not os.path.exists(busybox):
        found.append(f"no {busybox} for the nodes' base image; install busybox-static")
    elif not _is_static_elf(busybox):
        found.append(f"{busybox} is not statically linked; install busybox-static")
    if not cgroups.hierarchies():
        found.append("no cgroup hierarchy is mounted under /sys/fs/cgroup")
    if not found and not succeeds(["unshare", "--net", "--mount", "true"]):
        found.append("network namespaces cannot be created here (unshare --net failed)")
    return found
