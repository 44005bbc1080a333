"""The OpenStack lookups Magnum makes before it creates a template or cluster (its
`attr_validator`): the Glance image (whose `os_distro` selects the driver), Nova flavors and
keypairs, Neutron external and fixed networks and subnets.

Found resources are cached for `ttl` seconds per (scope, kind, name), as a burst of creates
asks the same questions; the scope is the project (the user too for keypairs, which Nova keeps
per user), so one project never sees another's private image. Misses are not cached: an image
uploaded after a refusal is found on the next try. The connection is opened only on a miss.

Errors are Magnum's: a missing image, flavor, network or subnet is a 400; several images or
networks with one name are a 409; a keypair that does not exist is a 404; an image the caller
may not read is a 403. A service that does not answer, or is not in the catalog, is a 503.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from keystoneauth1 import exceptions as ks_exceptions
from openstack import connection
from openstack import exceptions as sdk_exceptions

from dockyard.common import exceptions
from dockyard.domain.images import Image

T = TypeVar("T")

# Kind of lookup -> the service a caller is told about when it does not answer.
_SERVICES = {
    "image": "The image service (Glance)",
    "flavor": "The compute service (Nova)",
    "keypair": "The compute service (Nova)",
    "network": "The network service (Neutron)",
    "subnet": "The network service (Neutron)",
}


@dataclass(frozen=True, slots=True)
class Named:
    """A flavor, keypair, network or subnet: what templates name it by, and its id."""

    id: str
    name: str


class LookupCache:
    """A TTL cache of found resources, shared by the lookups of one process."""

    def __init__(self, ttl: float = 60.0, max_entries: int = 10000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        """The cached value of `key`, else `load()` (which raises for a miss: not cached)."""
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                value: T = hit[1]
                return value
        value = load()
        if self.ttl > 0:
            with self._lock:
                if len(self._entries) >= self.max_entries:
                    self._evict(now)
                self._entries[key] = (now, value)
        return value

    def _evict(self, now: float) -> None:
        self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self.ttl}
        if len(self._entries) >= self.max_entries:
            self._entries.clear()


class CloudLookups:
    """Lookups as one requester sees them. `connect` opens their connection, on the first
    cache miss only (it costs a Keystone round trip)."""

    def __init__(
        self,
        connect: Callable[[], connection.Connection],
        project_id: str,
        user_id: str,
        cache: LookupCache,
    ) -> None:
        self._connect = connect
        self._conn: connection.Connection | None = None
        self.project_id = project_id
        self.user_id = user_id
        self.cache = cache

    @property
    def conn(self) -> connection.Connection:
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _cached(self, kind: str, ident: str, load: Callable[[], T], per_user: bool = False) -> T:
        scope = (self.project_id, self.user_id) if per_user else (self.project_id,)

        def guarded() -> T:
            try:
                return load()
            except (sdk_exceptions.SDKException, ks_exceptions.ClientException) as exc:
                if isinstance(exc, sdk_exceptions.DuplicateResource):
                    raise exceptions.Conflict(
                        f"Multiple {kind}s exist with same name {ident}. Please use the {kind} "
                        "id instead."
                    ) from None
                raise exceptions.ServiceUnavailable(service=_SERVICES[kind], reason=exc) from exc

        return self.cache.get((*scope, kind, ident), guarded)

    def image(self, ident: str) -> Image:
        """The image named or numbered `ident`, which must carry `os_distro`."""

        def load() -> Image:
            try:
                found = self.conn.image.find_image(ident, ignore_missing=False)
            except sdk_exceptions.NotFoundException:
                raise exceptions.ImageNotFound(image_id=ident) from None
            except sdk_exceptions.ForbiddenException:
                raise exceptions.ImageNotAuthorized(image_id=ident) from None
            properties = dict(found.properties or {})
            os_distro = found.os_distro or properties.get("os_distro")
            return Image(str(found.id), str(found.name), os_distro and str(os_distro), properties)

        image = self._cached("image", ident, load)
        if not image.os_distro:
            raise exceptions.OSDistroFieldNotFound(image_id=ident)
        return image

    def flavor(self, ident: str) -> Named:
        def load() -> Named:
            try:
                found = self.conn.compute.find_flavor(ident, ignore_missing=False)
            except sdk_exceptions.NotFoundException:
                raise exceptions.FlavorNotFound(flavor=ident) from None
            return Named(str(found.id), str(found.name))

        return self._cached("flavor", ident, load)

    def keypair(self, name: str) -> Named:
        def load() -> Named:
            try:
                found = self.conn.compute.find_keypair(name, ignore_missing=False)
            except sdk_exceptions.NotFoundException:
                raise exceptions.KeyPairNotFound(keypair=name) from None
            return Named(str(found.id or found.name), str(found.name))

        return self._cached("keypair", name, load, per_user=True)

    def external_network(self, ident: str) -> Named:
        """A network with router:external named or numbered `ident` (Magnum: exactly one)."""

        def load() -> Named:
            return _one(
                self._networks(ident, is_router_external=True),
                lambda: exceptions.ExternalNetworkNotFound(network=ident),
                f"Multiple external networks exist with same name '{ident}'. Please use the "
                "external network ID instead.",
            )

        return self._cached("network", f"external:{ident}", load)

    def fixed_network(self, ident: str) -> Named:
        def load() -> Named:
            return _one(
                self._networks(ident),
                lambda: exceptions.FixedNetworkNotFound(network=ident),
                f"Multiple fixed networks exist with same name '{ident}'. Please use the "
                "network ID instead.",
            )

        return self._cached("network", ident, load)

    def fixed_subnet(self, ident: str) -> Named:
        def load() -> Named:
            network = self.conn.network
            found = list(network.subnets(name=ident)) or list(network.subnets(id=ident))
            return _one(
                found,
                lambda: exceptions.FixedSubnetNotFound(subnet=ident),
                f"Multiple fixed subnets exist with same name '{ident}'. Please use the "
                "subnet ID instead.",
            )

        return self._cached("subnet", ident, load)

    def _networks(self, ident: str, **filters: Any) -> list[Any]:
        """Networks named `ident`, else the one whose id it is (two filtered GETs at most)."""
        network = self.conn.network
        return list(network.networks(name=ident, **filters)) or list(
            network.networks(id=ident, **filters)
        )


def _one(
    found: Iterable[Any], missing: Callable[[], exceptions.DockyardError], several: str
) -> Named:
    matches = list(found)
    if not matches:
        raise missing()
    if len(matches) > 1:
        raise exceptions.Conflict(several)
    return Named(str(matches[0].id), str(matches[0].name))
