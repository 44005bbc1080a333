"""Engines and transactions. No engine exists at import time: a `Database` is built from config."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry


def _json_loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def private_sqlite_file(url: str) -> None:
    """Create the SQLite file owner-only (0600) before SQLite does, and tighten an existing
    one: it holds every cluster's secrets. SQLite gives its -wal and -shm files the same mode."""
    path = make_url(url).database
    if not path or path == ":memory:":
        return
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def _sqlite_engine(url: str, begin_statement: str, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=pool_size,
        max_overflow=pool_size,
        json_deserializer=_json_loads,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN, not the sqlite3 module.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_statement)

    return engine


class Database:
    """One process's connection to the database.

    SQLite needs care for concurrent writers: write transactions start with BEGIN IMMEDIATE so
    they queue on the lock instead of failing when a read transaction tries to upgrade.
    PostgreSQL and MariaDB use one engine for both, both at READ COMMITTED (MariaDB's default
    is REPEATABLE READ): a statement after a row lock (`repositories.locks`) then sees what
    every earlier transaction committed, on both servers alike.
    """

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            private_sqlite_file(url)
            self.engine = _sqlite_engine(url, "BEGIN IMMEDIATE", pool_size)
            self._read_engine = _sqlite_engine(url, "BEGIN", pool_size)
        else:
            self.engine = create_engine(
                url,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                json_deserializer=_json_loads,
                isolation_level="READ COMMITTED",
            )
            self._read_engine = self.engine
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(self._read_engine, expire_on_commit=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A read-write transaction, committed on success and rolled back on error."""
        with self._writer.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction."""
        with self._reader() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self._read_engine is not self.engine:
            self._read_engine.dispose()
