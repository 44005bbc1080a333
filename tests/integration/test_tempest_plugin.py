"""magnum-tempest-plugin 2.12.0 (tempest 47.0.0) against Dockyard, through scripts/run-tempest:
a real Keystone 30 on the machine's PostgreSQL, a real Glance, the Nova/Neutron stand-in for
flavor and network checks, and `dockyard` with keystone auth whose `k8s_local` driver builds
the real local Kubernetes cluster the plugin signs a certificate for and lists nodes and pods
of with the kubernetes client.

The suite runs a subset that fits CI's time: the cluster test that builds, lists, signs for
and deletes a real cluster (`test_create_list_sign_delete_clusters`, plain, with `--fast`,
which cuts the plugin's two fixed 300 s waits to 5 s: they check nothing) and both mservices
tests. The whole plugin (60 tests, RBAC included) is `sudo scripts/run-tempest`; its last
result and the reason for each failure are in docs/api.md, "magnum-tempest-plugin".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.host import require_host

pytestmark = [pytest.mark.keystone, require_host("root", "docker", "kubernetes", "postgres")]

ROOT = Path(__file__).resolve().parents[2]
API = "magnum_tempest_plugin.tests.api.v1."
SUBSET = {
    API + "test_cluster.ClusterTest.test_create_list_sign_delete_clusters",
    API + "test_magnum_service.MagnumServiceTest.test_magnum_service_list",
    API + "test_magnum_service.MagnumServiceTest.test_magnum_service_list_needs_admin",
}
REGEX = "^(" + "|".join(name.replace(".", r"\.") for name in sorted(SUBSET)) + r")\b"


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """A short folder for the run (the cluster's state lives there; socket paths are short)."""
    made = Path(tempfile.mkdtemp(prefix="dyk-tempest-", dir="/tmp"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_plugin_builds_signs_for_and_deletes_a_real_cluster(run_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["TEMPEST_RUN_DIR"] = str(run_dir)
    started = time.time()
    proc = subprocess.run(
        [str(ROOT / "scripts" / "run-tempest"), "--fast", "--regex", REGEX],
        capture_output=True, text=True, timeout=1500, env=env,
    )  # fmt: skip
    out = proc.stdout
    verdicts = {
        line.split(" ", 1)[1]: line.split(" ", 1)[0]
        for line in out.splitlines()
        if line.startswith(("PASS ", "FAIL ", "SKIP "))
    }
    assert set(verdicts) == SUBSET, f"{out}\n{proc.stderr[-3000:]}"
    assert all(v == "PASS" for v in verdicts.values()), f"{out}\n{proc.stderr[-3000:]}"
    assert "tempest: 3 passed, 0 failed, 0 skipped" in out.splitlines()
    assert proc.returncode == 0, proc.stderr[-3000:]
    # The plugin's kubernetes client listed the nodes of the real cluster (it writes what it
    # got to /tmp/magnum-nodes): the master and the one node.
    listed = Path("/tmp/magnum-nodes/api-list-nodes")
    assert listed.stat().st_mtime >= started
    nodes = listed.read_text()
    assert "master-0" in nodes and "node-0" in nodes, nodes[:2000]
