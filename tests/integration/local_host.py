"""Helpers for the local driver's integration tests: look at the host, run the docker CLI."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from conftest import subprocess_env
from harness import host as harness_host
from harness.cli import OPENSTACK
from harness.waiting import wait_until

from dockyard.certs.x509 import KeyPair, generate_ca, issue
from dockyard.common.context import RequestContext
from dockyard.drivers.base import ClusterSpec, NodeGroupSpec
from dockyard.drivers.swarm_local.layout import StateStore
from dockyard.drivers.swarm_local.nodes import NodeManager
from dockyard.drivers.swarm_local.settings import LocalSettings

# Run inside a node's namespace: try one TCP connection, print the errno name (or "connected").
_PROBE = """
import errno, json, socket, sys
results = {}
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((host, int(port)))
        results[target] = "connected"
    except socket.timeout:
        results[target] = "timeout"
    except OSError as exc:
        results[target] = errno.errorcode.get(exc.errno, str(exc.errno))
    finally:
        s.close()
print(json.dumps(results))
"""


CTX = RequestContext(project_id="project", user_id="user", request_id="req-local-driver")
SERVICE_CMD = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]


def make_spec(
    ca: KeyPair | None,
    *,
    name: str,
    masters: int = 1,
    workers: int = 2,
    tls: bool = True,
    template: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    coe: str = "swarm-mode",
    volume_gib: int | None = None,
) -> ClusterSpec:
    """A ClusterSpec as the conductor builds it; `template` adds or overrides template fields.
    A Kubernetes spec also gets an admin client certificate from `ca` and etcd and
    front-proxy CAs, as the conductor makes them."""
    client, cas = None, {}
    if coe == "kubernetes" and ca is not None:
        client = issue(ca, "admin", client=True, organization="system:masters")
        cas = {"etcd_ca": generate_ca(f"{name}-etcd"), "front_proxy_ca": generate_ca(name)}
    return ClusterSpec(
        uuid=str(uuid.uuid4()),
        name=name,
        project_id="project",
        coe=coe,
        master_count=masters,
        node_count=workers,
        labels=dict(labels or {}),
        template={
            "coe": coe,
            "server_type": "vm",
            "image_id": "dockyard-node",
            "tls_disabled": not tls,
            "labels": dict(labels or {}),
            **(template or {}),
        },
        create_timeout=60,
        docker_volume_size=volume_gib,
        keypair=None,
        master_flavor_id=None,
        flavor_id=None,
        nodegroups=(
            NodeGroupSpec(str(uuid.uuid4()), "default-master", "master", masters, None, None, {}),
            NodeGroupSpec(str(uuid.uuid4()), "default-worker", "worker", workers, None, None, {}),
        ),
        driver_state={},
        ca=ca if tls else None,
        client=client,
        cas=cas,
    )


class Coe:
    """`openstack coe ...` (the real client) against one Dockyard endpoint, without Keystone."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.env = {k: v for k, v in subprocess_env().items() if not k.startswith("OS_")}

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        command = [OPENSTACK, "--os-auth-type", "none", "--os-endpoint", f"{self.url}/v1"]
        proc = subprocess.run(
            [*command, "coe", *args], capture_output=True, text=True, env=self.env, timeout=180
        )
        if ok:
            assert proc.returncode == 0, f"coe {' '.join(args)}: {proc.stdout}{proc.stderr}"
        return proc

    def json(self, *args: str) -> Any:
        out = self.run(*args, "-f", "json").stdout
        return json.loads(out[out.index("{") :])


