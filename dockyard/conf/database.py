"""[database] options."""

from oslo_config import cfg

GROUP = "database"
OPTS = [
    cfg.StrOpt(
        "connection",
        secret=True,
        help="SQLAlchemy URL. Default: SQLite (WAL) in $state_path/dockyard.sqlite. "
        "PostgreSQL: postgresql+psycopg://user@host/db; MariaDB/MySQL: mysql+pymysql://user@host/db.",
    ),
    cfg.IntOpt("pool_size", default=10, min=1, help="Connections kept open per process."),
    cfg.BoolOpt(
        "auto_upgrade",
        default=True,
        help="Apply pending migrations when a service starts (the embedded default). "
        "Turn off in a cloud and run `dockyard-manage db upgrade` instead.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
