"""A real Keystone for tests: started and stopped by scripts/openstack-harness, seeded over
its REST API with keystoneauth1 (no Keystone code runs in the test process).

`KeystoneServer.start(run_dir)` runs `keystone-up` (installs Keystone 30.0.0 into a cached
venv the first time, then configures, bootstraps and serves it under uWSGI).
`KeystoneCloud.seed(server, dockyard_port)` creates the projects, users and role assignments
the tests use and registers Dockyard in the catalog as `container-infra`.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keystoneauth1 import adapter, session
from keystoneauth1.identity import v3

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "openstack-harness"
REGION = "RegionOne"
DOMAIN = "Default"


@dataclass(frozen=True)
class Account:
    """A Keystone user with one role on one project, and the password to log in with."""

    username: str
    password: str
    project_name: str
    user_id: str
    project_id: str
    auth_url: str

    def os_env(self) -> dict[str, str]:
        """OS_* variables for the `openstack` client: password login, catalog lookup."""
        return {
            "OS_AUTH_URL": self.auth_url,
            "OS_IDENTITY_API_VERSION": "3",
            "OS_USERNAME": self.username,
            "OS_PASSWORD": self.password,
            "OS_PROJECT_NAME": self.project_name,
            "OS_USER_DOMAIN_NAME": DOMAIN,
            "OS_PROJECT_DOMAIN_NAME": DOMAIN,
            "OS_REGION_NAME": REGION,
            "OS_INTERFACE": "public",
        }

    def session(self) -> session.Session:
        auth = v3.Password(
            auth_url=self.auth_url,
            username=self.username,
            password=self.password,
            project_name=self.project_name,
            user_domain_name=DOMAIN,
            project_domain_name=DOMAIN,
        )
        return session.Session(auth=auth)

    def token(self) -> str:
        """A new project-scoped token."""
        token = self.session().get_token()
        assert token
        return str(token)


@dataclass
class KeystoneServer:
    """One running Keystone (uWSGI) started by scripts/openstack-harness/keystone-up."""

    run_dir: Path
    env: dict[str, str]
    seconds_to_start: float

    @property
    def url(self) -> str:
        return self.env["KEYSTONE_URL"]

    @property
    def log(self) -> Path:
        return Path(self.env["KEYSTONE_LOG"])

    @classmethod
    def start(cls, run_dir: Path, timeout: float = 900) -> KeystoneServer:
        """Run keystone-up in `run_dir` (the first run on a machine also installs Keystone)."""
        started = time.monotonic()
        proc = subprocess.run(
            [str(SCRIPTS / "keystone-up"), str(run_dir)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_script_env(),
        )
        if proc.returncode != 0:
            raise RuntimeError(f"keystone-up failed ({proc.returncode}):\n{proc.stderr}")
        env = dict(
            line.split("=", 1)
            for line in (run_dir / "keystone.env").read_text().splitlines()
            if "=" in line
        )
        return cls(run_dir, env, time.monotonic() - started)

    def stop(self) -> None:
        subprocess.run(
            [str(SCRIPTS / "keystone-down"), str(self.run_dir)],
            capture_output=True,
            timeout=60,
            env=_script_env(),
            check=False,
        )

    def admin(self) -> Account:
        return Account(
            "admin",
            self.env["KEYSTONE_ADMIN_PASSWORD"],
            "admin",
            user_id="",
            project_id="",
            auth_url=self.url,
        )


def _script_env() -> dict[str, str]:
    """The harness scripts must not see the caller's OS_* cloud settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OS_")}


