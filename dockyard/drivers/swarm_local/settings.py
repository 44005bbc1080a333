"""The local driver's settings as plain values (read from [local_driver] by options.py)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

DEFAULT_POOL = "192.168.240.0/20"


@dataclass(frozen=True, slots=True)
class LocalSettings:
    state_dir: str
    run_dir: str = "/run/dockyard"
    address_pool: str = DEFAULT_POOL
    dockerd: str = "dockerd"
    busybox: str = "/bin/busybox"
    storage_driver: str = "overlay2"
    start_timeout: float = 60.0
    shutdown_timeout: int = 5
    drain_timeout: float = 15.0
    #: [volume] local_root: where Dockyard's volume plugin mounts volumes. Made a shared mount
    #: before nodes of a rexray cluster start, so those mounts reach the nodes.
    volume_root: str | None = None

    @property
    def pool(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.address_pool)

    def pool_problem(self) -> str | None:
        """Why `address_pool` is unusable, or None."""
        try:
            pool = ipaddress.IPv4Network(self.address_pool)
        except ValueError as exc:
            return f"address_pool {self.address_pool!r} is not an IPv4 network: {exc}"
        if not pool.is_private or pool.is_loopback or pool.is_link_local:
            return f"address_pool {pool} must be a private IPv4 range"
        if pool.prefixlen > 24:
            return f"address_pool {pool} must hold at least one /24 (one per cluster)"
        return None
