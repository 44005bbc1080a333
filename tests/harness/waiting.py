"""The one poll loop of the test suite: wait for an explicit condition, up to a timeout.

Tests never `sleep` to let something happen: they name what they wait for and how long it may
take at most. The timeout bounds a hang; it is not a speed goal (those live in bench/).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    check: Callable[[], T | None], timeout: float, what: str, *, interval: float = 0.1
) -> T:
    """Call `check` until it returns something truthy and return that; raise AssertionError
    naming `what` (and the last value seen) once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:g}s waiting for {what} (last: {value!r})"
            )
        time.sleep(interval)
