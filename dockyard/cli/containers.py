"""`openstack coe container create|list|show|start|stop|logs|delete` (a Dockyard extension
of `coe`), over HTTP through the magnum client the `openstack` command built (`cli.http`)."""

from __future__ import annotations

import argparse
from typing import Any

from osc_lib.command import command

from dockyard.cli.http import item_path, key_value, list_path, request, show

COLUMNS = ("uuid", "name", "image", "status", "host")
SHOW_FIELDS = (
    "uuid",
    "name",
    "image",
    "command",
    "environment",
    "mounts",
    "status",
    "status_reason",
    "host",
    "cluster_id",
    "project_id",
    "user_id",
    "created_at",
    "updated_at",
)


def _show(container: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    return show(SHOW_FIELDS, container)


def _mount(text: str) -> dict[str, Any]:
    """`source=S,destination=D[,type=volume|bind][,ro]`, as `docker run --mount` writes it."""
    mount: dict[str, Any] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if key in ("ro", "readonly") and not sep:
            mount["read_only"] = True
        elif key in ("source", "src") and sep:
            mount["source"] = value
        elif key in ("destination", "dst", "target") and sep:
            mount["destination"] = value
        elif key == "type" and sep:
            mount["type"] = value
        else:
            raise argparse.ArgumentTypeError(f"unknown mount option {part!r} in {text!r}")
    if "source" not in mount or "destination" not in mount:
        raise argparse.ArgumentTypeError(f"a mount needs source= and destination=: {text!r}")
    return mount


class CreateContainer(command.ShowOne):  # type: ignore[misc]
    """Create a container on Dockyard's container host and start it."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="<name>", help="Name of the container.")
        parser.add_argument("--image", help="Image (default: the host's base image).")
        parser.add_argument(
            "--command", help="Command to run, split as a shell would (no shell runs it)."
        )
        parser.add_argument(
            "--env", action="append", type=key_value, default=[], metavar="<KEY=VALUE>",
            help="Environment variable (repeatable).",
        )  # fmt: skip
        parser.add_argument("--volume-driver", help="Volume driver of a volume made for it.")
        parser.add_argument("--vol-name", help="Volume to mount (created if it does not exist).")
        parser.add_argument("--vol-size", type=int, help="Size in GiB of a volume to create.")
        parser.add_argument("--vol-destination", help="Where the volume is mounted (/data).")
        parser.add_argument(
            "--mount", action="append", type=_mount, default=[],
            metavar="<source=S,destination=D[,type=volume|bind][,ro]>",
            help="A volume (by name or uuid) or an allowed host directory (repeatable).",
        )  # fmt: skip
        parser.add_argument(
            "--cluster", help="Run it on this local Swarm cluster (name or UUID) instead of the "
            "container host.",
        )  # fmt: skip
        parser.add_argument(
            "--no-start", action="store_true", help="Create it, but leave it stopped."
        )
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Any, Any]:
        body: dict[str, Any] = {"name": parsed_args.name, "start": not parsed_args.no_start}
        for field in ("image", "command", "volume_driver", "vol_name", "vol_size",
                      "vol_destination", "cluster"):  # fmt: skip
            value = getattr(parsed_args, field)
            if value is not None:
                body[field] = value
        if parsed_args.env:
            body["environment"] = dict(parsed_args.env)
        if parsed_args.mount:
            body["mounts"] = parsed_args.mount
        return _show(request(self.app, "POST", "/v1/containers", body))


class ListContainers(command.Lister):  # type: ignore[misc]
    """List containers."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("--limit", type=int, help="Maximum number to return.")
        parser.add_argument("--marker", help="UUID of the last container already seen.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Any, Any]:
        url = list_path("containers", limit=parsed_args.limit, marker=parsed_args.marker)
        rows = request(self.app, "GET", url)["containers"]
        return COLUMNS, [tuple(row.get(c) for c in COLUMNS) for row in rows]


class ShowContainer(command.ShowOne):  # type: ignore[misc]
    """Show a container."""

    method, action = "GET", ""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("container", metavar="<container>", help="Name or UUID.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Any, Any]:
        url = item_path("containers", parsed_args.container, self.action)
        return _show(request(self.app, self.method, url))


class StartContainer(ShowContainer):
    """Start a container."""

    method, action = "POST", "/start"


class StopContainer(ShowContainer):
    """Stop a container."""

    method, action = "POST", "/stop"


class ContainerLogs(command.Command):  # type: ignore[misc]
    """Print a container's output (stdout and stderr)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("container", metavar="<container>", help="Name or UUID.")
        parser.add_argument("--tail", type=int, help="Only the last N lines.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        url = item_path("containers", parsed_args.container, "/logs", tail=parsed_args.tail)
        self.app.stdout.write(request(self.app, "GET", url)["logs"])


class DeleteContainer(command.Command):  # type: ignore[misc]
    """Delete one or more containers."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("containers", metavar="<container>", nargs="+", help="Name or UUID.")
        parser.add_argument(
            "--force", action="store_true", help="Stop and delete a running container."
        )
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        force = "true" if parsed_args.force else None
        for ident in parsed_args.containers:
            request(self.app, "DELETE", item_path("containers", ident, force=force))
            self.app.stdout.write(f"Container {ident} deleted.\n")
