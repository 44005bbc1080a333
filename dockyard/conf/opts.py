"""Options listing for oslo-config-generator (`etc/dockyard/dockyard.conf.sample`)."""

from __future__ import annotations

from collections.abc import Sequence

from oslo_config import cfg

from dockyard.conf import (
    api,
    auth,
    certificates,
    conductor,
    containers,
    database,
    default,
    drivers,
    images,
    keystone_authtoken,
    openstack,
    quotas,
    volume,
)


def list_opts() -> list[tuple[str | None, Sequence[cfg.Opt]]]:
    return [
        (None, default.OPTS),
        (api.GROUP, api.OPTS),
        (database.GROUP, database.OPTS),
        (conductor.GROUP, conductor.OPTS),
        (drivers.GROUP, drivers.OPTS),
        (certificates.GROUP, certificates.OPTS),
        (certificates.X509_GROUP, certificates.X509_OPTS),
        (certificates.BARBICAN_GROUP, certificates.BARBICAN_OPTS),
        (quotas.GROUP, quotas.OPTS),
        (auth.GROUP, auth.OPTS),
        (keystone_authtoken.GROUP, keystone_authtoken.OPTS),
        (images.GROUP, images.OPTS),
        (openstack.GROUP, openstack.OPTS),
        (containers.GROUP, containers.OPTS),
        (volume.GROUP, volume.OPTS),
    ]
