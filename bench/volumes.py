"""Volume and container benchmark: a real `dockyard` process, its container host and plugin.

    sudo .venv/bin/python bench/volumes.py                 # 2 runs, ~2-3 minutes
    sudo .venv/bin/python bench/volumes.py --runs 1 --volumes 20 --containers 5   # quick
    sudo .venv/bin/python bench/volumes.py --json /tmp/volumes.json
    sudo .venv/bin/python bench/volumes.py --src /tmp/patched   # A/B a patched copy of the tree

Each run starts the embedded `dockyard` (API + conductor + volume plugin, SQLite) with a fresh
state dir, its own container host (`[containers] host_name`, run dir under /run) and volume
root, then measures, one request at a time unless said otherwise:

  volume-create        POST /v1/volumes {"size": 1} (local driver, 1 GiB sparse ext4)
  volume-list          GET /v1/volumes?limit=100 with 100 volumes in the project: wrk, 1 thread,
                       4 keep-alive connections (bench/api.py's method), req/s and p99
  volume-delete        DELETE /v1/volumes/{uuid} of an available volume
  host-cold-first      the first POST /v1/containers after start, on a host that never ran:
                       dockerd started, base image loaded, container Running
  host-cold-restart    the same after the host's dockerd was stopped (data-root kept)
  container-create     POST /v1/containers without a volume, answered Running (host warm)
  container-new-vol    POST /v1/containers {vol_name: new, vol_size: 1}, answered Running
  container-old-vol    POST /v1/containers {vol_name: existing}, answered Running
  container-show       GET /v1/containers/{id} while the container-new-vol containers run
                       (every read syncs the status with the engine first)
  container-list       GET /v1/containers, the same moment
  container-delete     DELETE /v1/containers/{id}?force=true of a Running container that
                       holds a volume (its command exits on SIGTERM, as a well-behaved service
                       does)
  container-delete-no-sigterm   the same for `sleep 600`, a PID 1 that ignores SIGTERM: the
                       engine waits [containers] stop_timeout (10 s) before SIGKILL
  plugin-mount-engine  what the volume plugin adds to a container's life as the engine sees it:
                       median of `docker run` (create, start, wait, remove; command `true`) with
                       a Dockyard volume mounted minus the median without (docker SDK on the
                       host's socket, runs alternated, 2 x --containers and at least 20 each)
  plugin-mount-socket  VolumeDriver.Mount and .Unmount called straight on the plugin's socket
                       (the plugin's own share of the above)
  host-dockerd-rss     memory of the host's dockerd, idle: RSS (the target: what it costs when
                       it is the only dockerd on the machine), anonymous (its own heap) and PSS
                       (lower when other dockerds share the binary's pages); and PSS of its whole
                       cgroup (dockerd, containerd, shims), idle and with the container-new-vol
                       containers running ("busy")
  dockyard-idle-cpu    CPU of the `dockyard` process over --idle seconds without requests, its
                       container host running (the conductor, plugin resync, periodics)

Every request answers synchronously, so its wall time is the latency a user sees. "server
CPU-ms/op" is the CPU time of the `dockyard` process (all threads) per operation; it hardly
depends on what else the machine does. The machine may be shared: run twice (the default) and
compare the runs. Targets are what a user of a container service expects; each row says
whether every run met it.

Needs root, Debian's docker.io, busybox-static, loop devices and wrk (bash bench/setup.sh).
Traffic stays on 127.0.0.1 and unix sockets; every container, volume, loop device, mount and
the container host itself are removed at the end (`dockyard-manage container-host destroy`).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import api as api_bench  # noqa: E402  (bench/api.py: wrk runner, process CPU)

from dockyard.providers.block_local import mounts  # noqa: E402
from dockyard.providers.docker_local import cgroups, procs  # noqa: E402
from dockyard.providers.docker_local.host_engine import (  # noqa: E402
    HostEngine,
    HostEngineSettings,
)

ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
HEADERS = {**api_bench.HEADERS, "Content-Type": "application/json"}
# Exits at once on SIGTERM (a sleeping PID 1 without a handler would wait stop_timeout).
SERVICE = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]
IMAGE = "dockyard/busybox:1"
# measure -> (statistic, bound, unit); latencies are p95 of the run unless noted.
TARGETS: dict[str, tuple[str, float, str]] = {
    "volume-create": ("p95", 1.0, "s"),
    "volume-delete": ("p95", 1.0, "s"),
    "volume-list": ("req/s", 400.0, "req/s"),
    "host-cold-first": ("value", 5.0, "s"),
    "host-cold-restart": ("value", 3.0, "s"),
    "container-create": ("p95", 1.0, "s"),
    "container-new-vol": ("p95", 2.0, "s"),
    "container-old-vol": ("p95", 1.5, "s"),
    "container-show": ("p95", 0.1, "s"),
    "container-list": ("p95", 0.2, "s"),
    "container-delete": ("p95", 1.0, "s"),
    "plugin-mount-engine": ("value", 0.25, "s"),
    "host-dockerd-rss": ("value", 64.0, "MiB"),
    "dockyard-idle-cpu": ("value", 1.0, "%"),
}


def log(msg: str) -> None:
    api_bench.log(msg)


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


@dataclass
class Measure:
    name: str
    samples: list[float] = field(default_factory=list)  # seconds (or MiB, req/s)
    cpu_ms: list[float] = field(default_factory=list)  # server CPU per operation
    value: float | None = None  # a single figure (cold start, memory, req/s, difference)
    extra: dict[str, Any] = field(default_factory=dict)

    def stat(self, which: str) -> float:
        if which in ("value", "req/s"):
            assert self.value is not None
            return self.value
        return quantile(self.samples, {"p50": 0.5, "p95": 0.95}[which])


@dataclass
class Dockyard:
    """The `dockyard` process of one run and what the bench needs to reach it."""

    process: subprocess.Popen[bytes]
    url: str
    config: Path
    log_path: Path
    engine: HostEngine

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        stat = api_bench._proc_stat(self.pid)
        return 0.0 if stat is None else stat[1]

    def call(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201, 204)
             ) -> tuple[Any, float, float]:  # fmt: skip
        """(answer, wall seconds, server CPU ms) of one request; raises on another status."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=HEADERS)
        cpu0, t0 = self.cpu_seconds(), time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=180) as resp:
                raw, status = resp.read(), resp.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        wall, cpu = time.perf_counter() - t0, (self.cpu_seconds() - cpu0) * 1000
        answer = json.loads(raw) if raw else None
        if status not in ok:
            raise RuntimeError(f"{method} {path} -> {status}: {answer}")
        return answer, wall, cpu

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_dockyard(workdir: Path, index: int, src: Path | None) -> Dockyard:
    port, short = api_bench.free_port(), f"{os.getpid() % 100000}r{index}"
    host = HostEngineSettings(f"bench{short}", str(workdir / "host"), f"/run/dyb{short}")
    sections = {
        "DEFAULT": {"state_path": workdir / "state", "host": "bench-host"},
        "api": {"host": "127.0.0.1", "port": port},
        "containers": {
            "host_name": host.name,
            "state_dir": host.state_dir,
            "run_dir": host.run_dir,
        },
        "volume": {"local_root": workdir / "volumes", "max_volumes_per_project": 1000},
    }
    config = workdir / "dockyard.conf"
    config.write_text(
        "".join(
            f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in options.items())
            for name, options in sections.items()
        )
    )
    process, log_path = api_bench.launch(
        [str(VENV_BIN / "dockyard"), "--config-file", str(config)], workdir, "dockyard.log",
        [src or ROOT],
    )  # fmt: skip
    server = Dockyard(process, f"http://127.0.0.1:{port}", config, log_path, HostEngine(host))
    api_bench.wait_until_serving(server, 60)
    return server


