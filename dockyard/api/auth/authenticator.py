"""The token cache in front of a blocking validator (ADR 0020).

Results (valid and invalid) are cached per process for `token_cache_time`, never past the
token's expiry, keyed by the token's SHA-256. Concurrent requests with the same uncached token
share one validation, which runs in a worker thread so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable

import anyio.to_thread

from dockyard.api.auth.cache import ExpiringLRU
from dockyard.api.auth.identity import Identity


class KeystoneUnavailable(Exception):
    """Keystone could not say whether a token is valid (down, or our credentials refused)."""


class TokenAuthenticator:
    """Caches `validate` results per token (by its SHA-256) and shares in-flight validations."""

    def __init__(
        self,
        validate: Callable[[str], Identity | None],
        cache_time: float,
        cache_size: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._validate = validate
        self._cache_time = cache_time
        self._clock = clock
        self._cache: ExpiringLRU[Identity | None] = ExpiringLRU(cache_size, clock)
        self._inflight: dict[bytes, asyncio.Future[Identity | None]] = {}

    async def authenticate(self, token: str) -> Identity | None:
        """The identity of a valid token, None for an invalid one; KeystoneUnavailable."""
        key = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        found, identity = self._cache.get(key)
        if found:
            return identity
        pending = self._inflight.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(key, token))
            self._inflight[key] = pending
            pending.add_done_callback(lambda done: self._settled(key, done))
        return await asyncio.shield(pending)

    def _settled(self, key: bytes, done: asyncio.Future[Identity | None]) -> None:
        self._inflight.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved: no "never retrieved" warning when every caller left

    async def _fetch(self, key: bytes, token: str) -> Identity | None:
        identity = await anyio.to_thread.run_sync(self._validate, token)
        if self._cache_time > 0:
            deadline = self._clock() + self._cache_time
            if identity is not None:
                deadline = min(deadline, identity.expires_at)
            self._cache.put(key, identity, deadline)
        return identity
