"""`dockyard-manage container-host destroy [--force]`: remove the container host for good.

For uninstalling Dockyard from a machine, or starting the host afresh: stop `dockyard` (or the
process serving the container API) first, or it starts the host again on the next request.
"""

from __future__ import annotations

import argparse
from typing import Any

from dockyard.cmd import bootstrap
from dockyard.common import exceptions
from dockyard.services import container_hosts


def add_parser(commands: Any) -> None:
    """The `container-host` command and its subcommands."""
    parser = commands.add_parser("container-host", help="the container API's Docker engine")
    sub = parser.add_subparsers(dest="container_host_command", required=True)
    destroy = sub.add_parser(
        "destroy",
        help="remove the host's dockerd, containers, images and files, unmount the volumes "
        "it used (they are kept) and undo the shared mount of the volumes' root",
    )
    destroy.add_argument(
        "--force", action="store_true", help="even if containers are still recorded on it"
    )


def run(args: argparse.Namespace, config_args: list[str]) -> int:
    rt = bootstrap.prepare(config_args)
    try:
        problems = container_hosts.destroy(rt, force=args.force)
    except exceptions.DockyardError as exc:
        print(f"not destroyed: {exc}")
        return 1
    for line in problems:
        print(f"left behind: {line}")
    print(f"container host {rt.conf.containers.host_name} destroyed")
    return 1 if problems else 0
