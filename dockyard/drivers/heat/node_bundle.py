"""Per-server bundles: files a Heat driver renders for each server and hands it in the stack.

A driver whose servers need material only it can make (certificates issued from the cluster's
CAs, configuration naming the other servers) renders, for each server index of a
ResourceGroup, a *bundle*: a gzip'd tar of absolute paths, base64-encoded. The stack gets
every bundle of a group in one hidden JSON parameter (`master_bundles`, `node_bundles`:
index -> {"address": planned fixed IP, "bundle": text}); `server.yaml` picks its own entry by
its index, fixes its port to the planned address and writes the bundle to
`/etc/dockyard/node-bundle` in a first user-data part, before the COE fragment that unpacks
it (`tar -xzf - -C /`).

Delivering new material (a rotated CA) is a stack update with re-rendered bundles and
`user_data_update_policy` REBUILD: Nova rebuilds each server in place (same port and
address, same Cinder volumes) and it boots with its new bundle. Other updates (resize) send
IGNORE, so existing servers keep running with what they have; only new indices boot with
their (new) bundles. Nothing here is Kubernetes-specific: `dockyard.drivers.heat.kubernetes`
is one renderer; any Heat driver can add its own (see `HeatDriver.server_bundles`).
"""

from __future__ import annotations

import base64
import io
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass

#: Stack parameters (cluster.yaml) that carry the bundles and how servers take an update.
MASTER_BUNDLES = "master_bundles"
NODE_BUNDLES = "node_bundles"
USER_DATA_UPDATE_POLICY = "user_data_update_policy"
#: Servers keep what they booted with (resize, other updates).
KEEP = "IGNORE"
#: Servers are rebuilt in place and boot with their new bundles (CA rotation).
REBUILD = "REBUILD"


@dataclass(frozen=True, slots=True)
class ServerBundle:
    """What one server index gets: its planned fixed address and its files
    (absolute path -> content and mode)."""

    address: str
    files: Mapping[str, tuple[bytes, int]]

    def entry(self) -> dict[str, str]:
        return {"address": self.address, "bundle": encode(self.files)}


def encode(files: Mapping[str, tuple[bytes, int]]) -> str:
    """`files` as base64 text of a gzip'd tar (deterministic: sorted, mtime 0, root-owned),
    so the same files always give the same text and Heat sees no change."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        # Files only: tar makes missing directories, and never changes existing ones.
        for path in sorted(files):
            if not path.startswith("/"):
                raise ValueError(f"bundle paths are absolute: {path}")
            data, mode = files[path]
            tar.addfile(_info(path.lstrip("/"), mode, len(data)), io.BytesIO(data))
    # gzip stores a timestamp too: tarfile's gzip stream uses mtime 0 only when asked.
    return base64.encodebytes(_zero_gzip_mtime(raw.getvalue())).decode("ascii")


def decode(text: str) -> dict[str, tuple[bytes, int]]:
    """The files of a bundle (for tests and inspection)."""
    found: dict[str, tuple[bytes, int]] = {}
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(text)), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                found["/" + member.name] = (handle.read(), member.mode)
    return found


def parameter(bundles: Mapping[int, ServerBundle]) -> dict[str, dict[str, str]]:
    """A `*_bundles` stack parameter: index (as Heat names group members) -> entry."""
    return {str(index): bundle.entry() for index, bundle in sorted(bundles.items())}


def _info(name: str, mode: int, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.REGTYPE
    info.mode = mode
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _zero_gzip_mtime(data: bytes) -> bytes:
    """The gzip header's MTIME field (bytes 4-7) set to 0."""
    return data[:4] + b"\x00\x00\x00\x00" + data[8:] if data[:2] == b"\x1f\x8b" else data
