"""HTTP API benchmark: starts Dockyard, seeds data, measures latency and throughput with wrk.

Usage (from the repository root; `bash bench/setup.sh` installs wrk first):

    .venv/bin/python bench/api.py            # sqlite:1, sqlite:2 (+ postgresql:1), < 3 minutes
    .venv/bin/python bench/api.py --quick    # sqlite:1 only, 2.5 s per scenario, < 40 s
    .venv/bin/python bench/api.py --configs sqlite:1,postgresql:2 --duration 10 --json out.json
    .venv/bin/python bench/api.py --quick --profile /tmp/prof   # + py-spy, see bench/hotspots.py
    .venv/bin/python bench/api.py --quick --src /tmp/patched     # A/B a patched copy of the tree

Needs `wrk` (Debian package: `apt-get update && apt-get install -y wrk`, which bench/setup.sh
runs). PostgreSQL is included by default when 127.0.0.1:5432 answers (user postgres, trust
auth): a scratch database `dockyard_bench_<random>` is created for the run and dropped after.

One configuration "DB:WORKERS" (e.g. `sqlite:1`) does:

 1. Writes a config in a fresh temp dir ([DEFAULT] state_path there, [api] port = a free port,
    [database] connection for PostgreSQL) and starts `.venv/bin/dockyard-api --config-file ...`
    (the API alone, no conductor, so nothing but the load runs), with the TEST-ONLY fake driver
    (tests/fake_drivers, a dist-info folder) first on its PYTHONPATH. WORKERS is the config's
    [api] workers: dockyard-api then serves from that many uvicorn worker processes.
 2. Seeds 100 cluster templates through the API (POST /v1/clustertemplates; coe kubernetes,
    image fedora-atomic-latest, 6 labels and most optional fields set: full objects).
 3. Measures, each for --warmup seconds (discarded) then --duration seconds:
      templates-list    GET /v1/clustertemplates            (all 100, full objects, ~131 KB)
      templates-show    GET /v1/clustertemplates/{uuid}     (rotating over the 100)
      templates-create  POST /v1/clustertemplates           (201 each; grows the table)
    then seeds 10,000 clusters and measures:
      clusters-list     GET /v1/clusters?limit=100          (first page, summary view)
      clusters-show     GET /v1/clusters/{uuid}             (rotating over 1,000 of them)
    The 10,000 clusters (CREATE_COMPLETE, 6 labels, using the first seeded template) and their
    20,000 default nodegroups (a master with 1 address, a worker with 3) are inserted straight
    into the database with two SQLAlchemy Core bulk INSERTs (executemany) on dockyard.db.models'
    tables, in one transaction, while the server runs: about 1.5-5 s. No operation rows.
 4. Stops the server (SIGTERM), deletes the temp dir, drops the PostgreSQL database.

Load generator: wrk (C, epoll) with one thread (`-t1`: it can take at most one of the two
cores; it uses 1-5 % of one in practice), --connections keep-alive connections (default 4),
fixed duration, header `OpenStack-API-Version: container-infra latest`, the noauth default
identity, configured as admin (`[auth] default_roles`). Percentiles come from wrk's histogram
(a Lua `done()` hook prints them as JSON). Why 4 connections: a closed-loop client's mean
latency is connections / throughput (Little's law), so at 10 connections a list route that just
makes 400 req/s has a 25 ms *mean* and could never also show p99 < 20 ms; 4 connections already
keep one or two worker processes saturated (throughput at c=4 and c=10 is the same), so c=4
measures capacity and a meaningful p99 together. Use --connections to see other points.

Columns: req/s and p50/p90/p99 (ms) from wrk; errors = socket errors + non-2xx/3xx answers;
"CPU server / wrk / other" = CPU time of the server's processes, of wrk, and of everything
else on the machine (other processes, PostgreSQL's own backends), as % of one core over the
run, read from /proc; "server CPU-ms/req" = server CPU time per request, the number to compare
code changes by, since it hardly depends on what else the machine is doing.

Options: --pin pins the server to CPU 0 and wrk to CPU 1 (taskset; one-worker configs only).
--profile DIR runs py-spy (`.venv/bin/pip install py-spy`, or bench/setup.sh --with-profiler)
on the server during each measured run and writes collapsed stacks to DIR (BENCH_PYSPY_GIL=1
samples only threads holding the GIL); bench/hotspots.py summarises them. --src DIR serves the
`dockyard` package found in DIR instead of this tree (put first on the server's PYTHONPATH).
--only picks scenarios. The default run stops adding configurations when it would pass ~175 s.

Targets (issue 2): show >= 1,000 req/s and list(100) >= 400 req/s, p99 < 20 ms.
Traffic goes to 127.0.0.1 only; every child process is stopped before exit.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
FAKE_DRIVERS = ROOT / "tests" / "fake_drivers"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_PREFIX = "postgresql+psycopg://postgres@127.0.0.1:5432/"
HEADERS = {"OpenStack-API-Version": "container-infra latest"}
N_TEMPLATES = 100
N_CLUSTERS = 10_000
SHOW_ROTATION = 1_000
TARGETS = {  # scenario -> (min req/s, max p99 ms)
    "templates-list": (400, 20.0),
    "templates-show": (1000, 20.0),
    "clusters-list": (400, 20.0),
    "clusters-show": (1000, 20.0),
}
LABELS = {
    "kube_tag": "v1.27.3",
    "container_runtime": "containerd",
    "cloud_provider_enabled": "true",
    "auto_healing_enabled": "false",
    "monitoring_enabled": "true",
    "availability_zone": "nova",
}

# -- small helpers -------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def http(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(HEADERS))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(ppid, utime+stime seconds) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and all its live descendants."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _proc_stat(int(entry))
            if st is not None:
                stats[int(entry)] = st
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        if pid in stats:
            total += stats[pid][1]
        frontier += [p for p, (ppid, _) in stats.items() if ppid == pid]
    return total


def machine_busy_seconds() -> float:
    """CPU seconds spent busy (not idle/iowait) on all cores since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / _TICK


