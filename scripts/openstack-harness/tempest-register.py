"""Register Dockyard in the harness Keystone for a tempest run (run with the Keystone venv's
python, which has keystoneauth1 and psycopg2).

    tempest-register.py KEYSTONE_URL ADMIN_PASSWORD DOCKYARD_PASSWORD DOCKYARD_URL

Idempotent: role `service` (created when Keystone's bootstrap has none), project `service`,
user `dockyard` with role `service` on it (keystonemiddleware validates tokens with it:
Keystone lets the service role validate other users' tokens), and service `magnum` (type
`container-infra`) with public, internal and admin endpoints at DOCKYARD_URL.
"""

from __future__ import annotations

import sys

from identity import Identity


def main() -> None:
    keystone_url, admin_password, password, dockyard_url = sys.argv[1:5]
    ks = Identity(keystone_url, admin_password)
    found = ks.find("roles", name="service")
    role = found[0]["id"] if found else ks.create("roles", {"name": "service"})["id"]
    project = ks.ensure("projects", "service")
    user = ks.ensure("users", "dockyard", password=password)
    ks.api.patch(f"/users/{user}", json={"user": {"password": password}})
    ks.api.put(f"/projects/{project}/users/{user}/roles/{role}")
    ks.service("magnum", "container-infra", dockyard_url)
    print(f"tempest-register: container-infra at {dockyard_url}")


if __name__ == "__main__":
    main()
