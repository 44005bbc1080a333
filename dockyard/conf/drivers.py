"""[drivers] options: which cluster drivers are loaded."""

from oslo_config import cfg

GROUP = "drivers"
OPTS = [
    cfg.ListOpt(
        "enabled_definitions",
        default=[],
        help="Driver entry-point names (group dockyard.drivers) to enable. Empty: every "
        "installed driver not listed in disabled_drivers.",
    ),
    cfg.ListOpt("disabled_drivers", default=[], help="Driver entry-point names never loaded."),
    cfg.StrOpt(
        "default_driver",
        help="Driver used for a template that names none, when several match its "
        "(server_type, os_distro, coe).",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
