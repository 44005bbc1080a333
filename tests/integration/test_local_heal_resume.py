"""A worker replacement cut short by a crash is finished by the next heal (the `local`
driver, real dockerds): what `Healer.replace` records before it changes anything (a new
worker added, the old one marked `removing`) is all a repeated call needs. Needs root and
Debian's docker.io; traffic goes to 127.0.0.1 and the namespaces this test creates.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from harness.host import require_host
from harness.waiting import wait_until
from local_host import CTX, DockerCli, free_test_pool, make_spec, node_leftovers, write_client

from dockyard.certs.x509 import generate_ca, issue
from dockyard.drivers.base import Outcome
from dockyard.drivers.swarm_local.driver import LocalDriver
from dockyard.drivers.swarm_local.layout import WORKER, StateStore
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.providers.docker_local import procs

pytestmark = require_host("root", "docker")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSettings]:
    workdir = tmp_path_factory.mktemp("heal-resume")
    pool = free_test_pool()
    yield LocalSettings(
        state_dir=str(workdir / "state"),
        run_dir=f"/run/dockyard-heal-resume-{os.getpid()}",
        address_pool=pool,
    )
    subprocess.run(["ip", "route", "del", "blackhole", pool], capture_output=True, check=False)


def test_an_interrupted_replacement_is_finished_by_the_next_heal(
    settings: LocalSettings, tmp_path: Path
) -> None:
    ca = generate_ca("dockyard-test-heal-resume")
    driver = LocalDriver(settings)
    spec = make_spec(ca, name="hz", workers=2)
    try:
        created = driver.create_cluster(CTX, spec)
        assert created.outcome is Outcome.COMPLETE, created.reason
        assert created.facts is not None and created.facts.api_address
        store = StateStore(settings)
        state = store.load(spec.uuid)
        assert state is not None
        before = state.to_dict()
        old = next(n for n in state.nodes if n.hostname == "hz-node-1")
        lost = next(n for n in before["nodes"] if n["hostname"] == "hz-node-1")
        paths = store.node_paths(state, old)
        dirs = [Path(paths.root), Path(paths.exec_root)]
        # The worker died, and a heal recorded its replacement, then crashed.
        ref = procs.ProcessRef(lost["pid"], lost["start_time"])
        os.kill(lost["pid"], signal.SIGKILL)
        wait_until(lambda: not procs.alive(ref), 30, "hz-node-1's dockerd to die")
        new = state.add_node(WORKER, spec.name)
        old.removing = True
        store.save(state)

        healed = driver.heal(CTX, replace(spec, driver_state=state.to_dict()), [])
        assert healed.outcome is Outcome.COMPLETE, healed.reason
        after = healed.driver_state or {}
        hostnames = [n["hostname"] for n in after["nodes"]]
        assert hostnames == ["hz-master-0", "hz-node-0", new.hostname], hostnames
        assert healed.facts is not None
        addresses = healed.facts.node_addresses or []
        assert new.address in addresses and lost["address"] not in addresses, addresses

        client = write_client(tmp_path / "client", ca, issue(ca, "admin", client=True))
        cli = DockerCli(tmp_path, created.facts.api_address, client)
        fmt = "{{.Hostname}} {{.Status}} {{.Availability}}"
        listed = sorted(cli.lines("node", "ls", "--format", fmt))
        assert listed == [
            "hz-master-0 Ready Active",
            "hz-node-0 Ready Active",
            f"{new.hostname} Ready Active",
        ], listed
        assert node_leftovers(before, lost, dirs) == []
    finally:
        driver.delete_cluster(CTX, spec)
