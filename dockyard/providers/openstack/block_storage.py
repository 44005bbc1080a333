"""openstacksdk's Cinder (block storage v3) proxy for the `cinder` volume driver."""

from __future__ import annotations

from typing import Any

from openstack import connection
from openstack import exceptions as sdk_errors

from dockyard.providers.openstack import keystone

#: What a failed Cinder call raises.
Error = sdk_errors.SDKException


def connect(
    auth: Any,
    verify: bool | str,
    endpoint_override: str | None,
    region_name: str | None,
    interface: str,
) -> Any:
    """The block storage proxy of a connection acting with auth plugin `auth`."""
    options: dict[str, Any] = {
        "block_storage_api_version": "3",
        "block_storage_interface": interface,
    }
    if endpoint_override:
        options["block_storage_endpoint_override"] = endpoint_override
    if region_name:
        options["region_name"] = region_name
    session = keystone.session(auth, verify=verify)
    return connection.Connection(session=session, **options).block_storage
