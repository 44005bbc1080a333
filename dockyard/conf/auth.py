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
        default=["admin", "member", "reader"],
        help="noauth: roles when no X-Roles header is sent.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
