"""`dockyard`: API and conductor in one process (the embedded default)."""

from __future__ import annotations

from dockyard.cmd.bootstrap import prepare
from dockyard.cmd.server import serve


def main() -> None:
    serve(prepare(), with_conductor=True)
