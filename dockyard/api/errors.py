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
    """The whole detail without its final period: the title is all the client prints.

    python-magnumclient shows `errors[0].title` and drops `detail`. Magnum cuts the title at
    the first '.', so the client loses what to do next ("Please use the clustertemplate uuid
    instead.") and the supported values; here every sentence stays.
    """
    text = detail.strip()
    return text[:-1] if text.endswith(".") else text


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
