"""Serving the API with uvicorn, optionally with an in-process conductor."""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from dockyard.api.app import create_app
from dockyard.api.metrics import MULTIPROCESS_ENV
from dockyard.cmd import startup
from dockyard.cmd.bootstrap import setup_logging
from dockyard.conductor import periodics
from dockyard.conductor.worker import Conductor
from dockyard.conf import load_config
from dockyard.services import containers
from dockyard.services.runtime import Runtime, build_runtime

LOG = logging.getLogger(__name__)
# The command line a `dockyard-api` worker process rebuilds its configuration from.
_ARGV_ENV = "DOCKYARD_API_ARGV"
LISTEN_BACKLOG = 2048  # uvicorn's default
WORKER_HEALTHCHECK_SECONDS = 60


def _api_heartbeat(rt: Runtime, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            periodics.heartbeat(rt, "dockyard-api")
        except Exception:
            LOG.exception("API heartbeat failed")
        stop.wait(float(rt.conf.heartbeat_interval))


def _start_heartbeat(rt: Runtime) -> threading.Event:
    stop = threading.Event()
    threading.Thread(
        target=_api_heartbeat, args=(rt, stop), name="dockyard-api-heartbeat", daemon=True
    ).start()
    return stop


def _resume_containers(rt: Runtime) -> None:
    # In the background: it may start the container host's dockerd.
    try:
        containers.resume(rt)
    except Exception:
        LOG.exception("resuming the container host at start failed")


def _settle_heap() -> None:
    # Objects built at start-up live for the whole process; without freezing them every full
    # collection walks ~150k of them (~90 ms, in the middle of some request).
    gc.collect()
    gc.freeze()


def worker_app() -> FastAPI:
    """App factory for each `dockyard-api` worker process (uvicorn `factory=True`)."""
    conf = load_config(json.loads(os.environ[_ARGV_ENV]))
    setup_logging(conf)
    rt = build_runtime(conf)
    _start_heartbeat(rt)
    app = create_app(rt)
    _settle_heap()
    return app


@contextmanager
def shared_metrics_dir() -> Iterator[Path]:
    """A directory the API workers share their request metrics through (prometheus_client's
    multiprocess mode), set in the environment the spawned workers inherit. An operator's own
    `PROMETHEUS_MULTIPROC_DIR` is used (and emptied: counts of an earlier run must not add
    up); otherwise a fresh one is made and removed at exit."""
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix="dockyard-metrics-"))
        os.environ[MULTIPROCESS_ENV] = str(path)
    try:
        yield path
    finally:
        if not given:
            os.environ.pop(MULTIPROCESS_ENV, None)
            shutil.rmtree(path, ignore_errors=True)


def bind_api(rt: Runtime) -> socket.socket:
    """The API's listening socket on `[api] host` and `port`, or a one-line StartupError
    (port in use, address not on this host) before anything else starts."""
    host, port = str(rt.conf.api.host), int(rt.conf.api.port)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(LISTEN_BACKLOG)
    except OSError as exc:
        sock.close()
        raise startup.bind_error(host, port, exc) from exc
    sock.set_inheritable(True)  # the worker processes of dockyard-api serve it too
    return sock


def serve(rt: Runtime, *, with_conductor: bool, listener: socket.socket | None = None) -> None:
    """Run the API (and, embedded, the conductor) until interrupted, on `listener` (bound
    here when not given).

    `dockyard-api` with `[api] workers` > 1 runs that many processes; the embedded `dockyard`
    always runs one, because its conductor lives in the API process.
    """
    sock = listener if listener is not None else bind_api(rt)
    options: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "server_header": False,
        "backlog": LISTEN_BACKLOG,
    }
    workers = int(rt.conf.api.workers)
    host, port = sock.getsockname()[:2]
    LOG.info("Dockyard API listening on http://%s:%s/v1", host, port)
    if workers > 1 and not with_conductor:
        os.environ[_ARGV_ENV] = json.dumps(sys.argv[1:])
        # A worker answers uvicorn's health pings only once it has imported Dockyard; on a
        # loaded host that takes longer than uvicorn's 5 s default, and each killed worker's
        # replacement is killed the same way, so nothing ever serves.
        config = uvicorn.Config(
            f"{__name__}:worker_app",
            factory=True,
            workers=workers,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
            **options,
        )
        with shared_metrics_dir():
            Multiprocess(config, sockets=[sock]).run()
        return
    if workers > 1:
        LOG.warning("[api] workers is ignored by `dockyard`: use dockyard-api for several")
    conductor = Conductor(rt) if with_conductor else None
    if conductor is not None:
        conductor.start()
    stop = _start_heartbeat(rt)
    threading.Thread(
        target=_resume_containers, args=(rt,), name="dockyard-containers", daemon=True
    ).start()
    # An operator's PROMETHEUS_MULTIPROC_DIR holds one process's files here: made and emptied.
    shared = shared_metrics_dir() if os.environ.get(MULTIPROCESS_ENV) else nullcontext()
    try:
        with shared:
            app = create_app(rt)
            _settle_heap()
            uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[sock])
    finally:
        stop.set()
        if conductor is not None:
            conductor.stop(wait=False)
