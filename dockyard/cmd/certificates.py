"""`dockyard-manage certificates ...`: certificate expiry and node certificate renewal.

dockyard-manage certificates list-expiring [--days N]
dockyard-manage certificates renew CLUSTER [--wait] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

from dockyard.cmd import bootstrap
from dockyard.common import exceptions
from dockyard.common.context import admin_context
from dockyard.domain.certificates import days_left
from dockyard.domain.status import COMPLETE, settled
from dockyard.services import certificates, clusters
from dockyard.services.runtime import Runtime


def add_parser(commands: Any) -> None:
    """The `certificates` command and its subcommands."""
    parser = commands.add_parser("certificates", help="cluster certificate expiry and renewal")
    sub = parser.add_subparsers(dest="certificates_command", required=True)
    expiring = sub.add_parser(
        "list-expiring", help="certificates that expire within --days (CAs, admin, nodes)"
    )
    expiring.add_argument(
        "--days",
        type=int,
        default=None,
        help="look this many days ahead (default: [certificates] renew_before_days)",
    )
    renew = sub.add_parser(
        "renew",
        help="re-issue a cluster's node certificates from its current CA (client certificates "
        "keep working); queued as an operation that a conductor runs",
    )
    renew.add_argument("cluster", help="cluster name or uuid")
    renew.add_argument("--wait", action="store_true", help="wait until the renewal has ended")
    renew.add_argument("--timeout", type=float, default=600.0, help="seconds --wait waits")


def run(args: argparse.Namespace, config_args: list[str]) -> int:
    rt = bootstrap.prepare(config_args)
    if args.certificates_command == "list-expiring":
        days = rt.conf.certificates.renew_before_days if args.days is None else args.days
        return _list_expiring(rt, int(days))
    return _renew(rt, args.cluster, args.wait, args.timeout)


def _list_expiring(rt: Runtime, days: int) -> int:
    rows = certificates.expiring(rt, days)
    now = dt.datetime.now(dt.UTC)
    print(f"{'CLUSTER':<36}  {'NAME':<20}  {'KIND':<14}  {'CERTIFICATE':<32}  NOT_AFTER  DAYS")
    for row, cluster_name in rows:
        print(
            f"{row.cluster_id:<36}  {cluster_name[:20]:<20}  {row.kind:<14}  {row.name[:32]:<32}"
            f"  {row.not_after:%Y-%m-%d}  {days_left(row.not_after, now)}"
        )
    print(f"{len(rows)} certificate(s) expire within {days} day(s).")
    return 0


def _renew(rt: Runtime, cluster: str, wait: bool, timeout: float) -> int:
    ctx = admin_context()
    try:
        uuid = certificates.renew(rt, ctx, cluster)
    except exceptions.DockyardError as exc:
        print(f"error: {exc}")
        return 1
    print(f"renewal of cluster {uuid}'s node certificates queued")
    if not wait:
        return 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = clusters.get(rt, ctx, uuid).cluster
        if settled(shown.status):
            print(f"{shown.status}: {shown.status_reason or ''}")
            return 0 if shown.status in COMPLETE else 1
        time.sleep(1.0)
    print(f"still running after {timeout:.0f}s (is a conductor running?)")
    return 1