def destroy_host(server: Dockyard) -> None:
    """What an operator runs to remove the container host for good."""
    done = subprocess.run(
        [str(VENV_BIN / "dockyard-manage"), "--config-file", str(server.config),
         "container-host", "destroy", "--force"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    if done.returncode != 0:
        log(f"container-host destroy failed: {done.stdout}{done.stderr}")


# -- measures --------------------------------------------------------------------------------
def timed(measure: Measure, server: Dockyard, method: str, path: str, body: Any = None) -> Any:
    answer, wall, cpu = server.call(method, path, body)
    measure.samples.append(wall)
    measure.cpu_ms.append(cpu)
    return answer


def volumes_phase(server: Dockyard, n: int, args: argparse.Namespace) -> list[Measure]:
    create, delete = Measure("volume-create"), Measure("volume-delete")
    made = []
    for i in range(n):
        volume = timed(create, server, "POST", "/v1/volumes", {"name": f"bv{i:04d}", "size": 1})
        assert volume["status"] == "available", volume
        made.append(volume["uuid"])
    listed = Measure("volume-list")
    listed.extra["volumes_in_db"] = n
    page = server.call("GET", "/v1/volumes?limit=100")[0]
    assert len(page["volumes"]) == min(n, 100), page
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    try:
        script.write_text(api_bench.lua_script("GET", ["/v1/volumes?limit=100"]))
        api_bench.run_wrk(server, script, 1, 4, False)  # type: ignore[arg-type]  # warm-up
        data, srv_cpu, _, other = api_bench.run_wrk(
            server,
            script,
            args.duration,
            4,
            False,  # type: ignore[arg-type]
        )
    finally:
        script.unlink()
    rps = data["requests"] / (data["duration_us"] / 1e6)
    listed.value = round(rps, 1)
    listed.extra.update(
        p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000, server_cpu_pct=round(srv_cpu),
        other_cpu_pct=round(other), errors=data["status"] + data["timeout"],
    )  # fmt: skip
    listed.cpu_ms.append(srv_cpu * 10 / rps)  # % of a core / (req/s) -> ms per request
    for volume_uuid in made:
        timed(delete, server, "DELETE", f"/v1/volumes/{volume_uuid}")
    return [create, listed, delete]


def create_container(server: Dockyard, measure: Measure, **body: Any) -> dict[str, Any]:
    made: dict[str, Any] = timed(measure, server, "POST", "/v1/containers",
                                 {"command": SERVICE, **body})  # fmt: skip
    if made["status"] != "Running":
        raise RuntimeError(f"container not Running: {made}")
    return made


def _rollup(pid: int) -> dict[str, int]:
    """/proc/PID/smaps_rollup in KiB (Rss, Pss, Anonymous, ...); empty when it is gone."""
    found = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            key, value = line.split(":", 1)
            found[key] = int(value.split()[0])
    return found


def host_memory(engine: HostEngine) -> dict[str, float]:
    """MiB of the host's dockerd (PSS, RSS, anonymous) and PSS of its whole cgroup."""
    dockerd = _rollup(engine.status().pid or 0)
    total = sum(procs.pss_kib(p) for p in cgroups.pids(engine.cgroup))
    return {
        "dockerd_pss": round(dockerd.get("Pss", 0) / 1024, 1),
        "dockerd_rss": round(dockerd.get("Rss", 0) / 1024, 1),
        "dockerd_anon": round(dockerd.get("Anonymous", 0) / 1024, 1),
        "cgroup_pss": round(total / 1024, 1),
    }


def containers_phase(server: Dockyard, n: int) -> list[Measure]:
    first = Measure("host-cold-first")
    made = create_container(server, first)
    first.value = first.samples[0]
    server.call("DELETE", f"/v1/containers/{made['uuid']}?force=true")
    idle = host_memory(server.engine)
    server.engine.stop()
    restart = Measure("host-cold-restart")
    made = create_container(server, restart)
    restart.value = restart.samples[0]
    server.call("DELETE", f"/v1/containers/{made['uuid']}?force=true")

    plain, delete = Measure("container-create"), Measure("container-delete")
    for _ in range(n):
        made = create_container(server, plain)
        server.call("DELETE", f"/v1/containers/{made['uuid']}?force=true")
    new_vol, old_vol = Measure("container-new-vol"), Measure("container-old-vol")
    holders = [create_container(server, new_vol, vol_name=f"cv{i:03d}", vol_size=1)
               for i in range(n)]  # fmt: skip
    busy = host_memory(server.engine)
    show, listing = Measure("container-show"), Measure("container-list")
    for made in holders:
        timed(show, server, "GET", f"/v1/containers/{made['uuid']}")
        timed(listing, server, "GET", "/v1/containers")
    listing.extra["containers"] = n
    for made in holders:
        timed(delete, server, "DELETE", f"/v1/containers/{made['uuid']}?force=true")
    for i in range(n):
        made = create_container(server, old_vol, vol_name=f"cv{i:03d}")
        timed(delete, server, "DELETE", f"/v1/containers/{made['uuid']}?force=true")
    # `sleep` as PID 1 ignores SIGTERM: a forced delete waits [containers] stop_timeout.
    stubborn = Measure("container-delete-no-sigterm")
    made = create_container(server, plain, command=["sleep", "600"])
    plain.samples.pop()
    plain.cpu_ms.pop()
    timed(stubborn, server, "DELETE", f"/v1/containers/{made['uuid']}?force=true")
    memory = Measure("host-dockerd-rss", value=idle["dockerd_rss"])
    memory.extra.update({f"idle_{k}_mib": v for k, v in idle.items()})
    memory.extra.update({f"busy_{k}_mib": v for k, v in busy.items()}, busy_containers=n)
    return [first, restart, plain, new_vol, old_vol, show, listing, delete, stubborn, memory]


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=60)
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.unix_path)


