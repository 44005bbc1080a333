"""A docker SDK client on an engine's TCP endpoint (a local cluster's api_address), with
the TLS client certificate held in memory.

The docker SDK (requests, ssl) reads certificates and keys from paths, on every new
connection. The PEMs go into anonymous memory files (memfd) that live as long as the
client: the private key never touches a disk, and nothing is left behind after a crash.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dockyard.providers.docker_local.daemon import API_VERSION


@dataclass(frozen=True, slots=True)
class ClientTls:
    """What a client presents and trusts: the CA, its certificate and key (PEM)."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    def __repr__(self) -> str:  # never the key, in a log line or a traceback
        return "ClientTls(<pem>)"


@contextlib.contextmanager
def _memory_file(name: str, data: bytes) -> Iterator[str]:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    try:
        os.write(fd, data)
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


@contextlib.contextmanager
def tcp_client(url: str, tls: ClientTls | None, timeout: float = 30) -> Iterator[Any]:
    """A docker SDK client on `url` (tcp://host:port), over TLS when `tls` is given; closed,
    and its memory files with it, when the block ends."""
    import docker

    with contextlib.ExitStack() as stack:
        tls_config = None
        if tls is not None:
            ca = stack.enter_context(_memory_file("ca.pem", tls.ca_pem))
            cert = stack.enter_context(_memory_file("cert.pem", tls.cert_pem))
            key = stack.enter_context(_memory_file("key.pem", tls.key_pem))
            tls_config = docker.tls.TLSConfig(client_cert=(cert, key), ca_cert=ca, verify=True)
        api = docker.DockerClient(base_url=url, version=API_VERSION, timeout=timeout,
                                  tls=tls_config)  # fmt: skip
        # requests would let REQUESTS_CA_BUNDLE and proxy variables from the environment in.
        api.api.trust_env = False
        stack.callback(api.close)
        yield api
