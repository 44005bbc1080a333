"""Node server certificates, issued from the cluster CA and written for dockerd."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable

from dockyard.certs.x509 import KeyPair, describe, issue
from dockyard.domain.certificates import NODE, CertificateInfo
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


def _ensure(ca: KeyPair, files: TlsFiles, issue_pair: Callable[[], KeyPair]) -> bool:
    """Write `files` from `issue_pair()` unless those on disk were issued by `ca`; whether
    new ones were written."""
    try:
        with open(files.ca, "rb") as handle:
            current_ca = handle.read()
        if current_ca == ca.cert_pem and os.path.exists(files.cert) and os.path.exists(files.key):
            return False
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(files.ca), mode=0o700, exist_ok=True)
    pair = issue_pair()
    _write(files.key, pair.key_pem, 0o600)
    _write(files.cert, pair.cert_pem, 0o644)
    _write(files.ca, ca.cert_pem, 0o644)
    return True


def ensure_node_certs(
    ca: KeyPair, directory: str, hostname: str, address: str, validity_days: int = 1825
) -> TlsFiles:
    """Server cert for one node (SANs: hostname, address, 127.0.0.1, localhost).

    A certificate already on disk is kept while it was issued by `ca`.
    """
    files = node_tls_files(directory)
    sans = [hostname, address, "127.0.0.1", "localhost"]
    _ensure(
        ca,
        files,
        lambda: issue(ca, hostname, server=True, sans=sans, validity_days=validity_days),
    )
    return files


def node_certificate(directory: str, hostname: str) -> CertificateInfo | None:
    """What the node's server certificate on disk is (None when there is none yet)."""
    try:
        with open(node_tls_files(directory).cert, "rb") as handle:
            return describe(handle.read(), NODE, hostname)
    except FileNotFoundError:
        return None


def renew_node_certs(
    ca: KeyPair, directory: str, hostname: str, address: str, validity_days: int
) -> None:
    """Replace the node's server certificate and key with new ones from `ca` (unchanged).

    The certificate goes first: a call interrupted before the new one is written finds no
    certificate and issues one (ensure_node_certs).
    """
    with contextlib.suppress(FileNotFoundError):
        os.unlink(node_tls_files(directory).cert)
    ensure_node_certs(ca, directory, hostname, address, validity_days)


def ensure_registry_certs(ca: KeyPair, directory: str, address: str) -> bool:
    """The registry's server certificate (SAN: its address) and the client certificate the
    nodes present to it, in `directory`; whether they were (re-)issued."""
    server = _ensure(
        ca,
        node_tls_files(directory),
        lambda: issue(ca, "registry", server=True, sans=[address]),
    )
    client = _ensure(
        ca,
        registry_client_files(directory),
        lambda: issue(ca, "registry-client", client=True),
    )
    return server or client


def registry_client_files(directory: str) -> TlsFiles:
    """The client certificate nodes present to the cluster registry, in `directory`."""
    return TlsFiles(
        ca=os.path.join(directory, "client", "ca.pem"),
        cert=os.path.join(directory, "client", "cert.pem"),
        key=os.path.join(directory, "client", "key.pem"),
    )
