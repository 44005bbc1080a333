"""[volume] options: volume drivers, the local block volumes' home, Cinder's endpoint."""

from oslo_config import cfg

GROUP = "volume"
OPTS = [
    cfg.StrOpt(
        "default_driver",
        default="local",
        help="Volume driver of a volume created without `volume_driver`.",
    ),
    cfg.ListOpt(
        "enabled_drivers",
        default=["local", "cinder"],
        help="Volume drivers that volumes may name (local, cinder). A volume that names "
        "another one is refused with 400.",
    ),
    cfg.StrOpt(
        "local_root",
        help="Directory of the local driver's volumes: sparse images in images/, mountpoints "
        "in mnt/. It is made a shared mount of itself so mounts propagate into engines. "
        "Empty: <state_path>/volumes.",
    ),
    cfg.IntOpt(
        "max_size_gib",
        default=1024,
        min=1,
        help="Largest size, in GiB, a volume may have (at create and when it grows).",
    ),
    cfg.IntOpt(
        "default_size_gib",
        default=1,
        min=1,
        help="Size of a volume an engine creates without `-o size=` (`docker volume create "
        "-d dockyard name`, or `docker run -v name:/path` naming a new volume).",
    ),
    cfg.IntOpt(
        "operation_timeout",
        default=600,
        min=0,
        help="Seconds after which a volume still `creating` or `deleting` counts as "
        "interrupted (its process died): a process serving the volume plugin on the volume's "
        "host then finishes it or sets `error`. The embedded `dockyard` does this at once "
        "when it starts.",
    ),
    cfg.IntOpt(
        "max_volumes_per_project",
        default=100,
        min=0,
        help="Volumes a project may have (403 beyond it).",
    ),
    cfg.StrOpt(
        "cinder_auth",
        default="token",
        choices=[
            ("token", "the caller's Keystone token (keystone mode only)"),
            ("service", "the [keystone_authtoken] service user's credentials"),
        ],
        help="Which credentials the cinder driver sends to Cinder.",
    ),
    cfg.StrOpt(
        "cinder_endpoint",
        help="Cinder's block-storage endpoint (e.g. http://cinder:8776/v3/%(project_id)s). "
        "Empty: taken from the Keystone catalog.",
    ),
    cfg.StrOpt("cinder_region_name", help="Region of Cinder in the catalog (empty: any)."),
    cfg.StrOpt(
        "cinder_interface",
        default="public",
        choices=["public", "internal", "admin"],
        help="Interface of Cinder's catalog endpoint.",
    ),
    cfg.StrOpt("cinder_volume_type", help="Cinder volume type of new volumes (empty: Cinder's)."),
    cfg.StrOpt(
        "cinder_availability_zone",
        help="Availability zone of new Cinder volumes (empty: Cinder's default).",
    ),
    cfg.IntOpt(
        "cinder_timeout",
        default=300,
        min=1,
        help="Seconds to wait for a Cinder volume to become available, or to go away.",
    ),
    cfg.BoolOpt("cinder_insecure", default=False, help="Do not verify Cinder's certificate."),
    cfg.StrOpt("cinder_cafile", help="CA bundle that Cinder's certificate is checked against."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
