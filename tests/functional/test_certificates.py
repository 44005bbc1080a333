"""Cluster CAs and the certificates API, with each certificate store.

The store suite (`store`, `store_api`) runs against all three stores: x509keypair (the
database), local (files) and barbican (a real Barbican 23.0.0 with a real Keystone, started by
scripts/openstack-harness; marked `barbican` and `keystone`).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import Api, make_runtime, running_api, subprocess_env, write_config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID
from harness.waiting import wait_until

from dockyard.certs import x509 as dockyard_x509
from dockyard.certs.stores import CertStore
from dockyard.common.exceptions import NotFound
from dockyard.conductor import periodics
from dockyard.conductor.worker import Conductor
from dockyard.services.runtime import Runtime

pytest_plugins = ["harness.fixtures"]

STORES = [
    "x509keypair",
    "local",
    pytest.param("barbican", marks=[pytest.mark.barbican, pytest.mark.keystone]),
]
REF_COLUMNS = ("ca_cert_ref", "magnum_cert_ref", "etcd_ca_cert_ref", "front_proxy_ca_cert_ref")


def store_runtime(
    request: pytest.FixtureRequest, tmp_path: Path, db_url: str, store: str
) -> Runtime:
    """A runtime whose certificates go to `store` (barbican: the harness's real Barbican)."""
    if store == "barbican":
        server = request.getfixturevalue("barbican")
        return make_runtime(tmp_path, db_url, config_sections=server.dockyard_sections())
    return make_runtime(tmp_path, db_url, {"certificates": {"cert_manager_type": store}})


@pytest.fixture(params=STORES)
def store_api(request: pytest.FixtureRequest, tmp_path: Path, sqlite_url: str) -> Iterator[Api]:
    runtime = store_runtime(request, tmp_path, sqlite_url, request.param)
    with running_api(runtime) as client:
        yield client


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path, sqlite_url: str) -> Iterator[CertStore]:
    runtime = store_runtime(request, tmp_path, sqlite_url, request.param)
    yield runtime.certs
    runtime.db.dispose()


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
    algorithm = child.signature_hash_algorithm
    assert algorithm is not None
    key.verify(child.signature, child.tbs_certificate_bytes, ec.ECDSA(algorithm))


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
        result = conn.exec_driver_sql("SELECT kind, cert_pem, key_ciphertext FROM certificates")
        rows = list(result)
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


def _refs(api: Api, uuid: str) -> list[str]:
    engine = sa.create_engine(str(api.runtime.db.url))
    try:
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                f"SELECT {', '.join(REF_COLUMNS)} FROM clusters WHERE uuid = :u", {"u": uuid}
            ).one()
    finally:
        engine.dispose()
    return [ref for ref in row if ref]


def test_certificates_go_with_the_cluster(store_api: Api) -> None:
    api = store_api
    uuid = _cluster(api)
    refs = _refs(api, uuid)
    assert len(refs) == 4  # kubernetes: three CAs and the admin certificate
    for ref in refs:
        assert api.runtime.certs.load(ref).cert_pem.startswith(b"-----BEGIN CERTIFICATE")
    api.delete(f"/v1/clusters/{uuid}")
    api.wait_status(uuid, "DELETE_COMPLETE")
    # The conductor forgets the certificates right after it records the deletion.
    wait_until(lambda: [ref for ref in refs if _loads(api.runtime.certs, ref)], 10,
               "the certificates forgotten", until=lambda left: left == [])  # fmt: skip


def _loads(store: CertStore, ref: str) -> bool:
    try:
        store.load(ref)
    except NotFound:
        return False
    return True


def test_store_keeps_deletes_and_forgets_per_cluster(store: CertStore) -> None:
    ca = dockyard_x509.generate_ca("cluster-one")
    admin = dockyard_x509.issue(ca, "admin", client=True)
    other = dockyard_x509.generate_ca("cluster-two")
    refs = {
        "ca": store.save("cluster-1", "ca", ca),
        "client": store.save("cluster-1", "client", admin),
        "other": store.save("cluster-2", "ca", other),
    }
    assert len(set(refs.values())) == 3
    assert store.load(refs["ca"]) == ca  # byte for byte: PEM fingerprints depend on it
    assert store.load(refs["client"]) == admin
    store.delete(refs["client"])
    assert not _loads(store, refs["client"])
    store.delete(refs["client"])  # deleting what is gone succeeds
    store.delete_for_cluster("cluster-1")
    assert not _loads(store, refs["ca"])
    assert store.load(refs["other"]) == other  # another cluster's certificates stay
    with pytest.raises(NotFound):
        store.load(f"{store.name}:no-such-certificate")


