"""[oslo_messaging_notifications] and the transport options, from oslo.messaging."""

from __future__ import annotations

import warnings

from oslo_config import cfg

with warnings.catch_warnings():
    # oslo.messaging imports eventlet helpers, which warn on import; Dockyard uses threads.
    warnings.simplefilter("ignore")
    import oslo_messaging
    from oslo_messaging import opts as messaging_opts

GROUP = "oslo_messaging_notifications"


def register(conf: cfg.ConfigOpts) -> None:
    """Notification options; the embedded default logs notifications (driver `log`)."""
    oslo_messaging.set_transport_defaults(control_exchange="dockyard")
    for group, opts in messaging_opts.list_opts():
        if group in (GROUP, None, "DEFAULT"):
            conf.register_opts(opts, group=None if group == "DEFAULT" else group)
    conf.set_default("driver", ["log"], group=GROUP)
