"""The rest of the cloud a tempest run needs beside Keystone and Glance (run with the
project's .venv python: keystoneauth1 and openstacksdk).

    tempest-cloud.py KEYSTONE_URL ADMIN_PASSWORD READY_FILE

- the image `dockyard-node` in Glance (public, `os_distro = dockyard-node`: the local
  Kubernetes driver's image, so `[openstack] lookups` selects k8s_local for it);
- the STAND-IN for Nova and Neutron of tests/harness/nova_neutron_standin.py (read-only GETs:
  flavors m1.small and m1.medium, the external network `public`), registered in the catalog
  as `compute` and `network`. Magnum checks these at template and cluster create, and so does
  Dockyard with lookups on; nothing runs servers or networks behind them (the local drivers
  build the nodes).

Writes READY_FILE when all is in place, then serves until SIGTERM.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import openstack
from keystoneauth1 import session
from keystoneauth1.identity import v3

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tests"), str(Path(__file__).resolve().parent)]

from harness.nova_neutron_standin import CloudData, NovaNeutronStandIn  # noqa: E402
from identity import Identity  # noqa: E402

IMAGE = "dockyard-node"


def cloud_data() -> CloudData:
    return CloudData(
        flavors=[
            {"id": "1", "name": "m1.small", "vcpus": 1, "ram": 2048, "disk": 20},
            {"id": "2", "name": "m1.medium", "vcpus": 2, "ram": 4096, "disk": 40},
        ],
        networks=[
            {"id": "8a0d8f1e-4b52-4d67-9d1e-5f00000000e1", "name": "public",
             "router:external": True, "status": "ACTIVE", "subnets": []},
        ],
    )  # fmt: skip


def ensure_image(keystone_url: str, admin_password: str) -> None:
    auth = v3.Password(
        auth_url=keystone_url,
        username="admin",
        password=admin_password,
        project_name="admin",
        user_domain_name="Default",
        project_domain_name="Default",
    )
    conn = openstack.connection.Connection(
        session=session.Session(auth=auth), region_name="RegionOne"
    )
    if conn.image.find_image(IMAGE) is None:
        conn.image.create_image(
            name=IMAGE,
            os_distro=IMAGE,
            visibility="public",
            disk_format="raw",
            container_format="bare",
        )


def main() -> None:
    keystone_url, admin_password, ready = sys.argv[1:4]
    ensure_image(keystone_url, admin_password)
    standin = NovaNeutronStandIn.start(cloud_data())
    identity = Identity(keystone_url, admin_password)
    identity.service("nova", "compute", standin.compute_url)
    identity.service("neutron", "network", standin.network_url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Path(ready).write_text(f"{standin.compute_url}\n{standin.network_url}\n")
    signal.pause()


if __name__ == "__main__":
    main()
