"""A real Heat 27.0.1 for tests: started and stopped by scripts/openstack-harness (heat-up,
heat-down), registered in the session's harness Keystone.

Heat's engine and API run in one process (heat-aio.py, transport fake://) on a PostgreSQL
database of its own on the machine's server (127.0.0.1:5432). The catalog has dummy compute,
volume, image, network and load-balancer entries, so templates validate fully; stack create
needs the stand-ins of tests/heat_standins for those types. `access_log` has one line per API
request, for tests that count Heat calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keystoneauth1 import adapter

from harness.keystone import REGION, KeystoneCloud
from harness.scripts import bring_down, bring_up, install_problem

STANDINS = Path(__file__).resolve().parents[1] / "heat_standins"
HEAT_DRIVERS = ("k8s_fedora_atomic", "k8s_coreos", "swarm_fedora_atomic", "mesos_ubuntu")


def unavailable_reason(timeout: float = 900) -> str | None:
    """None when Heat can be installed here (install-heat, cached); else why not."""
    return install_problem("install-heat", "Heat 27.0.1", timeout)


@dataclass
class HeatServer:
    """One running heat-aio started by heat-up in `run_dir`."""

    run_dir: Path
    env: dict[str, str]
    seconds_to_start: float

    @property
    def url(self) -> str:
        return self.env["HEAT_URL"]

    @property
    def access_log(self) -> Path:
        return Path(self.env["HEAT_ACCESS_LOG"])

    @property
    def log(self) -> Path:
        return Path(self.env["HEAT_LOG"])

    @classmethod
    def start(cls, run_dir: Path, cloud: KeystoneCloud, timeout: float = 900) -> HeatServer:
        """heat-up against `cloud` (installs Heat the first time); gives Dockyard's service
        user the admin role on `service`, which the periodic status sync needs (stack gets
        across projects, the global stack list)."""
        started = time.monotonic()
        values = bring_up("heat", run_dir, {
            "KEYSTONE_URL": cloud.url,
            "KEYSTONE_ADMIN_PASSWORD": cloud.server.env["KEYSTONE_ADMIN_PASSWORD"],
        }, timeout)  # fmt: skip
        _grant_admin(cloud, "dockyard", "service")
        return cls(run_dir, values, time.monotonic() - started)

    def stop(self) -> None:
        bring_down("heat", self.run_dir, "--purge")

    def requests(self) -> list[str]:
        """The API's access log so far: one "METHOD PATH STATUS" line per request."""
        return self.access_log.read_text().splitlines()

    def settled_requests(self, quiet: float = 0.3, timeout: float = 10.0) -> list[str]:
        """The access log once no line was added for `quiet` seconds. The server writes a
        request's line after sending its response, so a client can be ahead of the log."""
        deadline = time.monotonic() + timeout
        seen = self.requests()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.requests()
            if len(now) == len(seen):
                return now
            seen = now
        return seen


def _grant_admin(cloud: KeystoneCloud, username: str, project: str) -> None:
    identity = adapter.Adapter(
        cloud.server.admin().session(),
        service_type="identity",
        interface="public",
        region_name=REGION,
    )
    user = identity.get("/users", params={"name": username}).json()["users"][0]["id"]
    proj = identity.get("/projects", params={"name": project}).json()["projects"][0]["id"]
    role = identity.get("/roles", params={"name": "admin"}).json()["roles"][0]["id"]
    identity.put(f"/projects/{proj}/users/{user}/roles/{role}")


def heat_sections(keystone: KeystoneCloud, **heat: Any) -> dict[str, dict[str, Any]]:
    """Dockyard's config sections for keystone mode with the four Heat drivers, whose leaf
    infrastructure types map to the stand-ins (`heat` overrides `[heat]` options)."""
    return {
        "auth": {"strategy": "keystone"},
        "keystone_authtoken": keystone.dockyard_authtoken_options(),
        "drivers": {"enabled_definitions": ",".join(HEAT_DRIVERS)},
        "heat": {
            "region_name": "RegionOne",
            "environment_files": str(STANDINS / "environment.yaml"),
            "periodic_sync_interval": 1,
            "operation_poll_interval": 60,
            **heat,
        },
    }
