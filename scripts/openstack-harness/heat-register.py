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

from identity import Identity

DUMMY = "http://127.0.0.1:9"
DUMMY_SERVICES = [
    ("nova", "compute", "/v2.1"),
    ("cinderv3", "volumev3", "/v3/%(tenant_id)s"),
    ("cinder", "block-storage", "/v3/%(tenant_id)s"),
    ("glance", "image", ""),
    ("neutron", "network", ""),
    ("octavia", "load-balancer", ""),
]


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
        # A real service registered before (the tests' Glance) keeps its endpoints.
        ks.service(name, service_type, DUMMY + path, replace=False)
    print("heat-register: heat and dummy compute/volume/image/network/load-balancer entries")


if __name__ == "__main__":
    main()
