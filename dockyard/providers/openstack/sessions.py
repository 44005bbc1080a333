"""keystoneauth sessions and openstacksdk connections for Dockyard's calls to OpenStack.

Two identities act on a cluster's stack:
- the *requester*: the Keystone token of the user whose request started the operation. Heat
  needs the user's own token to create (and update, delete) a stack: it creates its own trust
  from it for deferred operations (`deferred_auth_method = trusts`). A trust-scoped token
  cannot do that (Keystone refuses redelegation: measured with Heat 27 and Keystone 30);
- the *service*: Dockyard's own service user (a keystoneauth plugin from configuration), for
  the periodic status sync (stack get or one global stack list; needs the admin role) and for
  standalone (noauth) deployments, where there is no user token.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from openstack import connection


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a service is found in the catalog."""

    region_name: str | None = None
    interface: str = "public"
    verify: bool | str = True
    timeout: float = 60.0


def connect(session: ks_session.Session, endpoint: Endpoint) -> connection.Connection:
    """An openstacksdk connection over an existing keystoneauth session."""
    return connection.Connection(
        session=session,
        region_name=endpoint.region_name,
        interface=endpoint.interface,
    )


class Sessions:
    """Keystone sessions: the service user's (shared, re-authenticated by keystoneauth when its
    token expires) and one per requester token."""

    def __init__(self, service_auth: Any, auth_url: str | None, endpoint: Endpoint) -> None:
        self.service_auth = service_auth
        self.auth_url = auth_url
        self.endpoint = endpoint
        self._lock = threading.Lock()
        self._service: connection.Connection | None = None

    def _session(self, auth: Any) -> ks_session.Session:
        return ks_session.Session(
            auth=auth, verify=self.endpoint.verify, timeout=self.endpoint.timeout
        )

    def service(self) -> connection.Connection:
        """The service user's connection (one per process)."""
        if self.service_auth is None:
            raise RuntimeError("no OpenStack service credentials are configured")
        with self._lock:
            if self._service is None:
                self._service = connect(self._session(self.service_auth), self.endpoint)
            return self._service

    def requester(self, token: str | None, project_id: str) -> connection.Connection:
        """A connection acting with the requester's token (scoped to `project_id`); the
        service user's when there is no token (noauth deployments)."""
        if not token:
            return self.service()
        if not self.auth_url:
            raise RuntimeError("no Keystone auth_url is configured for the requester's token")
        auth = v3.Token(auth_url=self.auth_url, token=token, project_id=project_id)
        return connect(self._session(auth), self.endpoint)

    def missing_endpoints(self, wanted: Sequence[Sequence[str]]) -> list[str]:
        """Of each group of alternative service types (("block-storage", "volumev3")), the
        first name of those groups that have no endpoint in the service user's catalog.
        Raises keystoneauth's errors when Keystone cannot be asked."""
        session = self.service().session
        missing: list[str] = []
        for types in wanted:
            found = any(
                session.get_endpoint(
                    service_type=service_type,
                    interface=self.endpoint.interface,
                    region_name=self.endpoint.region_name,
                )
                for service_type in types
            )
            if not found:
                missing.append(types[0])
        return missing
