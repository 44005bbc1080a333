"""`dockyard`: API and conductor in one process (the embedded default)."""

from __future__ import annotations

from dockyard.api.docker_plugin.server import PluginSockets
from dockyard.cmd.bootstrap import prepare
from dockyard.cmd.server import bind_api, serve
from dockyard.cmd.startup import one_line_errors

PROG = "dockyard"


def main() -> None:
    with one_line_errors(PROG):
        rt = prepare(prog=PROG)
        listener = bind_api(rt)
    # Nothing else works on the embedded database: volumes left creating or deleting are
    # recovered at once.
    plugin = PluginSockets(rt, recover_grace=0.0)
    plugin.start()
    try:
        serve(rt, with_conductor=True, listener=listener)
    finally:
        plugin.stop()
