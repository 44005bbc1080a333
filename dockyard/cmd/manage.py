"""`dockyard-manage`: database and driver administration.

dockyard-manage db upgrade [--revision R]
dockyard-manage db version
dockyard-manage list-templates [--details]
dockyard-manage certificates list-expiring [--days N]
dockyard-manage certificates renew CLUSTER [--wait]
dockyard-manage container-host destroy [--force]
"""

from __future__ import annotations

import argparse
import sys

from dockyard.cmd import certificates, container_host
from dockyard.conf import database_url, load_config
from dockyard.db import migration
from dockyard.drivers.registry import DriverRegistry


def _list_templates(registry: DriverRegistry, details: bool) -> None:
    """Magnum's `list-templates`; `--details` adds whether each enabled driver can build
    clusters here (and what it lacks), and the combinations it provides or stands in for."""
    usability = registry.usability() if details else {}
    drivers = registry.drivers
    for title, enabled in (("Enabled Templates", True), ("Disabled Templates", False)):
        print(title)
        for info in registry.infos:
            if info.enabled != enabled:
                continue
            note = f" (failed to load: {info.error})" if info.error else ""
            print(f"  {info.name}: {info.value}{note}")
            if not details:
                continue
            if info.name in usability:
                problems = usability[info.name]
                print(
                    "     usable here: " + ("yes" if not problems else "no: " + "; ".join(problems))
                )
            stand_ins = drivers[info.name].stands_in_for if info.name in drivers else ()
            if info.provides or stand_ins:
                print(f"     {'Server_Type':<12} {'OS':<15} CoE")
                for p in info.provides:
                    print(f"     {p.server_type:<12} {p.os:<15} {p.coe}")
                for p in stand_ins:
                    row = f"     {p.server_type:<12} {p.os:<15} {p.coe}"
                    print(row + " (when no usable driver provides it)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dockyard-manage")
    parser.add_argument("--config-file", action="append", default=[])
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations")
    upgrade.add_argument("--revision", default="head")
    db_commands.add_parser("version", help="show the schema revision")
    templates = commands.add_parser("list-templates", help="installed cluster drivers")
    templates.add_argument("--details", action="store_true")
    certificates.add_parser(commands)
    container_host.add_parser(commands)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    config_args = [f"--config-file={f}" for f in args.config_file]
    if args.command == "certificates":
        return certificates.run(args, config_args)
    if args.command == "container-host":
        return container_host.run(args, config_args)
    conf = load_config(config_args)
    if args.command == "db":
        url = database_url(conf)
        if args.db_command == "upgrade":
            migration.upgrade(url, args.revision)
        print(migration.current_version(url) or "(empty database)")
        return 0
    registry = DriverRegistry(
        conf.drivers.enabled_definitions,
        conf.drivers.disabled_drivers,
        conf.drivers.default_driver,
        conf=conf,
    )
    _list_templates(registry, args.details)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
