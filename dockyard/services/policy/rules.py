"""Policy-in-code: Magnum's v1 defaults (reference §11) plus Dockyard's own rules.

Rule names and check strings match Magnum so an operator's Magnum `policy.yaml` overrides apply
unchanged. No `scope_types` are set: Dockyard contexts may carry a `domain_id` or no project
(noauth), and oslo's scope check would otherwise refuse them before the rule is evaluated.

`list_rules` is the `oslo.policy.policies` entry point (`oslopolicy-sample-generator`).
"""

from __future__ import annotations

from oslo_policy import policy

# Check strings shared by the defaults below.
ADMIN = "rule:context_is_admin"
ADMIN_OR_PROJECT_READER = "rule:admin_or_project_reader"
ADMIN_OR_PROJECT_MEMBER = "rule:admin_or_project_member"
ADMIN_OR_PROJECT_MEMBER_USER = "rule:admin_or_project_member_user"
ADMIN_OR_PROJECT_READER_USER = "rule:admin_or_project_reader_user"
PROJECT_MEMBER = "rule:project_member"

_CLUSTERS = "/v1/clusters"
_CLUSTER = "/v1/clusters/{cluster_ident}"
_TEMPLATES = "/v1/clustertemplates"
_TEMPLATE = "/v1/clustertemplates/{clustertemplate_ident}"
_NODEGROUPS = "/v1/clusters/{cluster_ident}/nodegroups"
_NODEGROUP = "/v1/clusters/{cluster_ident}/nodegroups/{nodegroup_ident}"
_QUOTAS = "/v1/quotas"
_QUOTA = "/v1/quotas/{project_id}/{resource}"

BASE_RULES: list[policy.RuleDefault] = [
    policy.RuleDefault("context_is_admin", "role:admin", "Decides the context's is_admin."),
    policy.RuleDefault("is_user", "user_id:%(user_id)s", "The caller is the target's user."),
    policy.RuleDefault(
        "project_member",
        "role:member and project_id:%(project_id)s",
        "A member of the target's project.",
    ),
    policy.RuleDefault(
        "project_reader",
        "role:reader and project_id:%(project_id)s",
        "A reader of the target's project.",
    ),
    policy.RuleDefault(
        "admin_or_project_reader", f"({ADMIN}) or (rule:project_reader)", "Admin or reader."
    ),
    policy.RuleDefault(
        "admin_or_project_member", f"({ADMIN}) or ({PROJECT_MEMBER})", "Admin or member."
    ),
    policy.RuleDefault(
        "admin_or_project_member_user",
        f"({ADMIN}) or (({PROJECT_MEMBER}) and (rule:is_user))",
        "Admin, or a member of the target's project who is also the target's user.",
    ),
    policy.RuleDefault(
        "admin_or_project_reader_user",
        f"({ADMIN}) or ((rule:project_reader) and (rule:is_user))",
        "Admin, or a reader of the target's project who is also the target's user.",
    ),
    # Names kept so Magnum override files that reference them still resolve.
    policy.RuleDefault("admin_api", ADMIN, "Legacy alias of context_is_admin."),
    policy.RuleDefault(
        "admin_or_owner",
        "is_admin:True or project_id:%(project_id)s",
        "Legacy owner rule; not used by any default.",
    ),
    policy.RuleDefault(
        "admin_or_user",
        "is_admin:True or user_id:%(user_id)s",
        "Legacy user rule; not used by any default.",
    ),
    policy.RuleDefault(
        "project_member_deny_cluster_user", PROJECT_MEMBER, "Magnum alias of project_member."
    ),
    policy.RuleDefault(
        "admin_or_project_member_deny_cluster_user",
        ADMIN_OR_PROJECT_MEMBER,
        "Magnum alias of admin_or_project_member.",
    ),
    policy.RuleDefault(
        "project_reader_deny_cluster_user", "rule:project_reader", "Magnum alias of project_reader."
    ),
    policy.RuleDefault(
        "admin_or_project_reader_deny_cluster_user",
        ADMIN_OR_PROJECT_READER,
        "Magnum alias of admin_or_project_reader.",
    ),
]


def _rule(
    name: str, check_str: str, description: str, *operations: tuple[str, str]
) -> policy.DocumentedRuleDefault:
    """A documented rule; `operations` are `(method, path)` pairs."""
    return policy.DocumentedRuleDefault(
        name=name,
        check_str=check_str,
        description=description,
        operations=[{"path": path, "method": method} for method, path in operations],
    )


