"""A small per-process LRU cache whose entries expire at a given time."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class ExpiringLRU(Generic[V]):
    """At most `maxsize` entries; each one dies at its own deadline (`clock()` seconds).

    Not thread-safe: it is used from the event loop only.
    """

    def __init__(self, maxsize: int, clock: Callable[[], float] = time.time) -> None:
        self._maxsize = maxsize
        self._clock = clock
        self._data: OrderedDict[bytes, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: bytes) -> tuple[bool, V | None]:
        """(found, value); an expired entry is dropped and not found."""
        entry = self._data.get(key)
        if entry is None:
            return False, None
        deadline, value = entry
        if deadline <= self._clock():
            del self._data[key]
            return False, None
        self._data.move_to_end(key)
        return True, value

    def put(self, key: bytes, value: V, deadline: float) -> None:
        if deadline <= self._clock():
            self._data.pop(key, None)
            return
        self._data[key] = (deadline, value)
        self._data.move_to_end(key)
        while len(self._data) > self._maxsize:
            self._data.popitem(last=False)
