"""The rest of the cloud a tempest run needs beside Keystone and Glance (run with the
project's .venv python: keystoneauth1 and openstacksdk).

    tempest-cloud.py KEYSTONE_URL ADMIN_PASSWORD READY_FILE

- the image `dockyard-node` in Glance (public, `os_distro = dockyard-node`: the local
  Kubernetes driver's image, so `[openstack] lookups` selects k8s_local for it);
- the STAND-IN for Nova and Neutron of tests/harness/nova_neutron_standin.py (flavors
  m1.small and m1.medium, the external network `public`), registered in the catalog as
  `compute` and `network`, plus keypairs kept per user as Nova keeps them: tempest deletes and
  creates its keypair (`[magnum] keypair_name`) for each new user, and Dockyard's lookups read
  it back with that user's token (the user behind a token is asked of Keystone). Magnum checks
  these at template and cluster create, and so does Dockyard with lookups on; nothing runs
  servers or networks behind them (the local drivers build the nodes).

Writes READY_FILE when all is in place, then serves until SIGTERM.
"""

from __future__ import annotations

import hashlib
import json
import signal
import sys
import threading
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openstack

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(Path(__file__).resolve().parent)]

from harness.nova_neutron_standin import (  # noqa: E402
    CloudData,
    NovaNeutronStandIn,
    _Handler,
)
from identity import Identity  # noqa: E402

IMAGE = "dockyard-node"


def cloud_data() -> CloudData:
    return CloudData(
        flavors=[
            {"id": "1", "name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20},
            {"id": "2", "name": "m1.medium", "vcpus": 2, "ram": 4096, "disk": 40},
        ],
        networks=[
            {"id": "8a0d8f1e-4b52-4d67-9d1e-5f00000000e1", "name": "public",
             "router:external": True, "status": "ACTIVE", "subnets": []},
        ],
    )  # fmt: skip


KEYPAIRS = "/compute/v2.1/os-keypairs"


class Keypairs:
    """Keypairs per Keystone user (name -> keypair), as Nova keeps them."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        self.by_user: dict[str, dict[str, dict[str, Any]]] = {}
        self.users: dict[str, str] = {}
        self.lock = threading.Lock()

    def user_of(self, token: str) -> str | None:
        with self.lock:
            if token in self.users:
                return self.users[token]
        answer = self.identity.api.get(
            "/auth/tokens", headers={"X-Subject-Token": token}, raise_exc=False
        )
        if answer.status_code != 200:
            return None
        user = str(answer.json()["token"]["user"]["id"])
        with self.lock:
            self.users[token] = user
        return user


class Handler(_Handler):
    """The stand-in's handler plus per-user keypairs: GET, POST (create or import), DELETE."""

    keypairs: Keypairs

    def _keypair_request(self) -> tuple[str, dict[str, dict[str, Any]]] | None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if not path.startswith(KEYPAIRS):
            return None
        user = self.keypairs.user_of(self.headers.get("X-Auth-Token", ""))
        if user is None:
            self._send(401, {"error": {"message": "The request you have made requires auth."}})
            return ("", {})
        with self.keypairs.lock:
            return path, self.keypairs.by_user.setdefault(user, {})

    def do_GET(self) -> None:
        found = self._keypair_request()
        if found is None:
            super().do_GET()
            return
        path, mine = found
        if not path:
            return
        if path == KEYPAIRS:
            self._send(200, {"keypairs": [{"keypair": k} for k in mine.values()]})
        elif path.rsplit("/", 1)[1] in mine:
            self._send(200, {"keypair": mine[path.rsplit("/", 1)[1]]})
        else:
            self._send(404, {"itemNotFound": {"code": 404, "message": "Keypair not found"}})

    def do_POST(self) -> None:
        found = self._keypair_request()
        if found is None or found[0] != KEYPAIRS:
            self._send(404, {"itemNotFound": {"code": 404, "message": f"{self.path} not found"}})
            return
        _, mine = found
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}").get("keypair", {})
        name, public_key = body.get("name", ""), body.get("public_key", "")
        if not name or not public_key or name in mine:
            message = "Key pair already exists" if name in mine else "name and public_key needed"
            self._send(409 if name in mine else 400, {"badRequest": {"message": message}})
            return
        digest = hashlib.md5(public_key.encode(), usedforsecurity=False).hexdigest()
        fingerprint = ":".join(digest[i : i + 2] for i in range(0, 32, 2))
        user = self.keypairs.user_of(self.headers["X-Auth-Token"]) or ""
        mine[name] = {
            "name": name, "public_key": public_key, "fingerprint": fingerprint,
            "user_id": user, "id": len(mine) + 1, "deleted": False,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "updated_at": None, "deleted_at": None,
        }  # fmt: skip
        created = {k: mine[name][k] for k in ("name", "public_key", "fingerprint", "user_id")}
        self._send(200, {"keypair": created})

    def do_DELETE(self) -> None:
        found = self._keypair_request()
        if found is None or found[0] == KEYPAIRS:
            self._send(404, {"itemNotFound": {"code": 404, "message": f"{self.path} not found"}})
            return
        path, mine = found
        if not path:
            return
        if mine.pop(path.rsplit("/", 1)[1], None) is None:
            self._send(404, {"itemNotFound": {"code": 404, "message": "Keypair not found"}})
            return
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: NovaNeutronStandIn) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.standin = standin


def ensure_image(identity: Identity) -> None:
    conn = openstack.connection.Connection(session=identity.api.session, region_name="RegionOne")
    if conn.image.find_image(IMAGE) is None:
        conn.image.create_image(
            name=IMAGE,
            os_distro=IMAGE,
            visibility="public",
            disk_format="raw",
            container_format="bare",
        )


def main() -> None:
    keystone_url, admin_password, ready = sys.argv[1:4]
    identity = Identity(keystone_url, admin_password)
    ensure_image(identity)
    Handler.keypairs = Keypairs(identity)
    standin = NovaNeutronStandIn(cloud_data())
    server = Server(standin)
    standin._server = server  # type: ignore[assignment]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    identity.service("nova", "compute", standin.compute_url)
    identity.service("neutron", "network", standin.network_url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Path(ready).write_text(f"{standin.compute_url}\n{standin.network_url}\n")
    signal.pause()


if __name__ == "__main__":
    main()
