"""Memory of `dockyard-api` with [api] workers = 2: RSS and PSS of the supervisor and each worker.

Usage (from the repository root):

    .venv/bin/python bench/api_memory.py                 # SQLite, 2 workers, 500 requests
    .venv/bin/python bench/api_memory.py --database postgresql+psycopg://postgres@127.0.0.1:5432/x
    .venv/bin/python bench/api_memory.py --workers 4 --requests 2000 --json out.json
    .venv/bin/python bench/api_memory.py --src /tmp/main   # a copy of another tree, to A/B

It starts `.venv/bin/dockyard-api` in a fresh temp dir as bench/api.py does (the TEST-ONLY
fake driver on its PYTHONPATH, noauth callers as admin), waits until it answers, creates 20
cluster templates and sends --requests list and show requests spread over the workers, reads
`/proc/<pid>/smaps_rollup` of the supervisor and of every process below it (what `smem`
shows): RSS counts each shared page fully in every process; PSS divides a shared page among
the processes that map it, so PSS values add up to what the group really uses. The total PSS
is compared with real Magnum's two uWSGI workers, 331 MiB measured on this machine (issue 13).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import httpx
from api import start_server  # bench/api.py: the same server, config and fake driver

MAGNUM_TWO_WORKERS_MIB = 331
HEADERS = {"OpenStack-API-Version": "container-infra latest"}
FIELDS = ("Rss", "Pss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty")


def rollup(pid: int) -> dict[str, float]:
    """The process's smaps_rollup fields, in MiB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, rest = line.split(":", 1)
        if name in FIELDS:
            values[name] = int(rest.split()[0]) / 1024
    return values


def role_of(pid: int) -> str:
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    if "resource_tracker" in command:
        return "tracker"  # multiprocessing's helper of the spawn start method
    return "worker"


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def exercise(url: str, requests: int) -> None:
    """Templates to read, then list and show requests on fresh connections (so both workers
    serve some: the kernel spreads new connections over the processes accepting)."""
    uuids = []
    with httpx.Client(base_url=url, headers=HEADERS, timeout=30) as http:
        for i in range(20):
            body = {"name": f"m{i}", "coe": "kubernetes", "image_id": "fedora-atomic-latest"}
            response = http.post("/v1/clustertemplates", json=body)
            response.raise_for_status()
            uuids.append(response.json()["uuid"])
    for i in range(requests):
        path = "/v1/clustertemplates" if i % 2 else f"/v1/clustertemplates/{uuids[i % 20]}"
        httpx.get(url + path, headers=HEADERS, timeout=30).raise_for_status()


def measure(
    workers: int, requests: int, database: str | None, src: str | None = None
) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="dockyard-mem-") as tmp:
        server = start_server(
            Path(tmp), database, workers, pin=False, src=Path(src) if src else None
        )
        process = server.process
        try:
            exercise(server.url, requests)
            time.sleep(1)  # let the last answers' buffers go
            rows = [("supervisor", process.pid, rollup(process.pid))]
            rows += [(role_of(pid), pid, rollup(pid)) for pid in descendants(process.pid)]
        finally:
            server.stop()
    total_pss = sum(r[2]["Pss"] for r in rows)
    return {
        "workers": workers,
        "requests": requests,
        "database": "postgresql" if database else "sqlite",
        "processes": [{"role": role, "pid": pid, **values} for role, pid, values in rows],
        "total_rss_mib": round(sum(r[2]["Rss"] for r in rows), 1),
        "total_pss_mib": round(total_pss, 1),
        "magnum_two_workers_mib": MAGNUM_TWO_WORKERS_MIB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database", help="an SQLAlchemy URL (default: SQLite in the temp dir)")
    parser.add_argument("--json", help="also write the result to this file")
    parser.add_argument("--src", help="serve the `dockyard` package found in this directory")
    args = parser.parse_args()
    result = measure(args.workers, args.requests, args.database, args.src)
    print(f"{'process':<11}{'pid':>8}" + "".join(f"{f:>15}" for f in FIELDS) + "   (MiB)")
    for row in result["processes"]:  # type: ignore[attr-defined]
        values = "".join(f"{row[f]:>15.1f}" for f in FIELDS)
        print(f"{row['role']:<11}{row['pid']:>8}{values}")
    print(
        f"total: RSS {result['total_rss_mib']} MiB, PSS {result['total_pss_mib']} MiB "
        f"(real Magnum, two uWSGI workers: {MAGNUM_TWO_WORKERS_MIB} MiB)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
