"""The volume drivers a process has, by name, and the default one."""

from __future__ import annotations

from collections.abc import Mapping

from dockyard.volume_drivers.base import VolumeDriver


class UnknownVolumeDriver(KeyError):
    """No enabled volume driver has that name."""


class VolumeDriverRegistry:
    """Enabled volume drivers by name; `default` is used when a volume names none."""

    def __init__(self, drivers: Mapping[str, VolumeDriver], default: str) -> None:
        self._drivers = dict(drivers)
        self.default = default

    @property
    def names(self) -> list[str]:
        return sorted(self._drivers)

    def get(self, name: str | None) -> VolumeDriver:
        """The driver called `name` (None: the default); UnknownVolumeDriver otherwise."""
        key = name or self.default
        try:
            return self._drivers[key]
        except KeyError:
            raise UnknownVolumeDriver(key) from None