def children_cpu_seconds() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# -- databases -----------------------------------------------------------------------------


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str | None]:
    """Yields the [database] connection to configure (None: SQLite under state_path)."""
    if kind == "sqlite":
        yield None
        return
    import sqlalchemy as sa

    name = f"dockyard_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield PG_PREFIX + name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def db_url(connection: str | None, state: Path) -> str:
    return connection or f"sqlite:///{state / 'dockyard.sqlite'}"


def seed_clusters(url: str, template_uuid: str, n: int) -> list[str]:
    """Insert `n` clusters and their two default nodegroups each, in one transaction."""
    import sqlalchemy as sa

    sys.path.insert(0, str(ROOT))
    from dockyard.db.models import Cluster, NodeGroup

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    clusters, nodegroups, uuids = [], [], []
    for i in range(n):
        cu = str(uuid.uuid4())
        uuids.append(cu)
        clusters.append(
            {
                "uuid": cu,
                "name": f"bench-cluster-{i:05d}",
                "project_id": "default",
                "user_id": "admin",
                "cluster_template_id": template_uuid,
                "driver": "fake",
                "keypair": "bench-key",
                "docker_volume_size": 20,
                "labels": LABELS,
                "master_flavor_id": "m1.medium",
                "flavor_id": "m1.small",
                "fixed_network": None,
                "fixed_subnet": None,
                "floating_ip_enabled": True,
                "master_lb_enabled": False,
                "create_timeout": 60,
                "discovery_url": None,
                "node_count": 3,
                "master_count": 1,
                "status": "CREATE_COMPLETE",
                "status_reason": "Stack CREATE completed successfully",
                "health_status": "HEALTHY",
                "health_status_reason": {"api": "ok"},
                "api_address": "https://198.51.100.10:6443",
                "coe_version": "v1.2.0",
                "container_version": "1.12.6",
                "stack_id": f"fake-{cu[:8]}",
                "active_operation_id": None,
                "driver_state": {"polls": 0},
                "created_at": now,
                "updated_at": now,
            }
        )
        common = {
            "cluster_id": cu,
            "project_id": "default",
            "docker_volume_size": 20,
            "labels": LABELS,
            "image_id": "fedora-atomic-latest",
            "is_default": True,
            "status": "CREATE_COMPLETE",
            "status_reason": None,
            "stack_id": f"fake-{cu[:8]}",
            "version": None,
            "node_labels": {},
            "node_taints": [],
            "created_at": now,
            "updated_at": now,
        }
        nodegroups.append(
            {
                **common,
                "uuid": str(uuid.uuid4()),
                "name": "default-master",
                "role": "master",
                "flavor_id": "m1.medium",
                "node_count": 1,
                "min_node_count": 1,
                "max_node_count": None,
                "node_addresses": ["198.51.100.10"],
            }
        )
        nodegroups.append(
            {
                **common,
                "uuid": str(uuid.uuid4()),
                "name": "default-worker",
                "role": "worker",
                "flavor_id": "m1.small",
                "node_count": 3,
                "min_node_count": 0,
                "max_node_count": None,
                "node_addresses": [f"198.51.100.{100 + k}" for k in range(3)],
            }
        )
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(Cluster), clusters)
            conn.execute(sa.insert(NodeGroup), nodegroups)
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return uuids


