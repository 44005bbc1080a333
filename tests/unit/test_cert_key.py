"""The embedded default's certificate encryption key file."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cryptography.fernet import Fernet

from dockyard.certs.stores import load_or_create_key


def test_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "state" / "certificates.key"
    key = load_or_create_key(str(path))
    Fernet(key)  # a valid key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(str(path)) == key
    assert [p.name for p in path.parent.iterdir()] == ["certificates.key"]


def test_concurrent_first_use_agrees_on_one_complete_key(tmp_path: Path) -> None:
    for attempt in range(20):
        path = str(tmp_path / f"try-{attempt}" / "certificates.key")
        with ThreadPoolExecutor(8) as pool:
            keys = set(pool.map(load_or_create_key, [path] * 8))
        assert len(keys) == 1
        Fernet(keys.pop())
