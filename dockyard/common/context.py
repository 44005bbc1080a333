"""The identity a request (or a conductor task) acts as."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


def new_request_id() -> str:
    """A request id in the OpenStack form, `req-<uuid4>`."""
    return f"req-{uuid.uuid4()}"


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is asking: project, user, roles. `is_admin` is decided by policy (`context_is_admin`)."""

    project_id: str
    user_id: str
    roles: tuple[str, ...] = ()
    is_admin: bool = False
    domain_id: str | None = None
    request_id: str = field(default_factory=new_request_id)
    auth_token: str | None = None

    def to_policy_credentials(self) -> dict[str, object]:
        """Credentials in the shape oslo.policy checks expect."""
        return {
            "project_id": self.project_id,
            "user_id": self.user_id,
            "roles": list(self.roles),
            "is_admin": self.is_admin,
            "domain_id": self.domain_id,
        }


def admin_context(request_id: str | None = None) -> RequestContext:
    """The conductor's own identity for periodic tasks and operations."""
    return RequestContext(
        project_id="",
        user_id="dockyard-conductor",
        roles=("admin",),
        is_admin=True,
        request_id=request_id or new_request_id(),
    )
