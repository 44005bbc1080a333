"""STAND-IN for Nova and Neutron: too heavy to run here (libvirt, OVS/OVN, agents), so the
lookup tests use this tiny HTTP server instead. It answers ONLY the read-only GETs Dockyard's
lookups make through openstacksdk - version discovery, flavors, keypairs, networks, subnets -
from data the test puts in it, and 404 for anything else. It does not validate tokens (it only
requires an X-Auth-Token header, 401 without) and keeps keypairs per server, not per user.

`NovaNeutronStandIn.start()` serves compute under `/compute/v2.1` and network under
`/network` on a free loopback port; `register(cloud)` puts both in the harness Keystone's
catalog (types `compute` and `network`, replacing heat-register's dummies) and
`unregister(cloud)` puts the dummies back. `requests` lists every request as
"METHOD path?query", for tests of the cache.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harness.keystone import KeystoneCloud

DUMMY = "http://127.0.0.1:9"  # heat-register's dummy endpoints: nothing listens there


@dataclass
class CloudData:
    """What the stand-in knows: flavors, keypairs, networks and subnets (dicts in the APIs'
    shapes, at least `id` and `name`; networks may set `router:external`)."""

    flavors: list[dict[str, Any]] = field(default_factory=list)
    keypairs: list[dict[str, Any]] = field(default_factory=list)
    networks: list[dict[str, Any]] = field(default_factory=list)
    subnets: list[dict[str, Any]] = field(default_factory=list)


def _matches(item: dict[str, Any], query: dict[str, list[str]]) -> bool:
    """Neutron-style filters: every given field equal (booleans compared case-insensitively)."""
    for key, wanted in query.items():
        if key in ("fields", "limit", "marker", "sort_key", "sort_dir"):
            continue
        value = item.get(key)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text not in [w.lower() if isinstance(value, bool) else w for w in wanted]:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.standin.requests.append(f"GET {self.path}")
        path = parts.path.rstrip("/")
        query = parse_qs(parts.query)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if path in ("/compute", "/compute/v2.1"):
            self._send(200, {"version": _compute_version(base)})
            return
        if path == "/network":
            self._send(200, {"versions": [_network_version(base)]})
            return
        if not self.headers.get("X-Auth-Token"):
            self._send(401, {"error": {"message": "The request you have made requires auth."}})
            return
        found = self.server.standin.answer(path, query)
        if found is None:
            self._send(404, {"itemNotFound": {"code": 404, "message": f"{path} not found"}})
        else:
            self._send(200, found)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, standin: NovaNeutronStandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.standin = standin


def _compute_version(base: str) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": "2.96",
        "min_version": "2.1",
        "links": [{"rel": "self", "href": f"{base}/compute/v2.1/"}],
    }


def _network_version(base: str) -> dict[str, Any]:
    return {
        "id": "v2.0",
        "status": "CURRENT",
        "links": [{"rel": "self", "href": f"{base}/network/v2.0/"}],
    }


@dataclass
class NovaNeutronStandIn:
    data: CloudData = field(default_factory=CloudData)
    requests: list[str] = field(default_factory=list)
    _server: _Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def compute_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/compute/v2.1"

    @property
    def network_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/network"

    @classmethod
    def start(cls, data: CloudData) -> NovaNeutronStandIn:
        standin = cls(data)
        standin._server = _Server(standin)
        threading.Thread(target=standin._server.serve_forever, daemon=True).start()
        return standin

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, query: dict[str, list[str]]) -> Any:
        """The body for a GET of `path`, None for 404."""
        data = self.data
        if path in ("/compute/v2.1/flavors", "/compute/v2.1/flavors/detail"):
            return {"flavors": data.flavors}
        if path.startswith("/compute/v2.1/flavors/"):
            ident = path.rsplit("/", 1)[1]
            found = [f for f in data.flavors if f["id"] == ident]
            return {"flavor": found[0]} if found else None
        if path == "/compute/v2.1/os-keypairs":
            return {"keypairs": [{"keypair": k} for k in data.keypairs]}
        if path.startswith("/compute/v2.1/os-keypairs/"):
            name = path.rsplit("/", 1)[1]
            found = [k for k in data.keypairs if k["name"] == name]
            return {"keypair": found[0]} if found else None
        for kind, items in (("networks", data.networks), ("subnets", data.subnets)):
            if path == f"/network/v2.0/{kind}":
                return {kind: [i for i in items if _matches(i, query)]}
            if path.startswith(f"/network/v2.0/{kind}/"):
                ident = path.rsplit("/", 1)[1]
                found = [i for i in items if i["id"] == ident]
                return {kind[:-1]: found[0]} if found else None
        return None

    def register(self, cloud: KeystoneCloud) -> None:
        """Point the catalog's compute and network entries at this stand-in."""
        api = cloud.identity()
        api.register_service("compute", "nova", self.compute_url)
        api.register_service("network", "neutron", self.network_url)

    @staticmethod
    def unregister(cloud: KeystoneCloud) -> None:
        """Put heat-register's dummy compute and network entries back."""
        api = cloud.identity()
        api.register_service("compute", "nova", f"{DUMMY}/v2.1")
        api.register_service("network", "neutron", DUMMY)
