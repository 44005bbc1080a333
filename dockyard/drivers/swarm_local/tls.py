"""Node server certificates, issued from the cluster CA and written for dockerd."""

from __future__ import annotations

import hashlib
import os

from dockyard.certs.x509 import KeyPair, issue
from dockyard.providers.docker_local.daemon import TlsFiles


def _write(path: str, data: bytes, mode: int) -> None:
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def ca_fingerprint(ca: KeyPair) -> str:
    """What a node records about the CA its running dockerd trusts (sha256 of the PEM)."""
    return hashlib.sha256(ca.cert_pem).hexdigest()


def node_tls_files(directory: str) -> TlsFiles:
    """Where one node's CA, server certificate and key are kept."""
    return TlsFiles(
        ca=os.path.join(directory, "ca.pem"),
        cert=os.path.join(directory, "server-cert.pem"),
        key=os.path.join(directory, "server-key.pem"),
    )


def ensure_node_certs(ca: KeyPair, directory: str, hostname: str, address: str) -> TlsFiles:
    """Server cert for one node (SANs: hostname, address, 127.0.0.1, localhost).

    A certificate already on disk is kept while it was issued by `ca`.
    """
    files = node_tls_files(directory)
    try:
        with open(files.ca, "rb") as handle:
            current_ca = handle.read()
        if current_ca == ca.cert_pem and os.path.exists(files.cert) and os.path.exists(files.key):
            return files
    except FileNotFoundError:
        pass
    os.makedirs(directory, mode=0o700, exist_ok=True)
    pair = issue(ca, hostname, server=True, sans=[hostname, address, "127.0.0.1", "localhost"])
    _write(files.key, pair.key_pem, 0o600)
    _write(files.cert, pair.cert_pem, 0o644)
    _write(files.ca, ca.cert_pem, 0o644)
    return files
