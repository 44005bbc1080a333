"""[quotas] options."""

from oslo_config import cfg

GROUP = "quotas"
OPTS = [
    cfg.IntOpt(
        "max_clusters_per_project",
        default=20,
        min=0,
        help="Clusters a project may have when it has no quota row of its own.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
