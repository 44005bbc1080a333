"""[certificates], [x509] and [barbican_client] options."""

from oslo_config import cfg

GROUP = "certificates"
OPTS = [
    cfg.StrOpt(
        "cert_manager_type",
        default="x509keypair",
        choices=["local", "x509keypair", "barbican"],
        help="Where cluster certificates are kept: x509keypair (the database, keys encrypted), "
        "local (files on the conductor host; one conductor only) or barbican (secrets in "
        "Barbican, reached with the [keystone_authtoken] service user's credentials; see "
        "[barbican_client]).",
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
    cfg.IntOpt(
        "renew_before_days",
        default=30,
        min=0,
        help="A cluster whose node certificates expire within this many days gets a "
        "`certificates` entry in its health_status_reason (and a timeline warning) saying to "
        "renew them; `dockyard-manage certificates list-expiring` uses it as its default.",
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
    cfg.IntOpt(
        "node_term_of_validity",
        min=1,
        help="Days a node's server certificate is valid (never past its CA). Empty: "
        "term_of_validity. Renew them with POST /v1/clusters/{id}/actions/renew_certificates.",
    ),
]

BARBICAN_GROUP = "barbican_client"
BARBICAN_OPTS = [
    cfg.StrOpt("region_name", help="Region of the key-manager endpoint (empty: any)."),
    cfg.StrOpt(
        "endpoint_type",
        default="publicURL",
        help="Interface of the key-manager endpoint in the catalog (publicURL, internalURL, "
        "adminURL, or public, internal, admin).",
    ),
    cfg.StrOpt(
        "endpoint",
        help="Barbican's URL, skipping the catalog (empty: found in the catalog).",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
    conf.register_opts(X509_OPTS, group=X509_GROUP)
    conf.register_opts(BARBICAN_OPTS, group=BARBICAN_GROUP)
