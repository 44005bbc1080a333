"""Keystone v3 admin calls shared by the harness's registration scripts (heat-register.py,
glance-register.py); run with a service venv's python, which has keystoneauth1."""

from __future__ import annotations

from typing import Any

from keystoneauth1 import adapter, session
from keystoneauth1.identity import v3

REGION = "RegionOne"


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

    def service(self, name: str, service_type: str, url: str, replace: bool = True) -> None:
        """Service `service_type` with exactly three endpoints at `url`; with `replace` False,
        endpoints that already exist (a real service registered first) are left alone."""
        found = self.find("services", type=service_type)
        service_id = (
            found[0]["id"]
            if found
            else self.create("services", {"name": name, "type": service_type})["id"]
        )
        endpoints = self.find("endpoints", service_id=service_id)
        if endpoints and not replace:
            return
        if {e["url"] for e in endpoints} == {url} and len(endpoints) == 3:
            return
        for endpoint in endpoints:
            self.api.delete(f"/endpoints/{endpoint['id']}")
        for interface in ("public", "internal", "admin"):
            body = {"service_id": service_id, "interface": interface, "url": url}
            self.create("endpoints", {**body, "region_id": REGION})
