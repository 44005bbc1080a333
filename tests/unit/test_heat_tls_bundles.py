"""The Heat Swarm and Mesos drivers' TLS bundles (tls_servers.py) and what a CA rotation
does to them: every server's certificate comes from the cluster CA of the moment, and a TLS
endpoint configured from a rotated bundle refuses a client certificate of the old CA (a real
handshake on loopback, as `--tlsverify` and libprocess's REQUIRE_CERT check it)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509 as cx509

from dockyard.certs.x509 import KeyPair, generate_ca, issue
from dockyard.drivers.base import ClusterSpec, NodeGroupSpec
from dockyard.drivers.heat import node_bundle, tls_servers
from dockyard.drivers.swarm_fedora_atomic.driver import SwarmFedoraAtomicDriver


def _spec(ca: KeyPair | None, **template: object) -> ClusterSpec:
    return ClusterSpec(
        uuid="7d0c1e8a-1111-4222-8333-944455556666",
        name="s",
        project_id="p",
        coe="swarm",
        master_count=2,
        node_count=2,
        labels={},
        template={"master_lb_enabled": True, **template},
        create_timeout=60,
        docker_volume_size=None,
        keypair=None,
        master_flavor_id=None,
        flavor_id=None,
        nodegroups=(),
        driver_state={},
        ca=ca,
    )


def _files(entry: dict[str, str], tmp: Path) -> dict[str, Path]:
    """A bundle's TLS files, written under `tmp` (name -> path)."""
    out: dict[str, Path] = {}
    for path, (data, mode) in node_bundle.decode(entry["bundle"]).items():
        target = tmp / path.rsplit("/", 1)[1]
        target.write_bytes(data)
        target.chmod(mode)
        out[target.name] = target
    return out


def _sans(cert_pem: bytes) -> set[str]:
    cert = cx509.load_pem_x509_certificate(cert_pem)
    sans = cert.extensions.get_extension_for_class(cx509.SubjectAlternativeName).value
    return {str(v) for v in sans.get_values_for_type(cx509.IPAddress)} | set(
        sans.get_values_for_type(cx509.DNSName)
    )


def test_every_server_gets_a_certificate_of_the_cluster_ca_at_its_planned_address() -> None:
    ca = generate_ca("cluster")
    params = tls_servers.bundles(_spec(ca), "s-7d0c", [0, 3])
    masters, nodes = params[node_bundle.MASTER_BUNDLES], params[node_bundle.NODE_BUNDLES]
    assert {k: v["address"] for k, v in masters.items()} == {"0": "10.0.0.10", "1": "10.0.0.11"}
    assert {k: v["address"] for k, v in nodes.items()} == {"0": "10.0.0.20", "3": "10.0.0.23"}
    master = node_bundle.decode(masters["1"]["bundle"])
    assert set(master) == {
        tls_servers.CA_FILE, tls_servers.CERT_FILE, tls_servers.KEY_FILE,
        tls_servers.DOCKER_FLAGS, tls_servers.LIBPROCESS_ENV,
    }  # fmt: skip
    flags = master[tls_servers.DOCKER_FLAGS][0].decode()
    assert flags.startswith("--tlsverify ") and f"--tlscacert={tls_servers.CA_FILE}" in flags
    assert b"LIBPROCESS_SSL_REQUIRE_CERT=true" in master[tls_servers.LIBPROCESS_ENV][0]
    assert master[tls_servers.CA_FILE][0] == ca.cert_pem
    assert master[tls_servers.KEY_FILE][1] == 0o600
    # A master's certificate names its address and the API load balancer's VIP.
    assert {"10.0.0.11", "10.0.0.5", "s-7d0c-master-1"} <= _sans(master[tls_servers.CERT_FILE][0])
    node = node_bundle.decode(nodes["3"]["bundle"])
    assert {"10.0.0.23", "s-7d0c-node-3"} <= _sans(node[tls_servers.CERT_FILE][0])


