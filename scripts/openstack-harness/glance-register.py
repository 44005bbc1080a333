"""Register Glance in the harness Keystone (run with the Glance venv's python).

    glance-register.py KEYSTONE_URL ADMIN_PASSWORD GLANCE_PASSWORD GLANCE_URL

Idempotent: user `glance` with role `admin` on project `service` (Glance's keystonemiddleware
validates tokens with it), and service `glance` (type `image`) with public, internal and admin
endpoints at GLANCE_URL, replacing any earlier ones (heat-register's dummy image entry).
"""

from __future__ import annotations

import sys

from identity import Identity


def main() -> None:
    keystone_url, admin_password, glance_password, glance_url = sys.argv[1:5]
    ks = Identity(keystone_url, admin_password)
    admin_role = ks.find("roles", name="admin")[0]["id"]
    project = ks.ensure("projects", "service")
    user = ks.ensure("users", "glance", password=glance_password)
    ks.api.patch(f"/users/{user}", json={"user": {"password": glance_password}})
    ks.api.put(f"/projects/{project}/users/{user}/roles/{admin_role}")
    ks.service("glance", "image", glance_url)
    print(f"glance-register: image service at {glance_url}")


if __name__ == "__main__":
    main()
