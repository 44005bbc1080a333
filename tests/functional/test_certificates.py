"""Cluster CAs and the certificates API, with each certificate store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import Api, make_runtime, running_api
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

from dockyard.conductor.worker import Conductor


@pytest.fixture(params=["x509keypair", "local"])
def store_api(request: pytest.FixtureRequest, tmp_path: Path, sqlite_url: str) -> Iterator[Api]:
    runtime = make_runtime(
        tmp_path, sqlite_url, {"certificates": {"cert_manager_type": request.param}}
    )
    with running_api(runtime) as client:
        yield client


def _csr(key: Any = None, *, ca: bool = False, cn: str = "Your Name") -> str:
    key = key or rsa.generate_private_key(65537, 2048)
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def _cluster(api: Api, **template: Any) -> str:
    api.template(name="k8s", **template)
    uuid = str(api.post("/v1/clusters", {"cluster_template_id": "k8s"}).json()["uuid"])
    api.wait_status(uuid, "CREATE_COMPLETE")
    return uuid


def _verify(child_pem: str, ca_pem: str) -> None:
    child = x509.load_pem_x509_certificate(child_pem.encode())
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    key = ca.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(
        child.signature, child.tbs_certificate_bytes, ec.ECDSA(child.signature_hash_algorithm)
    )


def test_ca_show_sign_and_rotate(store_api: Api) -> None:
    api = store_api
    uuid = _cluster(api)
    shown = api.get(f"/v1/certificates/{uuid}")
    assert shown.status_code == 200, shown.text
    ca_pem = shown.json()["pem"]
    assert shown.json()["cluster_uuid"] == uuid
    for kind in ("etcd", "front_proxy", "front-proxy"):
        other = api.get(f"/v1/certificates/{uuid}?ca_cert_type={kind}").json()["pem"]
        assert other != ca_pem
    csr = _csr()
    signed = api.post("/v1/certificates", {"cluster_uuid": uuid, "csr": csr})
    assert signed.status_code == 201, signed.text
    body = signed.json()
    assert body["csr"] == csr and not body["pem"].endswith("\n")
    _verify(body["pem"], ca_pem)
    cert = x509.load_pem_x509_certificate(body["pem"].encode())
    assert cert.subject.rfc4514_string() == "CN=Your Name"
    rotated = api.patch(f"/v1/certificates/{uuid}")
    assert rotated.status_code == 202, rotated.text
    api.wait_status(uuid, "UPDATE_COMPLETE")
    new_ca = api.get(f"/v1/certificates/{uuid}").json()["pem"]
    assert new_ca != ca_pem
    with pytest.raises(Exception):  # noqa: B017 - the old certificate no longer chains
        _verify(body["pem"], new_ca)
    _verify(api.post("/v1/certificates", {"cluster_uuid": uuid, "csr": csr}).json()["pem"], new_ca)


@pytest.mark.parametrize(
    ("csr", "needle"),
    [
        ("garbage", "not a valid PEM"),
        (_csr(ca=True), "CA rights"),
        (_csr(rsa.generate_private_key(65537, 1024)), "at least 2048"),
        (_csr(dsa.generate_private_key(2048)), "not supported"),
        ("-----BEGIN CERTIFICATE REQUEST-----\n" + "A" * 20000, "larger than"),
    ],
)
def test_bad_csrs_are_400_and_nothing_is_stored(api: Api, csr: str, needle: str) -> None:
    uuid = _cluster(api)
    engine = sa.create_engine(str(api.runtime.db.url))
    with engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT count(*) FROM certificates").scalar()
    response = api.post("/v1/certificates", {"cluster_uuid": uuid, "csr": csr})
    assert response.status_code == 400, response.text
    assert needle in response.json()["errors"][0]["detail"]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM certificates").scalar() == before


def test_database_store_keeps_no_plaintext_key(api: Api) -> None:
    _cluster(api)
    engine = sa.create_engine(str(api.runtime.db.url))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT kind, cert_pem, key_ciphertext FROM certificates")
        rows = list(rows)
    assert {r[0] for r in rows} == {"ca", "etcd_ca", "front_proxy_ca", "client"}
    for _, cert_pem, ciphertext in rows:
        assert "BEGIN CERTIFICATE" in cert_pem
        assert "PRIVATE KEY" not in ciphertext and "PRIVATE KEY" not in cert_pem


def test_certificate_errors(api: Api) -> None:
    missing = api.post("/v1/certificates", {"cluster_uuid": "nope", "csr": _csr()})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["title"] == "Cluster nope could not be found"
    assert api.get("/v1/certificates/nope").status_code == 404
    uuid = _cluster(api, tls_disabled=True)
    no_tls = api.get(f"/v1/certificates/{uuid}")
    assert no_tls.status_code == 400
    rotate = api.patch(f"/v1/certificates/{uuid}")
    assert rotate.status_code == 400
    assert "non-TLS cluster" in rotate.json()["errors"][0]["detail"]
    other = {"X-Project-Id": "default", "X-User-Id": "mallory", "X-Roles": "member"}
    assert api.get(f"/v1/certificates/{uuid}", headers=other).status_code == 403


def test_certificates_go_with_the_cluster(api: Api) -> None:
    uuid = _cluster(api)
    api.delete(f"/v1/clusters/{uuid}")
    api.wait_status(uuid, "DELETE_COMPLETE")
    engine = sa.create_engine(str(api.runtime.db.url))
    # The conductor forgets the certificates right after it records the deletion.
    remaining = None
    for _ in range(50):
        with engine.connect() as conn:
            remaining = conn.exec_driver_sql("SELECT count(*) FROM certificates").scalar()
        if remaining == 0:
            break
        time.sleep(0.05)
    assert remaining == 0


def test_local_store_refuses_a_second_conductor_host(tmp_path: Path, sqlite_url: str) -> None:
    from dockyard.common.exceptions import NotSupported
    from dockyard.db.repositories import services as service_repo

    runtime = make_runtime(tmp_path, sqlite_url, {"certificates": {"cert_manager_type": "local"}})
    with runtime.db.write() as session:
        service_repo.heartbeat(session, "other-host", "dockyard-conductor")
    with pytest.raises(NotSupported, match="other-host"):
        Conductor(runtime).start()
    # The same host restarting is fine, and so is the database store with many hosts.
    runtime.conf.set_override("host", "other-host")
    conductor = Conductor(runtime)
    conductor.start()
    conductor.stop()
