"""Cluster template rules: defaults, COE tables, image and driver resolution, visibility, use."""

from __future__ import annotations

import ipaddress
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.db.models import ClusterTemplate
from dockyard.db.repositories import templates as repo
from dockyard.db.repositories.pagination import Page
from dockyard.domain import coe as coe_rules
from dockyard.notifications import clusters as notify
from dockyard.services import names, openstack_checks
from dockyard.services.runtime import Runtime

# Changes allowed on a template that clusters use: exactly one of these (Magnum's rule).
_ALLOWED_WHEN_REFERENCED = ("name", "public", "hidden", "tags")
_NAMED_USERS = 10  # clusters named in an in-use 409; the rest are counted

DEFAULTS: dict[str, Any] = {
    "server_type": "vm",
    "registry_enabled": False,
    "tls_disabled": False,
    "public": False,
    "hidden": False,
    # The guide: "The default is 'true', i.e. to create the load balancer" (docs/api.md).
    "master_lb_enabled": True,
    "floating_ip_enabled": True,
    "labels": {},
}


def _scope(ctx: RequestContext) -> str | None:
    return None if ctx.is_admin else ctx.project_id


def _check_dns(value: str | None) -> None:
    if not value:
        return
    try:
        for part in value.split(","):
            ipaddress.IPv4Address(part.strip())
    except ValueError:
        raise exceptions.InvalidParameterValue(
            f"Expected a single dns address or comma separated dns list, got {value!r}."
        ) from None