def plugin_call(path: str, call: str, body: dict[str, Any]) -> dict[str, Any]:
    conn = _UnixConnection(path)
    try:
        conn.request("POST", f"/VolumeDriver.{call}", json.dumps(body))
        answer: dict[str, Any] = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    if answer.get("Err"):
        raise RuntimeError(f"plugin {call}: {answer['Err']}")
    return answer


def plugin_phase(server: Dockyard, n: int) -> list[Measure]:
    from docker.types import DriverConfig, Mount

    volume = server.call("POST", "/v1/volumes", {"name": "plugin-bench", "size": 1})[0]
    api = server.engine.client()
    with_vol, without = Measure("docker-run-with-volume"), Measure("docker-run-without")
    mount = Mount("/data", volume["uuid"], type="volume", driver_config=DriverConfig("dockyard"))

    def docker_run(measure: Measure, mounts: list[Any]) -> None:
        cpu0, t0 = server.cpu_seconds(), time.perf_counter()
        made = api.containers.create(IMAGE, ["true"], mounts=mounts)
        made.start()
        result = made.wait(timeout=60)
        made.remove()
        measure.samples.append(time.perf_counter() - t0)
        measure.cpu_ms.append((server.cpu_seconds() - cpu0) * 1000)
        assert result["StatusCode"] == 0, result

    try:
        docker_run(without, [])  # warm-up: the first run of an image is slower
        docker_run(with_vol, [mount])
        with_vol.samples.clear()
        with_vol.cpu_ms.clear()
        without.samples.clear()
        without.cpu_ms.clear()
        for _ in range(n):
            docker_run(without, [])
            docker_run(with_vol, [mount])
        api.volumes.get(volume["uuid"]).remove()  # the engine's reference only
    finally:
        api.close()
    engine_view = Measure("plugin-mount-engine")
    engine_view.value = statistics.median(with_vol.samples) - statistics.median(without.samples)
    engine_view.cpu_ms = [statistics.mean(with_vol.cpu_ms) - statistics.mean(without.cpu_ms)]
    engine_view.extra.update(
        with_volume_p50_s=statistics.median(with_vol.samples),
        without_p50_s=statistics.median(without.samples),
    )  # fmt: skip
    socket_path = os.path.join(server.engine.plugins_dir, "dockyard.sock")
    mount_m, unmount_m = Measure("plugin-mount-socket"), Measure("plugin-unmount-socket")
    for i in range(n):
        body = {"Name": volume["uuid"], "ID": f"bench-{i}"}
        for measure, call in ((mount_m, "Mount"), (unmount_m, "Unmount")):
            cpu0, t0 = server.cpu_seconds(), time.perf_counter()
            plugin_call(socket_path, call, body)
            measure.samples.append(time.perf_counter() - t0)
            measure.cpu_ms.append((server.cpu_seconds() - cpu0) * 1000)
    server.call("DELETE", f"/v1/volumes/{volume['uuid']}")
    return [engine_view, mount_m, unmount_m]


