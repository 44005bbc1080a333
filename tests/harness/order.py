"""Test order: random, except inside a module that declares itself a scenario.

pytest-randomly shuffles the modules and the tests inside each module on every run (the seed
is printed at the top; `--randomly-seed=N` replays an order). A test must make what it needs
and not rely on another test having run.

A few modules are still *scenarios*: one expensive world (a real cluster built through the
API and the openstack client, a Keystone-backed server) walked through in steps, where a later
step uses what an earlier one made. They say so with `pytestmark = pytest.mark.scenario`; this
plugin (registered in tests/conftest.py) puts their tests back in file order after the
shuffle, while the module itself still runs at a random point. The marker is debt, not a
style: new tests must not use it, and the scenarios listed by `pytest -m scenario
--collect-only` are to be split into independent tests.
"""

from __future__ import annotations

from itertools import groupby

import pytest

MARKER = "scenario"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: the module's tests are ordered steps of one story and run in file order "
        "(debt: tests/harness/order.py)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Runs after pytest-randomly's shuffle (it reorders in a hook wrapper, first)."""
    ordered: list[pytest.Item] = []
    for _, group in groupby(items, key=lambda item: item.nodeid.split("::", 1)[0]):
        tests = list(group)
        if tests[0].get_closest_marker(MARKER) is not None:
            tests.sort(key=lambda item: item.location[1] or 0)  # stable: params keep order
        ordered += tests
    items[:] = ordered
