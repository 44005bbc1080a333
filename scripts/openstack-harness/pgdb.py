"""Create or drop one PostgreSQL database (run with a harness venv's python: psycopg2).

    pgdb.py create|drop ADMIN_URL NAME

ADMIN_URL is a libpq URL of the server's maintenance database, for example
postgresql://postgres@127.0.0.1:5432/postgres. `create` keeps an existing database; `drop`
forces other sessions off first.
"""

from __future__ import annotations

import sys

import psycopg2


def main() -> None:
    action, admin_url, name = sys.argv[1:4]
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        if action == "create":
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
        elif action == "drop":
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            raise SystemExit(f"pgdb.py: unknown action {action!r} (create or drop)")
    conn.close()


if __name__ == "__main__":
    main()
