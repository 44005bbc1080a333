"""Where cluster certificates are kept, chosen by `[certificates] cert_manager_type`.

- `x509keypair`: in Dockyard's database, private keys encrypted (Fernet, AES-128-CBC +
  HMAC-SHA256) with `[certificates] encryption_key`.
- `local`: PEM files on the conductor host (0600 keys); only for a single conductor.
- `barbican`: one Barbican certificate container per certificate (certificate and private key
  secrets), owned by Dockyard's service project.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
import uuid
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken

from dockyard.certs.x509 import KeyPair
from dockyard.common import exceptions


class CertStore(Protocol):
    """Stores a certificate with its key and hands back a reference."""

    name: str

    def save(self, cluster_uuid: str, kind: str, pair: KeyPair) -> str: ...

    def load(self, ref: str) -> KeyPair: ...

    def delete(self, ref: str) -> None: ...

    def delete_for_cluster(self, cluster_uuid: str) -> None: ...


class CertificateRows(Protocol):
    """Persistence the x509keypair store needs (implemented by the db package)."""

    def add(
        self,
        ref: str,
        cluster_uuid: str,
        kind: str,
        cert_pem: str,
        key_ciphertext: str,
        not_after: dt.datetime,
    ) -> None: ...

    def get(self, ref: str) -> tuple[str, str] | None: ...

    def remove(self, ref: str) -> None: ...

    def remove_for_cluster(self, cluster_uuid: str) -> None: ...


# Path components of the local store: no separators, no dots.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _missing(ref: str) -> exceptions.NotFound:
    return exceptions.NotFound(f"Certificate {ref} could not be found.")


class X509KeypairStore:
    """Certificates in the database; keys encrypted at rest."""

    name = "x509keypair"

    def __init__(self, rows: CertificateRows, encryption_key: bytes) -> None:
        self._rows = rows
        self._fernet = Fernet(encryption_key)

    def save(self, cluster_uuid: str, kind: str, pair: KeyPair) -> str:
        ref = f"x509keypair:{uuid.uuid4()}"
        ciphertext = self._fernet.encrypt(pair.key_pem).decode()
        self._rows.add(ref, cluster_uuid, kind, pair.cert_pem.decode(), ciphertext, pair.not_after)
        return ref

    def load(self, ref: str) -> KeyPair:
        row = self._rows.get(ref)
        if row is None:
            raise _missing(ref)
        cert_pem, ciphertext = row
        try:
            key_pem = self._fernet.decrypt(ciphertext.encode())
        except InvalidToken:
            raise exceptions.DockyardError(
                f"Certificate {ref} cannot be decrypted: [certificates] encryption_key differs "
                "from the key it was stored with."
            ) from None
        return KeyPair(cert_pem.encode(), key_pem)

    def delete(self, ref: str) -> None:
        self._rows.remove(ref)

    def delete_for_cluster(self, cluster_uuid: str) -> None:
        self._rows.remove_for_cluster(cluster_uuid)


class LocalStore:
    """Certificates as files under one directory of the conductor host."""

    name = "local"

    def __init__(self, directory: str) -> None:
        self._directory = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)

    def _cluster_dir(self, cluster_uuid: str) -> str:
        if not _SAFE_NAME.fullmatch(cluster_uuid):
            raise exceptions.Invalid(f"Bad cluster id {cluster_uuid!r}.")
        return os.path.join(self._directory, cluster_uuid)

    def _paths(self, ref: str) -> tuple[str, str]:
        cluster_uuid, _, token = ref.removeprefix("local:").partition("/")
        if not _SAFE_NAME.fullmatch(token):
            raise _missing(ref)
        base = os.path.join(self._cluster_dir(cluster_uuid), token)
        return base + ".crt", base + ".key"

    def save(self, cluster_uuid: str, kind: str, pair: KeyPair) -> str:
        ref = f"local:{cluster_uuid}/{kind}-{uuid.uuid4()}"
        os.makedirs(self._cluster_dir(cluster_uuid), mode=0o700, exist_ok=True)
        cert_path, key_path = self._paths(ref)
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pair.key_pem)
        with open(cert_path, "wb") as handle:
            handle.write(pair.cert_pem)
        return ref

    def load(self, ref: str) -> KeyPair:
        cert_path, key_path = self._paths(ref)
        try:
            with open(cert_path, "rb") as cert, open(key_path, "rb") as key:
                return KeyPair(cert.read(), key.read())
        except FileNotFoundError:
            raise _missing(ref) from None

    def delete(self, ref: str) -> None:
        for path in self._paths(ref):
            if os.path.exists(path):
                os.unlink(path)

    def delete_for_cluster(self, cluster_uuid: str) -> None:
        shutil.rmtree(self._cluster_dir(cluster_uuid), ignore_errors=True)


class BarbicanStore:
    """Certificates in Barbican: a `certificate` container per certificate, holding a
    certificate secret and a private_key secret. Every container of a cluster has the same
    name, `dockyard-cluster-<uuid>`, so the cluster's certificates can be found and deleted
    together. `client` is a barbicanclient v1 Client on a keystoneauth1 session."""

    name = "barbican"
    PAGE = 100

    def __init__(self, client: Any) -> None:
        self._client = client

    @staticmethod
    def container_name(cluster_uuid: str) -> str:
        return f"dockyard-cluster-{cluster_uuid}"

    def save(self, cluster_uuid: str, kind: str, pair: KeyPair) -> str:
        made: list[Any] = []  # stored secrets
        try:
            for label, pem, secret_type in (
                ("certificate", pair.cert_pem, "certificate"),
                ("private key", pair.key_pem, "private"),
            ):
                secret = self._client.secrets.create(
                    name=f"{kind} {label}",
                    payload=pem,  # bytes: stored as octet-stream, byte for byte
                    secret_type=secret_type,
                )
                secret.store()
                made.append(secret)
            certificate, private_key = made
            container = self._client.containers.create_certificate(
                name=self.container_name(cluster_uuid),
                certificate=certificate,
                private_key=private_key,
            )
            container_ref: str = container.store()
        except Exception:
            for secret in made:  # leave no orphan secret behind
                with contextlib.suppress(Exception):
                    self._client.secrets.delete(secret.secret_ref)
            raise
        return "barbican:" + container_ref.rstrip("/").rsplit("/", 1)[-1]

    def _container(self, ref: str) -> Any:
        try:
            container_id = str(uuid.UUID(ref.removeprefix("barbican:")))
        except ValueError:
            raise _missing(ref) from None
        try:
            return self._client.containers.get(container_id)
        except Exception as exc:
            if getattr(exc, "status_code", None) == 404:
                raise _missing(ref) from None
            raise

    def load(self, ref: str) -> KeyPair:
        container = self._container(ref)
        if container.certificate is None or container.private_key is None:
            raise _missing(ref)  # being deleted: its secrets go before the container
        try:
            cert, key = container.certificate.payload, container.private_key.payload
        except Exception as exc:
            if getattr(exc, "status_code", None) == 404:
                raise _missing(ref) from None
            raise
        return KeyPair(_as_bytes(cert), _as_bytes(key))

    def delete(self, ref: str) -> None:
        try:
            container = self._container(ref)
        except exceptions.NotFound:
            return
        self._delete_container(container)

    def _delete_container(self, container: Any) -> None:
        for secret in (container.certificate, container.private_key):
            if secret is not None:
                self._ignore_missing(self._client.secrets.delete, secret.secret_ref)
        self._ignore_missing(self._client.containers.delete, container.container_ref)

    def delete_for_cluster(self, cluster_uuid: str) -> None:
        name = self.container_name(cluster_uuid)
        while True:
            found = self._client.containers.list(limit=self.PAGE, name=name)
            for container in found:
                self._delete_container(container)
            if len(found) < self.PAGE:
                return

    @staticmethod
    def _ignore_missing(call: Any, ref: str) -> None:
        try:
            call(ref)
        except Exception as exc:
            if getattr(exc, "status_code", None) != 404:
                raise


def _as_bytes(payload: str | bytes) -> bytes:
    return payload.encode() if isinstance(payload, str) else payload


def load_or_create_key(path: str) -> bytes:
    """The Fernet key in `path`, generated (0600) on first use (the embedded default).

    The key is written to a private temporary file and then hard-linked into place, so a
    process starting at the same moment sees either no file or the whole key, never an
    empty one.
    """
    if os.path.exists(path):
        with open(path, "rb") as handle:
            return handle.read().strip()
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".certificates-key-")
    try:
        with os.fdopen(descriptor, "wb") as handle:  # mkstemp makes it 0600
            handle.write(Fernet.generate_key())
        # FileExistsError: another process put its key in place first; use that one.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    with open(path, "rb") as handle:
        return handle.read().strip()
