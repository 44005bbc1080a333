"""The cloud walk-through of docs/operations.md, exercised: the systemd units verified by
systemd-analyze, Keystone catalog registration against the harness's real Keystone, and a
backup then restore of a running deployment on PostgreSQL with its cluster surviving (and
without the certificate key, refused)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from conftest import LATEST, PG_ADMIN_URL, ROOT, Server, start_server, subprocess_env
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from harness.host import require_host
from harness.keystone import KeystoneCloud
from harness.waiting import wait_until
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

pytest_plugins = ["harness.fixtures"]

UNITS = ROOT / "etc" / "systemd"
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"


# -- systemd --------------------------------------------------------------------------------
@require_host("systemd-analyze")
def test_systemd_units_verify(tmp_path: Path) -> None:
    """Both units, with ExecStart pointed at this checkout's commands, pass
    `systemd-analyze verify` (which checks syntax, directives and that ExecStart exists)."""
    units = sorted(UNITS.glob("*.service"))
    assert [u.name for u in units] == ["dockyard-api.service", "dockyard-conductor@.service"]
    rendered = []
    for unit in units:
        text = unit.read_text()
        assert "/opt/dockyard/bin/" in text
        name = unit.name.replace("@.", "@1.")  # verify an instance of the template
        target = tmp_path / name
        target.write_text(text.replace("/opt/dockyard/bin/", f"{VENV_BIN}/"))
        rendered.append(str(target))
    verified = subprocess.run(
        ["systemd-analyze", "verify", *rendered], capture_output=True, text=True, timeout=120
    )
    assert verified.returncode == 0, verified.stderr
    assert "dockyard" not in verified.stderr, verified.stderr  # no warning about our units
    # The check has teeth: a unit whose command does not exist fails it.
    broken = tmp_path / "broken.service"
    broken.write_text(Path(rendered[0]).read_text().replace(f"{VENV_BIN}/", "/nonexistent/"))
    failed = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert failed.returncode != 0 and "is not executable" in failed.stderr


# -- Keystone -------------------------------------------------------------------------------
@pytest.mark.keystone
def test_register_keystone_script_against_a_real_keystone(keystone: KeystoneCloud) -> None:
    """scripts/register-keystone makes the service, the three endpoints of a new region and
    the service user; run again it changes only what differs."""
    admin = keystone.accounts["admin"]
    env = {**subprocess_env(), **admin.os_env(), "OPENSTACK": str(VENV_BIN / "openstack")}
    region = "RegionOps"
    public, internal = "https://127.0.0.1:19511/v1", "http://127.0.0.1:19512/v1"

    def register(*extra: str) -> str:
        done = subprocess.run(
            [str(ROOT / "scripts" / "register-keystone"), "--public-url", public,
             "--internal-url", internal, "--region", region, "--user", "dockyard-ops",
             "--password", "ops-secret", *extra],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = register()
    assert f"region {region}: created" in first
    assert "service container-infra: exists" in first  # the harness registered it already
    for line in (f"endpoint public {public}: created", f"endpoint internal {internal}: created",
                 f"endpoint admin {public}: created", "user dockyard-ops: created"):  # fmt: skip
        assert line in first, first

    # A user's token finds Dockyard in the new region, as `openstack coe` would.
    alice = keystone.accounts["alice"].session()
    found = alice.get_endpoint(
        service_type="container-infra", interface="public", region_name=region
    )
    assert found == public
    # The service user logs in with its role on the service project.
    service_user = ks_session.Session(
        auth=v3.Password(auth_url=keystone.url, username="dockyard-ops", password="ops-secret",
                         project_name="service", user_domain_name="Default",
                         project_domain_name="Default")
    )  # fmt: skip
    assert service_user.get_token()

    # Again, with a new internal URL: that endpoint is updated, nothing is duplicated.
    internal = "http://127.0.0.1:19513/v1"
    again = register()
    assert f"endpoint internal {internal}: updated" in again
    assert f"endpoint public {public}: exists" in again
    listed = subprocess.run(
        [str(VENV_BIN / "openstack"), "endpoint", "list", "--service", "container-infra",
         "--region", region, "-f", "value", "-c", "Interface", "-c", "URL"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    ).stdout.split("\n")  # fmt: skip
    assert sorted(line for line in listed if line) == sorted(
        [f"public {public}", f"internal {internal}", f"admin {public}"]
    )


# -- backup and restore ---------------------------------------------------------------------
def _csr() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "restored-admin")])
    request = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return request.public_bytes(serialization.Encoding.PEM).decode()


def _deployment(tmp_path: Path, name: str, database: str, state: Path) -> Server:
    sections: dict[str, dict[str, Any]] = {
        "DEFAULT": {"state_path": str(state)},
        "database": {"connection": database},
    }
    return start_server(tmp_path / name, sections=sections)


@require_host("postgres", "pg_dump")
def test_backup_then_restore_keeps_the_cluster_and_needs_the_key(
    tmp_path: Path, postgres_url: str
) -> None:
    dbname = postgres_url.rsplit("/", 1)[1]
    state = tmp_path / "state"
    for sub in ("run1", "run2", "run3"):
        (tmp_path / sub).mkdir()
    server = _deployment(tmp_path, "run1", postgres_url, state)
    try:
        with httpx.Client(base_url=server.url, headers=LATEST, timeout=10) as http:
            body = {"name": "kept", "coe": "kubernetes", "image_id": "fedora-atomic-latest"}
            assert http.post("/v1/clustertemplates", json=body).status_code == 201
            cluster_body = {"name": "survivor", "cluster_template_id": "kept"}
            uuid = http.post("/v1/clusters", json=cluster_body).json()["uuid"]
            wait_until(lambda: http.get(f"/v1/clusters/{uuid}").json()["status"], 30,
                       "CREATE_COMPLETE", until=lambda s: s == "CREATE_COMPLETE")  # fmt: skip
            ca_pem = http.get(f"/v1/certificates/{uuid}").json()["pem"]
        # The backup, taken while the deployment runs: the dump and the key file.
        dump = tmp_path / "dockyard.dump"
        subprocess.run(["pg_dump", "-Fc", "-h", "127.0.0.1", "-U", "postgres", "-d", dbname,
                        "-f", str(dump)], check=True, timeout=120)  # fmt: skip
        key_backup = tmp_path / "certificates.key"
        shutil.copy2(state / "certificates.key", key_backup)
    finally:
        server.stop()

    # Disaster: the database and the state directory are gone.
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {dbname} WITH (FORCE)")
    shutil.rmtree(state)

    def restore() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {dbname}")
        subprocess.run(["pg_restore", "--no-owner", "-h", "127.0.0.1", "-U", "postgres",
                        "-d", dbname, str(dump)], check=True, timeout=120)  # fmt: skip

    sign = {"cluster_uuid": uuid, "csr": _csr()}
    try:
        # Restored without the key: the cluster is there, its CA key cannot be used.
        restore()
        server = _deployment(tmp_path, "run2", postgres_url, state)
        try:
            with httpx.Client(base_url=server.url, headers=LATEST, timeout=10) as http:
                assert http.get(f"/v1/clusters/{uuid}").json()["status"] == "CREATE_COMPLETE"
                refused = http.post("/v1/certificates", json=sign)
                assert refused.status_code >= 400
                assert "cannot be decrypted" in refused.json()["errors"][0]["detail"]
        finally:
            server.stop()

        # Restored with the key: the same cluster, and its CA signs a new client certificate.
        restore()
        shutil.rmtree(state)
        state.mkdir()
        shutil.copy2(key_backup, state / "certificates.key")
        server = _deployment(tmp_path, "run3", postgres_url, state)
        try:
            with httpx.Client(base_url=server.url, headers=LATEST, timeout=10) as http:
                cluster = http.get(f"/v1/clusters/{uuid}").json()
                assert (cluster["name"], cluster["status"]) == ("survivor", "CREATE_COMPLETE")
                assert http.get(f"/v1/certificates/{uuid}").json()["pem"] == ca_pem
                signed = http.post("/v1/certificates", json=sign)
                assert signed.status_code == 201, signed.text
                cert = x509.load_pem_x509_certificate(signed.json()["pem"].encode())
                cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem.encode()))
        finally:
            server.stop()
    finally:
        engine.dispose()
