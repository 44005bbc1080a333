"""`openstack coe volume ...`: the real `openstack` command (Dockyard's client plugin, through
python-magnumclient's HTTP client) against a real `dockyard` process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import Server, start_server, subprocess_env
from harness.cli import OpenStackCli, Result

pytestmark = pytest.mark.client


class Coe(OpenStackCli):
    def __init__(self, url: str) -> None:
        super().__init__({}, subprocess_env())
        self.url = url

    def run(self, *args: str, ok: bool = True) -> Result:
        endpoint = ("--os-auth-type", "none", "--os-endpoint", f"{self.url}/v1", "coe")
        return super().run(*endpoint, *args, ok=ok)


@pytest.fixture(scope="module")
def coe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coe]:
    server: Server = start_server(tmp_path_factory.mktemp("cli-volumes"))
    try:
        yield Coe(server.url)
    finally:
        server.stop()


def test_volume_lifecycle(coe: Coe) -> None:
    made = coe.json("volume", "create", "vol1", "--size", "1", "--multiattach")
    assert (made["name"], made["size"], made["status"]) == ("vol1", 1, "available")
    assert made["options"] == {"fstype": "ext4", "multiattach": True}
    listed = coe.json("volume", "list")
    # The module's server is shared: other tests' volumes may be listed too.
    assert [(v["name"], v["volume_driver"]) for v in listed if v["name"] == "vol1"] == [
        ("vol1", "local")
    ]
    grown = coe.json("volume", "set", "vol1", "--size", "2", "--name", "vol2")
    assert (grown["name"], grown["size"]) == ("vol2", 2)
    assert coe.json("volume", "show", made["uuid"])["usage"]["size_bytes"] == 2 * 2**30
    assert "Volume vol2 deleted." in coe.run("volume", "delete", "vol2").out
    assert [v for v in coe.json("volume", "list") if v["uuid"] == made["uuid"]] == []


def test_volume_errors_read_well(coe: Coe) -> None:
    coe.run("volume", "create", "taken", "--size", "1")
    assert "A volume with name taken already exists in project default (HTTP 409)" in coe.fails(
        "volume", "create", "taken", "--size", "1"
    )
    assert "size must be between 1 and 1024 GiB" in coe.fails(
        "volume", "create", "huge", "--size", "5000"
    )
    assert "Volume driver 'nfs' is not enabled" in coe.fails(
        "volume", "create", "x", "--size", "1", "--volume-driver", "nfs"
    )
    coe.run("volume", "set", "taken", "--size", "3")
    assert "smaller than the current 3 GiB; volumes can only grow" in coe.fails(
        "volume", "set", "taken", "--size", "2"
    )
    assert "Volume nothing could not be found (HTTP 404)" in coe.fails("volume", "show", "nothing")
    assert "nothing to change" in coe.fails("volume", "set", "taken")
