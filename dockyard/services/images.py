"""Image lookup: the image a template names must exist and carry `os_distro`.

Standalone mode reads Dockyard's own small catalog (a JSON file); with `[openstack] lookups`
images are looked up in Glance instead (services/openstack_checks.py).
"""

from __future__ import annotations

import json
import os
from typing import Protocol

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.domain.images import Image
from dockyard.services.policy import PolicyEnforcer

SHIPPED_CATALOG = os.path.join(os.path.dirname(__file__), "..", "images", "catalog.json")


class ImageCatalog:
    """Images by id or name, loaded once from a JSON list."""

    def __init__(self, path: str | None = None) -> None:
        with open(path or SHIPPED_CATALOG, encoding="utf-8") as handle:
            entries = json.load(handle)
        self.images = [
            Image(e["id"], e["name"], e.get("os_distro"), e.get("properties", {})) for e in entries
        ]

    def resolve(self, ident: str) -> Image:
        """The image whose id or name is `ident`, which must carry os_distro."""
        by_id = [i for i in self.images if i.id == ident]
        matches = by_id or [i for i in self.images if i.name == ident]
        if not matches:
            raise exceptions.ImageNotFound(image_id=ident)
        if len(matches) > 1:
            raise exceptions.Conflict(
                f"Multiple images exist with same name {ident}. Please use the image id instead."
            )
        image = matches[0]
        if not image.os_distro:
            raise exceptions.OSDistroFieldNotFound(image_id=ident)
        return image


class CatalogSources(Protocol):
    """What listing reads: the policy, the catalog, and whether Glance is asked instead."""

    @property
    def policy(self) -> PolicyEnforcer: ...
    @property
    def images(self) -> ImageCatalog: ...
    @property
    def openstack(self) -> object | None: ...


def list_images(rt: CatalogSources, ctx: RequestContext) -> list[Image] | None:
    """The catalog's images, or None when images are looked up in Glance instead
    (`[openstack] lookups`), which Dockyard does not list."""
    rt.policy.authorize(ctx, "image:get_all")
    if rt.openstack is not None:
        return None
    return list(rt.images.images)
