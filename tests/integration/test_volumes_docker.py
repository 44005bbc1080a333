"""Volumes with a real dockerd: Dockyard's volume plugin, the local volume driver, real mounts.

One container host engine (providers.docker_local.host_engine: its own namespace, data-root,
exec-root and a private plugin dir bound over /run/docker/plugins) is started for the module,
after the volumes' root was made a shared mount. The plugin serves that engine's socket, first
as a shared engine (volumes named by uuid), and as a project's engine where `docker volume
create` is tested. The crash test runs the plugin in a process of its own and kills it -9.
Needs root, Debian's docker.io and loop devices; skips otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import make_runtime, write_config
from harness.host import require_host
from local_host import DockerCli, wait_for

from dockyard.api.docker_plugin.server import PluginSockets
from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import Volume
from dockyard.domain.engines import PLUGIN_NAME, EngineSocket
from dockyard.providers.block_local import image as block_image
from dockyard.providers.block_local import loop, mounts
from dockyard.providers.docker_local.host_engine import HostEngine, HostEngineSettings
from dockyard.providers.docker_local.image import base_image
from dockyard.services import volumes
from dockyard.services.runtime import Runtime
from dockyard.volume_drivers.local import LocalVolumeDriver

pytestmark = [
    require_host("root", "docker", "loop-devices"),
    pytest.mark.timeout(600),
]

PROJECT = "proj-volumes"
MEMBER = RequestContext(project_id=PROJECT, user_id="alice", roles=("member", "reader"))
PLUGIN_PROCESS = Path(__file__).with_name("volume_plugin_process.py")


@dataclass
class Env:
    tmp: Path
    rt: Runtime
    config: Path
    engine: HostEngine
    cli: DockerCli
    image: str
    plugin: PluginSockets | None = None
    identity: list[EngineSocket] = field(default_factory=list)

    @property
    def socket_path(self) -> str:
        return os.path.join(self.engine.plugins_dir, f"{PLUGIN_NAME}.sock")

    def socket(self, project_id: str | None = None) -> EngineSocket:
        return EngineSocket(
            path=self.socket_path,
            engine="host:volume-tests",
            project_id=project_id,
            docker_url=self.engine.docker_url,
        )

    def serve_as(self, project_id: str | None) -> None:
        """Serve the engine's socket as a shared engine (None) or as a project's engine."""
        self.identity[:] = [self.socket(project_id)]
        if self.plugin is None:
            self.plugin = PluginSockets(self.rt, engines=lambda: list(self.identity))
            self.plugin.start()
        else:
            self.plugin.resync()

    def stop_plugin(self) -> None:
        if self.plugin is not None:
            self.plugin.stop()
            self.plugin = None

    def docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.cli.run(*args, check=check)

    def run_on(self, volume: str, script: str, *extra: str) -> str:
        """`docker run --rm` a shell script with `volume` on /data; returns its output."""
        return self.docker(
            "run", "--rm", "--network", "none", "--volume-driver", PLUGIN_NAME,
            "-v", f"{volume}:/data", *extra, self.image, "sh", "-c", script,
        ).stdout  # fmt: skip

    def start_on(self, name: str, volume: str) -> None:
        """A long-running container `name` with `volume` on /data."""
        self.docker(
            "run", "-d", "--name", name, "--network", "none", "--volume-driver", PLUGIN_NAME,
            "-v", f"{volume}:/data", self.image, "sleep", "600",
        )  # fmt: skip

    def show(self, ident: str) -> Volume:
        return volumes.get(self.rt, MEMBER, ident)

    @property
    def driver(self) -> LocalVolumeDriver:
        driver = self.rt.volume_drivers.get("local")
        assert isinstance(driver, LocalVolumeDriver)
        return driver


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("volumes")
    db_url = f"sqlite:///{tmp}/dockyard.sqlite"
    sections = {
        "DEFAULT": {"state_path": str(tmp / "state"), "host": "test-host"},
        "database": {"connection": db_url},
        "volume": {"local_root": str(tmp / "volumes")},
    }
    config = write_config(tmp / "dockyard.conf", sections)
    rt = make_runtime(tmp, db_url, {"volume": {"local_root": str(tmp / "volumes")}})
    # Before the engine starts: volumes mounted later must propagate into its namespace.
    volumes.prepare_host(rt)
    engine = HostEngine(
        HostEngineSettings(name=f"voltest-{os.getpid()}", state_dir=str(tmp / "host"))
    )
    image = base_image()
    engine.ensure_running(image)
    cli = DockerCli(tmp, engine.docker_url, None)
    env = Env(tmp, rt, config, engine, cli, image.tag)
    env.serve_as(None)
    try:
        yield env
    finally:
        env.stop_plugin()
        ids = cli.run("ps", "-aq", check=False).stdout.split()
        if ids:
            cli.run("rm", "-f", *ids, check=False)
        problems = engine.destroy()
        for volume_id in env.driver.attached_here():
            env.driver.store.detach(volume_id)
        problems += volumes.release_host(rt)
        rt.db.dispose()
        assert problems == []


def _in_image(env: Env, volume_id: str, path: str) -> str:
    """A file's content read straight from the volume's filesystem, mounted on the host."""
    mountpoint = env.driver.store.attach(volume_id)
    try:
        return Path(mountpoint, path).read_text()
    finally:
        env.driver.store.detach(volume_id)


def test_data_written_by_a_container_outlives_it(env: Env) -> None:
    vol = volumes.create(env.rt, MEMBER, size=1, name="data1")
    assert vol.status == "available", vol.status_reason
    mounted = env.run_on(vol.uuid, "grep ' /data ' /proc/mounts; echo hello > /data/greeting")
    # The container saw the volume itself, not the empty directory under its mountpoint (the
    # propagation trap of reference §5, which loses data silently).
    assert "/dev/loop" in mounted and " ext4 " in mounted, mounted
    assert env.run_on(vol.uuid, "cat /data/greeting").strip() == "hello"
    after = env.show(vol.uuid)
    assert after.status == "available"
    assert volumes.attachments_of(env.rt, vol.uuid) == []
    assert not env.driver.is_attached(volumes.volume_ref(after))
    assert _in_image(env, vol.uuid, "greeting") == "hello\n"


def test_two_containers_share_a_volume_that_cannot_be_deleted_in_use(env: Env) -> None:
    vol = volumes.create(env.rt, MEMBER, size=1, name="shared")
    env.start_on("keeper", vol.uuid)
    env.run_on(vol.uuid, "echo from-writer > /data/note")
    assert env.docker("exec", "keeper", "cat", "/data/note").stdout == "from-writer\n"
    assert env.show("shared").status == "in-use"
    assert [a.engine for a in volumes.attachments_of(env.rt, vol.uuid)] == ["host:volume-tests"]

    with pytest.raises(exceptions.VolumeInUse) as refused:
        volumes.delete(env.rt, MEMBER, "shared")
    assert refused.value.http_status == 409
    assert env.show("shared").status == "in-use"
    assert env.docker("exec", "keeper", "cat", "/data/note").stdout == "from-writer\n"

    env.docker("rm", "-f", "keeper")
    assert env.show("shared").status == "available"


def test_grow_keeps_the_data(env: Env) -> None:
    """Online when this process may resize a mounted ext4 (CAP_SYS_RESOURCE); without it the
    grow of an in-use volume is refused with 409 before anything changes, and the volume grows
    once its container is gone."""
    vol = volumes.create(env.rt, MEMBER, size=1, name="growing")
    env.start_on("grower", vol.uuid)
    env.docker("exec", "grower", "sh", "-c", "echo kept > /data/kept")

    def df_kib() -> int:
        out = env.docker("exec", "grower", "df", "-k", "/data").stdout.splitlines()[-1]
        return int(out.split()[1])

    before = df_kib()
    assert before < 1024 * 1024
    if block_image.online_grow_problem() is None:
        grown = volumes.update(env.rt, MEMBER, "growing", size=3)
        assert grown.size == 3 and grown.status == "in-use"
        assert df_kib() > 2.5 * 1024 * 1024
    else:
        with pytest.raises(exceptions.VolumeStatusConflict, match="CAP_SYS_RESOURCE"):
            volumes.update(env.rt, MEMBER, "growing", size=3)
        assert env.show("growing").size == 1
        assert os.stat(env.driver.store.image_path(vol.uuid)).st_size == 2**30
        assert df_kib() == before
    assert env.docker("exec", "grower", "cat", "/data/kept").stdout == "kept\n"
    env.docker("rm", "-f", "grower")
    # Offline: e2fsck, then resize2fs on the image.
    volumes.update(env.rt, MEMBER, "growing", size=4)
    out = env.run_on(vol.uuid, "df -k /data | tail -1; cat /data/kept")
    assert int(out.split()[1]) > 3.5 * 1024 * 1024 and out.endswith("kept\n"), out


def test_delete_frees_the_storage(env: Env) -> None:
    vol = volumes.create(env.rt, MEMBER, size=1, name="doomed")
    env.run_on(vol.uuid, "dd if=/dev/zero of=/data/blob bs=1M count=8 2>/dev/null")
    image = env.driver.store.image_path(vol.uuid)
    assert os.stat(image).st_blocks * 512 >= 8 * 2**20
    volumes.delete(env.rt, MEMBER, "doomed")
    assert not os.path.exists(image)
    assert not os.path.exists(env.driver.store.mountpoint(vol.uuid))
    assert loop.devices(image) == []
    with pytest.raises(exceptions.VolumeNotFound):
        env.show(vol.uuid)


def test_docker_volume_create_makes_a_dockyard_volume(env: Env) -> None:
    env.serve_as(PROJECT)
    try:
        env.docker("volume", "create", "--driver", PLUGIN_NAME, "-o", "size=2", "from-docker")
        made = env.show("from-docker")
        assert (made.project_id, made.size, made.driver, made.status) == (
            PROJECT, 2, "local", "available",
        )  # fmt: skip
        assert made.user_id == "docker:host:volume-tests"
        listed = env.docker("volume", "ls", "--format", "{{.Driver}} {{.Name}}").stdout
        assert f"{PLUGIN_NAME} from-docker" in listed.splitlines()
        # `docker run -v name:` on a project's engine names the volume by its name.
        env.run_on("from-docker", "echo by-name > /data/f")
        assert _in_image(env, made.uuid, "f") == "by-name\n"

        bad = env.docker("volume", "create", "-d", PLUGIN_NAME, "-o", "size=-1", "bad", check=False)
        assert bad.returncode != 0 and "size must be between 1 and" in bad.stderr
        with pytest.raises(exceptions.VolumeNotFound):
            env.show("bad")

        env.docker("volume", "rm", "from-docker")
        with pytest.raises(exceptions.VolumeNotFound):
            env.show("from-docker")
    finally:
        env.serve_as(None)


def test_shared_engine_refuses_unknown_names(env: Env) -> None:
    proc = env.docker("volume", "create", "-d", PLUGIN_NAME, "-o", "size=1", "nope", check=False)
    assert proc.returncode != 0
    assert "named by uuid and created through the Dockyard API" in proc.stderr


def _start_plugin_process(env: Env) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(PLUGIN_PROCESS), str(env.config), env.socket_path,
         "host:volume-tests", env.engine.docker_url],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if line.strip() == "serving":
            break
    else:
        raise AssertionError(f"the plugin process did not start: {lines}")
    proc.start_reports = lines[:-1]  # type: ignore[attr-defined]
    return proc


def test_a_crash_while_mounted_loses_nothing_and_attachments_are_reconciled(env: Env) -> None:
    vol = volumes.create(env.rt, MEMBER, size=1, name="survivor")
    env.stop_plugin()
    first = _start_plugin_process(env)
    try:
        env.start_on("writer", vol.uuid)
        env.start_on("leaver", vol.uuid)
        env.docker("exec", "writer", "sh", "-c", "echo before-crash > /data/f")
        assert len(volumes.attachments_of(env.rt, vol.uuid)) == 2
    finally:
        first.send_signal(signal.SIGKILL)  # Dockyard dies: no clean shutdown of anything
        first.wait(10)
    # While Dockyard is down a container goes: Docker's Unmount cannot reach the plugin, so
    # the record of that mount goes stale. The volume stays mounted for the other one.
    env.docker("rm", "-f", "leaver")
    assert env.docker("exec", "writer", "cat", "/data/f").stdout == "before-crash\n"
    assert len(volumes.attachments_of(env.rt, vol.uuid)) == 2

    second = _start_plugin_process(env)
    try:
        reports = "\n".join(second.start_reports)  # type: ignore[attr-defined]
        assert f"{vol.uuid}: 2 mount record(s) of host:volume-tests replaced by 1" in reports
        rows = volumes.attachments_of(env.rt, vol.uuid)
        writer_id = env.docker("inspect", "-f", "{{.Id}}", "writer").stdout.strip()
        assert [(r.container_id, r.mount_id) for r in rows] == [
            (writer_id, f"reconciled:{writer_id[:12]}")
        ]
        assert env.show(vol.uuid).status == "in-use"
        env.docker("exec", "writer", "sh", "-c", "echo after-restart >> /data/f")
        env.docker("rm", "-f", "writer")
        wait_for(lambda: env.show(vol.uuid).status == "available", 20, "the last unmount")
        assert volumes.attachments_of(env.rt, vol.uuid) == []
    finally:
        second.terminate()
        second.wait(20)
    assert _in_image(env, vol.uuid, "f") == "before-crash\nafter-restart\n"
    assert mounts.at(env.driver.store.mountpoint(vol.uuid)) is None
    env.serve_as(None)
