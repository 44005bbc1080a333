"""The one poll loop of the test suite: wait for an explicit condition, up to a timeout.

Tests never `sleep` to let something happen: they name what they wait for and how long it may
take at most. The timeout bounds a hang; it is not a speed goal (those live in bench/).

    wait_until(lambda: path.exists(), 10, "the socket file")          # truthy result: done
    body = wait_until(lambda: api.get(url).json(), 30, "CREATE_COMPLETE",
                      until=lambda b: b["status"] == "CREATE_COMPLETE")  # probe + condition
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
def wait_until(
    check: Callable[[], T | None], timeout: float, what: str, *, interval: float = ...
) -> T: ...


@overload
def wait_until(
    check: Callable[[], T],
    timeout: float,
    what: str,
    *,
    until: Callable[[T], Any],
    interval: float = ...,
) -> T: ...


def wait_until(
    check: Callable[[], Any],
    timeout: float,
    what: str,
    *,
    until: Callable[[Any], Any] | None = None,
    interval: float = 0.1,
) -> Any:
    """Call `check` every `interval` seconds until it is done and return its value.

    Done: `until(value)` is true when `until` is given, else the value itself is truthy. After
    `timeout` seconds, raise AssertionError naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if until(value) if until is not None else value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:g}s waiting for {what} (last: {value!r})"
            )
        time.sleep(interval)
