"""`dockyard-conductor`: runs operations and periodic tasks until SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from dockyard.api.docker_plugin.server import PluginSockets
from dockyard.cmd.bootstrap import prepare
from dockyard.cmd.startup import one_line_errors
from dockyard.cmd.wiring import build_conductor

PROG = "dockyard-conductor"


def main() -> None:
    with one_line_errors(PROG):
        rt = prepare(prog=PROG)
    conductor = build_conductor(rt)
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    conductor.start()
    plugin = PluginSockets(rt)
    plugin.start()
    stopped.wait()
    plugin.stop()
    conductor.stop()
