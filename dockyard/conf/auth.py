"""[auth] options: who a request acts as."""

from oslo_config import cfg

GROUP = "auth"
OPTS = [
    cfg.StrOpt(
        "strategy",
        default="noauth",
        choices=["noauth", "keystone"],
        help="noauth: identity from X-Project-Id/X-User-Id/X-Roles headers or the defaults "
        "below (for a trusted network only); keystone: every request except GET /, /v1 and "
        "/healthcheck needs an X-Auth-Token that Keystone validates (see "
        "[keystone_authtoken]); project, user, roles and domain come from the token.",
    ),
    cfg.StrOpt("default_project_id", default="default", help="noauth: project when none sent."),
    cfg.StrOpt("default_user_id", default="admin", help="noauth: user when none sent."),
    cfg.ListOpt(
        "default_roles",
        default=["member", "reader"],
        help="noauth: roles when no X-Roles header is sent (a project member, not an admin: "
        "a caller is admin only when it says so in X-Roles).",
    ),
    cfg.BoolOpt(
        "noauth_allow_network",
        default=False,
        help="noauth: allow listening on an address other than loopback. Without it, "
        "`dockyard` and `dockyard-api` refuse to start with noauth on such an address, since "
        "anyone who can reach it can claim any project and role.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
