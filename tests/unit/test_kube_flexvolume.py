"""The `dockyard/volume` FlexVolume driver's protocol, as the kubelet runs the installed file.

Mounting through Dockyard's volume plugin for real is in
tests/integration/test_local_kubernetes_volumes.py; here, what needs no plugin: `init`,
unknown calls, and the refusals that happen before the plugin is asked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.providers.kube_local import flexvolume


@pytest.fixture
def driver(tmp_path: Path) -> Path:
    path = tmp_path / "plugins" / flexvolume.DRIVER_PATH
    path.parent.mkdir(parents=True)
    path.write_bytes(flexvolume.installed_copy(sys.executable))
    path.chmod(0o755)
    return path


def call(driver: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, object]]:
    env = {
        **os.environ,
        "DOCKYARD_PLUGIN_SOCKET": str(tmp_path / "no-plugin" / "dockyard.sock"),
        "DOCKYARD_FLEX_RECORDS": str(tmp_path / "records"),
    }
    done = subprocess.run([str(driver), *args], capture_output=True, text=True, env=env)
    return done.returncode, json.loads(done.stdout)


def test_init_says_the_driver_needs_no_attach_step(driver: Path, tmp_path: Path) -> None:
    assert call(driver, tmp_path, "init") == (
        0,
        {"status": "Success", "capabilities": {"attach": False}},
    )


def test_calls_of_attachable_drivers_are_not_supported(driver: Path, tmp_path: Path) -> None:
    code, answer = call(driver, tmp_path, "attach", "{}", "node")
    assert (code, answer["status"]) == (0, "Not supported")


def test_a_volume_without_the_volume_option_is_refused(driver: Path, tmp_path: Path) -> None:
    code, answer = call(driver, tmp_path, "mount", str(tmp_path / "m"), json.dumps({}))
    assert (code, answer["status"]) == (1, "Failure")
    assert "options: {volume: <name>}" in str(answer["message"])


def test_a_node_the_plugin_does_not_serve_is_told_so_and_nothing_is_recorded(
    driver: Path, tmp_path: Path
) -> None:
    options = {"volume": "data", "kubernetes.io/pod.uid": "u1"}
    code, answer = call(driver, tmp_path, "mount", str(tmp_path / "m"), json.dumps(options))
    assert (code, answer["status"]) == (1, "Failure")
    assert "does not serve this node" in str(answer["message"])
    assert list((tmp_path / "records").iterdir()) == []
    assert not (tmp_path / "m").exists()
    # An unmount of what was never mounted succeeds (the kubelet repeats calls).
    assert call(driver, tmp_path, "unmount", str(tmp_path / "m")) == (0, {"status": "Success"})