CLUSTER_RULES: list[policy.RuleDefault] = [
    _rule("cluster:create", ADMIN_OR_PROJECT_MEMBER, "Create a new cluster.", ("POST", _CLUSTERS)),
    _rule("cluster:delete", ADMIN_OR_PROJECT_MEMBER, "Delete a cluster.", ("DELETE", _CLUSTER)),
    _rule(
        "cluster:delete_all_projects",
        ADMIN,
        "Delete a cluster from any project.",
        ("DELETE", _CLUSTER),
    ),
    _rule(
        "cluster:detail",
        ADMIN_OR_PROJECT_READER,
        "Retrieve a list of clusters with detail.",
        ("GET", f"{_CLUSTERS}/detail"),
    ),
    _rule(
        "cluster:detail_all_projects",
        ADMIN,
        "Retrieve a list of clusters with detail across projects.",
        ("GET", f"{_CLUSTERS}/detail"),
    ),
    _rule(
        "cluster:get",
        ADMIN_OR_PROJECT_READER,
        "Retrieve information about the given cluster.",
        ("GET", _CLUSTER),
    ),
    _rule(
        "cluster:get_one_all_projects",
        ADMIN,
        "Retrieve information about the given cluster across projects.",
        ("GET", _CLUSTER),
    ),
    _rule(
        "cluster:get_all",
        ADMIN_OR_PROJECT_READER,
        "Retrieve a list of clusters.",
        ("GET", _CLUSTERS),
    ),
    _rule(
        "cluster:get_all_all_projects",
        ADMIN,
        "Retrieve a list of all clusters across projects.",
        ("GET", _CLUSTERS),
    ),
    _rule(
        "cluster:update",
        ADMIN_OR_PROJECT_MEMBER,
        "Update an existing cluster.",
        ("PATCH", _CLUSTER),
    ),
    _rule(
        "cluster:update_health_status",
        ADMIN_OR_PROJECT_MEMBER_USER,
        "Update the health status of an existing cluster (checked on every cluster PATCH).",
        ("PATCH", _CLUSTER),
    ),
    _rule(
        "cluster:update_all_projects",
        ADMIN,
        "Update an existing cluster in any project.",
        ("PATCH", _CLUSTER),
    ),
    _rule(
        "cluster:resize",
        ADMIN_OR_PROJECT_MEMBER,
        "Resize an existing cluster.",
        ("POST", f"{_CLUSTER}/actions/resize"),
    ),
    _rule(
        "cluster:upgrade",
        ADMIN_OR_PROJECT_MEMBER,
        "Upgrade an existing cluster.",
        ("POST", f"{_CLUSTER}/actions/upgrade"),
    ),
    _rule(
        "cluster:upgrade_all_projects",
        ADMIN,
        "Upgrade an existing cluster in any project.",
        ("POST", f"{_CLUSTER}/actions/upgrade"),
    ),
    _rule(
        "cluster:get_events",
        ADMIN_OR_PROJECT_READER,
        "Retrieve the event timeline of the given cluster (Dockyard extension).",
        ("GET", f"{_CLUSTER}/events"),
    ),
]

