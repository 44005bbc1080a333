"""Alembic migrations, run programmatically (no alembic.ini needed)."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from dockyard.db.session import private_sqlite_file

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    if url.startswith("sqlite"):
        private_sqlite_file(url)
    command.upgrade(_config(url), revision)


def current_version(url: str) -> str | None:
    """The revision the database is at, or None when it has never been migrated."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_version() -> str | None:
    """The newest revision shipped with this Dockyard."""
    return ScriptDirectory.from_config(_config("sqlite://")).get_current_head()
