"""Test order: random, except inside a module that declares itself a scenario.

pytest-randomly shuffles the modules and the tests inside each module on every run (the seed
is printed at the top; `--randomly-seed=N` replays an order). A test must make what it needs
and not rely on another test having run.

A test that only looks at an expensive resource shares a module-scoped fixture; a test that
changes it makes its own. A story whose steps cannot stand alone (each acts on what the step
before left, and a resource per step would cost too much) is ONE test function that calls its
named steps in order, with the reason in the module's docstring (test_local_cluster_client.py's
`test_a_clusters_life`, test_local_nodegroups.py's `test_a_pools_life`).

One module is still a *scenario*: tests/integration/test_user_guide_cli.py, the user guide's
transcript, whose tests are the guide's sections in the guide's order. It says so with
`pytestmark = pytest.mark.scenario`; this plugin (registered in tests/conftest.py) puts its
tests back in file order after the shuffle, while the module itself still runs at a random
point. New tests must not use the marker (`pytest -m scenario --collect-only` lists its users);
when the guide's module becomes one story test, this plugin goes.
"""

from __future__ import annotations

from itertools import groupby

import pytest

MARKER = "scenario"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: the module's tests are ordered steps of one story and run in file order "
        "(only the user guide's transcript; tests/harness/order.py)",
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
