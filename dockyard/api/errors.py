"""The one error formatter: Magnum's `{"errors": [...]}` envelope for every 4xx/5xx."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.responses import Response

from dockyard.api import microversions

LOG = logging.getLogger(__name__)

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


def title_of(detail: str) -> str:
    """The detail's first sentence, without its final period (what the CLI prints).

    Magnum cuts at the first '.', which truncates values such as '10.0.0.0/33' or 'v1.2';
    a sentence ends at '. ' here.
    """
    head = detail.split(". ", 1)[0]
    return head[:-1] if head.endswith(".") else head


def error_body(
    status: int,
    detail: str,
    request_id: str = "",
    *,
    title: str | None = None,
    code: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "request_id": request_id,
        "code": code if code is not None else ("server" if status >= 500 else "client"),
        "status": status,
        "title": title if title is not None else (title_of(detail) or _REASONS.get(status, "")),
        "detail": detail,
        "links": [],
    }
    if extra:
        entry.update(extra)
    return {"errors": [entry]}


def error_response(
    status: int,
    detail: str,
    request_id: str = "",
    *,
    title: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body = error_body(status, detail, request_id, title=title, code=code, extra=extra)
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def microversion_error(detail: str, request_id: str) -> Response:
    """406 for an unsupported version, with the keys the Magnum API adds."""
    return error_response(
        406,
        detail,
        request_id,
        title="Requested microversion is unsupported",
        code="magnum.microversion-unsupported",
        extra={
            "min_version": str(microversions.MIN_VERSION),
            "max_version": str(microversions.MAX_VERSION),
            "links": [{"rel": "help", "href": microversions.HELP_URL}],
            "description": detail,
        },
    )


def reason_phrase(status: int) -> str:
    return _REASONS.get(status, "")
