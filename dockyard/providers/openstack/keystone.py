"""keystoneauth1 sessions and auth plugins, made here only (the `clients-in-providers`
import contract): Dockyard's service user's session, a requester's token, no auth at all."""

from __future__ import annotations

from typing import Any

from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3


def session(
    auth: Any,
    verify: bool | str = True,
    cert: str | tuple[str, str] | None = None,
    timeout: float | None = None,
) -> ks_session.Session:
    """A keystoneauth1 session on auth plugin `auth`."""
    return ks_session.Session(auth=auth, verify=verify, cert=cert, timeout=timeout)


def token_auth(auth_url: str, token: str, project_id: str | None) -> v3.Token:
    """An auth plugin acting with a requester's own Keystone token."""
    return v3.Token(auth_url=auth_url, token=token, project_id=project_id)


def endpoint_auth(endpoint: str) -> noauth.NoAuth:
    """No Keystone at all: every call goes to `endpoint`."""
    return noauth.NoAuth(endpoint=endpoint)
