"""The OpenStack lookups Magnum makes before it creates a template or cluster (its
`attr_validator`): the Glance image (whose `os_distro` selects the driver), Nova flavors and
keypairs, Neutron external and fixed networks and subnets. Answers are cached for `ttl`
seconds per (project, kind, name), as a burst of creates asks the same questions.

Errors are Magnum's: a missing image, flavor, network or subnet is a 400; several images or
networks with one name are a 409; a keypair that does not exist is a 404.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from openstack import connection
from openstack import exceptions as sdk_exceptions

from dockyard.common import exceptions

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Image:
    id: str
    name: str
    os_distro: str | None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Named:
    """A flavor, keypair, network or subnet: what templates name it by, and its id."""

    id: str
    name: str


class LookupCache:
    """A small TTL cache shared by the lookups of one process."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                value: T = hit[1]
                return value
        value = load()
        with self._lock:
            self._entries[key] = (now, value)
        return value


class CloudLookups:
    """Lookups as one project sees them (the requester's connection)."""

    def __init__(self, conn: connection.Connection, project_id: str, cache: LookupCache) -> None:
        self.conn = conn
        self.project_id = project_id
        self.cache = cache

    def _find(self, kind: str, ident: str, find: Callable[[str], Any]) -> Any:
        def load() -> Any:
            try:
                return find(ident)
            except sdk_exceptions.DuplicateResource:
                raise exceptions.Conflict(
                    f"Multiple {kind}s exist with same name {ident}. Please use the {kind} id "
                    "instead."
                ) from None
            except sdk_exceptions.SDKException as exc:
                raise exceptions.DockyardError(f"Cannot look up {kind} {ident}: {exc}") from exc

        return self.cache.get((self.project_id, kind, ident), load)

    def image(self, ident: str) -> Image:
        found = self._find("image", ident, lambda i: self.conn.image.find_image(i))
        if found is None:
            raise exceptions.ImageNotFound(image_id=ident)
        properties = dict(getattr(found, "properties", None) or {})
        os_distro = getattr(found, "os_distro", None) or properties.get("os_distro")
        if not os_distro:
            raise exceptions.OSDistroFieldNotFound(image_id=ident)
        return Image(str(found.id), str(found.name), str(os_distro), properties)

    def flavor(self, ident: str) -> Named:
        found = self._find("flavor", ident, lambda i: self.conn.compute.find_flavor(i))
        if found is None:
            raise exceptions.InvalidParameterValue(f"Unable to find flavor {ident}.")
        return Named(str(found.id), str(found.name))

    def keypair(self, name: str) -> Named:
        found = self._find("keypair", name, lambda i: self.conn.compute.find_keypair(i))
        if found is None:
            raise exceptions.NotFound(f"Unable to find keypair {name}.")
        return Named(str(found.id or found.name), str(found.name))

    def network(self, ident: str, external: bool) -> Named:
        found = self._find("network", ident, lambda i: self.conn.network.find_network(i))
        kind = "External" if external else "Fixed"
        if found is None or (external and not getattr(found, "is_router_external", False)):
            raise exceptions.InvalidParameterValue(f"{kind} network {ident} could not be found.")
        return Named(str(found.id), str(found.name))

    def subnet(self, ident: str) -> Named:
        found = self._find("subnet", ident, lambda i: self.conn.network.find_subnet(i))
        if found is None:
            raise exceptions.InvalidParameterValue(f"Fixed subnet {ident} could not be found.")
        return Named(str(found.id), str(found.name))
