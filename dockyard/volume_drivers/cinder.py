"""The `cinder` volume driver: volumes in OpenStack Block Storage, through openstacksdk.

Create, grow (extend) and delete are Cinder API calls, made as the caller (their Keystone
token) or as Dockyard's service user. **Attach is not built**: mounting a Cinder volume on a
container host needs Cinder's attachment API plus an os-brick connector (iSCSI, RBD, ...) on
that host, the part Fuxi plays for Zun. No Cinder can run on this machine, so none of this
driver has been exercised against a real Cinder; `attach` says so instead of pretending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.volume_drivers.base import (
    VolumeDriver,
    VolumeDriverError,
    VolumeRef,
    VolumeUsage,
)

GIB = 2**30
NOT_BUILT = (
    "attaching a Cinder volume to a container host is not built: it needs Cinder's "
    "attachment API and an os-brick connector on the host, which Dockyard does not have"
)


@dataclass(frozen=True, slots=True)
class CinderSettings:
    """Where Cinder is and whose credentials to use (plain values, read by the services).

    `service_auth` is a keystoneauth1 auth plugin (Dockyard's service user), used when
    `use_caller_token` is False or a call has no token. With neither and an `endpoint`, calls
    go unauthenticated (a Cinder with `auth_strategy = noauth`).
    """

    auth_url: str | None = None
    use_caller_token: bool = True
    service_auth: Any = None
    endpoint: str | None = None
    region_name: str | None = None
    interface: str = "public"
    volume_type: str | None = None
    availability_zone: str | None = None
    timeout: int = 300
    verify: bool | str = True


class CinderVolumeDriver(VolumeDriver):
    """Cinder volumes: create, extend and delete; no attach to a container host (see above)."""

    name = "cinder"

    def __init__(self, settings: CinderSettings) -> None:
        self.settings = settings

    def problems(self) -> list[str]:
        s = self.settings
        if s.service_auth is None and not s.endpoint and not (s.use_caller_token and s.auth_url):
            return ["Cinder is not configured: set [volume] cinder_endpoint or Keystone auth"]
        return []

    # -- openstacksdk ------------------------------------------------------------------------
    def _auth(self, volume: VolumeRef) -> Any:
        s = self.settings
        if s.use_caller_token and volume.auth_token and s.auth_url:
            from dockyard.providers.openstack import keystone

            return keystone.token_auth(s.auth_url, volume.auth_token, volume.project_id)
        if s.service_auth is not None:
            return s.service_auth
        if s.endpoint:
            from dockyard.providers.openstack import keystone

            return keystone.endpoint_auth(s.endpoint)
        raise VolumeDriverError("no credentials for Cinder: a Keystone token is needed")

    def _block_storage(self, volume: VolumeRef) -> Any:
        from dockyard.providers.openstack import block_storage

        s = self.settings
        override = (
            s.endpoint.replace("%(project_id)s", volume.project_id or "") if s.endpoint else None
        )
        return block_storage.connect(
            self._auth(volume), s.verify, override, s.region_name, s.interface
        )

    def _call(self, action: str, volume: VolumeRef, fn: Any) -> Any:
        from dockyard.providers.openstack import block_storage

        try:
            return fn(self._block_storage(volume))
        except block_storage.Error as exc:
            raise VolumeDriverError(f"Cinder {action} of {volume.uuid} failed: {exc}") from exc

    # -- VolumeDriver ------------------------------------------------------------------------
    def create(self, volume: VolumeRef) -> str:
        s = self.settings
        attrs: dict[str, Any] = {
            "name": f"dockyard-{volume.name}",
            "size": volume.size_gib,
            "description": f"Dockyard volume {volume.uuid}",
            "metadata": {"dockyard_volume": volume.uuid},
        }
        if s.volume_type:
            attrs["volume_type"] = s.volume_type
        if s.availability_zone:
            attrs["availability_zone"] = s.availability_zone
        if volume.multiattach:
            attrs["is_multiattach"] = True

        def create(bs: Any) -> str:
            made = bs.create_volume(**attrs)
            made = bs.wait_for_status(made, "available", ["error"], wait=s.timeout)
            return str(made.id)

        result: str = self._call("create", volume, create)
        return result

    def delete(self, volume: VolumeRef) -> None:
        if volume.backend_ref is None:
            return

        def delete(bs: Any) -> None:
            found = bs.find_volume(volume.backend_ref, ignore_missing=True)
            if found is None:
                return
            bs.delete_volume(found, ignore_missing=True)
            bs.wait_for_delete(found, wait=self.settings.timeout)

        self._call("delete", volume, delete)

    def grow(self, volume: VolumeRef, size_gib: int) -> None:
        def extend(bs: Any) -> None:
            found = bs.get_volume(volume.backend_ref)
            if found.size < size_gib:
                bs.extend_volume(found, size_gib)
            bs.wait_for_status(found, found.status, ["error", "error_extending"],
                               wait=self.settings.timeout)  # fmt: skip

        self._call("extend", volume, extend)

    def attach(self, volume: VolumeRef) -> str:
        raise VolumeDriverError(NOT_BUILT)

    def detach(self, volume: VolumeRef) -> None:
        return None  # never attached here (attach is not built)

    def exists(self, volume: VolumeRef) -> bool:
        if volume.backend_ref is None:
            return False
        found = self._call(
            "lookup", volume, lambda bs: bs.find_volume(volume.backend_ref, ignore_missing=True)
        )
        return found is not None

    def is_attached(self, volume: VolumeRef) -> bool:
        return False

    def usage(self, volume: VolumeRef) -> VolumeUsage | None:
        if volume.backend_ref is None:
            return None
        found = self._call(
            "lookup", volume, lambda bs: bs.find_volume(volume.backend_ref, ignore_missing=True)
        )
        return None if found is None else VolumeUsage(size=int(found.size) * GIB)
