"""The OpenAPI document declares every body: each route that reads a JSON body declares it,
and every operation declares its success answer and Magnum's error envelope for 4xx (never
FastAPI's 422, which Dockyard does not answer). tests/functional/test_fuzz_api.py fuzzes what
is declared here, so an undeclared body would be a route the fuzzer never exercises."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import BaseRoute

from dockyard.api import deps
from dockyard.api.app import ROUTERS
from dockyard.api.docker_plugin.protocol import CONTENT_TYPE, HANDLERS
from dockyard.api.schemas import docker_plugin
from dockyard.api.schemas import openapi as oa


def reads_body(dependant: Dependant) -> bool:
    """Whether the route (or any of its dependencies) reads the JSON body."""
    if dependant.call is deps.get_json_body:
        return True
    return any(reads_body(sub) for sub in dependant.dependencies)


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute, also those of included routers (FastAPI keeps them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def problems(app: FastAPI) -> list[str]:
    """What the app's OpenAPI document fails to declare, one line per route."""
    document = app.openapi()
    found: list[str] = []
    for route in api_routes(app.routes):
        path = route.path.rstrip("/") or "/"
        for method in sorted(route.methods or ()):
            where = f"{method} {route.path}"
            operation: dict[str, Any] | None = document["paths"].get(path, {}).get(method.lower())
            if operation is None:
                if route.include_in_schema or reads_body(route.dependant):
                    found.append(f"{where}: not in the document")
                continue
            body = operation.get("requestBody", {}).get("content", {}).get(oa.JSON, {})
            if reads_body(route.dependant) and not body.get("schema", {}).get("type"):
                found.append(f"{where}: reads a JSON body that is not declared")
            responses = operation["responses"]
            if "422" in responses:
                found.append(f"{where}: declares 422 (Dockyard answers 400)")
            if responses.get("4XX", {}).get("content", {}).get(oa.JSON, {}).get("schema") != (
                oa.ERROR
            ):
                found.append(f"{where}: no Magnum error envelope for 4xx")
            if not any(code.startswith("2") for code in responses):
                found.append(f"{where}: no success answer")
    return found


def app_of(*routers: APIRouter) -> FastAPI:
    app = FastAPI()
    for router in routers:
        app.include_router(router)
    return app


def test_every_route_declares_its_body_and_answers() -> None:
    app = app_of(*ROUTERS)
    assert len(list(api_routes(app.routes))) > 60
    assert problems(app) == []
    paths = app.openapi()["paths"]
    # The JSON-patch PATCHes, the legacy /bays routes and the volumes all have a body.
    for path in ("/v1/clusters/{ident}", "/v1/bays/{ident}", "/v1/volumes/{ident}"):
        body = paths[path]["patch"]["requestBody"]["content"][oa.JSON]["schema"]
        assert body == oa.JSON_PATCH
    bay = paths["/v1/bays"]["post"]["requestBody"]["content"][oa.JSON]["schema"]
    assert "baymodel_id" in bay["required"] and "cluster_template_id" not in bay["properties"]
    node_count = paths["/v1/clusters"]["post"]["requestBody"]["content"][oa.JSON]["schema"]
    assert node_count["properties"]["node_count"]["maximum"] < 2**31


def test_an_undeclared_body_is_found() -> None:
    router = APIRouter()

    @router.post("/v1/things")
    def create_thing(body: deps.JsonBody) -> Response:
        return Response(status_code=201)

    @router.patch("/v1/things/{ident}", **oa.doc(body=oa.JSON_PATCH))
    def patch_thing(ident: str, body: deps.JsonBody) -> Response:
        return Response(status_code=204)

    found = problems(app_of(router))
    assert "POST /v1/things: reads a JSON body that is not declared" in found
    assert "POST /v1/things: declares 422 (Dockyard answers 400)" not in found  # no parameters
    assert "POST /v1/things: no Magnum error envelope for 4xx" in found
    assert not [line for line in found if line.startswith("PATCH")]


def test_the_volume_plugin_document_declares_every_call() -> None:
    """The Docker volume plugin is served on unix sockets, not by the app: its own document
    declares each call's body and answer (tests/functional/test_fuzz_api.py fuzzes it)."""
    document = docker_plugin.document()
    assert set(document["paths"]) == set(HANDLERS)
    for call, operations in document["paths"].items():
        body = operations["post"]["requestBody"]["content"][oa.JSON]["schema"]
        assert body["type"] == "object", call
        answers = operations["post"]["responses"]
        assert answers["200"]["content"][CONTENT_TYPE]["schema"]["type"] == "object", call
        assert answers["400"]["content"][CONTENT_TYPE]["schema"] == docker_plugin.ERR, call
