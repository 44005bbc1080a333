"""The HTTP application: `create_app(runtime)` assembles routes, middleware and error handlers."""

from __future__ import annotations

import logging
from functools import lru_cache

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from dockyard.api import auth, errors
from dockyard.api.metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from dockyard.api.middleware import OpenStackMiddleware
from dockyard.api.routes import (
    baymodels,
    bays,
    capabilities,
    certificates,
    clusters,
    clustertemplates,
    containers,
    mservices,
    nodegroups,
    quotas,
    root,
    stats,
    ui,
    volumes,
)
from dockyard.common import exceptions
from dockyard.services import metrics as work_metrics
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)

ROUTERS = (
    root.router,
    clustertemplates.router,
    clusters.router,
    nodegroups.router,
    quotas.router,
    stats.router,
    certificates.router,
    mservices.router,
    baymodels.router,
    bays.router,
    containers.router,
    volumes.router,
    capabilities.router,
    ui.router,
)


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def create_app(runtime: Runtime) -> FastAPI:
    """Build the ASGI app serving Magnum's v1 API on top of `runtime`."""
    app = FastAPI(
        title="Dockyard",
        description="Container infrastructure management, wire-compatible with Magnum v1.",
        version="1.14",
        redirect_slashes=False,
    )
    app.state.runtime = runtime

    @lru_cache(maxsize=512)
    def is_admin(roles: tuple[str, ...]) -> bool:
        return runtime.policy.is_admin("", "", list(roles))

    app.state.is_admin = is_admin
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(exceptions.DockyardError)
    async def dockyard_error(request: Request, exc: exceptions.DockyardError) -> Response:
        if exc.http_status >= 500:
            LOG.exception("request %s failed", _request_id(request))
        return errors.error_response(exc.http_status, str(exc), _request_id(request))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = {
            404: "The resource could not be found.",
            405: "The method is not allowed for this resource.",
        }.get(exc.status_code, str(exc.detail))
        headers = dict(exc.headers or {})
        return errors.error_response(
            exc.status_code,
            detail,
            _request_id(request),
            title=errors.reason_phrase(exc.status_code),
            code="",
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return errors.error_response(
            400, f"Invalid request: {exc.errors()[0]['msg']}", _request_id(request)
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        LOG.exception("request %s failed", _request_id(request))
        detail = repr(exc) if runtime.conf.debug else "An unexpected error prevented the request."
        return errors.error_response(500, detail, _request_id(request))

    auth.install(app, runtime.conf)  # keystone: the token check, inside OpenStackMiddleware
    app.add_middleware(OpenStackMiddleware, max_body_size=runtime.conf.api.max_request_body_size)
    durations = work_metrics.OperationDurations()
    metrics = Metrics(lambda: work_metrics.snapshot(runtime), lambda: durations.read(runtime))
    app.state.metrics = metrics

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: times everything
    return app
