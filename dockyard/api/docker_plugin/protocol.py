"""The legacy Docker plugin protocol (v1.2, VolumeDriver): each call as a function.

Docker POSTs JSON to `/Plugin.Activate` and `/VolumeDriver.<Call>`; errors go back as
`{"Err": "..."}`, which Docker shows to the user.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dockyard.domain.engines import EngineSocket
from dockyard.services import volume_plugin as plugin
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)
CONTENT_TYPE = "application/vnd.docker.plugins.v1.2+json"

Handler = Callable[[Runtime, EngineSocket, dict[str, Any]], dict[str, Any]]


def _name(body: dict[str, Any]) -> str:
    name = body.get("Name")
    if not isinstance(name, str) or not name:
        raise plugin.PluginRefused("the request names no volume")
    return name


def _mount_id(body: dict[str, Any]) -> str:
    return str(body.get("ID") or "")[:128]


def _volume(found: plugin.PluginVolume) -> dict[str, Any]:
    return {"Name": found.name, "Mountpoint": found.mountpoint, "Status": found.status}


def _activate(rt: Runtime, engine: EngineSocket, body: dict[str, Any]) -> dict[str, Any]:
    return {"Implements": ["VolumeDriver"]}


def _capabilities(rt: Runtime, engine: EngineSocket, body: dict[str, Any]) -> dict[str, Any]:
    # global: one volume is the same volume for every engine this plugin serves.
    return {"Capabilities": {"Scope": "global"}}


def _create(rt: Runtime, engine: EngineSocket, body: dict[str, Any]) -> dict[str, Any]:
    plugin.create(rt, engine, _name(body), body.get("Opts") or {})
    return {"Err": ""}


def _remove(rt: Runtime, engine: EngineSocket, body: dict[str, Any]) -> dict[str, Any]:
    plugin.remove(rt, engine, _name(body))
    return {"Err": ""}


def _mount(rt: Runtime, engine: EngineSocket, body: dict[str, Any]) -> dict[str, Any]:
    return {"Mountpoint": plugin.mount(rt, engine, _name(body), _mount_id(body)), "Err": ""}


def _unmount(rt: Runtime, engine: EngineSocket, body: dict[str, Any]) -> dict[str, Any]:
    plugin.unmount(rt, engine, _name(body), _mount_id(body))
    return {"Err": ""}


def _path(rt: Runtime, engine: EngineSocket, body: dict[str, Any]) -> dict[str, Any]:
    return {"Mountpoint": plugin.path(rt, engine, _name(body)), "Err": ""}


def _get(rt: Runtime, engine: EngineSocket, body: dict[str, Any]) -> dict[str, Any]:
    return {"Volume": _volume(plugin.get(rt, engine, _name(body))), "Err": ""}


def _list(rt: Runtime, engine: EngineSocket, body: dict[str, Any]) -> dict[str, Any]:
    return {"Volumes": [_volume(v) for v in plugin.list_for(rt, engine)], "Err": ""}


HANDLERS: dict[str, Handler] = {
    "/Plugin.Activate": _activate,
    "/VolumeDriver.Capabilities": _capabilities,
    "/VolumeDriver.Create": _create,
    "/VolumeDriver.Remove": _remove,
    "/VolumeDriver.Mount": _mount,
    "/VolumeDriver.Unmount": _unmount,
    "/VolumeDriver.Path": _path,
    "/VolumeDriver.Get": _get,
    "/VolumeDriver.List": _list,
}


def call(rt: Runtime, engine: EngineSocket, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    """Answer one plugin request: (HTTP status, JSON body)."""
    handler = HANDLERS.get(path)
    if handler is None:
        return 404, {"Err": f"unknown plugin call {path}"}
    try:
        return 200, handler(rt, engine, body if isinstance(body, dict) else {})
    except plugin.PluginRefused as exc:
        LOG.info("plugin %s for %s refused: %s", path, engine.engine, exc)
        return 200, {"Err": str(exc)}
    except Exception as exc:  # Docker shows Err; the traceback stays in our log
        LOG.exception("plugin %s for %s failed", path, engine.engine)
        return 200, {"Err": f"Dockyard volume plugin error: {exc}"}
