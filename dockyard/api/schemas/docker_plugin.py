"""The OpenAPI document of the Docker volume plugin (`api/docker_plugin`, legacy plugin protocol
v1.2): each call's JSON body and answer, so the same schema-driven fuzzer covers it
(tests/functional/test_fuzz_api.py). The plugin is served on unix sockets, one per engine, not
by the FastAPI app, so this is a document of its own.

Docker sends every call as a POST with a JSON object; the plugin answers 200 with `Err` empty
or naming the refusal, 400 when the body is not JSON and 404 for a call it does not know.
"""

from __future__ import annotations

from typing import Any

from dockyard.api.docker_plugin.protocol import CONTENT_TYPE, HANDLERS
from dockyard.api.schemas.openapi import NULLABLE_OBJECT, STRING, Schema, array_of, obj

ERR: Schema = obj(("Err",), Err=STRING)
VOLUME: Schema = obj(("Name", "Mountpoint"), Name=STRING, Mountpoint=STRING, Status=NULLABLE_OBJECT)
NAMED: Schema = {
    "type": "object",
    "required": ["Name"],
    "properties": {"Name": {"type": "string", "minLength": 1}},
}
MOUNT: Schema = {
    "type": "object",
    "required": ["Name"],
    "properties": {"Name": {"type": "string", "minLength": 1}, "ID": STRING},
}
CREATE: Schema = {
    "type": "object",
    "required": ["Name"],
    "properties": {
        "Name": {"type": "string", "minLength": 1},
        "Opts": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
    },
}
EMPTY: Schema = {"type": "object"}

# call -> (request body, answer)
CALLS: dict[str, tuple[Schema, Schema]] = {
    "/Plugin.Activate": (EMPTY, obj(("Implements",), Implements=array_of(STRING))),
    "/VolumeDriver.Capabilities": (
        EMPTY,
        obj(("Capabilities",), Capabilities=obj(("Scope",), Scope={"enum": ["global", "local"]})),
    ),
    "/VolumeDriver.Create": (CREATE, ERR),
    "/VolumeDriver.Remove": (NAMED, ERR),
    "/VolumeDriver.Mount": (MOUNT, obj(("Err",), Err=STRING, Mountpoint=STRING)),
    "/VolumeDriver.Unmount": (MOUNT, ERR),
    "/VolumeDriver.Path": (NAMED, obj(("Err",), Err=STRING, Mountpoint=STRING)),
    "/VolumeDriver.Get": (NAMED, obj(("Err",), Err=STRING, Volume=VOLUME)),
    "/VolumeDriver.List": (EMPTY, obj(("Err",), Err=STRING, Volumes=array_of(VOLUME))),
}


def _answers(answer: Schema) -> dict[str, Any]:
    def content(schema: Schema) -> dict[str, Any]:
        return {CONTENT_TYPE: {"schema": schema}}

    return {
        "200": {"description": "Done, or refused with Err", "content": content(answer)},
        "400": {"description": "The body is not JSON", "content": content(ERR)},
    }


def document() -> dict[str, Any]:
    """The plugin's OpenAPI 3.1 document (every call in `protocol.HANDLERS`)."""
    paths = {
        call: {
            "post": {
                "operationId": call.strip("/").replace(".", "_"),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": CALLS[call][0]}},
                },
                "responses": _answers(CALLS[call][1]),
            }
        }
        for call in HANDLERS
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Dockyard volume plugin (Docker plugin protocol v1.2)", "version": "1.2"},
        "paths": paths,
    }