@dataclass
class KeystoneCloud:
    """A seeded Keystone: projects A and B, their users, the admin, and Dockyard's catalog entry.

    Accounts: `admin` (admin on project admin), `alice` (member of A), `rita` (reader of A),
    `bob` (member of B). The service user `dockyard` has the `service` role on project
    `service`, which Keystone's policy needs to validate other users' tokens.
    """

    server: KeystoneServer
    dockyard_port: int
    accounts: dict[str, Account] = field(default_factory=dict)
    service_user: dict[str, str] = field(default_factory=dict)
    seconds_to_seed: float = 0.0

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def dockyard_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.dockyard_port}/v1"

    def identity(self) -> _IdentityApi:
        """Keystone's admin API (as the bootstrap admin), for registering services."""
        admin = adapter.Adapter(
            self.server.admin().session(),
            service_type="identity",
            interface="public",
            region_name=REGION,
        )
        return _IdentityApi(admin)

    def dockyard_authtoken_options(self) -> dict[str, str]:
        """Dockyard's [keystone_authtoken] section for this cloud."""
        return {
            "www_authenticate_uri": self.url,
            "auth_url": self.url,
            "auth_type": "password",
            "username": self.service_user["username"],
            "password": self.service_user["password"],
            "project_name": "service",
            "user_domain_name": DOMAIN,
            "project_domain_name": DOMAIN,
            "region_name": REGION,
        }

    @classmethod
    def seed(cls, server: KeystoneServer, dockyard_port: int) -> KeystoneCloud:
        started = time.monotonic()
        admin = server.admin()
        identity = adapter.Adapter(
            admin.session(), service_type="identity", interface="public", region_name=REGION
        )
        api = _IdentityApi(identity)
        roles = {name: api.role_id(name) for name in ("admin", "member", "reader", "service")}
        cloud = cls(server, dockyard_port)
        admin_project = api.ensure("projects", "admin")
        cloud.accounts["admin"] = Account(
            "admin",
            admin.password,
            "admin",
            api.ensure("users", "admin"),
            admin_project,
            server.url,
        )
        plan = [
            ("alice", "project-a", "member"),
            ("rita", "project-a", "reader"),
            ("bob", "project-b", "member"),
            ("dockyard", "service", "service"),
        ]
        for username, project_name, role in plan:
            password = f"{username}-secret"
            project_id = api.ensure("projects", project_name)
            user_id = api.ensure("users", username, password=password)
            api.grant(project_id, user_id, roles[role])
            account = Account(username, password, project_name, user_id, project_id, server.url)
            if username == "dockyard":
                cloud.service_user = {"username": username, "password": password}
            else:
                cloud.accounts[username] = account
        api.register_service("container-infra", "magnum", cloud.dockyard_endpoint)
        cloud.seconds_to_seed = time.monotonic() - started
        return cloud


class _IdentityApi:
    """The few Keystone v3 admin calls seeding needs, each safe to repeat."""

    def __init__(self, identity: adapter.Adapter) -> None:
        self.api = identity

    def _get(self, path: str, **params: str) -> Any:
        return self.api.get(path, params=params).json()

    def role_id(self, name: str) -> str:
        found = self._get("/roles", name=name)["roles"]
        if found:
            return str(found[0]["id"])
        created = self.api.post("/roles", json={"role": {"name": name}}).json()
        return str(created["role"]["id"])

    def ensure(self, kind: str, name: str, **extra: str) -> str:
        """The id of project/user `name` in the default domain, created when missing."""
        found = self._get(f"/{kind}", name=name, domain_id="default")[kind]
        if found:
            return str(found[0]["id"])
        singular = kind[:-1]
        body = {singular: {"name": name, "domain_id": "default", **extra}}
        return str(self.api.post(f"/{kind}", json=body).json()[singular]["id"])

    def grant(self, project_id: str, user_id: str, role_id: str) -> None:
        self.api.put(f"/projects/{project_id}/users/{user_id}/roles/{role_id}")

    def register_service(self, service_type: str, name: str, url: str) -> None:
        """Service `service_type` with public, internal and admin endpoints at `url`."""
        services = self._get("/services", type=service_type)["services"]
        if services:
            service_id = services[0]["id"]
        else:
            body = {"service": {"type": service_type, "name": name, "enabled": True}}
            service_id = self.api.post("/services", json=body).json()["service"]["id"]
        existing = self._get("/endpoints", service_id=service_id)["endpoints"]
        for endpoint in existing:
            self.api.delete(f"/endpoints/{endpoint['id']}")
        for interface in ("public", "internal", "admin"):
            endpoint = {
                "service_id": service_id,
                "interface": interface,
                "url": url,
                "region_id": REGION,
                "enabled": True,
            }
            self.api.post("/endpoints", json={"endpoint": endpoint})