def idle_cpu(server: Dockyard, seconds: float) -> Measure:
    """CPU of the idle `dockyard` (its container host up, no request), % of one core."""
    cpu0, t0 = server.cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    measure = Measure("dockyard-idle-cpu")
    measure.value = 100 * (server.cpu_seconds() - cpu0) / (time.monotonic() - t0)
    return measure


def one_run(index: int, args: argparse.Namespace) -> list[Measure]:
    workdir = Path(tempfile.mkdtemp(prefix=f"dybench{index}-", dir="/tmp"))
    t0 = time.monotonic()
    server = start_dockyard(workdir, index, args.src)
    log(f"run {index}: dockyard answered after {time.monotonic() - t0:.1f}s (pid {server.pid})")
    results: list[Measure] = []
    try:
        results += volumes_phase(server, args.volumes, args)
        log(f"run {index}: volumes done")
        results += containers_phase(server, args.containers)
        log(f"run {index}: containers done")
        results += plugin_phase(server, max(20, 2 * args.containers))
        log(f"run {index}: plugin done")
        results.append(idle_cpu(server, args.idle))
        left = server.call("GET", "/v1/volumes?limit=1000")[0]["volumes"]
        for volume in left:
            server.call("DELETE", f"/v1/volumes/{volume['uuid']}")
    except Exception:
        log(f"run {index} failed; dockyard log tail:\n{server.log_path.read_text()[-3000:]}")
        raise
    finally:
        server.stop()
        destroy_host(server)
        for reason in mounts.release_shared_root(str(workdir / "volumes")):
            log(reason)
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


