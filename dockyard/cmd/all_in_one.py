"""`dockyard`: API and conductor in one process (the embedded default)."""

from __future__ import annotations

from dockyard.api.docker_plugin.server import PluginSockets
from dockyard.cmd.bootstrap import prepare
from dockyard.cmd.server import serve


def main() -> None:
    rt = prepare()
    # Nothing else works on the embedded database: volumes left creating or deleting are
    # recovered at once.
    plugin = PluginSockets(rt, recover_grace=0.0)
    plugin.start()
    try:
        serve(rt, with_conductor=True)
    finally:
        plugin.stop()
