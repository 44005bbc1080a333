"""Which driver errors are worth retrying, and how long to wait before the next try.

A transient backend error is one a later identical call may not meet: an HTTP 5xx answer
(openstacksdk's `status_code`, keystoneauth's `http_status`), a timeout, or a failed
connection. Anything else (a 4xx, a bug, a driver's own FAILED result) fails the operation at
once, as before.
"""

from __future__ import annotations

_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
# Exception class names of the HTTP stacks drivers use (requests, urllib3, keystoneauth1,
# openstacksdk) that mean "no answer", matched by name so the conductor imports none of them.
_TRANSIENT_NAMES = ("Timeout", "ConnectFailure", "ConnectionError", "RetriableConnectionFailure")


def is_transient(exc: BaseException) -> bool:
    """True when retrying the same call later may succeed."""
    for attribute in ("status_code", "http_status"):
        status = getattr(exc, attribute, None)
        if isinstance(status, int) and status in _TRANSIENT_STATUSES:
            return True
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    return any(name in cls.__name__ for cls in type(exc).__mro__ for name in _TRANSIENT_NAMES)


def delay(retry: int, initial: float, maximum: float) -> float:
    """Seconds before retry number `retry` (1, 2, ...): exponential backoff, capped."""
    return float(min(initial * 2 ** (retry - 1), maximum))
