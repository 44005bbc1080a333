"""Requests to Dockyard through the magnum client the `openstack` command already built
(`client_manager.container_infra`): its session, endpoint, token and microversion header, and
its translation of Magnum error bodies into "<title> (HTTP <status>)" messages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode


def request(app: Any, method: str, url: str, body: Any = None) -> Any:
    """`method url` with a JSON `body`; returns the decoded JSON answer (None for 204)."""
    kwargs = {} if body is None else {"body": body}
    _resp, data = app.client_manager.container_infra.http_client.json_request(method, url, **kwargs)
    return data


def item_path(collection: str, ident: str, action: str = "") -> str:
    """`/v1/<collection>/<ident><action>` with `ident` quoted."""
    return f"/v1/{collection}/{quote(ident, safe='')}{action}"


def list_path(collection: str, **query: Any) -> str:
    """`/v1/<collection>` with the query parameters that are not None."""
    given = {k: v for k, v in query.items() if v is not None}
    return f"/v1/{collection}" + (f"?{urlencode(given)}" if given else "")