# -- the server ----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(
    workdir: Path, connection: str | None, workers: int, pin: bool, src: Path | None = None
) -> Server:
    port = free_port()
    state = workdir / "state"
    state.mkdir(parents=True, exist_ok=True)
    lines = [
        "[DEFAULT]",
        f"state_path = {state}",
        "host = bench-host",
        "[api]",
        "host = 127.0.0.1",
        f"port = {port}",
        f"workers = {workers}",
        # The identity the figures were measured with: admin (noauth's default is member).
        "[auth]",
        "default_roles = admin,member,reader",
    ]
    if connection:
        lines += ["[database]", f"connection = {connection}"]
    config = workdir / "dockyard.conf"
    config.write_text("\n".join(lines) + "\n")
    # [api] workers in the config: dockyard-api runs that many uvicorn worker processes.
    cmd = [str(VENV_BIN / "dockyard-api"), "--config-file", str(config)]
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]
    process, log_path = launch(cmd, workdir, "server.log", [FAKE_DRIVERS, src or ROOT])
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    # A busy machine slows the start-up (the workers are forked, the supervisor imports).
    wait_until_serving(server, 30 + 30 * workers)
    return server


def launch(
    cmd: list[str], workdir: Path, log_name: str, paths: list[Path]
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start a Dockyard process in `workdir`, importing from `paths` first, logging to
    `workdir/log_name`; no $DOCKYARD_CONFIG from the caller's environment."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(p) for p in paths] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    env.pop("DOCKYARD_CONFIG", None)
    log_path = workdir / log_name
    process = subprocess.Popen(
        cmd, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=workdir
    )
    return process, log_path


def wait_until_serving(server: Any, timeout: float) -> None:
    """Wait until `server` (with .process, .url, .log_path, .stop()) answers GET /; stop it
    and raise with its log if it exits or does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited:\n{server.log_path.read_text()}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not start:\n{server.log_path.read_text()}")


def template_body(i: int) -> dict[str, Any]:
    return {
        "name": f"bench-template-{i:03d}",
        "coe": "kubernetes",
        "image_id": "fedora-atomic-latest",
        "flavor_id": "m1.small",
        "master_flavor_id": "m1.medium",
        "keypair_id": "bench-key",
        "dns_nameserver": "8.8.8.8",
        "external_network_id": "public",
        "fixed_network": "private",
        "fixed_subnet": "private-subnet",
        "docker_volume_size": 20,
        "docker_storage_driver": "overlay2",
        "http_proxy": "http://proxy.example:3128",
        "https_proxy": "http://proxy.example:3128",
        "no_proxy": "localhost,127.0.0.1",
        "master_lb_enabled": True,
        "floating_ip_enabled": False,
        "tags": "bench",
        "labels": LABELS,
    }


# -- wrk -----------------------------------------------------------------------------------

_LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,'
    .. '"mean_us":%.1f,"bytes":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, summary.bytes))
end
"""


def lua_script(method: str, paths: list[str], body: Any = None) -> str:
    out = [f'wrk.method = "{method}"']
    for k, v in HEADERS.items():
        out.append(f'wrk.headers["{k}"] = "{v}"')
    if body is not None:
        out.append('wrk.headers["Content-Type"] = "application/json"')
        out.append(f"wrk.body = {json.dumps(json.dumps(body))}")
    if len(paths) == 1:
        out.append(f'wrk.path = "{paths[0]}"')
    else:
        out.append("local paths = {" + ",".join(f'"{p}"' for p in paths) + "}")
        out.append("local i = 0")
        out.append(
            "request = function()\n  i = i + 1\n"
            "  return wrk.format(nil, paths[(i % #paths) + 1])\nend"
        )
    out.append(_LUA_DONE)
    return "\n".join(out)


@dataclass
class Result:
    config: str
    scenario: str
    request: str
    connections: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    server_cpu_pct: float
    wrk_cpu_pct: float
    other_cpu_pct: float
    cpu_ms_per_req: float
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


def run_wrk(
    server: Server,
    script: Path,
    seconds: float,
    connections: int,
    pin: bool,
) -> tuple[dict[str, Any], float, float, float]:
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        server.url,
    ]
    if pin:
        cmd = ["taskset", "-c", "1", *cmd]
    srv0, wrk0 = tree_cpu_seconds(server.process.pid), children_cpu_seconds()
    all0, t0 = machine_busy_seconds(), time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    wall = time.monotonic() - t0
    srv1, wrk1 = tree_cpu_seconds(server.process.pid), children_cpu_seconds()
    other = (machine_busy_seconds() - all0) - (srv1 - srv0) - (wrk1 - wrk0)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return (
        json.loads(line[len("BENCH_JSON ") :]),
        100 * (srv1 - srv0) / wall,
        100 * (wrk1 - wrk0) / wall,
        100 * max(0.0, other) / wall,
    )


