"""Links, timestamps and JSON responses shared by all views."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response


def app_url(request: Request) -> str:
    """scheme://host[:port][root_path] of the request (honours X-Forwarded-Proto/Host)."""
    headers = request.headers
    scheme = headers.get("x-forwarded-proto") or request.url.scheme
    host = headers.get("x-forwarded-host") or headers.get("host") or request.url.netloc
    return f"{scheme}://{host}{request.scope.get('root_path', '')}"


def pick(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """`names` of a record: a listed row (a dict) or an ORM object from a single-row read."""
    if isinstance(record, dict):
        return {name: record[name] for name in names}
    return {name: getattr(record, name) for name in names}


class RenderCache:
    """Rendered list items by (uuid, updated_at, created_at, ...): a row renders the same until
    its updated_at changes, and lists re-render the same 100 rows request after request."""

    def __init__(self, limit: int = 50_000) -> None:
        self._items: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._limit = limit

    def get(self, key: tuple[Any, ...], render: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        item = self._items.get(key)
        if item is None:
            if len(self._items) >= self._limit:
                self._items.clear()
            item = self._items[key] = render()
        return item


def links(base: str, collection: str, ident: str) -> list[dict[str, str]]:
    return [
        {"href": f"{base}/v1/{collection}/{ident}", "rel": "self"},
        {"href": f"{base}/{collection}/{ident}", "rel": "bookmark"},
    ]


def timestamp(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def next_link(
    base: str, path: str, items: list[Any], limit: int, marker: Any, sort_key: str, sort_dir: str
) -> dict[str, str]:
    """`{"next": url}` when the page is full, as Magnum does; else nothing."""
    if not items or len(items) != limit:
        return {}
    return {
        "next": f"{base}/v1/{path}?sort_key={sort_key}&sort_dir={sort_dir}&limit={limit}"
        f"&marker={marker}"
    }


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def no_content() -> Response:
    return Response(status_code=204)


def string_labels(labels: dict[str, Any] | None) -> dict[str, str]:
    """Labels are strings on the wire, whatever type came in."""
    if not labels:
        return {}
    if all(type(v) is str for v in labels.values()):
        return dict(labels)
    return {k: _label_str(v) for k, v in labels.items()}


def _label_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
