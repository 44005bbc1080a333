"""The nodes' base image: busybox-static as a `docker save` archive built in Python.

No registry is reachable, so every node gets this image loaded. The archive is byte-for-byte
deterministic (fixed mtimes, owners and order), so its image ID is the same on every node
and every cluster; a swarm service that names the image by ID never tries to pull.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import subprocess
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass

TAG = "dockyard/busybox:1"
_EPOCH = "1970-01-01T00:00:00Z"


@dataclass(frozen=True, slots=True)
class BaseImage:
    archive: bytes
    image_id: str  # "sha256:<hex>"
    tag: str


def _add(
    archive: tarfile.TarFile, name: str, kind: bytes, mode: int, data: bytes = b"", link: str = ""
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime, info.linkname = kind, mode, 0, link
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def _layer(busybox: bytes, applets: list[str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as layer:
        for directory in ("bin", "data", "etc", "root", "tmp", "var", "www"):
            _add(layer, directory, tarfile.DIRTYPE, 0o1777 if directory == "tmp" else 0o755)
        _add(layer, "bin/busybox", tarfile.REGTYPE, 0o755, busybox)
        for applet in applets:
            _add(layer, f"bin/{applet}", tarfile.SYMTYPE, 0o777, link="busybox")
        _add(layer, "etc/group", tarfile.REGTYPE, 0o644, b"root:x:0:\nnogroup:x:65534:\n")
        passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
        _add(layer, "etc/passwd", tarfile.REGTYPE, 0o644, passwd)
    return out.getvalue()


def _dump(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _archive(
    layer: bytes,
    tag: str,
    run: Mapping[str, object] | None = None,
    created_by: str = "dockyard: busybox-static",
) -> BaseImage:
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = _dump(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": _EPOCH,
            "config": run or {"Env": ["PATH=/bin"], "Cmd": ["sh"], "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created": _EPOCH, "created_by": created_by}],
        }
    )
    digest = hashlib.sha256(config).hexdigest()
    manifest = _dump([{"Config": f"{digest}.json", "RepoTags": [tag], "Layers": ["layer.tar"]}])
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in ((f"{digest}.json", config), ("layer.tar", layer),
                           ("manifest.json", manifest)):  # fmt: skip
            _add(archive, name, tarfile.REGTYPE, 0o644, data)
    return BaseImage(out.getvalue(), "sha256:" + digest, tag)


@functools.lru_cache(maxsize=4)
def _build(busybox_path: str, mtime_ns: int, size: int) -> BaseImage:
    with open(busybox_path, "rb") as handle:
        busybox = handle.read()
    listed = subprocess.run(
        [busybox_path, "--list"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.split()
    applets = sorted(set(listed) - {"busybox"})
    return _archive(_layer(busybox, applets), TAG)


def base_image(busybox_path: str = "/bin/busybox") -> BaseImage:
    """The base image built from `busybox_path` (a static busybox); cached per binary."""
    stat = os.stat(busybox_path)
    return _build(busybox_path, stat.st_mtime_ns, stat.st_size)


PAUSE_TAG = "dockyard/pause:3.4"


@functools.lru_cache(maxsize=4)
def _build_pause(pause_path: str, mtime_ns: int, size: int) -> BaseImage:
    with open(pause_path, "rb") as handle:
        pause = handle.read()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as layer:
        _add(layer, "pause", tarfile.REGTYPE, 0o755, pause)
    run = {"Entrypoint": ["/pause"], "WorkingDir": "/"}
    return _archive(out.getvalue(), PAUSE_TAG, run, "dockyard: Kubernetes pause (static)")


def pause_image(pause_path: str) -> BaseImage:
    """The pods' infrastructure image from a static `pause` binary (scripts/build-kubernetes
    builds one from the Kubernetes sources); deterministic, cached per binary."""
    stat = os.stat(pause_path)
    return _build_pause(pause_path, stat.st_mtime_ns, stat.st_size)
