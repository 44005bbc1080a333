"""Magnum's checks of the OpenStack resources a template or cluster names (`[openstack]
lookups`): the image in Glance (its `os_distro` selects the driver), flavors and keypair in
Nova, the external network, fixed network and subnet in Neutron. They act with the
requester's Keystone token (the service user's credentials when there is none: noauth), and
share one TTL cache per process (providers/openstack/lookups.py).

Without `[openstack] lookups` the image comes from Dockyard's own catalog (`rt.images`) and
nothing else is checked, as a standalone Dockyard has no Glance, Nova or Neutron to ask.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from oslo_config import cfg

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.domain.images import Image
from dockyard.services import service_user
from dockyard.services.images import ImageCatalog

if TYPE_CHECKING:
    from dockyard.providers.openstack.lookups import CloudLookups, LookupCache
    from dockyard.providers.openstack.sessions import Sessions


class OpenStackChecks:
    """The lookups of one process: built when `[openstack] lookups` is true. openstacksdk is
    imported, and the service user's credentials are read, on first use only."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        from dockyard.providers.openstack.lookups import LookupCache

        self.conf = conf
        self.cache: LookupCache = LookupCache(conf.openstack.lookup_cache_ttl)
        self._sessions: Sessions | None = None
        self._lock = threading.Lock()

    def _get_sessions(self) -> Sessions:
        from dockyard.providers.openstack.sessions import Endpoint, Sessions

        with self._lock:
            if self._sessions is None:
                group = self.conf.openstack
                try:
                    service = service_user.session(self.conf)
                except (cfg.Error, ValueError) as exc:
                    raise exceptions.ServiceUnavailable(
                        service="OpenStack lookups",
                        reason=f"no usable Keystone credentials in [keystone_authtoken] ({exc})",
                    ) from exc
                auth_url = getattr(service.auth, "auth_url", None)
                endpoint = Endpoint(
                    region_name=group.region_name,
                    interface=group.endpoint_type,
                    verify=False if group.insecure else (group.ca_file or True),
                    timeout=group.timeout,
                )
                self._sessions = Sessions(service.auth, auth_url, endpoint)
            return self._sessions

    def for_request(self, ctx: RequestContext) -> CloudLookups:
        """The lookups as the requester sees them (connection opened on a cache miss)."""
        from dockyard.providers.openstack.lookups import CloudLookups

        def connect() -> Any:
            return self._get_sessions().requester(ctx.auth_token, ctx.project_id)

        return CloudLookups(connect, ctx.project_id, ctx.user_id, self.cache)


class Sources(Protocol):
    """What the checks read: the lookups (None without `[openstack] lookups`) and the catalog."""

    @property
    def openstack(self) -> OpenStackChecks | None: ...
    @property
    def images(self) -> ImageCatalog: ...


def resolve_image(rt: Sources, ctx: RequestContext, ident: str) -> Image:
    """The image a template names, with `os_distro`: from Glance, or from the catalog."""
    if rt.openstack is None:
        return rt.images.resolve(ident)
    return rt.openstack.for_request(ctx).image(ident)


def _check_common(lookups: CloudLookups, values: Mapping[str, Any], external: str | None) -> None:
    for key in ("master_flavor_id", "flavor_id"):
        if values.get(key):
            lookups.flavor(values[key])
    if external:
        lookups.external_network(external)
    if values.get("fixed_network"):
        lookups.fixed_network(values["fixed_network"])
    if values.get("fixed_subnet"):
        lookups.fixed_subnet(values["fixed_subnet"])


def check_template(rt: Sources, ctx: RequestContext, values: Mapping[str, Any]) -> None:
    """Flavors and networks of a template (its image was resolved first). Magnum does not
    check a template's keypair."""
    if rt.openstack is not None:
        lookups = rt.openstack.for_request(ctx)
        _check_common(lookups, values, values.get("external_network_id"))


def check_cluster(
    rt: Sources, ctx: RequestContext, image_id: str, external: str | None, values: Mapping[str, Any]
) -> None:
    """A new cluster's resources: the template's image again, the flavors and fixed network
    and subnet (the cluster's, else the template's), the template's external network and the
    keypair (cluster's, else the template's)."""
    if rt.openstack is None:
        return
    lookups = rt.openstack.for_request(ctx)
    lookups.image(image_id)
    _check_common(lookups, values, external)
    if values.get("keypair"):
        lookups.keypair(values["keypair"])
