"""The microversion registry is the one source of truth: ordered, contiguous, and every named
version is one it lists (as placement checks its own, tests/unit/test_microversion.py)."""

from __future__ import annotations

import itertools

from dockyard.api import microversions
from dockyard.api.microversions import MAX_VERSION, MIN_VERSION, VERSIONS, Version


def test_versions_are_ordered_and_contiguous_from_1_1() -> None:
    listed = [version for version, _ in VERSIONS]
    assert listed[0] == MIN_VERSION == Version(1, 1)
    assert listed[-1] == MAX_VERSION
    for before, after in itertools.pairwise(listed):
        assert (after.major, after.minor) == (before.major, before.minor + 1), (before, after)
    assert all(note.strip() for _, note in VERSIONS)  # each version says what it added


def test_every_named_version_is_in_the_registry() -> None:
    named = {
        name: value for name, value in vars(microversions).items() if isinstance(value, Version)
    }
    assert "BAYS_REMOVED" in named and "CLUSTER_ID_FIELD" in named
    listed = {version for version, _ in VERSIONS}
    assert {name for name, value in named.items() if value not in listed} == set()


def test_bays_render_as_clusters_did_before_cluster_id() -> None:
    listed = [version for version, _ in VERSIONS]
    cluster_id = listed.index(microversions.CLUSTER_ID_FIELD)
    assert listed[cluster_id - 1] == microversions.BAY_VIEW
