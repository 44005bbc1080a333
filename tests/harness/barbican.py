"""A real Barbican for tests: started and stopped by scripts/openstack-harness (barbican-up,
barbican-down), validating tokens with the harness's real Keystone.

`BarbicanServer.start(run_dir, keystone)` runs `barbican-up` (installs Barbican 23.0.0 into a
cached venv the first time) against `keystone.server`, registers it in Keystone's catalog as
`key-manager`, and gives Dockyard's service user the `member` role on its `service` project,
which Barbican's default policy asks for to create secrets and containers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from keystoneauth1 import adapter

from harness.keystone import DOMAIN, REGION, KeystoneCloud, _IdentityApi
from harness.scripts import bring_down, bring_up


@dataclass
class BarbicanServer:
    """One running Barbican (uWSGI) started by scripts/openstack-harness/barbican-up."""

    run_dir: Path
    env: dict[str, str]
    seconds_to_start: float
    keystone: KeystoneCloud

    @property
    def url(self) -> str:
        return self.env["BARBICAN_URL"]

    @classmethod
    def start(cls, run_dir: Path, keystone: KeystoneCloud, timeout: float = 900) -> BarbicanServer:
        started = time.monotonic()
        values = bring_up(
            "barbican", run_dir, {"KEYSTONE_ENV": str(keystone.server.run_dir / "keystone.env")},
            timeout,
        )  # fmt: skip
        server = cls(run_dir, values, time.monotonic() - started, keystone)
        server._register()
        return server

    def _register(self) -> None:
        identity = adapter.Adapter(
            self.keystone.server.admin().session(),
            service_type="identity",
            interface="public",
            region_name=REGION,
        )
        api = _IdentityApi(identity)
        api.register_service("key-manager", "barbican", self.url)
        project = api.ensure("projects", "service")
        user = api.ensure("users", self.keystone.service_user["username"])
        api.grant(project, user, api.role_id("member"))

    def stop(self) -> None:
        bring_down("barbican", self.run_dir)

    def dockyard_sections(self) -> dict[str, dict[str, str]]:
        """Dockyard's configuration for `cert_manager_type = barbican` with this Barbican:
        the service user's credentials, the endpoint from the catalog."""
        return {
            "certificates": {"cert_manager_type": "barbican"},
            "keystone_authtoken": self.keystone.dockyard_authtoken_options(),
            "barbican_client": {"region_name": REGION, "endpoint_type": "public"},
        }

    def service_client(self) -> object:
        """A barbicanclient as Dockyard's service user (to look at what Dockyard stored)."""
        from barbicanclient import client as barbican
        from keystoneauth1 import session
        from keystoneauth1.identity import v3

        user = self.keystone.service_user
        auth = v3.Password(
            auth_url=self.keystone.url,
            username=user["username"],
            password=user["password"],
            project_name="service",
            user_domain_name=DOMAIN,
            project_domain_name=DOMAIN,
        )
        return barbican.Client(session=session.Session(auth=auth), region_name=REGION)