def write_client(directory: Path, ca: KeyPair, client: KeyPair) -> dict[str, Path]:
    """The docker CLI's --tlscacert/--tlscert/--tlskey files for `client`."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {"tlscacert": directory / "ca.pem", "tlscert": directory / "cert.pem",
             "tlskey": directory / "key.pem"}  # fmt: skip
    files["tlscacert"].write_bytes(ca.cert_pem)
    files["tlscert"].write_bytes(client.cert_pem)
    files["tlskey"].write_bytes(client.key_pem)
    files["tlskey"].chmod(0o600)
    return files


def probe_from_netns(netns: str, targets: list[str]) -> dict[str, str]:
    """Connect from inside `netns` to each "host:port"; errno name or "connected" for each."""
    out = subprocess.run(
        ["ip", "netns", "exec", netns, "python3", "-c", _PROBE, *targets],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return dict(json.loads(out))


def sh(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout


class DockerCli:
    """The docker CLI against one endpoint, with a clean environment.

    `host` None: the endpoint and TLS come from `env` (DOCKER_HOST, DOCKER_CERT_PATH, ...), as
    after `eval $(openstack coe cluster config ...)`.
    """

    def __init__(
        self,
        home: Path,
        host: str | None,
        tls: Mapping[str, Path] | None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
                    "DOCKER_CONFIG": str(home / ".docker"), **(env or {})}  # fmt: skip
        self.host = host
        self.tls = tls

    def argv(self, *args: str, tls: Mapping[str, Path] | None = None) -> list[str]:
        base = ["docker"] if self.host is None else ["docker", "-H", self.host]
        files = tls if tls is not None else self.tls
        if files is not None:
            base.append("--tlsverify")
            for flag in ("tlscacert", "tlscert", "tlskey"):
                if flag in files:
                    base += [f"--{flag}", str(files[flag])]
        return [*base, *args]

    def run(
        self, *args: str, tls: Mapping[str, Path] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self.argv(*args, tls=tls), capture_output=True, text=True, env=self.env, timeout=60
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed: {proc.stderr}")
        return proc

    def lines(self, *args: str) -> list[str]:
        return [line for line in self.run(*args).stdout.splitlines() if line.strip()]


def exports(text: str) -> dict[str, str]:
    """The `export NAME=value` lines of a shell snippet (what `cluster config` prints)."""
    found = {}
    for line in text.splitlines():
        if line.startswith("export ") and "=" in line:
            name, _, value = line[len("export ") :].partition("=")
            found[name.strip()] = value.strip().strip("'\"")
    return found


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """harness.waiting.wait_until, at a pace that suits docker CLI calls (4 a second)."""
    return wait_until(predicate, timeout, what, interval=0.25)


def _alive(pid: int, start_time: int) -> bool:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0] not in ("Z", "X") and int(fields[19]) == start_time


# Pools of the tests' own, away from the default pool (240), bench/local_cluster.py (192) and
# the reference prototype (224); each test module takes one no other run uses at the moment.
TEST_POOLS = [f"192.168.{third}.0/20" for third in (128, 144, 160, 176, 208)]


def free_test_pool() -> str:
    start = os.getpid() % len(TEST_POOLS)
    for pool in TEST_POOLS[start:] + TEST_POOLS[:start]:
        if not routes_in(pool, keep_blackhole=False):
            return pool
    raise RuntimeError(f"every test pool is in use: {TEST_POOLS}")


def routes_in(network: str, *, keep_blackhole: bool = True) -> list[str]:
    """Host routes overlapping `network`, except (with `keep_blackhole`) blackholes that
    cover all of it."""
    net = ipaddress.IPv4Network(network)
    found = []
    for route in json.loads(sh("ip", "-4", "-j", "route", "show") or "[]"):
        dst = route.get("dst", "")
        if dst in ("", "default"):
            continue
        prefix = ipaddress.IPv4Network(dst if "/" in dst else f"{dst}/32", strict=False)
        covering_blackhole = route.get("type") == "blackhole" and net.subnet_of(prefix)
        if prefix.overlaps(net) and not (keep_blackhole and covering_blackhole):
            found.append(f"route {route}")
    return found


def leftovers(state: Mapping[str, Any], dirs: list[Path]) -> list[str]:
    """Everything a deleted cluster (`state`: its driver_state) could have left on the host."""
    key = state["key"]
    found = routes_in(state["subnet"])
    netns = sh("ip", "netns", "list")
    found += [f"netns {line}" for line in netns.splitlines() if f"dockyard-{key}" in line]
    links = sh("ip", "-br", "link")
    found += [f"link {line.split()[0]}" for line in links.splitlines() if key in line]
    rules = sh("iptables", "-w", "-S")
    found += [f"iptables {line}" for line in rules.splitlines() if key in line]
    found += mounts_below(dirs)
    for directory in dirs:
        if directory.exists() and any(directory.iterdir()):
            found.append(f"directory {directory} not empty: {sorted(os.listdir(directory))}")
    for node in state["nodes"]:
        if node.get("pid") and _alive(node["pid"], node["start_time"]):
            found.append(f"process {node['pid']} ({node['hostname']})")
    found += processes_using(dirs)
    if state.get("api_port"):
        listening = sh("ss", "-Hltn", "sport", "=", str(state["api_port"])).strip()
        found += [f"listener {line}" for line in listening.splitlines()]
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        if (hierarchy / "dockyard" / key).exists():
            found.append(f"cgroup {hierarchy / 'dockyard' / key}")
    return found


def node_leftovers(
    state: Mapping[str, Any], node: Mapping[str, Any], dirs: list[Path]
) -> list[str]:
    """What one removed node (`node`, its entry in `state`) could have left on the host:
    its namespace, link, cgroup, mounts and directories (`dirs`), and processes."""
    key, name = state["key"], node["name"]
    found = [
        f"netns {line}"
        for line in sh("ip", "netns", "list").splitlines()
        if line.split()[0] == f"dockyard-{key}-{name}"
    ]
    veth = f"dyv{key}{node['address'].rsplit('.', 1)[1]}"
    links = sh("ip", "-br", "link").splitlines()
    found += [f"link {line}" for line in links if line.split()[0].split("@")[0] == veth]
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        if (hierarchy / "dockyard" / key / name).exists():
            found.append(f"cgroup {hierarchy / 'dockyard' / key / name}")
    found += mounts_below(dirs)
    found += [f"directory {directory}" for directory in dirs if directory.exists()]
    if node.get("pid") and _alive(node["pid"], node["start_time"]):
        found.append(f"process {node['pid']} ({node['hostname']})")
    return found + processes_using(dirs)


def mounts_below(dirs: list[Path]) -> list[str]:
    """The host's mounts at or below one of `dirs`."""
    points = [m.split()[4] for m in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [f"mount {p}" for p in points if any(p.startswith(str(d)) for d in dirs)]


def processes_using(dirs: list[Path]) -> list[str]:
    """The processes whose command line names one of `dirs`."""
    found: list[str] = []
    needles = [str(d).encode() for d in dirs]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if any(n in cmdline for n in needles):
            command = cmdline.replace(b"\0", b" ")[:120].decode(errors="replace")
            found.append(f"process {proc.name}: {command}")
    return found


def remove_clusters(settings: LocalSettings) -> list[str]:
    """Tear down every cluster in a test's state_dir (what a failed test left behind)."""
    store = StateStore(settings)
    nodes = NodeManager(settings, store)
    problems = []
    for cluster_uuid in store.cluster_uuids():
        try:
            state = store.load(cluster_uuid)
        except (ValueError, TypeError, KeyError):
            state = None
        problems += nodes.sweep(cluster_uuid, state)
    return problems


def host_problem() -> str | None:
    """Why real local clusters cannot run here (not root, no Docker Engine), or None.

    To gate a test, use `pytestmark = require_host("root", "docker")` (harness.host): it also
    turns the skip into a failure under CI=true. This stays for code that needs the answer."""
    return harness_host.host_problem("root", "docker")