def test_local_store_writes_private_keys_0600(tmp_path: Path) -> None:
    from dockyard.certs.stores import LocalStore

    store = LocalStore(str(tmp_path / "certs"))
    ref = store.save("c1", "ca", dockyard_x509.generate_ca("c1"))
    key_file = tmp_path / "certs" / "c1" / (ref.split("/", 1)[1] + ".key")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "certs" / "c1").st_mode) == 0o700


@pytest.mark.barbican
@pytest.mark.keystone
def test_barbican_store_layout(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_url: str
) -> None:
    """What Dockyard leaves in Barbican: a certificate container per certificate, named after
    the cluster, holding a certificate and a private secret; nothing once the cluster is gone."""
    server = request.getfixturevalue("barbican")
    store = store_runtime(request, tmp_path, sqlite_url, "barbican").certs
    client: Any = server.service_client()
    pair = dockyard_x509.generate_ca("layout")
    ref = store.save("layout-cluster", "ca", pair)
    [container] = client.containers.list(name="dockyard-cluster-layout-cluster")
    assert container.container_ref.endswith(ref.removeprefix("barbican:"))
    assert type(container).__name__ == "CertificateContainer"  # Barbican's type "certificate"
    assert container.private_key.secret_type == "private"
    assert container.private_key.payload == pair.key_pem
    secrets = [container.certificate.secret_ref, container.private_key.secret_ref]
    store.delete_for_cluster("layout-cluster")
    assert client.containers.list(name="dockyard-cluster-layout-cluster") == []
    listed = {secret.secret_ref for secret in client.secrets.list(limit=100, name="ca certificate")}
    listed |= {
        secret.secret_ref for secret in client.secrets.list(limit=100, name="ca private key")
    }
    assert listed.isdisjoint(secrets)


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


# -- certificate expiry and node certificate renewal (TEST-ONLY fake driver) ------------------
EXPIRY = {"x509": {"node_term_of_validity": 10}, "certificates": {"renew_before_days": 30}}


@pytest.fixture
def expiry_api(tmp_path: Path, sqlite_url: str) -> Iterator[Api]:
    """Node certificates valid 10 days, renewal due 30 days ahead: due at once."""
    with running_api(make_runtime(tmp_path, sqlite_url, EXPIRY)) as client:
        yield client


def _certificates(api: Api, uuid: str) -> dict[tuple[str, str], dict[str, Any]]:
    response = api.get(f"/v1/clusters/{uuid}/certificates")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cluster_uuid"] == uuid and body["renew_before_days"] == 30
    return {(c["kind"], c["name"]): c for c in body["certificates"]}


def test_expiry_is_listed_exported_and_warned(expiry_api: Api) -> None:
    api = expiry_api
    uuid = _cluster(api)
    certs = _certificates(api, uuid)
    kinds = sorted(kind for kind, _ in certs)
    assert kinds == ["ca", "client", "etcd_ca", "front_proxy_ca", "node", "node"]
    ca_pem = api.get(f"/v1/certificates/{uuid}").json()["pem"]
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    assert certs[("ca", "ca")]["serial"] == format(ca.serial_number, "x")
    assert certs[("ca", "ca")]["not_after"] == ca.not_valid_after_utc.isoformat()
    assert certs[("ca", "ca")]["days_left"] in (1824, 1825)
    assert certs[("ca", "ca")]["renew_due"] is False
    nodes = [c for (kind, _), c in certs.items() if kind == "node"]
    assert {c["days_left"] for c in nodes} == {9}  # [x509] node_term_of_validity = 10
    assert all(c["renew_due"] and not c["expired"] for c in nodes)

    gauge = f'dockyard_cluster_certificate_expiry_timestamp_seconds{{cluster="{uuid}"}}'
    line = next(ln for ln in api.get("/metrics").text.splitlines() if ln.startswith(gauge))
    earliest = min(dt.datetime.fromisoformat(c["not_after"]) for c in nodes)
    assert float(line.split()[-1]) == pytest.approx(earliest.timestamp())

    periodics.sync_health(api.runtime)
    shown = api.get(f"/v1/clusters/{uuid}").json()
    warning = shown["health_status_reason"]["certificates"]
    assert "2 node/admin certificate(s) expire by" in warning
    assert f"/v1/clusters/{uuid}/actions/renew_certificates" in warning
    events = api.get(f"/v1/clusters/{uuid}/events").json()["events"]
    assert [e["event"] for e in events].count("certificates.expiring") == 1
    periodics.sync_health(api.runtime)  # the same warning again: no second event
    events = api.get(f"/v1/clusters/{uuid}/events").json()["events"]
    assert [e["event"] for e in events].count("certificates.expiring") == 1
    # Looking only 5 days ahead, nothing is due: the warning goes.
    api.runtime.conf.set_override("renew_before_days", 5, group="certificates")
    periodics.sync_health(api.runtime)
    assert "certificates" not in api.get(f"/v1/clusters/{uuid}").json()["health_status_reason"]


