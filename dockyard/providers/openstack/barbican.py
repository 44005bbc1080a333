"""The Barbican client of the `barbican` certificate store, made here only."""

from __future__ import annotations

from typing import Any


def client(session: Any, region_name: str | None, interface: str, endpoint: str | None) -> Any:
    """A barbicanclient v1 Client on keystoneauth1 `session` (`endpoint`: no catalog lookup)."""
    from barbicanclient import client as barbican

    return barbican.Client(
        session=session, region_name=region_name, interface=interface, endpoint=endpoint
    )
