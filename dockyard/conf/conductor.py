"""[conductor] options: durable operations and periodic tasks."""

from oslo_config import cfg

GROUP = "conductor"
OPTS = [
    cfg.IntOpt("workers", default=4, min=1, help="Operations one conductor runs at once."),
    cfg.FloatOpt(
        "poll_interval",
        default=1.0,
        min=0.05,
        help="Seconds between looks for new operations when nothing woke the conductor.",
    ),
    cfg.IntOpt(
        "lease_seconds",
        default=30,
        min=2,
        help="A claimed operation's lease. A conductor renews it while working; when it "
        "lapses (the conductor died) another conductor takes the operation over.",
    ),
    cfg.IntOpt(
        "max_attempts",
        default=3,
        min=1,
        help="How many conductors may try one operation before it is failed.",
    ),
    cfg.IntOpt(
        "health_sync_interval",
        default=15,
        min=1,
        help="Seconds between health checks of settled clusters. Health is also checked "
        "when a conductor starts and right after each operation; the checks find the nodes "
        "that auto-healing brings back.",
    ),
    cfg.FloatOpt(
        "heal_grace_seconds",
        default=90.0,
        min=0.0,
        help="Seconds a node must stay down (its engine or supervisor dead, or the COE "
        "reporting it down), as seen by the health checks of one conductor, before a heal "
        "operation restarts or replaces it. Clusters opt out with the label "
        "auto_healing_enabled=false; auto_healing_max_unhealthy limits how many nodes may be "
        "down for healing to act.",
    ),
    cfg.FloatOpt(
        "deadline_check_interval",
        default=5.0,
        min=0.05,
        help="Seconds between checks for operations past their deadline.",
    ),
    cfg.IntOpt(
        "operation_timeout",
        default=60,
        min=1,
        max=7 * 24 * 60,
        help="Minutes an operation other than create (resize, upgrade, delete, CA rotation, "
        "certificate renewal) may take before it is failed; a create has its "
        "create_timeout, or this when create_timeout is 0.",
    ),
    cfg.FloatOpt(
        "retry_initial_delay",
        default=2.0,
        min=0.05,
        help="Seconds before the first retry of a driver call that failed with a transient "
        "backend error (HTTP 5xx, timeout, connection error); doubled for each further "
        "retry, up to retry_max_delay, until the operation's deadline.",
    ),
    cfg.FloatOpt(
        "retry_max_delay",
        default=60.0,
        min=0.05,
        help="Longest wait between two retries of a transient backend error.",
    ),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OPTS, group=GROUP)
