"""`dockyard-api` with several worker processes: uvicorn's supervisor, with a start-up and
health-check timeout that suits a busy host and a log line saying why a worker was replaced.

uvicorn's own default gives a worker 5 s to answer its health check; on a loaded host
importing Dockyard alone can take longer, and the supervisor then kills and restarts workers
in a loop without a word (issue #13). `[api] worker_healthcheck_timeout` sets it (60 s).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

LOG = logging.getLogger(__name__)


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
    LoggingSupervisor(config, sockets=[sock]).run()
