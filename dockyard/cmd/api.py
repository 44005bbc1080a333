"""`dockyard-api`: the API alone (run `dockyard-conductor` processes beside it)."""

from __future__ import annotations

from dockyard.cmd.bootstrap import prepare
from dockyard.cmd.server import serve


def main() -> None:
    serve(prepare(), with_conductor=False)
