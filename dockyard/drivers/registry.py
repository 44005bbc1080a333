"""Driver discovery (entry-point group `dockyard.drivers`) and selection.

A template names a driver explicitly (`driver`), or the driver is chosen by the template's
(server_type, os_distro of its image, coe), as Magnum does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from dockyard.common import exceptions
from dockyard.drivers.base import ClusterDriver, Provides, UnloadedDriver

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
        """The enabled driver called `name`; for a name not loaded here (a cluster made
        before its driver was disabled or removed), an `UnloadedDriver`, which builds
        nothing (400 at request time: `require_usable`) and deletes what was never built."""
        return self._drivers.get(name) or UnloadedDriver(name)

    def select(
        self,
        server_type: str,
        os_distro: str,
        coe: str,
        driver_name: str | None = None,
        template: Mapping[str, Any] | None = None,
    ) -> ClusterDriver:
        """The driver for a template that this deployment can use (400 otherwise).

        An explicit `driver_name` must provide (or stand in for) the tuple. Otherwise the
        drivers that provide it come first ([drivers] default_driver, then by name), then
        those that only stand in for it; the first one with no unmet requirement wins. When
        none is usable, the 400 names each candidate and what it lacks."""
        wanted = Provides(server_type, os_distro, coe)
        if driver_name:
            if driver_name not in self._drivers:
                raise exceptions.ClusterDriverNotSupported(driver_name=driver_name)
            driver = self._drivers[driver_name]
            if wanted not in driver.provides and wanted not in driver.stands_in_for:
                raise exceptions.InvalidParameterValue(
                    f"Cluster driver ({driver_name}) does not provide ({server_type}, "
                    f"{os_distro}, {coe})."
                )
            self.require_usable(driver, template)
            return driver
        candidates = self._candidates(wanted)
        if not candidates:
            raise exceptions.ClusterTypeNotSupported(
                server_type=server_type, os=os_distro, coe=coe, supported=self._supported()
            )
        refusals: list[tuple[ClusterDriver, list[str]]] = []
        for driver in candidates:
            problems = driver.unmet_requirements(template)
            if not problems:
                return driver
            refusals.append((driver, problems))
        raise self._unusable(f"{coe} on {os_distro} ({server_type})", refusals)

    def require_usable(
        self, driver: ClusterDriver, template: Mapping[str, Any] | None, subject: str = ""
    ) -> None:
        """Raise DriverUnusable (400) when `driver` cannot build `template`'s clusters here."""
        problems = driver.unmet_requirements(template)
        if problems:
            raise self._unusable(subject, [(driver, problems)])

    def usability(self) -> dict[str, list[str]]:
        """Each enabled driver's unmet requirements (empty: usable here)."""
        return {name: d.unmet_requirements() for name, d in sorted(self._drivers.items())}

    def _candidates(self, wanted: Provides) -> list[ClusterDriver]:
        def rank(driver: ClusterDriver) -> tuple[bool, str]:
            return (driver.name != self.default_driver, driver.name)

        native = sorted((d for d in self._drivers.values() if wanted in d.provides), key=rank)
        stand_ins = sorted(
            (d for d in self._drivers.values() if wanted in d.stands_in_for), key=rank
        )
        return native + [d for d in stand_ins if d not in native]

    def _supported(self) -> str:
        combos = ", ".join(
            f"({p.server_type}, {p.os}, {p.coe})"
            for d in self._drivers.values()
            for p in d.provides
        )
        return combos or "none"

    def _unusable(
        self, subject: str, refusals: list[tuple[ClusterDriver, list[str]]]
    ) -> exceptions.DockyardError:
        if len(refusals) == 1:
            driver, problems = refusals[0]
            return exceptions.DriverUnusable(
                driver.name, driver.backend, problems, subject=subject or None
            )
        parts = [
            f"{d.name}{f' ({d.backend})' if d.backend else ''}: {', '.join(p)}" for d, p in refusals
        ]
        return exceptions.NotSupported(
            f"{subject} has no driver that can build it here: {'; '.join(parts)}."
        )