CLUSTER_TEMPLATE_RULES: list[policy.RuleDefault] = [
    _rule(
        "clustertemplate:create",
        ADMIN_OR_PROJECT_MEMBER,
        "Create a cluster template.",
        ("POST", _TEMPLATES),
    ),
    _rule(
        "clustertemplate:delete",
        ADMIN_OR_PROJECT_MEMBER,
        "Delete a cluster template.",
        ("DELETE", _TEMPLATE),
    ),
    _rule(
        "clustertemplate:delete_all_projects",
        ADMIN,
        "Delete a cluster template from any project.",
        ("DELETE", _TEMPLATE),
    ),
    _rule(
        "clustertemplate:detail",
        ADMIN_OR_PROJECT_READER,
        "Retrieve a list of cluster templates with detail.",
        ("GET", f"{_TEMPLATES}/detail"),
    ),
    _rule(
        "clustertemplate:detail_all_projects",
        ADMIN,
        "Retrieve a list of cluster templates with detail across projects.",
        ("GET", f"{_TEMPLATES}/detail"),
    ),
    _rule(
        "clustertemplate:get",
        ADMIN_OR_PROJECT_READER,
        "Retrieve information about the given cluster template (skipped for public ones).",
        ("GET", _TEMPLATE),
    ),
    _rule(
        "clustertemplate:get_one_all_projects",
        ADMIN,
        "Retrieve information about the given cluster template across projects.",
        ("GET", _TEMPLATE),
    ),
    _rule(
        "clustertemplate:get_all",
        ADMIN_OR_PROJECT_READER,
        "Retrieve a list of cluster templates.",
        ("GET", _TEMPLATES),
    ),
    _rule(
        "clustertemplate:get_all_all_projects",
        ADMIN,
        "Retrieve a list of cluster templates across projects.",
        ("GET", _TEMPLATES),
    ),
    _rule(
        "clustertemplate:update",
        ADMIN_OR_PROJECT_MEMBER,
        "Update a cluster template.",
        ("PATCH", _TEMPLATE),
    ),
    _rule(
        "clustertemplate:update_all_projects",
        ADMIN,
        "Update a cluster template in any project.",
        ("PATCH", _TEMPLATE),
    ),
    _rule(
        "clustertemplate:publish",
        ADMIN,
        "Set the public or hidden flag of a cluster template.",
        ("POST", _TEMPLATES),
        ("PATCH", _TEMPLATE),
    ),
]

CERTIFICATE_RULES: list[policy.RuleDefault] = [
    _rule(
        "certificate:create",
        ADMIN_OR_PROJECT_MEMBER_USER,
        "Sign a new certificate by the cluster CA (target: the cluster).",
        ("POST", "/v1/certificates"),
    ),
    _rule(
        "certificate:get",
        ADMIN_OR_PROJECT_READER_USER,
        "Retrieve the CA certificate of the given cluster (target: the cluster).",
        ("GET", "/v1/certificates/{cluster_ident}"),
    ),
    _rule(
        "certificate:rotate_ca",
        ADMIN_OR_PROJECT_MEMBER,
        "Rotate the CA certificate of the given cluster.",
        ("PATCH", "/v1/certificates/{cluster_ident}"),
    ),
    _rule(
        "certificate:renew",
        ADMIN_OR_PROJECT_MEMBER,
        "Renew the node certificates of the given cluster from its CA (Dockyard extension).",
        ("POST", "/v1/clusters/{cluster_ident}/actions/renew_certificates"),
    ),
]

CREDENTIAL_RULES: list[policy.RuleDefault] = [
    _rule(
        "credential:rotate",
        PROJECT_MEMBER,
        "Rotate the credential of the given cluster (no admin override).",
        ("PATCH", "/v1/credentials/{cluster_ident}"),
    ),
]

NODEGROUP_RULES: list[policy.RuleDefault] = [
    _rule(
        "nodegroup:get",
        ADMIN_OR_PROJECT_READER,
        "Retrieve information about the given nodegroup.",
        ("GET", _NODEGROUP),
    ),
    _rule(
        "nodegroup:get_all",
        ADMIN_OR_PROJECT_READER,
        "Retrieve a list of the nodegroups of a cluster.",
        ("GET", _NODEGROUPS),
    ),
    _rule(
        "nodegroup:get_all_all_projects",
        ADMIN,
        "Retrieve a list of nodegroups across projects.",
        ("GET", _NODEGROUPS),
    ),
    _rule(
        "nodegroup:get_one_all_projects",
        ADMIN,
        "Retrieve information about the given nodegroup across projects.",
        ("GET", _NODEGROUP),
    ),
    _rule(
        "nodegroup:create",
        ADMIN_OR_PROJECT_MEMBER,
        "Create a new nodegroup.",
        ("POST", _NODEGROUPS),
    ),
    _rule(
        "nodegroup:update",
        ADMIN_OR_PROJECT_MEMBER,
        "Update an existing nodegroup.",
        ("PATCH", _NODEGROUP),
    ),
    _rule(
        "nodegroup:delete",
        ADMIN_OR_PROJECT_MEMBER,
        "Delete a nodegroup.",
        ("DELETE", _NODEGROUP),
    ),
]