def test_a_nodegroups_servers_get_their_slots_addresses() -> None:
    group = NodeGroupSpec("g", "gpu", "worker", 2, None, None, {}, is_default=False)
    params = tls_servers.group_bundles(_spec(generate_ca("c")), "s", 1, group, [0, 1])
    assert {k: v["address"] for k, v in params.items()} == {"0": "10.0.0.144", "1": "10.0.0.145"}
    node = node_bundle.decode(params["1"]["bundle"])
    assert "s-gpu-node-1" in _sans(node[tls_servers.CERT_FILE][0])


def test_no_bundles_without_tls_or_with_a_template_named_network() -> None:
    assert tls_servers.bundles(_spec(None), "s", [0]) == {}
    assert tls_servers.bundles(_spec(generate_ca("c"), tls_disabled=True), "s", [0]) == {}
    assert tls_servers.bundles(_spec(generate_ca("c"), fixed_network="net"), "s", [0]) == {}


@contextlib.contextmanager
def _serve(files: dict[str, Path]) -> Iterator[tuple[int, list[str]]]:
    """A TLS server on loopback configured like `--tlsverify`: the bundle's certificate,
    client certificates required and checked against the bundle's CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files["server.pem"], files["server-key.pem"])
    context.load_verify_locations(files["ca.pem"])
    context.verify_mode = ssl.CERT_REQUIRED
    listener = socket.create_server(("127.0.0.1", 0))
    outcomes: list[str] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"ok")
                    outcomes.append("accepted")
            except (ssl.SSLError, OSError) as exc:
                outcomes.append(f"refused: {exc}")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], outcomes
    finally:
        listener.close()
        thread.join(timeout=10)


def _connect(port: int, ca_file: Path, client: KeyPair, tmp: Path, name: str) -> bytes:
    (tmp / f"{name}.crt").write_bytes(client.cert_pem)
    (tmp / f"{name}.key").write_bytes(client.key_pem)
    context = ssl.create_default_context(cafile=str(ca_file))
    context.load_cert_chain(tmp / f"{name}.crt", tmp / f"{name}.key")
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="10.0.0.10") as tls,
    ):
        return tls.recv(2)


def test_after_a_rotation_the_old_ca_client_certificate_is_refused(tmp_path: Path) -> None:
    old_ca, new_ca = generate_ca("old"), generate_ca("new")
    old_client = issue(old_ca, "admin", client=True)
    new_client = issue(new_ca, "admin", client=True)
    before = tls_servers.bundles(_spec(old_ca), "s", [0])[node_bundle.MASTER_BUNDLES]["0"]
    after = tls_servers.bundles(_spec(new_ca), "s", [0])[node_bundle.MASTER_BUNDLES]["0"]
    assert before["bundle"] != after["bundle"]
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    old_files = _files(before, tmp_path / "before")
    files = _files(after, tmp_path / "after")
    # Before: the old client certificate is good.
    with _serve(old_files) as (port, outcomes):
        assert _connect(port, old_files["ca.pem"], old_client, tmp_path, "old") == b"ok"
    # After: the new one is, the old one is refused by the server's check.
    with _serve(files) as (port, outcomes):
        assert _connect(port, files["ca.pem"], new_client, tmp_path, "new") == b"ok"
        with pytest.raises((ssl.SSLError, ConnectionError)):
            _connect(port, files["ca.pem"], old_client, tmp_path, "old")  # refused by the read
    assert outcomes[0] == "accepted"
    assert len(outcomes) == 2 and "certificate" in outcomes[1], outcomes


def test_a_rotation_is_refused_up_front_when_the_template_names_its_network() -> None:
    # The refusal is what the API answers (400) before accepting the rotation: servers of a
    # template-named network never got bundles, so a rebuild could not re-key them.
    driver = SwarmFedoraAtomicDriver()
    assert driver.rekey_refusal({"fixed_network": None, "fixed_subnet": None}) is None
    refusal = driver.rekey_refusal({"fixed_network": "private", "fixed_subnet": None})
    assert refusal is not None and "names its own fixed network" in refusal
