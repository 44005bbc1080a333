"""Request-scoped inputs for routes: runtime, identity, microversion, query and JSON body."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request

from dockyard.api.auth.identity import Identity
from dockyard.api.microversions import Version
from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.repositories.lookup import is_uuid_like
from dockyard.db.repositories.pagination import Page
from dockyard.domain import bounds
from dockyard.services.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_version(request: Request) -> Version:
    version: Version = request.state.microversion
    return version


VersionDep = Annotated[Version, Depends(get_version)]


# Keystone's default implied roles (admin -> member -> reader), applied to noauth headers so a
# noauth caller with X-Roles: member behaves like a Keystone token with that role.
_IMPLIED = {"admin": ("member", "reader"), "member": ("reader",)}


def _with_implied(roles: tuple[str, ...]) -> tuple[str, ...]:
    expanded = list(roles)
    for role in roles:
        expanded += [r for r in _IMPLIED.get(role.lower(), ()) if r not in expanded]
    return tuple(expanded)


async def get_context(request: Request) -> RequestContext:
    """The caller's identity: the validated Keystone token's (`[auth] strategy = keystone`), or
    noauth's X-Project-Id / X-User-Id / X-Roles headers and configured defaults."""
    context = _context(request)
    request.state.project_id = context.project_id  # for the access log line
    return context


def _context(request: Request) -> RequestContext:
    identity: Identity | None = getattr(request.state, "identity", None)
    if identity is not None:
        token = request.headers.get("x-auth-token")
        return identity.to_context(request.state.request_id, request.app.state.is_admin, token)
    if request.app.state.token_auth:  # a public path: never fall back to noauth headers
        raise exceptions.AuthenticationRequired()
    runtime: Runtime = request.app.state.runtime
    auth = runtime.conf.auth
    headers = request.headers
    roles_header = headers.get("x-roles")
    roles = (
        tuple(r.strip() for r in roles_header.split(",") if r.strip())
        if roles_header is not None
        else tuple(auth.default_roles)
    )
    roles = _with_implied(roles)
    return RequestContext(
        project_id=headers.get("x-project-id") or auth.default_project_id,
        user_id=headers.get("x-user-id") or auth.default_user_id,
        roles=roles,
        is_admin=request.app.state.is_admin(roles),
        request_id=request.state.request_id,
        auth_token=headers.get("x-auth-token"),
    )


ContextDep = Annotated[RequestContext, Depends(get_context)]


async def get_json_body(request: Request) -> Any:
    """The request body parsed as JSON (400 in Magnum's words when it is not)."""
    runtime: Runtime = request.app.state.runtime
    raw = await request.body()
    if len(raw) > runtime.conf.api.max_request_body_size:
        raise exceptions.RequestTooLarge(limit=runtime.conf.api.max_request_body_size)
    if not raw.strip():
        raise exceptions.Invalid("Request is not in valid JSON format: the body is empty.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise exceptions.Invalid("Request is not in valid JSON format.") from None
    if b"\\u0000" in raw and _has_nul(body):  # JSON can only spell NUL as \u0000
        raise exceptions.Invalid(
            "Invalid request: a string of the body contains a NUL character (\\u0000)."
        )
    return body


def _has_nul(value: Any) -> bool:
    """Whether a string in `value` (a key too) holds NUL, which PostgreSQL cannot store."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


JsonBody = Annotated[Any, Depends(get_json_body)]


def query_args(request: Request, allowed: Iterable[str]) -> dict[str, str]:
    """Query parameters, refusing unknown ones as Magnum does (`Unknown argument: "x"`)."""
    allowed_set = set(allowed)
    args: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key not in allowed_set:
            raise exceptions.Invalid(f'Unknown argument: "{key}"')
        args[key] = value
    return args


PAGE_ARGS = ("marker", "limit", "sort_key", "sort_dir")


def page_from(
    args: dict[str, str], max_limit: int, *, default_sort: str = "id", int_marker: bool = False
) -> Page:
    """Validate marker/limit/sort_key/sort_dir."""
    limit = max_limit
    if "limit" in args:
        try:
            limit = int(args["limit"])
        except ValueError:
            raise exceptions.Invalid(f"Invalid input for limit: {args['limit']!r}") from None
        if limit <= 0:
            raise exceptions.Invalid("Limit must be positive")
        limit = min(limit, max_limit)
    sort_dir = args.get("sort_dir", "asc")
    if sort_dir not in ("asc", "desc"):
        raise exceptions.Invalid(
            f"Invalid sort direction: {sort_dir}. Acceptable values are 'asc' or 'desc'"
        )
    marker: str | int | None = args.get("marker")
    if marker is not None:
        if int_marker:
            if not str(marker).isdigit() or bounds.out_of_range(int(marker), bounds.ROW_ID):
                raise exceptions.Invalid(f"Invalid marker: {marker}")
            marker = int(marker)
        elif not is_uuid_like(str(marker)):
            raise exceptions.Invalid(f"Invalid input for marker: {marker!r} is not a UUID")
        else:
            marker = str(marker).lower()
    return Page(
        limit=limit, marker=marker, sort_key=args.get("sort_key", default_sort), sort_dir=sort_dir
    )