QUOTA_RULES: list[policy.RuleDefault] = [
    _rule("quota:create", ADMIN, "Create a quota.", ("POST", _QUOTAS)),
    _rule("quota:delete", ADMIN, "Delete a quota.", ("DELETE", _QUOTA)),
    _rule("quota:update", ADMIN, "Update a quota.", ("PATCH", _QUOTA)),
    _rule("quota:get_all", ADMIN, "Retrieve a list of quotas.", ("GET", _QUOTAS)),
    _rule(
        "quota:get",
        ADMIN_OR_PROJECT_READER,
        "Retrieve a quota (non-admins: their own project only).",
        ("GET", _QUOTA),
    ),
]

_CONTAINERS = "/v1/containers"
_CONTAINER = "/v1/containers/{container_ident}"

CONTAINER_RULES: list[policy.RuleDefault] = [
    _rule(
        "container:create",
        ADMIN_OR_PROJECT_MEMBER,
        "Create and run a container (Dockyard extension).",
        ("POST", _CONTAINERS),
    ),
    _rule(
        "container:create:host_mount",
        ADMIN_OR_PROJECT_MEMBER,
        "Bind-mount a host directory (only under [containers] allowed_host_mounts).",
        ("POST", _CONTAINERS),
    ),
    _rule("container:get", ADMIN_OR_PROJECT_READER, "Show a container.", ("GET", _CONTAINER)),
    _rule(
        "container:get_all",
        ADMIN_OR_PROJECT_READER,
        "List the project's containers.",
        ("GET", _CONTAINERS),
    ),
    _rule(
        "container:get_all_all_projects",
        ADMIN,
        "List containers of every project.",
        ("GET", _CONTAINERS),
    ),
    _rule(
        "container:start",
        ADMIN_OR_PROJECT_MEMBER,
        "Start a container.",
        ("POST", f"{_CONTAINER}/start"),
    ),
    _rule(
        "container:stop",
        ADMIN_OR_PROJECT_MEMBER,
        "Stop a container.",
        ("POST", f"{_CONTAINER}/stop"),
    ),
    _rule(
        "container:logs",
        ADMIN_OR_PROJECT_READER,
        "Read a container's output.",
        ("GET", f"{_CONTAINER}/logs"),
    ),
    _rule(
        "container:delete", ADMIN_OR_PROJECT_MEMBER, "Delete a container.", ("DELETE", _CONTAINER)
    ),
]

_VOLUMES = "/v1/volumes"
_VOLUME = "/v1/volumes/{volume_ident}"

VOLUME_RULES: list[policy.RuleDefault] = [
    _rule(
        "volume:create",
        ADMIN_OR_PROJECT_MEMBER,
        "Create a volume (Dockyard extension).",
        ("POST", _VOLUMES),
    ),
    _rule("volume:get", ADMIN_OR_PROJECT_READER, "Show a volume.", ("GET", _VOLUME)),
    _rule(
        "volume:get_all",
        ADMIN_OR_PROJECT_READER,
        "List the project's volumes (admins: every project's).",
        ("GET", _VOLUMES),
    ),
    _rule(
        "volume:update",
        ADMIN_OR_PROJECT_MEMBER,
        "Rename or grow a volume.",
        ("PATCH", _VOLUME),
    ),
    _rule("volume:delete", ADMIN_OR_PROJECT_MEMBER, "Delete a volume.", ("DELETE", _VOLUME)),
]

MISC_RULES: list[policy.RuleDefault] = [
    _rule(
        "image:get_all",
        ADMIN_OR_PROJECT_READER,
        "List the images templates may name (Dockyard's image catalog).",
        ("GET", "/v1/images"),
    ),
    _rule(
        "stats:get_all",
        ADMIN_OR_PROJECT_READER,
        "Retrieve cluster and node counts.",
        ("GET", "/v1/stats"),
    ),
    _rule(
        "magnum-service:get_all",
        ADMIN,
        "Retrieve a list of conductor services.",
        ("GET", "/v1/mservices"),
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    """Every Dockyard policy default, base rules first."""
    return [
        *BASE_RULES,
        *CLUSTER_RULES,
        *CLUSTER_TEMPLATE_RULES,
        *CERTIFICATE_RULES,
        *CREDENTIAL_RULES,
        *NODEGROUP_RULES,
        *QUOTA_RULES,
        *VOLUME_RULES,
        *CONTAINER_RULES,
        *MISC_RULES,
    ]