def _resolve(rt: Runtime, ctx: RequestContext, values: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults and check every rule; the OpenStack resources (image, flavors,
    networks) as the requester sees them."""
    coe = values["coe"]
    coe_rules.check_coe(coe)
    coe_rules.check_server_type(coe, values["server_type"])
    values["network_driver"] = coe_rules.resolve_network_driver(coe, values.get("network_driver"))
    values["volume_driver"] = coe_rules.resolve_volume_driver(coe, values.get("volume_driver"))
    coe_rules.check_docker_storage_driver(values.get("docker_storage_driver"))
    coe_rules.check_docker_volume_size(
        values.get("docker_storage_driver"), values.get("docker_volume_size")
    )
    _check_dns(values.get("dns_nameserver"))
    image = openstack_checks.resolve_image(rt, ctx, values["image_id"])
    values["cluster_distro"] = image.os_distro
    driver = rt.drivers.select(
        values["server_type"],
        image.os_distro or "",
        coe,
        values.get("driver") or image.properties.get("dockyard_driver"),
        template=values,
    )
    values["driver"] = driver.name
    values["labels"] = driver.validate_labels(coe, values.get("labels") or {})
    openstack_checks.check_template(rt, ctx, values)
    return values


def fields(template: ClusterTemplate) -> dict[str, Any]:
    """The template's columns as a plain mapping (what drivers are shown)."""
    return {col.key: getattr(template, col.key) for col in template.__table__.columns}


def _authorize_publish(rt: Runtime, ctx: RequestContext, values: dict[str, Any]) -> None:
    if (values.get("public") or values.get("hidden")) and not rt.policy.check(
        ctx, "clustertemplate:publish"
    ):
        raise exceptions.NotAuthorized(
            "Not authorized to set public or hidden flag for cluster template."
        )


def create(rt: Runtime, ctx: RequestContext, body: dict[str, Any]) -> ClusterTemplate:
    """Validate and store a new template (201)."""
    rt.policy.authorize(ctx, "clustertemplate:create")
    values = {**DEFAULTS, **{k: v for k, v in body.items() if v is not None}}
    values = _resolve(rt, ctx, values)
    _authorize_publish(rt, ctx, values)
    values.setdefault("name", names.generate("template"))
    values["uuid"] = str(values.get("uuid") or uuidlib.uuid4())
    values["project_id"] = ctx.project_id
    values["user_id"] = ctx.user_id
    with rt.db.write() as session:
        template = repo.add(session, values)
    notify.template_event(rt.notifier, "create", template, ctx.user_id, ctx.project_id)
    return template


def get(rt: Runtime, ctx: RequestContext, ident: str) -> ClusterTemplate:
    with rt.db.read() as session:
        template = repo.get(session, ident, _scope(ctx))
    if not template.public:
        rt.policy.authorize(ctx, "clustertemplate:get", _target(template))
    return template


def get_for_cluster(rt: Runtime, ctx: RequestContext, ident: str) -> ClusterTemplate:
    """The template a new cluster names; hidden templates are for admins only."""
    template = get(rt, ctx, ident)
    if template.hidden and not ctx.is_admin:
        raise exceptions.NotAuthorized(
            f"Not authorized to use hidden ClusterTemplate {template.uuid}."
        )
    return template


def list_templates(rt: Runtime, ctx: RequestContext, page: Page) -> list[ClusterTemplate]:
    rt.policy.authorize(ctx, "clustertemplate:get_all")
    with rt.db.read() as session:
        return repo.list_page(session, _scope(ctx), page)


def _target(template: ClusterTemplate) -> dict[str, Any]:
    return {"project_id": template.project_id, "user_id": template.user_id}


def update(
    rt: Runtime,
    ctx: RequestContext,
    ident: str,
    compute_changes: Callable[[ClusterTemplate], dict[str, Any]],
) -> ClusterTemplate:
    """Apply the changes (field -> new value) that `compute_changes` derives from the locked,
    current template (a JSON patch): read, modify and write are one transaction, so concurrent
    patches apply one after the other and none is lost (200)."""
    with rt.db.write() as session:
        found = repo.get(session, ident, _scope(ctx))
        rt.policy.authorize(ctx, "clustertemplate:update", _target(found))
        template = repo.lock_for_change(session, found.uuid)
        changes = compute_changes(template)
        if not changes:
            return template
        if repo.is_referenced(session, template.uuid) and not _allowed_in_use(changes):
            raise _referenced(
                session,
                ctx,
                template,
                "While it is in use, only one of name, public, hidden or tags may change "
                "per request.",
            )
        current = fields(template)
        values = _resolve(rt, ctx, {**current, **changes})
        if "public" in changes or "hidden" in changes:
            _authorize_publish(rt, ctx, changes)
        for key, value in values.items():
            if key in current and current[key] != value:
                setattr(template, key, value)
        session.flush()
    notify.template_event(rt.notifier, "update", template, ctx.user_id, ctx.project_id)
    return template


def _referenced(
    session: Any, ctx: RequestContext, template: ClusterTemplate, advice: str
) -> exceptions.ClusterTemplateReferenced:
    """The in-use 409, naming the clusters the caller may see and counting the others."""
    users = repo.referencing_clusters(session, template.uuid)
    named = [name for name, project in users if ctx.is_admin or project == ctx.project_id]
    others = len(users) - len(named)
    parts = [", ".join(named[:_NAMED_USERS])] if named else []
    if len(named) > _NAMED_USERS:
        parts.append(f"{len(named) - _NAMED_USERS} more")
    if others:
        parts.append(f"{others} cluster{'s' if others > 1 else ''} of other projects")
    listed = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    return exceptions.ClusterTemplateReferenced(
        clustertemplate=template.uuid, users=f"In use by {listed}. {advice}"
    )


def _allowed_in_use(changes: dict[str, Any]) -> bool:
    if len(changes) != 1:
        return False
    ((key, value),) = changes.items()
    if key == "public":
        return value is True
    if key == "tags":
        return value is not None
    return key in _ALLOWED_WHEN_REFERENCED


def delete(rt: Runtime, ctx: RequestContext, ident: str) -> None:
    with rt.db.write() as session:
        found = repo.get(session, ident, _scope(ctx))
        rt.policy.authorize(ctx, "clustertemplate:delete", _target(found))
        # Clusters being created lock the template for use; this waits for them and then
        # counts them (repositories.templates.lock_for_use).
        template = repo.lock_for_change(session, found.uuid)
        if repo.is_referenced(session, template.uuid):
            raise _referenced(session, ctx, template, "Delete those clusters first.")
        repo.delete(session, template)
    notify.template_event(rt.notifier, "delete", template, ctx.user_id, ctx.project_id)
