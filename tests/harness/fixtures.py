"""Session-scoped fixtures around the real Keystone (see harness.keystone)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from harness.barbican import BarbicanServer
from harness.heat import HeatServer
from harness.heat import unavailable_reason as heat_unavailable_reason
from harness.host import unavailable
from harness.keystone import KeystoneCloud, KeystoneServer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeystoneCloud]:
    """A running, seeded Keystone for the whole session; stopped at the end.

    Dockyard's `container-infra` endpoint is registered at `cloud.dockyard_endpoint` (a port
    chosen now): start Dockyard on `cloud.dockyard_port`.
    """
    server = KeystoneServer.start(tmp_path_factory.mktemp("keystone"))
    try:
        yield KeystoneCloud.seed(server, dockyard_port=_free_port())
    finally:
        server.stop()


@pytest.fixture(scope="session")
def barbican(
    keystone: KeystoneCloud, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BarbicanServer]:
    """A running Barbican 23.0.0 (simple_crypto, SQLite) validating tokens with `keystone`,
    in its catalog as `key-manager`; Dockyard's service user may store secrets in it."""
    server = BarbicanServer.start(tmp_path_factory.mktemp("barbican"), keystone)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def heat(keystone: KeystoneCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeatServer]:
    """A running Heat 27.0.1 registered in `keystone`, shared by the session; stopped (and its
    database dropped) at the end. Skipped with the reason when Heat cannot be installed here,
    except under CI=true, where that is a failure."""
    reason = heat_unavailable_reason()
    if reason is not None:
        unavailable(reason)
    server = HeatServer.start(tmp_path_factory.mktemp("heat"), keystone)
    try:
        yield server
    finally:
        server.stop()
