"""`dockyard-api` with several worker processes: uvicorn's supervisor, with a start-up and
health-check timeout that suits a busy host and a log line saying why a worker was replaced.

uvicorn's own default gives a worker 5 s to answer its health check; on a loaded host
importing Dockyard alone can take longer, and the supervisor then kills and restarts workers
in a loop without a word (issue #13). `[api] worker_healthcheck_timeout` sets it (60 s).

Workers are forked from the supervisor, which has imported everything they run (uvicorn
spawns fresh interpreters instead): a worker starts without importing anything and shares the
supervisor's pages of code and module objects until it writes to them (docs/benchmarks.md,
"Memory of dockyard-api"). Each worker still builds its own runtime and app (database pool,
threads) after the fork.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import signal
import socket
from typing import Any

import uvicorn
from uvicorn._subprocess import subprocess_started
from uvicorn.supervisors import Multiprocess, multiprocess

LOG = logging.getLogger(__name__)
_FORK = multiprocessing.get_context("fork")


class ForkedWorker(multiprocess.Process):
    """uvicorn's worker process, forked from the supervisor instead of spawned."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.process = _FORK.Process(  # type: ignore[assignment]
            target=subprocess_started,
            kwargs={
                "config": config,
                "target": self.target,
                "sockets": sockets,
                "stdin_fileno": None,
            },
        )

    def target(self, sockets: list[socket.socket] | None = None) -> None:
        # The supervisor's handlers only queue signals for its own loop; until uvicorn
        # installs the worker's, SIGTERM and SIGINT must end the worker as usual.
        for sig in multiprocess.SIGNALS:
            signal.signal(
                sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL
            )
        super().target(sockets)


class LoggingSupervisor(Multiprocess):
    """uvicorn's supervisor, logging each worker it replaces and why."""

    def keep_subprocess_alive(self) -> None:
        before = [(process, process.process.is_alive()) for process in self.processes]
        exiting = self.should_exit.is_set()
        super().keep_subprocess_alive()
        for (old, was_alive), new in zip(before, self.processes, strict=False):
            if new is old:
                continue
            if was_alive:
                LOG.error(
                    "API worker %s did not answer its health check within %s s ([api] "
                    "worker_healthcheck_timeout): killed it, started worker %s",
                    old.pid,
                    self.config.timeout_worker_healthcheck,
                    new.pid,
                )
            else:
                LOG.error(
                    "API worker %s exited with code %s: started worker %s",
                    old.pid,
                    old.exitcode,
                    new.pid,
                )
        if self.should_exit.is_set() and not exiting:
            LOG.error("an API worker failed before it started serving; stopping (see above)")


def run(
    app: str,
    workers: int,
    healthcheck_timeout: float,
    options: dict[str, Any],
    sock: socket.socket,
) -> None:
    """Serve the app factory `app` ("module:function") with `workers` processes on the
    listening socket `sock` (bound before anything started, see server.bind_api)."""
    config = uvicorn.Config(
        app,
        factory=True,
        workers=workers,
        timeout_worker_healthcheck=int(healthcheck_timeout),
        **options,
    )
    LOG.info("starting %d API workers (health-check timeout %s s)", workers, healthcheck_timeout)
    # uvicorn's supervisor makes every worker (first start, replacement, SIGHUP, SIGTTIN)
    # through this module-level name.
    multiprocess.Process = ForkedWorker  # type: ignore[misc]
    # What the supervisor holds now lives as long as it: outside the collector, so a
    # worker's collections never write to (and so copy) the pages it shares.
    gc.collect()
    gc.freeze()
    LoggingSupervisor(config, sockets=[sock]).run()
