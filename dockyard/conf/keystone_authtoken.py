"""[keystone_authtoken] options: how `[auth] strategy = keystone` validates tokens.

The names are keystonemiddleware's, so a Magnum `[keystone_authtoken]` section works as it is
(options Dockyard does not use, such as `memcached_servers`, are ignored). The service user's
credentials are keystoneauth plugin options: `auth_type` (default `password`) selects the
plugin, whose own options (`auth_url`, `username`, `password`, `project_name`,
`user_domain_name`, `project_domain_name`, ...) are registered when it is loaded
(services/service_user.py, through providers/openstack/auth.py: keystoneauth stays there).
"""

from __future__ import annotations

from oslo_config import cfg

GROUP = "keystone_authtoken"
DEFAULT_AUTH_TYPE = "password"
OPTS = [
    cfg.StrOpt(
        "www_authenticate_uri",
        help="Public Identity endpoint sent to clients in the WWW-Authenticate header of a 401. "
        "Empty: the service user's auth_url.",
    ),
    cfg.StrOpt(
        "interface",
        default="internal",
        help="Interface of the identity endpoint in the catalog that tokens are validated at.",
    ),
    cfg.StrOpt("region_name", help="Region of the identity endpoint (empty: any)."),
    cfg.IntOpt(
        "token_cache_time",
        default=300,
        min=0,
        help="Seconds a validation result (valid or invalid) is reused without asking "
        "Keystone, never past the token's expiry. 0 disables the cache. A revoked token keeps "
        "working for up to this long, as with keystonemiddleware.",
    ),
    cfg.IntOpt(
        "token_cache_size",
        default=10000,
        min=1,
        help="Most tokens kept in each API process's cache (least recently used go first).",
    ),
    cfg.IntOpt(
        "http_connect_timeout",
        default=30,
        min=1,
        help="Seconds to wait for Keystone to answer before the request gets a 503 "
        "(keystonemiddleware waits without limit).",
    ),
    cfg.IntOpt(
        "http_request_max_retries",
        default=3,
        min=0,
        help="How many times a failed connection to Keystone is retried.",
    ),
    cfg.BoolOpt("insecure", default=False, help="Do not verify Keystone's HTTPS certificate."),
    cfg.StrOpt("cafile", help="CA bundle that Keystone's HTTPS certificate is checked against."),
    cfg.StrOpt("certfile", help="Client certificate for Keystone (with keyfile)."),
    cfg.StrOpt("keyfile", help="Private key of certfile."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
