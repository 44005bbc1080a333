"""[certificates] options."""

from oslo_config import cfg

GROUP = "certificates"
OPTS = [
    cfg.StrOpt(
        "cert_manager_type",
        default="x509keypair",
        choices=["local", "x509keypair", "barbican"],
        help="Where cluster certificates are kept.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