# -- report ----------------------------------------------------------------------------------
def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "%":
        return f"{value:.1f} % of a core"
    return f"{value:,.1f} {unit}" if unit == "MiB" else f"{value:,.0f} {unit}"


def markdown(runs: list[list[Measure]]) -> str:
    names = [m.name for m in runs[0]]
    head = "| measure | n | " + " | ".join(f"run {i + 1}" for i in range(len(runs)))
    rows = [head + " | server CPU-ms/op | target | met |",
            "|---" * (len(runs) + 5) + "|"]  # fmt: skip
    for name in names:
        found = [next(m for m in run if m.name == name) for run in runs]
        target = TARGETS.get(name)
        unit = {"host-dockerd-rss": "MiB", "volume-list": "req/s", "dockyard-idle-cpu": "%"}.get(
            name, "s"
        )
        cells = []
        for m in found:
            if name == "volume-list":
                cell = f"{m.value:,.0f} req/s, p99 {m.extra['p99_ms']:.1f} ms"
            elif name == "host-dockerd-rss":
                cell = (f"{m.value:.1f} MiB (anon {m.extra['idle_dockerd_anon_mib']:.1f}, PSS "
                        f"{m.extra['idle_dockerd_pss_mib']:.1f}; cgroup PSS "
                        f"{m.extra['idle_cgroup_pss_mib']:.0f}, busy "
                        f"{m.extra['busy_cgroup_pss_mib']:.0f})")  # fmt: skip
            elif m.value is not None:
                cell = _fmt(m.value, unit)
            else:
                cell = f"p50 {_fmt(m.stat('p50'), 's')}, p95 {_fmt(m.stat('p95'), 's')}"
            cells.append(cell)
        cpu = " / ".join(f"{statistics.mean(m.cpu_ms):.1f}" if m.cpu_ms else "-" for m in found)
        met = ""
        goal = ""
        if target is not None:
            which, bound, t_unit = target
            if name == "volume-list":
                ok = all(m.stat("req/s") >= bound and m.extra["p99_ms"] < 20 for m in found)
                goal = f">= {bound:.0f} req/s, p99 < 20 ms"
            else:
                ok = all(m.stat(which) <= bound for m in found)
                shown = f"{bound:g} s" if t_unit == "s" and bound >= 1 else _fmt(bound, t_unit)
                goal = f"{which if which != 'value' else ''} < {shown}".strip()
            met = "yes" if ok else "**no**"
        n = max(len(m.samples) for m in found) or 1
        rows.append(f"| {name} | {n} | " + " | ".join(cells) + f" | {cpu} | {goal} | {met} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="whole runs, each a fresh dockyard")
    parser.add_argument("--volumes", type=int, default=100, help="volumes created and listed")
    parser.add_argument("--containers", type=int, default=10, help="containers per measure")
    parser.add_argument("--duration", type=float, default=4.0, help="wrk seconds for the list")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU sampling")
    parser.add_argument("--json", type=Path, help="also write every sample here")
    parser.add_argument("--src", type=Path, help="serve the `dockyard` package found in DIR")
    parser.add_argument("--keep", action="store_true", help="keep each run's directory")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (the container host, loop devices)", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("wrk not found: bash bench/setup.sh", file=sys.stderr)
        return 2
    started = time.monotonic()
    runs = []
    for i in range(args.runs):
        runs.append(one_run(i + 1, args))
    load = os.getloadavg()
    print(
        f"\nDockyard volumes and containers, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{os.cpu_count()} CPUs, load {load[0]:.1f}/{load[1]:.1f}, {args.runs} run(s), "
        f"{args.volumes} volumes, {args.containers} containers per measure, "
        f"total {time.monotonic() - started:.0f}s\n"
    )
    print(markdown(runs))
    for i, run in enumerate(runs):
        extras = {m.name: m.extra for m in run if m.extra}
        print(f"\nrun {i + 1} details: {json.dumps(extras, default=str)}")
    if args.json:
        args.json.write_text(json.dumps([[asdict(m) for m in run] for run in runs], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
