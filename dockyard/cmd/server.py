"""Serving the API with uvicorn, optionally with an in-process conductor."""

from __future__ import annotations

import gc
import ipaddress
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
from prometheus_client import values as prometheus_values

from dockyard.api.app import create_app
from dockyard.api.metrics import MULTIPROCESS_ENV
from dockyard.cmd import startup
from dockyard.cmd import workers as api_workers
from dockyard.cmd.bootstrap import setup_logging
from dockyard.cmd.wiring import build_conductor, build_runtime
from dockyard.conductor import periodics
from dockyard.conf import load_config
from dockyard.services import containers
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)
# The command line a `dockyard-api` worker process rebuilds its configuration from.
_ARGV_ENV = "DOCKYARD_API_ARGV"
LISTEN_BACKLOG = 2048  # uvicorn's default


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
    # prometheus_client picks its value class (in memory, or files in PROMETHEUS_MULTIPROC_DIR)
    # when it is imported: the supervisor imported it before it set the shared directory, and
    # this worker is a fork of it, so the choice is made again here, before any metric exists.
    prometheus_values.ValueClass = prometheus_values.get_value_class()  # type: ignore[no-untyped-call]
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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_noauth_bind(rt: Runtime) -> None:
    """Refuse noauth on a non-loopback address unless `[auth] noauth_allow_network` says the
    operator means it, and then say loudly what it means."""
    host = str(rt.conf.api.host)
    if rt.conf.auth.strategy != "noauth" or _is_loopback(host):
        return
    if not rt.conf.auth.noauth_allow_network:
        raise startup.StartupError(
            f"refusing to start: [auth] strategy = noauth on [api] host = {host}, which is not "
            "loopback. Anyone who can reach it could act as any project, even as admin. Use "
            "[auth] strategy = keystone, bind 127.0.0.1, or set [auth] noauth_allow_network = "
            "true if this network is trusted."
        )
    LOG.warning(
        "SECURITY: noauth on %s: anyone who can reach this address can act as any project "
        "and any role (X-Project-Id / X-Roles headers). Only for a trusted network.",
        host,
    )


def bind_api(rt: Runtime) -> socket.socket:
    """The API's listening socket on `[api] host` and `port`, or a one-line StartupError
    (noauth on a network address, port in use, address not on this host) before anything
    else starts."""
    check_noauth_bind(rt)
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
        rt.db.dispose()  # workers are forked: none may inherit a pooled connection
        with shared_metrics_dir():
            api_workers.run(
                f"{__name__}:worker_app",
                workers,
                float(rt.conf.api.worker_healthcheck_timeout),
                options,
                sock,
            )
        return
    if workers > 1:
        LOG.warning("[api] workers is ignored by `dockyard`: use dockyard-api for several")
    conductor = build_conductor(rt) if with_conductor else None
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
