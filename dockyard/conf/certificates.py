"""[certificates] and [x509] options."""

from oslo_config import cfg

GROUP = "certificates"
OPTS = [
    cfg.StrOpt(
        "cert_manager_type",
        default="x509keypair",
        choices=["local", "x509keypair"],
        help="Where cluster certificates are kept: x509keypair (the database, keys encrypted) "
        "or local (files on the conductor host; one conductor only). Barbican is not built.",
    ),
    cfg.StrOpt(
        "encryption_key",
        secret=True,
        help="Fernet key (urlsafe base64, 32 bytes) encrypting private keys in the database. "
        "Every API and conductor process must use the same key. Empty: a key generated on "
        "first use in $state_path/certificates.key (single-host deployments).",
    ),
    cfg.StrOpt(
        "storage_path",
        help="Directory of the local store. Empty: $state_path/certificates.",
    ),
]

X509_GROUP = "x509"
X509_OPTS = [
    cfg.IntOpt(
        "term_of_validity",
        default=1825,
        min=1,
        help="Days a cluster CA and the certificates it signs are valid.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
    conf.register_opts(X509_OPTS, group=X509_GROUP)
