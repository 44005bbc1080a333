"""Alembic environment: runs against the URL set by dockyard.db.migration."""

from alembic import context
from sqlalchemy import create_engine

from dockyard.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
