"""Register Heat in the harness Keystone, in one process (run with the Heat venv's python).

    heat-register.py KEYSTONE_URL ADMIN_PASSWORD HEAT_PASSWORD HEAT_URL

Idempotent. Creates or updates:
- project `service` and user `heat` with role `admin` on it (keystonemiddleware and trustee);
- service `heat` (type `orchestration`) with public, internal and admin endpoints at
  HEAT_URL/v1/%(tenant_id)s (an existing endpoint set is replaced: the port changes per run);
- dummy catalog entries for compute, volumev3, block-storage, image, network and
  load-balancer, all pointing at http://127.0.0.1:9 (the discard port, where nothing listens).
  With them Heat validates OS::Nova::*, OS::Cinder::*, OS::Neutron::* and OS::Octavia::*
  resources fully; template validation makes no call to them (shared/reference/
  openstack-local.md, section 3a). Stack create with those types needs stand-ins.
No stack domain and no `heat_stack_user` role: Dockyard's templates use no wait conditions or
signals, and trusts alone are enough for create, update and delete (the reference's
"trusts-only" row).
"""

from __future__ import annotations

import sys
from typing import Any

from keystoneauth1 import adapter, session
from keystoneauth1.identity import v3

REGION = "RegionOne"
DUMMY = "http://127.0.0.1:9"
DUMMY_SERVICES = [
    ("nova", "compute", "/v2.1"),
    ("cinderv3", "volumev3", "/v3/%(tenant_id)s"),
    ("cinder", "block-storage", "/v3/%(tenant_id)s"),
    ("glance", "image", ""),
    ("neutron", "network", ""),
    ("octavia", "load-balancer", ""),
]


class Identity:
    """The few Keystone v3 admin calls registration needs."""

    def __init__(self, url: str, admin_password: str) -> None:
        auth = v3.Password(
            auth_url=url,
            username="admin",
            password=admin_password,
            project_name="admin",
            user_domain_name="Default",
            project_domain_name="Default",
        )
        self.api = adapter.Adapter(
            session.Session(auth=auth),
            service_type="identity",
            interface="public",
            region_name=REGION,
        )

    def find(self, kind: str, **params: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.api.get(f"/{kind}", params=params).json()[kind]
        return found

    def create(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        singular = kind[:-1]
        created: dict[str, Any] = self.api.post(f"/{kind}", json={singular: body}).json()[singular]
        return created

    def ensure(self, kind: str, name: str, **extra: Any) -> str:
        found = self.find(kind, name=name, domain_id="default")
        if found:
            return str(found[0]["id"])
        return str(self.create(kind, {"name": name, "domain_id": "default", **extra})["id"])

    def service(self, name: str, service_type: str, url: str) -> None:
        """Service `service_type` with exactly three endpoints at `url`."""
        found = self.find("services", type=service_type)
        service_id = (
            found[0]["id"]
            if found
            else self.create("services", {"name": name, "type": service_type})["id"]
        )
        endpoints = self.find("endpoints", service_id=service_id)
        if {e["url"] for e in endpoints} == {url} and len(endpoints) == 3:
            return
        for endpoint in endpoints:
            self.api.delete(f"/endpoints/{endpoint['id']}")
        for interface in ("public", "internal", "admin"):
            body = {"service_id": service_id, "interface": interface, "url": url}
            self.create("endpoints", {**body, "region_id": REGION})


def main() -> None:
    keystone_url, admin_password, heat_password, heat_url = sys.argv[1:5]
    ks = Identity(keystone_url, admin_password)
    admin_role = ks.find("roles", name="admin")[0]["id"]
    project = ks.ensure("projects", "service")
    user = ks.ensure("users", "heat", password=heat_password)
    ks.api.patch(f"/users/{user}", json={"user": {"password": heat_password}})
    ks.api.put(f"/projects/{project}/users/{user}/roles/{admin_role}")
    ks.service("heat", "orchestration", f"{heat_url}/v1/%(tenant_id)s")
    for name, service_type, path in DUMMY_SERVICES:
        ks.service(name, service_type, DUMMY + path)
    print("heat-register: heat and dummy compute/volume/image/network/load-balancer entries")


if __name__ == "__main__":
    main()
