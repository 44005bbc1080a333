"""Session-scoped fixtures around the real Keystone (see harness.keystone)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

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
