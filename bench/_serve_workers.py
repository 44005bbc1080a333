"""BENCH-ONLY: `dockyard-api` served by uvicorn with N worker processes.

`dockyard.cmd.server.serve` passes an app *object* to `uvicorn.run`, which uvicorn can only
run in one process; several workers need an import string (or a factory) that every worker
process imports on its own. This launcher does exactly that, so bench/api.py can measure what
`[api] workers = N` would give once cmd/server.py honours it:

    python bench/_serve_workers.py --config-file dockyard.conf --workers 2

The parent applies migrations once (prepare()); each worker builds its own Runtime (engine,
policy, drivers) through the factory below and runs the API heartbeat. No conductor.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

import uvicorn


def make_app():  # type: ignore[no-untyped-def]
    """Factory run inside every worker process: config from $DOCKYARD_CONFIG."""
    from dockyard.api.app import create_app
    from dockyard.cmd.bootstrap import prepare
    from dockyard.cmd.server import _api_heartbeat

    rt = prepare([])
    stop = threading.Event()
    threading.Thread(
        target=_api_heartbeat, args=(rt, stop), name="dockyard-api-heartbeat", daemon=True
    ).start()
    app = create_app(rt)
    if os.environ.get("DOCKYARD_BENCH_GC_FREEZE"):
        # Experiment knob (docs/benchmarks.md): what serve() would do with gc.freeze().
        import gc

        gc.collect()
        gc.freeze()
    print(f"bench-worker-ready pid={os.getpid()}", file=sys.stderr, flush=True)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config-file", required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ["DOCKYARD_CONFIG"] = os.path.abspath(args.config_file)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

    from dockyard.cmd.bootstrap import prepare

    rt = prepare([])  # migrations once, before the workers start
    host, port = rt.conf.api.host, rt.conf.api.port
    rt.db.dispose()
    uvicorn.run(
        "_serve_workers:make_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
