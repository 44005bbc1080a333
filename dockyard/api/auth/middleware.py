"""Pure-ASGI token check for `[auth] strategy = keystone`.

It sits inside `OpenStackMiddleware`, so paths are already `/v1/...` and the request id is set.
`/`, `/v1` and `/healthcheck` are public, as in Magnum, and so are the dashboard's static
files under `/ui/`; everything else (`/docs` and `/openapi.json` too) needs an
`X-Auth-Token` that Keystone accepts. The validated `Identity` is put in the scope state, where
`api.deps.get_context` turns it into the request's context.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from dockyard.api import errors
from dockyard.api.auth.authenticator import KeystoneUnavailable, TokenAuthenticator
from dockyard.api.auth.identity import Identity

# Magnum's public routes, /metrics (a Prometheus scraper sends no token; it shows counts only),
# plus the dashboard's static files (they hold no data: the page calls
# /v1 with the user's token).
PUBLIC_PATHS = frozenset({"/", "/v1", "/v1/", "/healthcheck", "/ui", "/metrics"})
PUBLIC_PREFIXES = ("/ui/",)
_AUTH_REQUIRED = "The request you have made requires authentication."


class KeystoneAuthMiddleware:
    """401 without a valid token, 503 when Keystone cannot be asked, else `state.identity`."""

    def __init__(
        self, app: ASGIApp, authenticator: TokenAuthenticator, www_authenticate_uri: str | None
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.challenge = (
            {"WWW-Authenticate": f'Keystone uri="{www_authenticate_uri}"'}
            if www_authenticate_uri
            else {}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        token = None
        for name, value in scope["headers"]:
            if name == b"x-auth-token":
                token = value.decode("latin-1").strip()
                break
        if not token:
            await self._deny(scope, receive, send, 401, f"{_AUTH_REQUIRED} No X-Auth-Token sent.")
            return
        try:
            identity = await self.authenticator.authenticate(token)
        except KeystoneUnavailable:
            await self._deny(
                scope,
                receive,
                send,
                503,
                "The Identity service is unavailable: the token could not be validated. "
                "Please try again later.",
            )
            return
        if identity is None:
            detail = f"{_AUTH_REQUIRED} The X-Auth-Token is not valid: unknown, expired or revoked."
            await self._deny(scope, receive, send, 401, detail)
            return
        if identity.scope != "project":
            await self._deny(scope, receive, send, 403, _scope_refusal(identity))
            return
        scope.setdefault("state", {})["identity"] = identity
        await self.app(scope, receive, send)

    async def _deny(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str
    ) -> None:
        request_id = str(scope.get("state", {}).get("request_id", ""))
        headers = self.challenge if status == 401 else None
        response = errors.error_response(status, detail, request_id, headers=headers)
        await response(scope, receive, send)


def _scope_refusal(identity: Identity) -> str:
    return (
        f"Policy doesn't allow a {identity.scope}-scoped token. "
        "Dockyard's API needs a project-scoped token, as Magnum's rules (scope_types "
        "['project']) do."
    )
