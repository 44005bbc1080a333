"""Serving the API with uvicorn, optionally with an in-process conductor."""

from __future__ import annotations

import logging
import threading

import uvicorn

from dockyard.api.app import create_app
from dockyard.conductor import periodics
from dockyard.conductor.worker import Conductor
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)


def _api_heartbeat(rt: Runtime, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            periodics.heartbeat(rt, "dockyard-api")
        except Exception:
            LOG.exception("API heartbeat failed")
        stop.wait(float(rt.conf.heartbeat_interval))


def serve(rt: Runtime, *, with_conductor: bool) -> None:
    """Run the API (and, embedded, the conductor) until interrupted."""
    conductor = Conductor(rt) if with_conductor else None
    if conductor is not None:
        conductor.start()
    stop = threading.Event()
    threading.Thread(
        target=_api_heartbeat, args=(rt, stop), name="dockyard-api-heartbeat", daemon=True
    ).start()
    app = create_app(rt)
    LOG.info("Dockyard API listening on http://%s:%s/v1", rt.conf.api.host, rt.conf.api.port)
    try:
        uvicorn.run(
            app,
            host=rt.conf.api.host,
            port=rt.conf.api.port,
            log_level="warning",
            access_log=False,
            server_header=False,
        )
    finally:
        stop.set()
        if conductor is not None:
            conductor.stop(wait=False)
