"""[openstack] options: Magnum's checks of the Glance, Nova and Neutron resources that
templates and clusters name (services/openstack_checks.py)."""

from oslo_config import cfg

GROUP = "openstack"
OPTS = [
    cfg.BoolOpt(
        "lookups",
        default=False,
        help="Check, as Magnum does, the image (in Glance; its os_distro selects the driver), "
        "flavors and keypair (Nova) and networks and subnet (Neutron) that cluster templates "
        "and clusters name, with the requester's Keystone token (the service user's "
        "[keystone_authtoken] credentials in noauth mode). False: images come from the "
        "[images] catalog and nothing else is checked (standalone Dockyard).",
    ),
    cfg.StrOpt("region_name", help="Region of the image, compute and network endpoints."),
    cfg.StrOpt(
        "endpoint_type",
        default="public",
        choices=["public", "internal", "admin"],
        help="Interface of the image, compute and network endpoints in the catalog.",
    ),
    cfg.FloatOpt(
        "lookup_cache_ttl",
        default=60.0,
        min=0,
        help="Seconds a found image, flavor, keypair, network or subnet is reused for the same "
        "project (keypairs: the same user) without asking again. 0: no cache. What was not "
        "found is never cached.",
    ),
    cfg.FloatOpt(
        "timeout",
        default=10.0,
        min=0.1,
        help="Seconds to wait for Glance, Nova or Neutron to answer before the request gets a 503.",
    ),
    cfg.StrOpt("ca_file", help="CA bundle the services' HTTPS certificates are checked against."),
    cfg.BoolOpt("insecure", default=False, help="Do not verify HTTPS certificates."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
