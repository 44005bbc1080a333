"""Requests to Dockyard through the magnum client the `openstack` command already built
(`client_manager.container_infra`): its session, endpoint, token and microversion header, and
its translation of Magnum error bodies into "<title> (HTTP <status>)" messages. Also the small
argument and output helpers the commands share."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode


def request(app: Any, method: str, url: str, body: Any = None) -> Any:
    """`method url` with a JSON `body`; returns the decoded JSON answer (None for 204)."""
    kwargs = {} if body is None else {"body": body}
    _resp, data = app.client_manager.container_infra.http_client.json_request(method, url, **kwargs)
    return data


def _query(query: dict[str, Any]) -> str:
    given = {k: v for k, v in query.items() if v is not None}
    return f"?{urlencode(given)}" if given else ""


def item_path(collection: str, ident: str, action: str = "", **query: Any) -> str:
    """`/v1/<collection>/<ident><action>` with `ident` quoted, and the query parameters that
    are not None."""
    return f"/v1/{collection}/{quote(ident, safe='')}{action}{_query(query)}"


def list_path(collection: str, **query: Any) -> str:
    """`/v1/<collection>` with the query parameters that are not None."""
    return f"/v1/{collection}{_query(query)}"


def show(fields: Sequence[str], item: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """`fields` of `item` as a ShowOne command returns them."""
    return tuple(fields), tuple(item.get(name) for name in fields)


def key_value(text: str) -> tuple[str, str]:
    """An argparse type for `KEY=VALUE`."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value
