"""`openstack coe cluster event list <cluster> [--follow]`: a cluster's timeline (Dockyard's
`GET /v1/clusters/{id}/events` extension), printed once or followed until the operation
running on the cluster ends, like `kubectl get -w`."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from typing import Any

from magnumclient import exceptions as magnum_exceptions
from osc_lib import exceptions
from osc_lib.command import command

from dockyard.cli.http import item_path, request
from dockyard.domain.status import settled as cluster_settled

COLUMNS = ("id", "created_at", "event", "level", "status", "progress", "message")


def percent(fraction: float | None) -> str:
    """`0.4` as "40%"; "" for an event without a fraction."""
    return "" if fraction is None else f"{round(fraction * 100)}%"


def line(event: dict[str, Any]) -> str:
    """One event as a line of `--follow` output."""
    parts = [str(event.get("created_at") or ""), str(event["event"])]
    if event.get("progress") is not None:
        parts.append(f"[{percent(event['progress'])}]")
    if event.get("level") not in (None, "INFO"):
        parts.append(str(event["level"]))
    parts.append(str(event.get("message") or ""))
    if event.get("status"):
        parts.append(f"-> {event['status']}")
    return " ".join(parts)


def settled(body: dict[str, Any]) -> bool:
    """No operation runs or waits on the cluster any more (`domain.status.settled`)."""
    states = [str(op.get("state")) for op in body.get("operations", [])]
    return cluster_settled(body.get("status"), states)


class Timeline:
    """Reads a cluster's events page by page, remembering the last one seen."""

    def __init__(self, app: Any, cluster: str, after: int | None) -> None:
        self.app = app
        self.cluster = cluster
        self.after = after
        self.body: dict[str, Any] = {}

    def fetch(self) -> Iterator[dict[str, Any]]:
        """The events after the last one seen; `body` is the last answer."""
        while True:
            url = item_path("clusters", self.cluster, "/events", after=self.after)
            self.body = request(self.app, "GET", url)
            events: list[dict[str, Any]] = self.body.get("events", [])
            self.cluster = str(self.body.get("cluster_uuid") or self.cluster)
            yield from events
            if not events:
                return
            self.after = int(events[-1]["id"])


class ListClusterEvents(command.Lister):  # type: ignore[misc]
    """List a cluster's events (its timeline), or follow them until its operation ends."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = super().get_parser(prog_name)
        parser.add_argument("cluster", metavar="<cluster>", help="Name or UUID.")
        parser.add_argument("--after", type=int, help="Only events with an id above this one.")
        parser.add_argument(
            "--follow",
            action="store_true",
            help="Print events as they happen, one per line, until no operation runs on the "
            "cluster; exit non-zero if it ends *_FAILED.",
        )
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds between polls (--follow)."
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=0,
            help="Give up following after this many seconds (default: never).",
        )
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Any, Any]:
        timeline = Timeline(self.app, parsed_args.cluster, parsed_args.after)
        if parsed_args.follow:
            self._follow(timeline, parsed_args.interval, parsed_args.timeout)
            return COLUMNS, []
        rows = [
            tuple(percent(e.get(c)) if c == "progress" else e.get(c) for c in COLUMNS)
            for e in timeline.fetch()
        ]
        return COLUMNS, rows

    def produce_output(self, parsed_args: argparse.Namespace, column_names: Any, data: Any) -> int:
        if parsed_args.follow:  # already printed, line by line
            return 0
        result: int = super().produce_output(parsed_args, column_names, data)
        return result

    def _follow(self, timeline: Timeline, interval: float, timeout: float) -> None:
        out = self.app.stdout
        deadline = time.monotonic() + timeout if timeout > 0 else None
        last_look = False
        while True:
            try:
                for event in timeline.fetch():
                    out.write(line(event) + "\n")
            except magnum_exceptions.NotFound:
                if timeline.after is None:
                    raise  # never seen: a wrong name, not a finished delete
                out.write(f"cluster {timeline.cluster} is deleted\n")
                return
            out.flush()
            if last_look:
                break
            # One more read once it settled: the final event may have landed after the
            # events were read.
            last_look = settled(timeline.body)
            if deadline is not None and time.monotonic() > deadline:
                raise exceptions.CommandError(
                    f"cluster {timeline.cluster} is still {timeline.body.get('status')} after "
                    f"{timeout:g}s"
                )
            if not last_look:
                time.sleep(interval)
        status = str(timeline.body.get("status") or "")
        if status.endswith("_FAILED"):
            reason = timeline.body.get("status_reason") or "no reason given"
            raise exceptions.CommandError(f"cluster {timeline.cluster} is {status}: {reason}")
