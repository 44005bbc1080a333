"""A real Glance 33.0.0 for tests: started and stopped by scripts/openstack-harness
(glance-up, glance-down), registered in the session's harness Keystone as the `image`
service. SQLite and the file store in its run folder; served by uWSGI.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from harness.keystone import SCRIPTS, KeystoneCloud, _script_env

DUMMY = "http://127.0.0.1:9"  # heat-register's dummy image endpoint


def unavailable_reason(timeout: float = 900) -> str | None:
    """None when Glance can be installed here (install-glance, cached); else why not."""
    proc = subprocess.run(
        [str(SCRIPTS / "install-glance")],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_script_env(),
    )
    if proc.returncode == 0:
        return None
    return f"Glance 33.0.0 cannot be installed here: {proc.stderr.strip()[-400:]}"


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
        env = {
            **_script_env(),
            "KEYSTONE_URL": cloud.url,
            "KEYSTONE_ADMIN_PASSWORD": cloud.server.env["KEYSTONE_ADMIN_PASSWORD"],
        }
        proc = subprocess.run(
            [str(SCRIPTS / "glance-up"), str(run_dir)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"glance-up failed ({proc.returncode}):\n{proc.stderr}")
        values = dict(
            line.split("=", 1)
            for line in (run_dir / "glance.env").read_text().splitlines()
            if "=" in line
        )
        return cls(run_dir, values, cloud, time.monotonic() - started)

    def stop(self) -> None:
        """glance-down --purge, and the catalog's image entry back to heat-register's dummy."""
        subprocess.run(
            [str(SCRIPTS / "glance-down"), str(self.run_dir), "--purge"],
            capture_output=True,
            timeout=60,
            env=_script_env(),
            check=False,
        )
        self.cloud.identity().register_service("image", "glance", DUMMY)
