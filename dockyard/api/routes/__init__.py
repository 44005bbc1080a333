"""HTTP routes, one module per Magnum resource.

The hottest reads (template and cluster list/show) are `async def`: their database reads
never wait on a lock (SQLite WAL, PostgreSQL/MariaDB MVCC) and take well under a
millisecond, so they run on the event loop and skip the thread-pool hop. Everything that
writes stays a plain `def`, run in the thread pool, because a write may wait for a lock.
"""
