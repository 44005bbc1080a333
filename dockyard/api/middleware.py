"""Pure-ASGI middleware (no per-request task overhead): request id, microversion, headers.

Order matters and is fixed here: the request id is assigned first so that every error,
including a 406 for a bad microversion, carries it; the path without `/v1` is rewritten, as
Magnum's root controller does, before routing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dockyard.api import errors, microversions
from dockyard.common import exceptions, logcontext
from dockyard.common.context import new_request_id

# One line per request: method, path, status, duration, request id, project (see docs/api.md).
ACCESS_LOG = logging.getLogger("dockyard.access")
# Successful reads: the dashboard and `--follow` poll, so these are quiet by default
# ([DEFAULT] default_log_levels); writes and every error stay in dockyard.access.
READ_LOG = logging.getLogger("dockyard.access.read")
_READS = frozenset({"GET", "HEAD"})
_PUBLIC_PREFIXES = ("/v1", "/healthcheck", "/metrics", "/docs", "/openapi.json", "/ui")
_MIN_HEADER = (
    b"openstack-api-minimum-version",
    f"{microversions.RESPONSE_SERVICE} {microversions.MIN_VERSION}".encode(),
)
_MAX_HEADER = (
    b"openstack-api-maximum-version",
    f"{microversions.RESPONSE_SERVICE} {microversions.MAX_VERSION}".encode(),
)


class OpenStackMiddleware:
    """Assigns `x-openstack-request-id`, negotiates the microversion, adds version headers,
    and refuses bodies over `max_body_size` (by Content-Length up front, and while streaming)."""

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        state: dict[str, Any] = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        with logcontext.bound(request=request_id):
            try:
                await self._handle(scope, receive, send_and_note, request_id)
            finally:
                quiet = scope["method"] in _READS and status < 400
                (READ_LOG if quiet else ACCESS_LOG).info(
                    "%s %s %s %.1fms request_id=%s project=%s",
                    scope["method"],
                    scope["path"]
                    + (
                        f"?{scope['query_string'].decode('latin-1')}"
                        if scope.get("query_string")
                        else ""
                    ),
                    status,
                    (time.perf_counter() - started) * 1000,
                    request_id,
                    state.get("project_id") or "-",
                )

    async def _handle(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        path: str = scope["path"]
        if path != "/" and not path.startswith(_PUBLIC_PREFIXES):
            scope = {**scope, "path": "/v1" + path, "raw_path": b"/v1" + scope["raw_path"]}
            path = scope["path"]
        version_header = None
        content_length = None
        for name, value in scope["headers"]:
            if name == b"openstack-api-version":
                version_header = value.decode("latin-1")
            elif name == b"content-length":
                content_length = value
        is_api = path.startswith("/v1/") or path == "/v1"
        extra_headers: list[tuple[bytes, bytes]] = [
            (b"x-openstack-request-id", request_id.encode())
        ]
        if is_api:
            try:
                version = microversions.negotiate(version_header)
            except microversions.VersionNotSupported as exc:
                await self._reply(
                    errors.microversion_error(str(exc), request_id),
                    scope,
                    receive,
                    send,
                    extra_headers,
                )
                return
            except exceptions.NotAcceptable as exc:
                await self._reply(
                    errors.error_response(
                        406, str(exc), request_id, title="Not Acceptable", code=""
                    ),
                    scope,
                    receive,
                    send,
                    extra_headers,
                )
                return
            extra_headers += [
                _MIN_HEADER,
                _MAX_HEADER,
                (
                    b"openstack-api-version",
                    f"{microversions.RESPONSE_SERVICE} {version}".encode(),
                ),
                (b"vary", b"OpenStack-API-Version"),
            ]
        else:
            version = microversions.MAX_VERSION
        if "\x00" in path or b"%00" in scope.get("query_string", b""):
            # PostgreSQL cannot store or compare strings holding NUL: refused for every route.
            detail = "Invalid request: the URL contains a NUL character (%00)."
            await self._reply(
                errors.error_response(400, detail, request_id), scope, receive, send, extra_headers
            )
            return
        if (
            content_length is not None
            and content_length.isdigit()
            and (int(content_length) > self.max_body_size)
        ):
            detail = f"Request is larger than the limit of {self.max_body_size} bytes."
            await self._reply(
                errors.error_response(413, detail, request_id),
                scope,
                receive,
                send,
                extra_headers,
            )
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["microversion"] = version
        await self.app(
            scope, _limited(receive, self.max_body_size), _with_headers(send, extra_headers)
        )

    @staticmethod
    async def _reply(
        response: Any,
        scope: Scope,
        receive: Receive,
        send: Send,
        extra_headers: list[tuple[bytes, bytes]],
    ) -> None:
        await response(scope, receive, _with_headers(send, extra_headers))


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive` that counts body bytes as they arrive and raises `RequestTooLarge` (413
    through the app's error handler) once they pass `limit`: a chunked body, or one larger
    than its Content-Length claimed, is refused without being held in memory whole."""
    received = 0

    async def receive_limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise exceptions.RequestTooLarge(limit=limit)
        return message

    return receive_limited


def _with_headers(send: Send, extra_headers: list[tuple[bytes, bytes]]) -> Send:
    """`send` that appends `extra_headers` to the response start message."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = list(message.get("headers", [])) + extra_headers
        await send(message)

    return send_with_headers
