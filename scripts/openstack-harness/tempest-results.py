"""Per-test results of a tempest run (run with the tempest venv's python).

    tempest-results.py EXPECTED_LIST < SUBUNIT_V2

EXPECTED_LIST holds the test ids `tempest run --list-tests` printed. Prints one line per
expected test, `PASS`, `FAIL` or `SKIP` and its id (a test that never reported, because its
class's setUpClass failed, is a FAIL with that reason), then the reason of each failure, and
last the summary line `tempest: N passed, N failed, N skipped`. Exit status 0.
"""

from __future__ import annotations

import re
import sys

import subunit
import testtools

ATTRS = re.compile(r"\[.*\]$")


def bare(test_id: str) -> str:
    return ATTRS.sub("", test_id.strip())


def main() -> None:
    with open(sys.argv[1]) as listing:
        expected = [bare(line) for line in listing if line.strip().startswith("magnum")]
    results: dict[str, tuple[str, str]] = {}

    def record(test: dict) -> None:
        status = test["status"]
        if status in ("exists", "inprogress"):
            return
        details = test.get("details") or {}
        text = ""
        for name in ("traceback", "reason"):
            if name in details:
                text = details[name].as_text()
                break
        results[bare(test["id"])] = (status, text)

    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    collector = testtools.StreamToDict(record)
    collector.startTestRun()
    stream.run(collector)
    collector.stopTestRun()

    fixtures = ("setUpClass", "tearDownClass")
    class_errors = {tid: r for tid, r in results.items() if tid.startswith(fixtures)}
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    reasons: list[str] = []
    for tid in expected:
        status, text = results.get(tid, ("missing", ""))
        if status in ("success", "xfail"):
            verdict = "PASS"
        elif status == "skip":
            verdict = "SKIP"
        else:
            verdict = "FAIL"
            if status == "missing":
                cls = tid.rsplit(".", 1)[0]
                hits = [t for c, (s, t) in class_errors.items() if cls in c and s != "success"]
                text = "did not run; " + (f"setUpClass failed:\n{hits[0]}" if hits else "no result")
        counts[verdict] += 1
        print(f"{verdict} {tid}")
        if verdict != "PASS" and text:
            reasons.append(f"--- {verdict} {tid}\n{text.strip()[-3000:]}")
    for tid, (status, text) in class_errors.items():
        if status not in ("success", "skip"):
            reasons.append(f"--- {tid}: {status}\n{text.strip()[-3000:]}")
    if reasons:
        print("\n".join(["", "Reasons:", *reasons, ""]))
    print(f"tempest: {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")


if __name__ == "__main__":
    main()
