"""Asking Keystone about one token (`GET /v3/auth/tokens`, `X-Subject-Token`) with the
service user's keystoneauth1 session; keystoneauth gets and renews the service token and
finds the identity endpoint in the catalog. What the answer means is the API's business."""

from __future__ import annotations

import logging
from typing import Any

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session

LOG = logging.getLogger(__name__)


class IdentityUnreachable(ConnectionError):
    """No answer: connection failure, no identity endpoint, the service user's login refused."""


class TokenLookup:
    """Blocking lookups of tokens on a service user's session."""

    def __init__(
        self, session: ks_session.Session, interface: str, region_name: str | None, retries: int
    ) -> None:
        self.session = session
        self._retries = retries
        self._endpoint_filter: dict[str, Any] = {
            "service_type": "identity",
            "interface": interface,
            "region_name": region_name,
            "version": (3, 0),
        }

    @property
    def auth_url(self) -> str | None:
        """The service user's auth_url, if its plugin has one."""
        return getattr(self.session.auth, "auth_url", None)

    def lookup(self, token: str) -> tuple[int, Any]:
        """(HTTP status, parsed body or None) of Keystone's answer about `token`."""
        try:
            response = self.session.get(
                "/auth/tokens",
                params={"nocatalog": "1"},
                headers={"X-Subject-Token": token},
                endpoint_filter=self._endpoint_filter,
                raise_exc=False,
                connect_retries=self._retries,
                logger=LOG,
            )
        except ks_exceptions.ClientException as exc:
            raise IdentityUnreachable(str(exc)) from exc
        if response.status_code != 200:
            return response.status_code, None
        try:
            return 200, response.json()
        except ValueError:
            return 200, None