def measure(
    server: Server,
    workdir: Path,
    config: str,
    scenario: str,
    method: str,
    paths: list[str],
    args: argparse.Namespace,
    body: Any = None,
) -> Result:
    script = workdir / f"{scenario}.lua"
    script.write_text(lua_script(method, paths, body))
    if args.warmup > 0:
        run_wrk(server, script, args.warmup, args.connections, args.pin)
    spy = None
    if args.profile:
        # py-spy samples the measured run (100 Hz, --nonblocking: the server is not paused).
        args.profile.mkdir(parents=True, exist_ok=True)
        out = args.profile / f"{config.replace(':', '-')}-{scenario}.txt"
        spy = subprocess.Popen(
            [
                str(VENV_BIN / "py-spy"),
                "record",
                "--nonblocking",
                "--subprocesses",
                "-f",
                "raw",
                *(["--gil"] if os.environ.get("BENCH_PYSPY_GIL") else []),
                "-o",
                str(out),
                "-d",
                str(max(1, round(args.duration))),
                "-p",
                str(server.process.pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.3)
    data, srv_cpu, wrk_cpu, other_cpu = run_wrk(
        server, script, args.duration, args.connections, args.pin
    )
    if spy is not None:
        try:
            spy.wait(15)
        except subprocess.TimeoutExpired:
            spy.terminate()
            spy.wait(5)
    seconds = data["duration_us"] / 1e6
    shown_path = paths[0] if len(paths) == 1 else paths[0].rsplit("/", 1)[0] + "/{uuid}"
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    result = Result(
        config=config,
        scenario=scenario,
        request=f"{method} {shown_path}",
        connections=args.connections,
        duration_s=round(seconds, 2),
        requests=data["requests"],
        rps=round(data["requests"] / seconds, 1),
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=errors,
        server_cpu_pct=round(srv_cpu),
        wrk_cpu_pct=round(wrk_cpu),
        other_cpu_pct=round(other_cpu),
        cpu_ms_per_req=round(srv_cpu / 100 * seconds / max(1, data["requests"]) * 1000, 3),
    )
    if scenario in TARGETS:
        min_rps, max_p99 = TARGETS[scenario]
        result.target = f">= {min_rps} req/s, p99 < {max_p99:g} ms"
        result.met = result.rps >= min_rps and result.p99_ms < max_p99 and errors == 0
    log(
        f"{config:14} {scenario:17} {result.rps:8.1f} req/s  p50 {result.p50_ms:6.2f}  "
        f"p90 {result.p90_ms:6.2f}  p99 {result.p99_ms:6.2f} ms  errors {errors}  "
        f"server CPU {result.server_cpu_pct}%  wrk CPU {result.wrk_cpu_pct}%  "
        f"other CPU {result.other_cpu_pct}%  server {result.cpu_ms_per_req:.2f} CPU-ms/req"
    )
    return result


# -- one configuration ---------------------------------------------------------------------


def run_config(kind: str, workers: int, args: argparse.Namespace) -> list[Result]:
    config = f"{kind}:{workers}"
    workdir = Path(tempfile.mkdtemp(prefix=f"dockyard-bench-{kind}-{workers}-"))
    results: list[Result] = []
    only = {s.strip() for s in (args.only or "").split(",") if s.strip()}

    def run(scenario: str, method: str, paths: list[str], body: Any = None) -> None:
        if not only or scenario in only:
            results.append(measure(server, workdir, config, scenario, method, paths, args, body))

    try:
        with database(kind, workdir) as connection:
            t0 = time.monotonic()
            server = start_server(workdir, connection, workers, args.pin and workers == 1, args.src)
            try:
                log(f"{config}: server up on {server.url} in {time.monotonic() - t0:.1f}s")
                templates = []
                for i in range(N_TEMPLATES):
                    status, body = http(
                        "POST", server.url + "/v1/clustertemplates", template_body(i)
                    )
                    if status != 201:
                        raise RuntimeError(f"template create failed: {status} {body}")
                    templates.append(body["uuid"])
                status, body = http("GET", server.url + "/v1/clustertemplates")
                assert status == 200 and len(body["clustertemplates"]) == N_TEMPLATES, body
                run("templates-list", "GET", ["/v1/clustertemplates"])
                run("templates-show", "GET", [f"/v1/clustertemplates/{u}" for u in templates])
                create_body = {**template_body(0)}
                create_body.pop("name")
                run("templates-create", "POST", ["/v1/clustertemplates"], create_body)
                if only and not only & {"clusters-list", "clusters-show"}:
                    return results
                t1 = time.monotonic()
                uuids = seed_clusters(
                    db_url(connection, workdir / "state"), templates[0], N_CLUSTERS
                )
                log(
                    f"{config}: seeded {N_CLUSTERS} clusters + {2 * N_CLUSTERS} nodegroups "
                    f"in {time.monotonic() - t1:.1f}s"
                )
                status, body = http("GET", server.url + "/v1/clusters?limit=100")
                assert status == 200 and len(body["clusters"]) == 100, body
                status, body = http("GET", server.url + f"/v1/clusters/{uuids[0]}")
                assert status == 200 and body["uuid"] == uuids[0], body
                run("clusters-list", "GET", ["/v1/clusters?limit=100"])
                step = max(1, len(uuids) // SHOW_ROTATION)
                run("clusters-show", "GET", [f"/v1/clusters/{u}" for u in uuids[::step]])
            finally:
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def markdown(results: list[Result]) -> str:
    rows = [
        "| config (db:workers) | scenario | request | conns | req/s | p50 ms | p90 ms | p99 ms "
        "| errors | CPU server / wrk / other | server CPU-ms/req | target | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        rows.append(
            f"| {r.config} | {r.scenario} | `{r.request}` | {r.connections} | {r.rps:,.0f} "
            f"| {r.p50_ms:.2f} | {r.p90_ms:.2f} | {r.p99_ms:.2f} | {r.errors} "
            f"| {r.server_cpu_pct}% / {r.wrk_cpu_pct}% / {r.other_cpu_pct}% "
            f"| {r.cpu_ms_per_req:.2f} | {r.target} | {met} |"
        )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="sqlite:1 only, 2.5 s per scenario")
    parser.add_argument(
        "--configs",
        help="comma-separated DB:WORKERS (db: sqlite|postgresql). Default: sqlite:1,sqlite:2 "
        "and, when PostgreSQL answers on 127.0.0.1:5432, postgresql:1",
    )
    parser.add_argument(
        "--duration", type=float, help="measured seconds per scenario (4; quick 2.5)"
    )
    parser.add_argument("--warmup", type=float, help="discarded seconds before each (1; quick 0.5)")
    parser.add_argument(
        "--connections", type=int, default=4, help="wrk keep-alive connections (4; see docstring)"
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="taskset: server on CPU 0, wrk on CPU 1 (one-worker configs)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument(
        "--src",
        type=Path,
        metavar="DIR",
        help="serve the `dockyard` package found in DIR (put first on the server's PYTHONPATH), "
        "e.g. a patched copy of the tree, for A/B runs",
    )
    parser.add_argument(
        "--only",
        help="comma-separated scenarios to measure (default: all five)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample the server with py-spy (pip install py-spy) during each measured run; "
        "collapsed stacks go to DIR/<db>-<workers>-<scenario>.txt (see bench/hotspots.py)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print(
            "wrk not found: apt-get update && apt-get install -y wrk (or bench/setup.sh)",
            file=sys.stderr,
        )
        return 2
    if args.duration is None:
        args.duration = 2.5 if args.quick else 4.0
    if args.warmup is None:
        args.warmup = 0.5 if args.quick else 1.0
    if args.configs:
        configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    elif args.quick:
        configs = ["sqlite:1"]
    else:
        configs = ["sqlite:1", "sqlite:2"]
        if pg_reachable():
            configs += ["postgresql:1"]
        else:
            log("PostgreSQL not reachable on 127.0.0.1:5432: SQLite only")
    started = time.monotonic()
    results: list[Result] = []
    budget = 40.0 if args.quick else 175.0
    for i, config in enumerate(configs):
        spent = time.monotonic() - started
        if i and not args.configs and spent + spent / i > budget:
            log(f"skipping {', '.join(configs[i:])}: the run would exceed {budget:.0f}s")
            break
        kind, _, workers = config.partition(":")
        if kind not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {kind!r}")
        results += run_config(kind, int(workers or 1), args)
    elapsed = time.monotonic() - started
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "?",
    )
    print(
        f"\nDockyard API benchmark, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{os.cpu_count()} CPUs ({cpu}), wrk -t1 -c{args.connections}, "
        f"{args.duration:g}s per scenario after {args.warmup:g}s warm-up, "
        f"total {elapsed:.0f}s\n"
    )
    print(markdown(results))
    missed = [f"{r.config} {r.scenario}" for r in results if r.met is False]
    print("\nTargets: " + ("all met" if not missed else "missed by " + ", ".join(missed)))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
