"""Generated names for templates and clusters created without one (Magnum style)."""

from __future__ import annotations

import secrets

_ADJECTIVES = ("brave", "calm", "eager", "fancy", "gentle", "jolly", "lively", "proud", "quick")
_NOUNS = ("anchor", "barge", "cutter", "ferry", "harbor", "keel", "pier", "schooner", "tug")


def generate(suffix: str) -> str:
    """A random readable name that matches the cluster name pattern, e.g. `calm-pier-42-cluster`."""
    adjective = secrets.choice(_ADJECTIVES)
    noun = secrets.choice(_NOUNS)
    return f"{adjective}-{noun}-{secrets.randbelow(100)}-{suffix}"
