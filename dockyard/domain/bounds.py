"""The documented range of every integer the API accepts (docs/api.md, "Ranges").

Each upper bound fits the column or JSON value it ends up in on every backend: `Integer` is 32
bits on PostgreSQL and MariaDB, and values that only live in JSON stay within 64 bits (what
orjson renders). Tighter product limits (nodes per cluster, quotas) come from configuration and
are checked by the services.
"""

from __future__ import annotations

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

NODE_COUNT = (0, INT32_MAX)
MASTER_COUNT = (1, INT32_MAX)
# Minutes; a week is far beyond any real build, and 0 means "the configured default".
CREATE_TIMEOUT = (0, 7 * 24 * 60)
# GiB per node.
DOCKER_VOLUME_SIZE = (1, 16 * 1024)
MAX_BATCH_SIZE = (1, INT32_MAX)
QUOTA_HARD_LIMIT = (0, INT32_MAX)
# Row ids (event ids, quota ids) compared with 32-bit columns.
ROW_ID = (0, INT32_MAX)
# Integer label values live in JSON.
LABEL_INT = (INT64_MIN, INT64_MAX)


def out_of_range(value: int, bounds: tuple[int, int]) -> str | None:
    """A reason when `value` is outside `bounds`, else None."""
    low, high = bounds
    if value < low or value > high:
        return f"must be between {low} and {high}"
    return None
