"""Driver discovery (entry-point group `dockyard.drivers`) and selection.

A template names a driver explicitly (`driver`), or the driver is chosen by the template's
(server_type, os_distro of its image, coe), as Magnum does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterDriver, Provides

GROUP = "dockyard.drivers"


@dataclass(frozen=True, slots=True)
class DriverInfo:
    """An installed driver as `dockyard-manage list-templates` shows it."""

    name: str
    value: str
    enabled: bool
    provides: tuple[Provides, ...]
    error: str | None = None


def _installed() -> list[EntryPoint]:
    return sorted(entry_points(group=GROUP), key=lambda ep: ep.name)


class DriverRegistry:
    """The enabled drivers of this process, loaded once."""

    def __init__(
        self,
        enabled: Iterable[str] = (),
        disabled: Iterable[str] = (),
        default_driver: str | None = None,
        conf: Any = None,
    ) -> None:
        self._enabled_names = set(enabled)
        self._disabled_names = set(disabled)
        self.default_driver = default_driver
        self.infos: list[DriverInfo] = []
        self._drivers: dict[str, ClusterDriver] = {}
        for ep in _installed():
            enabled_flag = self._is_enabled(ep.name)
            try:
                cls = ep.load()
                if not (isinstance(cls, type) and issubclass(cls, ClusterDriver)):
                    raise TypeError(f"{ep.value} is not a ClusterDriver")
            except Exception as exc:  # a broken plug-in must not stop the service
                self.infos.append(DriverInfo(ep.name, ep.value, False, (), error=str(exc)))
                continue
            self.infos.append(DriverInfo(ep.name, ep.value, enabled_flag, tuple(cls.provides)))
            if enabled_flag:
                driver = cls()
                driver.name = ep.name
                if conf is not None:
                    driver.configure(conf)
                self._drivers[ep.name] = driver

    def _is_enabled(self, name: str) -> bool:
        if name in self._disabled_names:
            return False
        return not self._enabled_names or name in self._enabled_names

    @property
    def drivers(self) -> dict[str, ClusterDriver]:
        return dict(self._drivers)

    def get(self, name: str) -> ClusterDriver:
        """The enabled driver called `name` (400 when it is not loaded)."""
        try:
            return self._drivers[name]
        except KeyError:
            raise exceptions.ClusterDriverNotSupported(driver_name=name) from None

    def select(
        self, server_type: str, os_distro: str, coe: str, driver_name: str | None = None
    ) -> ClusterDriver:
        """The driver for a template: explicit name, else the one providing the tuple."""
        if driver_name:
            driver = self.get(driver_name)
            if Provides(server_type, os_distro, coe) not in driver.provides:
                raise exceptions.InvalidParameterValue(
                    f"Cluster driver ({driver_name}) does not provide ({server_type}, "
                    f"{os_distro}, {coe})."
                )
            return driver
        wanted = Provides(server_type, os_distro, coe)
        matches = [d for d in self._drivers.values() if wanted in d.provides]
        if not matches:
            supported = ", ".join(
                f"({p.server_type}, {p.os}, {p.coe})"
                for d in self._drivers.values()
                for p in d.provides
            )
            raise exceptions.ClusterTypeNotSupported(
                server_type=server_type, os=os_distro, coe=coe, supported=supported or "none"
            )
        for driver in matches:
            if driver.name == self.default_driver:
                return driver
        return sorted(matches, key=lambda d: d.name)[0]
