"""`openstack coe volume create|list|show|set|delete` (a Dockyard extension of `coe`)."""

from __future__ import annotations

import argparse
from typing import Any

from osc_lib import exceptions
from osc_lib.command import command

from dockyard.cli.http import item_path, list_path, request, show

COLUMNS = ("uuid", "name", "size", "volume_driver", "status")
SHOW_FIELDS = (
    "uuid", "name", "size", "volume_driver", "options", "status", "status_reason",
    "attachments", "usage", "host", "project_id", "user_id", "created_at", "updated_at",
)  # fmt: skip


def _show(volume: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    return show(SHOW_FIELDS, volume)


class CreateVolume(command.ShowOne):  # type: ignore[misc]
    """Create a volume."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="<name>", help="Name of the volume.")
        parser.add_argument("--size", type=int, required=True, help="Size in GiB.")
        parser.add_argument(
            "--volume-driver", help="local or cinder (default: [volume] default_driver)."
        )
        parser.add_argument("--fstype", help="Filesystem (default ext4).")
        parser.add_argument(
            "--multiattach", action="store_true", help="Several engines may mount it at once."
        )
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Any, Any]:
        body: dict[str, Any] = {"name": parsed_args.name, "size": parsed_args.size}
        if parsed_args.volume_driver:
            body["volume_driver"] = parsed_args.volume_driver
        options: dict[str, Any] = {}
        if parsed_args.fstype:
            options["fstype"] = parsed_args.fstype
        if parsed_args.multiattach:
            options["multiattach"] = True
        if options:
            body["options"] = options
        return _show(request(self.app, "POST", "/v1/volumes", body))


class ListVolumes(command.Lister):  # type: ignore[misc]
    """List volumes."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("--limit", type=int, help="Maximum number to return.")
        parser.add_argument("--marker", help="UUID of the last volume already seen.")
        parser.add_argument("--sort-key", help="Column to sort by.")
        parser.add_argument("--sort-dir", choices=("asc", "desc"), help="Sort direction.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Any, Any]:
        url = list_path(
            "volumes", limit=parsed_args.limit, marker=parsed_args.marker,
            sort_key=parsed_args.sort_key, sort_dir=parsed_args.sort_dir,
        )  # fmt: skip
        rows = request(self.app, "GET", url)["volumes"]
        return COLUMNS, [tuple(row.get(c) for c in COLUMNS) for row in rows]


class ShowVolume(command.ShowOne):  # type: ignore[misc]
    """Show a volume, with where it is mounted and how much it holds."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("volume", metavar="<volume>", help="Name or UUID.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Any, Any]:
        return _show(request(self.app, "GET", item_path("volumes", parsed_args.volume)))


class SetVolume(command.ShowOne):  # type: ignore[misc]
    """Rename a volume or grow it (volumes never shrink)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("volume", metavar="<volume>", help="Name or UUID.")
        parser.add_argument("--name", help="New name.")
        parser.add_argument("--size", type=int, help="New size in GiB (larger).")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Any, Any]:
        patch = [
            {"op": "replace", "path": f"/{field}", "value": value}
            for field, value in (("name", parsed_args.name), ("size", parsed_args.size))
            if value is not None
        ]
        if not patch:
            raise exceptions.CommandError("nothing to change: give --name and/or --size")
        url = item_path("volumes", parsed_args.volume)
        return _show(request(self.app, "PATCH", url, patch))


class DeleteVolume(command.Command):  # type: ignore[misc]
    """Delete one or more volumes (refused while attached)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("volumes", metavar="<volume>", nargs="+", help="Name or UUID.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        for ident in parsed_args.volumes:
            request(self.app, "DELETE", item_path("volumes", ident))
            self.app.stdout.write(f"Volume {ident} deleted.\n")
