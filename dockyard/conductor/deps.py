"""What the conductor needs from its process: a narrow interface, wired in `dockyard.cmd`.

The conductor never builds its collaborators and never imports the services layer: the
composition root (`cmd/wiring.py`) hands it one object with these attributes (the same
object the API's services get, which has more).
"""

from __future__ import annotations

from typing import Protocol

from oslo_config import cfg

from dockyard.certs.stores import CertStore
from dockyard.db.session import Database
from dockyard.drivers.registry import DriverRegistry
from dockyard.notifications.notifier import Notifier


class ConductorDeps(Protocol):
    """The configuration, database, cluster drivers, certificate store and notifier."""

    @property
    def conf(self) -> cfg.ConfigOpts: ...
    @property
    def db(self) -> Database: ...
    @property
    def drivers(self) -> DriverRegistry: ...
    @property
    def certs(self) -> CertStore: ...
    @property
    def notifier(self) -> Notifier: ...

    def wake_conductor(self) -> None:
        """Nudge this process's conductor (wired by cmd/ to `Conductor.wake`, when there
        is one) so work made due now starts without waiting for its next poll."""
