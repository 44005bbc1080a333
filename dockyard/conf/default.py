"""[DEFAULT] options."""

import socket

from oslo_config import cfg

OPTS = [
    cfg.StrOpt(
        "host", default=socket.gethostname(), help="Name of this host, as shown in service list."
    ),
    cfg.StrOpt(
        "state_path",
        default="./var",
        help="Directory for Dockyard's local state (SQLite database, local files).",
    ),
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level and show tracebacks in 500s."),
    cfg.IntOpt(
        "service_down_time",
        default=180,
        min=1,
        help="Seconds without a heartbeat after which a service is reported down.",
    ),
    cfg.IntOpt("heartbeat_interval", default=10, min=1, help="Seconds between service heartbeats."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS)
