"""Volume statuses, what each status allows, and the options a volume may carry."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class VolumeStatus(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    IN_USE = "in-use"
    ERROR = "error"
    DELETING = "deleting"


# Which statuses allow which action; anything else is a 409 naming the status.
ALLOWED_FROM: dict[str, frozenset[VolumeStatus]] = {
    "delete": frozenset({VolumeStatus.AVAILABLE, VolumeStatus.ERROR}),
    "grow": frozenset({VolumeStatus.AVAILABLE, VolumeStatus.IN_USE}),
    "rename": frozenset(VolumeStatus),
    "mount": frozenset({VolumeStatus.AVAILABLE, VolumeStatus.IN_USE}),
}

DEFAULT_FSTYPE = "ext4"
OPTION_KEYS = ("fstype", "multiattach")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class InvalidVolumeOption(ValueError):
    """An option a volume cannot have; the message says which and why."""


def allows(action: str, status: str) -> bool:
    return status in ALLOWED_FROM[action]


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    raise InvalidVolumeOption(f"option {name} must be true or false, got {value!r}")


def normalize_options(options: Mapping[str, Any] | None, fstypes: frozenset[str]) -> dict[str, Any]:
    """Options as stored: `fstype` (one of `fstypes`) and `multiattach` (bool).

    Values may be strings, as `docker volume create -o multiattach=true` sends them.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(OPTION_KEYS))
    if unknown:
        raise InvalidVolumeOption(
            f"unknown option(s) {', '.join(unknown)}; known: {', '.join(OPTION_KEYS)}"
        )
    fstype = options.get("fstype", DEFAULT_FSTYPE)
    if fstype not in fstypes:
        raise InvalidVolumeOption(
            f"fstype {fstype!r} is not supported; choose one of {', '.join(sorted(fstypes))}"
        )
    return {
        "fstype": fstype,
        "multiattach": _flag("multiattach", options.get("multiattach", False)),
    }


def parse_size(value: Any, max_gib: int) -> int:
    """A size in whole GiB, 1..max_gib (strings of digits accepted, as Docker sends them)."""
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidVolumeOption(f"size must be a whole number of GiB, got {value!r}")
    if not 1 <= value <= max_gib:
        raise InvalidVolumeOption(f"size must be between 1 and {max_gib} GiB, got {value}")
    return value
