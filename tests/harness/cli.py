"""The stock `openstack` client (python-openstackclient + python-magnumclient) as tests run it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPENSTACK = str(Path(sys.executable).parent / "openstack")
# A Kubernetes template the TEST-ONLY fake driver builds (`coe cluster template create NAME ...`).
TEMPLATE_ARGS = (
    "--coe",
    "kubernetes",
    "--image",
    "fedora-atomic-latest",
    "--external-network",
    "public",
)


@dataclass(frozen=True)
class Result:
    """One finished `openstack` invocation."""

    rc: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class OpenStackCli:
    """Runs `openstack ...` with exactly the given OS_* settings (none from the caller)."""

    def __init__(self, os_env: dict[str, str], base_env: dict[str, str] | None = None) -> None:
        env = {k: v for k, v in (base_env or os.environ).items() if not k.startswith("OS_")}
        env.setdefault("SHELL", "/bin/bash")
        self.env = {**env, **os_env}

    def run(self, *args: str, ok: bool = True) -> Result:
        proc = subprocess.run(
            [OPENSTACK, *args], capture_output=True, text=True, env=self.env, timeout=120
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if ok:
            assert result.rc == 0, f"openstack {' '.join(args)} failed: {result.text}"
        return result

    def fails(self, *args: str) -> str:
        """Run a command that must fail; returns what it printed."""
        result = self.run(*args, ok=False)
        assert result.rc != 0, f"openstack {' '.join(args)} should have failed: {result.text}"
        # A non-Magnum error body makes the client print just 'errors' (a KeyError).
        assert "'errors'" not in result.text, result.text
        return result.text

    def json(self, *args: str) -> Any:
        """Run a command with `-f json` and parse its output (after any 'accepted' line)."""
        out = self.run(*args, "-f", "json").out
        start = re.search(r"^[\[{]", out, re.MULTILINE)
        assert start, f"no JSON in: {out}"
        return json.loads(out[start.start() :])
