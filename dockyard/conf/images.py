"""[images] options: the standalone image catalog."""

from oslo_config import cfg

GROUP = "images"
OPTS = [
    cfg.StrOpt(
        "catalog_file",
        help="JSON file of images ({name, id, os_distro, properties}) that templates may name "
        "in standalone mode. Empty: the catalog shipped with Dockyard.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
