"""The dashboard: static files from `dockyard/ui/` served same-origin at /ui/ (docs/dashboard.md).

The dashboard is plain HTML, CSS and JavaScript modules with no build step. It talks to the
v1 API like any other client, so this module only serves files, plus `/ui/config.json`: the
few facts the page needs before its first API call (how to authenticate, the API version).
`/ui` and `/ui/index.html` redirect to `/ui/`, so relative URLs in the page resolve alike.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from dockyard.api import microversions
from dockyard.api.deps import RuntimeDep
from dockyard.api.views.common import json_response

router = APIRouter()

UI_ROOT = (Path(__file__).resolve().parent.parent.parent / "ui").resolve()

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}

# Everything the page loads comes from this origin: no inline script, no CDN, no framing.
# style-src allows inline `style` attributes set by scripts (progress widths); no inline <style>.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _redirect_to_index(request: Request) -> Response:
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/ui/", status_code=307)


@router.get("/ui", include_in_schema=False)
def ui_redirect(request: Request) -> Response:
    return _redirect_to_index(request)


@router.get("/ui/config.json", include_in_schema=False)
def ui_config(rt: RuntimeDep) -> Response:
    """What the page needs before its first API call."""
    return json_response(
        {
            "auth_strategy": rt.conf.auth.strategy,
            "api_min_version": str(microversions.MIN_VERSION),
            "api_max_version": str(microversions.MAX_VERSION),
            "volume_drivers": list(rt.conf.volume.enabled_drivers),
            "default_volume_driver": rt.conf.volume.default_driver,
        },
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/ui/", include_in_schema=False)
@router.get("/ui/{path:path}", include_in_schema=False)
def ui_file(request: Request, path: str = "") -> Response:
    if path == "index.html":
        return _redirect_to_index(request)
    target = (UI_ROOT / (path or "index.html")).resolve()
    if (
        not target.is_relative_to(UI_ROOT)
        or not target.is_file()
        or target.suffix not in _TYPES
        or any(part.startswith(".") for part in target.relative_to(UI_ROOT).parts)
    ):
        return Response(
            "Not found.",
            status_code=404,
            media_type="text/plain",
            headers={"X-Content-Type-Options": "nosniff"},
        )
    return FileResponse(target, media_type=_TYPES[target.suffix], headers=_SECURITY_HEADERS)
