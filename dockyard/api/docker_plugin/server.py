"""`PluginSockets`: the volume plugin served on one unix socket per engine.

The set of engines comes from `services.volume_engines.local_engines` and is re-read every
`interval` seconds: a socket appears in an engine's private plugin dir when the engine does,
and goes when it goes. Every socket is a small threaded HTTP/1.1 server (stdlib); the socket it
arrived on tells which engine a request is from. On start, volumes left `creating` or
`deleting` are recovered and attachments are reconciled with what the engines report; an
engine seen for the first time is reconciled too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import orjson

from dockyard.api.docker_plugin import protocol
from dockyard.db.models import utcnow
from dockyard.domain.engines import EngineSocket
from dockyard.services import volume_engines, volume_plugin, volumes
from dockyard.services.runtime import Runtime

LOG = logging.getLogger(__name__)
# Seconds between looks for volumes whose create or delete was interrupted.
RECOVERY_INTERVAL = 60.0
# How long a newly served engine (a node still starting) is retried until it uses the plugin.
INTRODUCTION_WINDOW = 600.0


class _EngineServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, rt: Runtime, engine: EngineSocket) -> None:
        self.rt = rt
        self.engine = engine
        super().__init__(engine.path, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _EngineServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            body = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            status, answer = 400, {"Err": "the request body is not JSON"}
        else:
            status, answer = protocol.call(self.server.rt, self.server.engine, self.path, body)
        data = orjson.dumps(answer)
        self.send_response(status)
        self.send_header("Content-Type", protocol.CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        # One request per connection: a socket closed or re-served for another identity must
        # not keep answering on a kept-alive connection.
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        LOG.debug("plugin %s: " + format, self.server.engine.engine, *args)


class PluginSockets:
    """Serve the plugin to every local engine until `stop()`."""

    def __init__(
        self,
        rt: Runtime,
        *,
        engines: Callable[[], list[EngineSocket]] | None = None,
        interval: float = 1.0,
        recover_grace: float | None = None,
    ) -> None:
        self.rt = rt
        self._engines = engines or (lambda: volume_engines.local_engines(rt))
        self.interval = interval
        self.recover_grace = (
            float(rt.conf.volume.operation_timeout) if recover_grace is None else recover_grace
        )
        self._servers: dict[str, tuple[EngineSocket, _EngineServer]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Engines served but not yet seen answering: path -> (engine, give up at).
        self._unintroduced: dict[str, tuple[EngineSocket, float]] = {}
        self.start_reports: list[str] | None = None  # set once start-up recovery ran

    @property
    def serving(self) -> list[EngineSocket]:
        with self._lock:
            return [engine for engine, _ in self._servers.values()]

    def start(self) -> None:
        """Recover volumes, serve the current engines and keep following them.

        The shared mount of the volumes' root is made by whoever starts an engine
        (`services.volumes.prepare_host`) or by the first mount, not here: a process with no
        engine leaves the host's mounts alone.
        """
        reports: list[str] = []
        # Mount records older than this were made by an earlier process, not by us.
        started = utcnow()
        try:
            reports += volumes.recover(self.rt, grace=self.recover_grace)
        except Exception as exc:  # the API must come up even so; the periodic retries
            LOG.exception("volume plugin: recovery at start failed")
            reports.append(f"recovery failed: {exc}")
        new = self.resync(reconcile=False)
        try:
            reports += volume_plugin.reconcile(self.rt, new, cutoff=started)
        except Exception as exc:
            LOG.exception("volume plugin: reconciliation at start failed")
            reports.append(f"reconciliation failed: {exc}")
        self.start_reports = reports
        self._thread = threading.Thread(
            target=self._loop, name="dockyard-volume-plugin", daemon=True
        )
        self._thread.start()
        LOG.info("volume plugin serving %d engine(s)", len(new))

    def stop(self) -> None:
        """Close every socket (engines keep their mounts; Docker retries until we are back)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            served = list(self._servers)
        for path in served:
            self._close(path)

    def resync(self, *, reconcile: bool = True) -> list[EngineSocket]:
        """Serve exactly the engines `engines()` names now; returns the newly served ones."""
        try:
            wanted = {engine.path: engine for engine in self._engines()}
        except Exception:
            LOG.exception("volume plugin: cannot list the engines")
            return []
        with self._lock:
            current = dict(self._servers)
        still_there = {engine.engine for engine in wanted.values()}
        forgot = False
        for path, (engine, _) in current.items():
            if wanted.get(path) != engine:
                self._close(path)
                if engine.engine not in still_there:
                    self._forget(engine)
                    forgot = True
        if forgot and not wanted:
            # The last engine went: undo the shared mount of the volumes' root (refused, and
            # left, while any volume is still mounted).
            for reason in volumes.release_host(self.rt):
                LOG.info("volume plugin: the volumes' root stays shared: %s", reason)
        new = []
        for path, engine in wanted.items():
            if path in current and current[path][0] == engine:
                continue
            try:
                self._open(engine)
                new.append(engine)
            except OSError as exc:
                LOG.warning("volume plugin: cannot serve %s at %s: %s", engine.engine, path, exc)
        give_up = time.monotonic() + INTRODUCTION_WINDOW
        for engine in new:
            self._unintroduced[engine.path] = (engine, give_up)
        if reconcile:
            self._introduce()
        return new

    def _introduce(self) -> None:
        """Reconcile engines seen for the first time once they answer, and have each use the
        plugin once: swarm schedules a task needing a volume driver only on nodes that list it.
        """
        answered = []
        for path, (engine, give_up) in list(self._unintroduced.items()):
            if volume_plugin.introduce(engine):
                answered.append(engine)
            elif time.monotonic() < give_up:
                continue
            else:
                LOG.warning("volume plugin: %s never answered; not reconciled", engine.engine)
            self._unintroduced.pop(path, None)
        if answered:
            volume_plugin.reconcile(self.rt, answered)

    def _forget(self, engine: EngineSocket) -> None:
        """An engine left for good (its cluster or node deleted): release what it held."""
        self._unintroduced.pop(engine.path, None)
        try:
            problems = volume_plugin.forget_engine(self.rt, engine.engine)
        except Exception:
            LOG.exception("volume plugin: releasing the volumes of %s failed", engine.engine)
            return
        for problem in problems:
            LOG.warning("volume plugin: %s: %s", engine.engine, problem)

    def _open(self, engine: EngineSocket) -> None:
        os.makedirs(os.path.dirname(engine.path), mode=0o700, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(engine.path)  # a socket left by a process that died
        server = _EngineServer(self.rt, engine)
        os.chmod(engine.path, 0o600)
        threading.Thread(
            target=server.serve_forever, args=(0.5,), name=f"plugin-{engine.engine}", daemon=True
        ).start()
        with self._lock:
            self._servers[engine.path] = (engine, server)

    def _close(self, path: str) -> None:
        with self._lock:
            entry = self._servers.pop(path, None)
        if entry is None:
            return
        _, server = entry
        server.shutdown()
        server.server_close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    def _loop(self) -> None:
        last_recovery = time.monotonic()
        while not self._stop.wait(self.interval):
            try:
                self.resync()
            except Exception:
                LOG.exception("volume plugin: resync with the engines failed")
            if time.monotonic() - last_recovery < RECOVERY_INTERVAL:
                continue
            last_recovery = time.monotonic()
            try:
                volumes.recover(self.rt, grace=float(self.rt.conf.volume.operation_timeout))
            except Exception:
                LOG.exception("volume plugin: recovery failed")
