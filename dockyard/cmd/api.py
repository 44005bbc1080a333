"""`dockyard-api`: the API alone (run `dockyard-conductor` processes beside it)."""

from __future__ import annotations

from dockyard.cmd.bootstrap import prepare
from dockyard.cmd.server import serve
from dockyard.cmd.startup import one_line_errors

PROG = "dockyard-api"


def main() -> None:
    with one_line_errors(PROG):
        serve(prepare(prog=PROG), with_conductor=False)
