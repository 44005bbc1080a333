"""Policy defaults (Magnum §11), overrides, reloads, and the compiled fast path vs oslo."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from dockyard.common.context import RequestContext
from dockyard.common.exceptions import PolicyNotAuthorized
from dockyard.conf import load_config
from dockyard.services.policy import PolicyEnforcer
from dockyard.services.policy.rules import list_rules

PROJECT_A = "project-a"
PROJECT_B = "project-b"
ALICE = "alice"
BOB = "bob"


def _ctx(roles: tuple[str, ...], project: str = PROJECT_A, user: str = ALICE) -> RequestContext:
    return RequestContext(project_id=project, user_id=user, roles=roles)


# Keystone expands implied roles into the token: admin ⊃ member ⊃ reader.
MEMBER = _ctx(("member", "reader"))
READER = _ctx(("reader",))
ADMIN = _ctx(("admin", "member", "reader"))
NOBODY = _ctx(())


def _target(project: str = PROJECT_A, user: str = ALICE) -> dict[str, object]:
    return {"project_id": project, "user_id": user}


@pytest.fixture
def conf(tmp_path: Path) -> cfg.ConfigOpts:
    """A fresh config whose policy file is an absent file under tmp_path (defaults only)."""
    c = load_config([])
    c.set_override("policy_file", str(tmp_path / "policy.yaml"), group="oslo_policy")
    c.set_override("policy_dirs", [], group="oslo_policy")
    return c


@pytest.fixture
def enforcer(conf: cfg.ConfigOpts) -> PolicyEnforcer:
    return PolicyEnforcer(conf)


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    # Make the change visible to oslo's mtime cache even within one clock tick.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


# -- defaults -------------------------------------------------------------------------------
def test_member_may_create_and_get_in_own_project_only(enforcer: PolicyEnforcer) -> None:
    for rule in ("cluster:create", "cluster:get", "clustertemplate:create", "nodegroup:create"):
        assert enforcer.check(MEMBER, rule), rule
        assert enforcer.check(MEMBER, rule, _target(PROJECT_A)), rule
        assert not enforcer.check(MEMBER, rule, _target(PROJECT_B)), rule
    with pytest.raises(PolicyNotAuthorized) as err:
        enforcer.authorize(MEMBER, "cluster:create", _target(PROJECT_B))
    assert err.value.http_status == 403
    assert err.value.kwargs == {"action": "cluster:create"}
    assert "cluster:create" in str(err.value)


def test_reader_may_get_but_not_create(enforcer: PolicyEnforcer) -> None:
    for rule in ("cluster:get", "cluster:get_all", "cluster:detail", "stats:get_all", "quota:get"):
        enforcer.authorize(READER, rule)
    for rule in ("cluster:create", "cluster:delete", "cluster:update", "clustertemplate:create"):
        with pytest.raises(PolicyNotAuthorized):
            enforcer.authorize(READER, rule)
    assert not enforcer.check(READER, "cluster:get", _target(PROJECT_B))


def test_no_role_is_denied(enforcer: PolicyEnforcer) -> None:
    assert not enforcer.check(NOBODY, "cluster:get")
    assert not enforcer.check(NOBODY, "cluster:create")


def test_admin_allowed_everywhere(enforcer: PolicyEnforcer) -> None:
    for default in list_rules():
        if not isinstance(default, oslo_policy.DocumentedRuleDefault):
            continue
        if default.name == "credential:rotate":
            continue  # project member only, even for admins (below)
        assert enforcer.check(ADMIN, default.name, _target(PROJECT_B, BOB)), default.name
    assert enforcer.is_admin(PROJECT_A, ALICE, ("admin",))
    assert enforcer.is_admin("", "", ("Admin",))  # oslo role checks ignore case
    assert not enforcer.is_admin(PROJECT_A, ALICE, ("member", "reader"))
    assert not enforcer.is_admin(PROJECT_A, ALICE, ())


def test_credential_rotate_has_no_admin_clause(enforcer: PolicyEnforcer) -> None:
    assert enforcer.check(MEMBER, "credential:rotate")
    assert not enforcer.check(_ctx(("admin",)), "credential:rotate", _target(PROJECT_B))
    assert not enforcer.check(ADMIN, "credential:rotate", _target(PROJECT_B))


@pytest.mark.parametrize(
    "rule",
    [
        "clustertemplate:publish",
        "quota:get_all",
        "quota:create",
        "magnum-service:get_all",
        "cluster:get_all_all_projects",
        "cluster:delete_all_projects",
        "clustertemplate:update_all_projects",
        "nodegroup:get_one_all_projects",
    ],
)
def test_admin_only_rules(enforcer: PolicyEnforcer, rule: str) -> None:
    assert enforcer.check(ADMIN, rule)
    assert not enforcer.check(MEMBER, rule)
    assert not enforcer.check(READER, rule)
    with pytest.raises(PolicyNotAuthorized):
        enforcer.authorize(MEMBER, rule)


def test_certificate_create_needs_cluster_owner_unless_admin(enforcer: PolicyEnforcer) -> None:
    bobs_cluster = _target(PROJECT_A, BOB)
    assert enforcer.check(MEMBER, "certificate:create", _target(PROJECT_A, ALICE))
    assert not enforcer.check(MEMBER, "certificate:create", bobs_cluster)
    assert enforcer.check(ADMIN, "certificate:create", bobs_cluster)
    assert not enforcer.check(READER, "certificate:create", _target(PROJECT_A, ALICE))
    # certificate:get: reader who owns the cluster
    assert enforcer.check(READER, "certificate:get", _target(PROJECT_A, ALICE))
    assert not enforcer.check(READER, "certificate:get", bobs_cluster)


def test_update_health_status_needs_same_user(enforcer: PolicyEnforcer) -> None:
    assert enforcer.check(MEMBER, "cluster:update", _target(PROJECT_A, BOB))
    assert not enforcer.check(MEMBER, "cluster:update_health_status", _target(PROJECT_A, BOB))
    assert enforcer.check(MEMBER, "cluster:update_health_status", _target(PROJECT_A, ALICE))


def test_get_events_is_admin_or_project_reader(enforcer: PolicyEnforcer) -> None:
    assert enforcer.check(READER, "cluster:get_events")
    assert not enforcer.check(READER, "cluster:get_events", _target(PROJECT_B))
    assert enforcer.check(ADMIN, "cluster:get_events", _target(PROJECT_B))


def test_unregistered_rule_is_a_programming_error(enforcer: PolicyEnforcer) -> None:
    with pytest.raises(oslo_policy.PolicyNotRegistered):
        enforcer.check(ADMIN, "cluster:explode")


# -- rule catalogue ---------------------------------------------------------------------------
def _names(prefix: str, *actions: str) -> set[str]:
    return {f"{prefix}:{action}" for action in actions}


ALL_PROJECTS = ("get_all_all_projects", "detail_all_projects", "get_one_all_projects")
EXPECTED_RULES = (
    _names("cluster", "create", "delete", "update", "resize", "upgrade", "get", "get_all")
    | _names("cluster", "detail", "update_health_status", "get_events", *ALL_PROJECTS)
    | _names("cluster", "update_all_projects", "delete_all_projects", "upgrade_all_projects")
    | _names("clustertemplate", "create", "delete", "update", "get", "get_all", "detail")
    | _names("clustertemplate", "publish", "update_all_projects", "delete_all_projects")
    | _names("clustertemplate", *ALL_PROJECTS)
    | _names("certificate", "create", "get", "rotate_ca", "renew")
    | _names("credential", "rotate")
    | _names("nodegroup", "get", "get_all", "create", "update", "delete")
    | _names("nodegroup", "get_all_all_projects", "get_one_all_projects")
    | _names("quota", "create", "delete", "update", "get_all", "get")
    | _names("volume", "create", "get", "get_all", "update", "delete")
    | _names("container", "create", "create:host_mount", "get", "get_all", "start", "stop")
    | _names("container", "logs", "delete", "get_all_all_projects")
    | _names("stats", "get_all")
    | _names("image", "get_all")
    | _names("magnum-service", "get_all")
)


def test_catalogue_is_complete_and_documented() -> None:
    defaults = list_rules()
    names = [d.name for d in defaults]
    assert len(names) == len(set(names))
    documented = {d.name: d for d in defaults if isinstance(d, oslo_policy.DocumentedRuleDefault)}
    assert set(documented) == EXPECTED_RULES
    for name, default in documented.items():
        assert default.description, name
        assert default.operations, name
        assert all(op["path"].startswith("/v1/") for op in default.operations), name
    assert all(not d.scope_types for d in defaults)
    base = {d.name: d.check_str for d in defaults}
    assert base["context_is_admin"] == "role:admin"
    assert base["project_member"] == "role:member and project_id:%(project_id)s"
    assert base["project_reader"] == "role:reader and project_id:%(project_id)s"
    assert base["is_user"] == "user_id:%(user_id)s"


def test_entry_point_points_at_list_rules() -> None:
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group="oslo.policy.policies") if ep.name == "dockyard"]
    assert found, "dockyard's entry points are missing: install it (scripts/bootstrap-venv)"
    assert found[0].load() is list_rules


# -- overrides and reloads ----------------------------------------------------------------------
def test_override_file_changes_a_rule(conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    path = tmp_path / "override.yaml"
    _write(path, '"cluster:create": "!"\n"cluster:get": "@"\n')
    conf.set_override("policy_file", str(path), group="oslo_policy")
    enforcer = PolicyEnforcer(conf)
    for ctx in (ADMIN, MEMBER, READER):
        with pytest.raises(PolicyNotAuthorized):
            enforcer.authorize(ctx, "cluster:create")
    assert enforcer.check(NOBODY, "cluster:get", _target(PROJECT_B))
    assert enforcer.check(MEMBER, "cluster:delete")  # untouched rules keep their defaults


def test_override_of_a_base_rule_applies_to_every_rule_using_it(
    conf: cfg.ConfigOpts, tmp_path: Path
) -> None:
    path = tmp_path / "override.yaml"
    _write(path, '"context_is_admin": "role:cloud_admin"\n')
    conf.set_override("policy_file", str(path), group="oslo_policy")
    enforcer = PolicyEnforcer(conf)
    assert not enforcer.is_admin(PROJECT_A, ALICE, ("admin",))
    assert enforcer.is_admin(PROJECT_A, ALICE, ("cloud_admin",))
    assert enforcer.check(_ctx(("cloud_admin",)), "quota:get_all")
    assert not enforcer.check(_ctx(("admin",)), "quota:get_all")


def test_policy_file_change_is_picked_up(conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    path = tmp_path / "override.yaml"
    _write(path, "{}\n")
    conf.set_override("policy_file", str(path), group="oslo_policy")
    enforcer = PolicyEnforcer(conf, reload_interval=0)
    assert enforcer.check(MEMBER, "cluster:create")
    _write(path, '"cluster:create": "!"\n')
    assert not enforcer.check(MEMBER, "cluster:create")
    _write(path, "{}\n")
    assert enforcer.check(MEMBER, "cluster:create")


def test_without_interval_only_explicit_reload(conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    path = tmp_path / "override.yaml"
    _write(path, "{}\n")
    conf.set_override("policy_file", str(path), group="oslo_policy")
    enforcer = PolicyEnforcer(conf, reload_interval=None)
    _write(path, '"cluster:create": "!"\n')
    assert enforcer.check(MEMBER, "cluster:create")
    assert enforcer.reload() is True
    assert not enforcer.check(MEMBER, "cluster:create")
    assert enforcer.reload() is False


def test_broken_file_on_reload_keeps_previous_rules(conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    path = tmp_path / "override.yaml"
    _write(path, '"cluster:create": "!"\n')
    conf.set_override("policy_file", str(path), group="oslo_policy")
    enforcer = PolicyEnforcer(conf, reload_interval=0)
    _write(path, '"cluster:create": [unbalanced\n')
    assert not enforcer.check(MEMBER, "cluster:create")
    assert enforcer.check(MEMBER, "cluster:delete")


# -- compiled fast path == oslo ---------------------------------------------------------------
OVERRIDES = """
"cluster:create": "not role:reader"
"cluster:delete": "role:%(role_name)s or is_admin:True"
"cluster:update": "'project-a':%(project_id)s and (role:member or @)"
"cluster:resize": "rule:no_such_rule or user_id:%(user_id)s"
"cluster:upgrade": "True:%(enabled)s"
"cluster:get": "project_id:%(missing_key)s"
"cluster:detail": "user.name:%(user_id)s"
"cluster:get_all": "roles:reader"
"clustertemplate:create": "rule:admin_or_owner"
"clustertemplate:delete": "rule:admin_or_user and not rule:is_user"
"clustertemplate:update": ""
"quota:get": "!"
"""

ROLE_SETS = ((), ("reader",), ("member", "reader"), ("admin",), ("Member",))
CREDS_GRID: list[dict[str, Any]] = [
    {"project_id": p, "user_id": u, "roles": list(r), "is_admin": False, "domain_id": None}
    for p, u, r in itertools.product((PROJECT_A, PROJECT_B), (ALICE, BOB), ROLE_SETS)
] + [
    {"project_id": "", "user_id": "", "roles": [], "is_admin": False, "domain_id": None},
    {"project_id": PROJECT_B, "user_id": BOB, "roles": [], "is_admin": True, "domain_id": "d"},
    # nested credentials: "user.name:..." is left to oslo (the fallback path)
    {"project_id": PROJECT_A, "user_id": ALICE, "roles": [], "user": {"name": ALICE}},
]
TARGET_GRID: list[dict[str, Any]] = [
    _target(PROJECT_A, ALICE),
    _target(PROJECT_A, BOB),
    _target(PROJECT_B, ALICE),
    _target("", ""),
    {**_target(PROJECT_A, ALICE), "role_name": "member", "enabled": "True"},
    {**_target(PROJECT_B, BOB), "enabled": False},
]


def _assert_same_as_oslo(enforcer: PolicyEnforcer) -> int:
    oslo = enforcer.enforcer
    oslo.use_conf = False  # rules are loaded; skip oslo's per-call file check to save time
    evaluate: Callable[[str, dict[str, Any], dict[str, Any]], bool] = enforcer._evaluate
    compared = 0
    for name in oslo.registered_rules:
        for creds, target in itertools.product(CREDS_GRID, TARGET_GRID):
            expected = bool(oslo.enforce(name, target, dict(creds, roles=list(creds["roles"]))))
            assert evaluate(name, target, dict(creds)) is expected, (name, creds, target)
            compared += 1
    return compared


def test_compiled_rules_match_oslo_defaults(enforcer: PolicyEnforcer) -> None:
    assert _assert_same_as_oslo(enforcer) > 5_000


def test_compiled_rules_match_oslo_overrides(conf: cfg.ConfigOpts, tmp_path: Path) -> None:
    path = tmp_path / "override.yaml"
    _write(path, OVERRIDES)
    conf.set_override("policy_file", str(path), group="oslo_policy")
    enforcer = PolicyEnforcer(conf, reload_interval=None)
    assert str(enforcer.enforcer.rules["cluster:create"]) == "not role:reader"
    assert _assert_same_as_oslo(enforcer) > 5_000
