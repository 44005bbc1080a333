"""Start-up shared by every command: config, logging, database schema, runtime."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from oslo_config import cfg

from dockyard.common import logcontext
from dockyard.conf import database_url, load_config
from dockyard.db import migration
from dockyard.services.runtime import Runtime, build_runtime


def setup_logging(conf: cfg.ConfigOpts) -> None:
    """Log to stderr with request and cluster ids on every line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(logcontext.ContextFilter())
    handler.setFormatter(
        logcontext.JsonFormatter()
        if conf.log_format == "json"
        else logging.Formatter(logcontext.TEXT_FORMAT)
    )
    logging.basicConfig(level=logging.DEBUG if conf.debug else logging.INFO, handlers=[handler])


def prepare(argv: Sequence[str] | None = None) -> Runtime:
    """Parse config, set up logging, bring the schema up to date, build the runtime."""
    conf = load_config(list(sys.argv[1:] if argv is None else argv))
    setup_logging(conf)
    url = database_url(conf)
    if conf.database.auto_upgrade:
        migration.upgrade(url)
    elif migration.current_version(url) != migration.head_version():
        raise SystemExit(
            "The database schema is not current: run `dockyard-manage db upgrade` first."
        )
    return build_runtime(conf)
