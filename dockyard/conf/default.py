"""[DEFAULT] options."""

import socket

from oslo_config import cfg, types

OPTS = [
    cfg.StrOpt(
        "host",
        default=socket.gethostname(),
        sample_default="<hostname>",
        help="Name of this host, as shown in service list.",
    ),
    cfg.StrOpt(
        "state_path",
        default="./var",
        help="Directory for Dockyard's local state (SQLite database, local files).",
    ),
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level and show tracebacks in 500s."),
    cfg.StrOpt(
        "log_format",
        default="text",
        choices=["text", "json"],
        help="Log lines as text or as one JSON object per line; both carry the request id "
        "and the cluster id.",
    ),
    cfg.ListOpt(
        "default_log_levels",
        default=[
            "alembic=WARNING",
            "oslo.messaging.notification=WARNING",
            "dockyard.access.read=WARNING",
        ],
        item_type=types.String(regex=r"^[\w.]+=(DEBUG|INFO|WARNING|ERROR|CRITICAL)$"),
        help="logger=LEVEL pairs, as in oslo.log. The defaults keep an ordinary create to a "
        "handful of lines: migrations log one summary line (alembic's own lines are quiet), "
        "notifications written by the `log` driver are quiet (set "
        "oslo.messaging.notification=INFO to see them), and successful reads (GET/HEAD "
        "under 400, logger dockyard.access.read) are quiet; writes and errors are always in "
        "the access log (dockyard.access).",
    ),
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