def test_renewal_keeps_the_ca_and_client_certificates(expiry_api: Api) -> None:
    api = expiry_api
    uuid = _cluster(api, labels={"fake_seconds": "0.3"})
    before = _certificates(api, uuid)
    ca_pem = api.get(f"/v1/certificates/{uuid}").json()["pem"]
    user_cert = api.post("/v1/certificates", {"cluster_uuid": uuid, "csr": _csr()}).json()["pem"]

    renewed = api.post(f"/v1/clusters/{uuid}/actions/renew_certificates")
    assert renewed.status_code == 202, renewed.text
    assert renewed.json() == {"uuid": uuid}
    busy = api.post(f"/v1/clusters/{uuid}/actions/renew_certificates")
    assert busy.status_code == 409, busy.text
    assert api.patch(f"/v1/certificates/{uuid}").status_code == 409  # nor a CA rotation
    done = api.wait_status(uuid, "UPDATE_COMPLETE", "UPDATE_FAILED")
    assert done["status"] == "UPDATE_COMPLETE", done

    after = _certificates(api, uuid)
    assert api.get(f"/v1/certificates/{uuid}").json()["pem"] == ca_pem  # the CA stays
    for key in [k for k in before if k[0] in ("ca", "etcd_ca", "front_proxy_ca")]:
        assert after[key]["serial"] == before[key]["serial"]
    for key in [k for k in before if k[0] in ("client", "node")]:
        assert after[key]["serial"] != before[key]["serial"], key
    _verify(user_cert, ca_pem)  # the user's certificate still chains to the cluster CA
    events = [e["event"] for e in api.get(f"/v1/clusters/{uuid}/events").json()["events"]]
    assert "renew_certificates.requested" in events and "renew_certificates.complete" in events


def test_renewal_errors(expiry_api: Api) -> None:
    api = expiry_api
    assert api.post("/v1/clusters/nope/actions/renew_certificates").status_code == 404
    assert api.get("/v1/clusters/nope/certificates").status_code == 404
    uuid = _cluster(api, tls_disabled=True)
    refused = api.post(f"/v1/clusters/{uuid}/actions/renew_certificates")
    assert refused.status_code == 400
    assert "non-TLS cluster" in refused.json()["errors"][0]["detail"]
    assert api.get(f"/v1/clusters/{uuid}/certificates").json()["certificates"] == []
    other = {"X-Project-Id": "other", "X-User-Id": "mallory", "X-Roles": "member"}
    hidden = api.post(f"/v1/clusters/{uuid}/actions/renew_certificates", headers=other)
    assert hidden.status_code == 404


def test_manage_lists_expiring_and_renews(tmp_path: Path, sqlite_url: str) -> None:
    runtime = make_runtime(tmp_path, sqlite_url, EXPIRY)
    config = write_config(
        tmp_path / "manage.conf",
        {
            "DEFAULT": {"state_path": tmp_path / "state"},
            "database": {"connection": sqlite_url},
            "certificates": {"renew_before_days": 30},
            "drivers": {"enabled_definitions": "fake"},
        },
    )
    manage = [str(Path(sys.executable).parent / "dockyard-manage"), "--config-file", str(config)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*manage, *args], capture_output=True, text=True, env=subprocess_env(), timeout=120
        )

    with running_api(runtime) as api:
        uuid = _cluster(api)
        nodes = [name for kind, name in _certificates(api, uuid) if kind == "node"]
        listed = run("certificates", "list-expiring")
        assert listed.returncode == 0, listed.stderr
        assert all(name in listed.stdout for name in nodes), listed.stdout
        assert "2 certificate(s) expire within 30 day(s)." in listed.stdout
        assert run("certificates", "list-expiring", "--days", "3").stdout.splitlines()[-1] == (
            "0 certificate(s) expire within 3 day(s)."
        )
        serials = {c["serial"] for c in _certificates(api, uuid).values() if c["kind"] == "node"}
        renewed = run("certificates", "renew", uuid, "--wait", "--timeout", "60")
        assert renewed.returncode == 0, renewed.stdout + renewed.stderr
        assert "UPDATE_COMPLETE" in renewed.stdout
        after = {c["serial"] for c in _certificates(api, uuid).values() if c["kind"] == "node"}
        assert serials.isdisjoint(after)
        missing = run("certificates", "renew", "no-such-cluster")
        assert missing.returncode == 1 and "could not be found" in missing.stdout
