"""Who a validated Keystone token speaks for, read from Keystone's token document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dockyard.common.context import RequestContext


@dataclass(frozen=True, slots=True)
class Identity:
    """The parts of a token Dockyard acts on. `project_id` is None unless project-scoped."""

    user_id: str
    user_name: str
    user_domain_id: str | None
    roles: tuple[str, ...]
    expires_at: float  # POSIX seconds
    project_id: str | None = None
    project_name: str | None = None
    project_domain_id: str | None = None
    scope: str = "project"  # project | domain | system | unscoped

    def to_context(
        self, request_id: str, is_admin: Callable[[tuple[str, ...]], bool], token: str | None
    ) -> RequestContext:
        """The request's context. `domain_id` is the user's domain, as in Magnum's ContextHook."""
        return RequestContext(
            project_id=self.project_id or "",
            user_id=self.user_id,
            roles=self.roles,
            is_admin=is_admin(self.roles),
            domain_id=self.user_domain_id,
            request_id=request_id,
            auth_token=token,
        )


def parse_expiry(value: str) -> float:
    """Keystone's `expires_at` ("2026-11-22T05:03:48.000000Z") as POSIX seconds."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def from_token_document(body: Mapping[str, Any]) -> Identity:
    """Identity from the body of `GET /v3/auth/tokens` (KeyError/ValueError if malformed)."""
    token = body["token"]
    user = token["user"]
    project = token.get("project")
    if project:
        scope = "project"
    elif token.get("domain"):
        scope = "domain"
    elif token.get("system"):
        scope = "system"
    else:
        scope = "unscoped"
    return Identity(
        user_id=user["id"],
        user_name=user.get("name", ""),
        user_domain_id=(user.get("domain") or {}).get("id"),
        # Keystone already expands implied roles (admin -> member -> reader) in the token.
        roles=tuple(role["name"] for role in token.get("roles") or ()),
        expires_at=parse_expiry(token["expires_at"]),
        project_id=project["id"] if project else None,
        project_name=project.get("name") if project else None,
        project_domain_id=(project.get("domain") or {}).get("id") if project else None,
        scope=scope,
    )
