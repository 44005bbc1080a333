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
    cfg.IntOpt(
        "max_nodes_per_project",
        default=1000,
        min=0,
        max=2**31 - 1,
        help="Nodes (masters and workers of all its clusters) a project may have when it has "
        "no `Node` quota row of its own.",
    ),
    cfg.IntOpt(
        "max_nodes_per_cluster",
        default=100,
        min=1,
        max=2**31 - 1,
        help="Nodes (masters plus workers) one cluster may have; larger creates and resizes "
        "answer 400.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
