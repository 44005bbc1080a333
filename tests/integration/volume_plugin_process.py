"""Run Dockyard's volume plugin alone, for one engine, until killed (a process the tests can
kill -9 to play a Dockyard crash).

    python volume_plugin_process.py CONFIG SOCKET ENGINE DOCKER_URL [PROJECT_ID]
"""

from __future__ import annotations

import signal
import sys
import threading

from dockyard.api.docker_plugin.server import PluginSockets
from dockyard.cmd.wiring import build_runtime
from dockyard.conf import load_config
from dockyard.domain.engines import EngineSocket


def main() -> None:
    config, path, engine, docker_url, *rest = sys.argv[1:]
    socket = EngineSocket(
        path=path, engine=engine, project_id=rest[0] if rest else None, docker_url=docker_url
    )
    rt = build_runtime(load_config(["--config-file", config]))
    plugin = PluginSockets(rt, engines=lambda: [socket], recover_grace=0.0)
    plugin.start()
    print("\n".join(plugin.start_reports or []), flush=True)
    print("serving", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    plugin.stop()


if __name__ == "__main__":
    main()
