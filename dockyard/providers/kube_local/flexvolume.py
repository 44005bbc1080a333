"""FlexVolume driver `dockyard/volume`: Dockyard volumes for pods on local Kubernetes nodes.

Installed on every node as `<volume-plugin-dir>/dockyard~volume/volume` (a copy of this file
with the Dockyard interpreter on its first line; the standard library only), and run by the
kubelet, inside the node's namespaces:

    volume init
    volume mount MOUNT_DIR OPTIONS_JSON
    volume unmount MOUNT_DIR

`mount` asks Dockyard's volume plugin, through the node's socket
(/run/docker/plugins/dockyard.sock, Docker's VolumeDriver protocol), to attach the volume
named by the `volume` option (a name in the cluster's project, or a uuid); the plugin mounts
it on the host, records the attachment (engine `cluster:<uuid>/<node>`, mount id
`k8s:<pod uid>:<volume>`) and answers with the host mountpoint, which the node sees through
mount propagation. The driver bind-mounts that onto MOUNT_DIR, after checking that it is the
volume itself and not the empty directory under it (the silent data-loss trap of
docs/volumes.md). `unmount` undoes both. What each mount was is kept in RECORDS (the node's
private /var/lib) so that `unmount`, given only MOUNT_DIR, can tell the plugin.

Every call is idempotent, as the kubelet may repeat it.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
from typing import Any

SOCKET = os.environ.get("DOCKYARD_PLUGIN_SOCKET", "/run/docker/plugins/dockyard.sock")
RECORDS = os.environ.get("DOCKYARD_FLEX_RECORDS", "/var/lib/dockyard-flexvolume")
#: Seconds the plugin has to answer (an attach is a losetup and a mount).
TIMEOUT = 120.0
CONTENT_TYPE = "application/vnd.docker.plugins.v1.2+json"
#: Where the kubelet looks for the driver, below its --volume-plugin-dir.
DRIVER_PATH = "dockyard~volume/volume"


def installed_copy(interpreter: str) -> bytes:
    """This file as the node's driver: run by `interpreter` in isolated mode."""
    with open(__file__, encoding="utf-8") as handle:
        return f"#!{interpreter} -I\n{handle.read()}".encode()


class Failure(Exception):
    """The call failed; the message goes back to the kubelet (and into the pod's events)."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=TIMEOUT)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


def plugin(call: str, body: dict[str, str]) -> dict[str, Any]:
    """POST /VolumeDriver.<call> to Dockyard's plugin; its answer, or Failure with its Err."""
    if not os.path.exists(SOCKET):
        raise Failure(
            f"Dockyard's volume plugin does not serve this node ({SOCKET} is missing): "
            "it serves the nodes of the clusters Dockyard runs on this host"
        )
    connection = _UnixConnection(SOCKET)
    try:
        connection.request(
            "POST", f"/VolumeDriver.{call}", json.dumps(body), {"Content-Type": CONTENT_TYPE}
        )
        response = connection.getresponse()
        answer = json.loads(response.read() or b"{}")
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise Failure(f"Dockyard's volume plugin did not answer {call}: {exc}") from exc
    finally:
        connection.close()
    if answer.get("Err"):
        raise Failure(str(answer["Err"]))
    return dict(answer)


def _record_path(mount_dir: str) -> str:
    digest = hashlib.sha256(os.path.normpath(mount_dir).encode()).hexdigest()[:32]
    return os.path.join(RECORDS, f"{digest}.json")


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Failure(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")


def mount(mount_dir: str, options: dict[str, str]) -> None:
    name = options.get("volume", "")
    if not name:
        raise Failure("the volume names no Dockyard volume: set options: {volume: <name>}")
    if os.path.ismount(mount_dir):
        return  # a repeated call
    record = {
        "volume": name,
        "id": f"k8s:{options.get('kubernetes.io/pod.uid', '')}:"
        f"{options.get('kubernetes.io/pvOrVolumeName', '')}",
    }
    # Kept before the plugin hears of it: an unmount after a crash here still tells it.
    os.makedirs(RECORDS, mode=0o700, exist_ok=True)
    with open(_record_path(mount_dir), "w", encoding="utf-8") as handle:
        json.dump({**record, "mount_dir": mount_dir}, handle)
    try:
        source = plugin("Mount", {"Name": record["volume"], "ID": record["id"]})["Mountpoint"]
    except Failure:
        os.unlink(_record_path(mount_dir))  # refused: nothing to tell the plugin later
        raise
    try:
        if not os.path.ismount(source):
            raise Failure(
                f"volume {name} is mounted on the host at {source}, but that mount did not reach "
                "this node (mount propagation: the volumes' root must be a shared mount before "
                "the cluster's nodes start); refusing to give the pod the empty directory"
            )
        os.makedirs(mount_dir, exist_ok=True)
        _run("mount", "--bind", source, mount_dir)
        if options.get("kubernetes.io/readwrite") == "ro":
            _run("mount", "-o", "remount,bind,ro", mount_dir)
    except Failure:
        _release(mount_dir)
        raise


def unmount(mount_dir: str) -> None:
    if os.path.ismount(mount_dir):
        _run("umount", mount_dir)
    _release(mount_dir)


def _release(mount_dir: str) -> None:
    """Tell the plugin the mount recorded for `mount_dir` is gone, and forget it."""
    path = _record_path(mount_dir)
    try:
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
    except FileNotFoundError:
        return
    plugin("Unmount", {"Name": record["volume"], "ID": record["id"]})
    os.unlink(path)


def main(argv: list[str]) -> dict[str, Any]:
    """One kubelet call; the JSON answer the FlexVolume protocol wants."""
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    try:
        if command == "init":
            return {"status": "Success", "capabilities": {"attach": False}}
        if command == "mount" and len(args) == 2:
            mount(args[0], json.loads(args[1]))
            return {"status": "Success"}
        if command == "unmount" and len(args) == 1:
            unmount(args[0])
            return {"status": "Success"}
    except (Failure, OSError, ValueError) as exc:
        return {"status": "Failure", "message": str(exc)}
    return {"status": "Not supported", "message": f"{command} is not supported"}


if __name__ == "__main__":
    answer = main(sys.argv[1:])
    print(json.dumps(answer))
    sys.exit(1 if answer["status"] == "Failure" else 0)
