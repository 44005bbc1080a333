"""How many tests ran per tier (unit, functional, integration, e2e), so a drop is visible.

A pytest plugin (registered in tests/conftest.py). At the end of the run it prints one line
per tier: passed, failed, skipped, and why tests of that tier could not run (a missing
prerequisite, from harness.host). With DOCKYARD_TIER_SUMMARY set to a file name it writes the
same lines there; scripts/run-tests prints them in its summary.

Under CI=true a skipped test fails the run, whatever skipped it: `require_host` already turns
a missing prerequisite into a failure, and this catches a bare `pytest.skip`/`skipif` that
did not go through it.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from harness.host import in_ci

TIERS = ("unit", "functional", "integration", "e2e")
UNAVAILABLE = "cannot run: "
# Worst first: a test's outcome is the worst of its setup, call and teardown reports.
_RANK = {"passed": 0, "skipped": 1, "failed": 2}


def tier_of(nodeid: str) -> str:
    """'tests/unit/test_x.py::test_y' -> 'unit'; anything outside the tiers -> 'other'."""
    parts = nodeid.split("::", 1)[0].split("/")
    if len(parts) > 2 and parts[0] == "tests" and parts[1] in TIERS:
        return parts[1]
    return "other"


class TierReport:
    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.reasons: dict[str, Counter[str]] = defaultdict(Counter)

    def record(self, report: pytest.TestReport) -> None:
        # An expected failure (xfail) counts as passed: it is neither a skip nor a failure.
        outcome = "passed" if hasattr(report, "wasxfail") else report.outcome
        before = self.outcomes.get(report.nodeid, "passed")
        if report.nodeid not in self.outcomes or _RANK[outcome] > _RANK[before]:
            self.outcomes[report.nodeid] = outcome
        reason = self._unavailable_reason(report)
        if reason:
            self.reasons[tier_of(report.nodeid)][reason] += 1

    @staticmethod
    def _unavailable_reason(report: pytest.TestReport) -> str | None:
        if report.skipped and not hasattr(report, "wasxfail"):
            longrepr = report.longrepr
            if isinstance(longrepr, tuple):
                return str(longrepr[2]).removeprefix("Skipped: ")
            return str(longrepr)
        if report.failed and report.when == "setup":
            text = str(report.longrepr)
            if UNAVAILABLE in text:
                return text.split(UNAVAILABLE, 1)[1].strip().splitlines()[0]
        return None

    # -- hooks ---------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.record(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if in_ci() and self.skipped() and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        lines = self.lines()
        terminalreporter.section("tests per tier")
        for line in lines:
            terminalreporter.write_line(line)
        skipped = self.skipped()
        if in_ci() and skipped:
            shown = ", ".join(skipped[:5]) + (" ..." if len(skipped) > 5 else "")
            terminalreporter.write_line(
                f"CI=true: {len(skipped)} skipped test(s) fail the run (a missing prerequisite "
                f"must go through harness.host.require_host): {shown}",
                red=True,
            )
        target = os.environ.get("DOCKYARD_TIER_SUMMARY")
        if target:
            Path(target).write_text("\n".join(lines) + "\n")

    # -- results ---------------------------------------------------------------------------
    def skipped(self) -> list[str]:
        return sorted(n for n, outcome in self.outcomes.items() if outcome == "skipped")

    def lines(self) -> list[str]:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for nodeid, outcome in self.outcomes.items():
            counts[tier_of(nodeid)][outcome] += 1
        lines = []
        for tier in (*TIERS, "other"):
            if tier not in counts and tier == "other":
                continue
            c = counts[tier]
            line = f"{tier:<12} {c['passed']:>4} passed {c['failed']:>4} failed"
            line += f" {c['skipped']:>4} skipped"
            if not c:
                line += "  (none selected)"
            reasons = self.reasons.get(tier)
            if reasons:
                top = "; ".join(f"{r} ({n})" for r, n in reasons.most_common(3))
                line += f"\n{'':<12} could not run: {top}"
            lines.append(line)
        return lines


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(TierReport(), "dockyard-tiers")
