"""Running the project's harness scripts (scripts/openstack-harness/*) from tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.keystone import SCRIPTS, _script_env


def install_problem(script: str, what: str, timeout: float = 900) -> str | None:
    """None when `script` (an install-* script, cached) succeeds; else why `what` cannot be
    installed here."""
    proc = subprocess.run(
        [str(SCRIPTS / script)], capture_output=True, text=True, timeout=timeout,
        env=_script_env(),
    )  # fmt: skip
    if proc.returncode == 0:
        return None
    return f"{what} cannot be installed here: {proc.stderr.strip()[-400:]}"


def bring_up(
    service: str, run_dir: Path, extra_env: dict[str, str], timeout: float = 900
) -> dict[str, str]:
    """Run `<service>-up run_dir` and return the KEY=value lines it wrote to
    `run_dir/<service>.env`."""
    proc = subprocess.run(
        [str(SCRIPTS / f"{service}-up"), str(run_dir)], capture_output=True, text=True,
        timeout=timeout, env={**_script_env(), **extra_env},
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"{service}-up failed ({proc.returncode}):\n{proc.stderr}")
    lines = (run_dir / f"{service}.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def bring_down(service: str, run_dir: Path, *args: str) -> None:
    """Run `<service>-down run_dir ARGS` (best effort: teardown must not mask a failure)."""
    subprocess.run(
        [str(SCRIPTS / f"{service}-down"), str(run_dir), *args], capture_output=True,
        timeout=60, env=_script_env(), check=False,
    )  # fmt: skip
