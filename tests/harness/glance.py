"""A real Glance 33.0.0 for tests: started and stopped by scripts/openstack-harness
(glance-up, glance-down), registered in the session's harness Keystone as the `image`
service. SQLite and the file store in its run folder; served by uWSGI.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from harness.keystone import KeystoneCloud
from harness.scripts import bring_down, bring_up, install_problem

DUMMY = "http://127.0.0.1:9"  # heat-register's dummy image endpoint


def unavailable_reason(timeout: float = 900) -> str | None:
    """None when Glance can be installed here (install-glance, cached); else why not."""
    return install_problem("install-glance", "Glance 33.0.0", timeout)


@dataclass
class GlanceServer:
    """One running Glance API started by glance-up in `run_dir`."""

    run_dir: Path
    env: dict[str, str]
    cloud: KeystoneCloud
    seconds_to_start: float

    @property
    def url(self) -> str:
        return self.env["GLANCE_URL"]

    @property
    def log(self) -> Path:
        return Path(self.env["GLANCE_LOG"])

    @classmethod
    def start(cls, run_dir: Path, cloud: KeystoneCloud, timeout: float = 900) -> GlanceServer:
        """glance-up against `cloud` (installs Glance the first time)."""
        started = time.monotonic()
        values = bring_up("glance", run_dir, {
            "KEYSTONE_URL": cloud.url,
            "KEYSTONE_ADMIN_PASSWORD": cloud.server.env["KEYSTONE_ADMIN_PASSWORD"],
        }, timeout)  # fmt: skip
        return cls(run_dir, values, cloud, time.monotonic() - started)

    def stop(self) -> None:
        """glance-down --purge, and the catalog's image entry back to heat-register's dummy."""
        bring_down("glance", self.run_dir, "--purge")
        self.cloud.identity().register_service("image", "glance", DUMMY)
