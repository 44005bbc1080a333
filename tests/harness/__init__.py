"""Test harness: what tests need from the machine, and real services to run against.

- `harness.host`: **`require_host(...)`**, the one way a test says it needs root, Docker,
  Chromium, loop devices or a database server. Skipped without them on a developer's machine,
  a failure under `CI=true`:

      from harness.host import require_host

      pytestmark = require_host("root", "docker")      # a module
      @require_host("root", "loop-devices")             # a test
      require_host_now("chromium")                      # inside a fixture

  `unavailable(reason)` does the same for any other missing prerequisite (Heat cannot be
  installed, ...). Do not use a bare `pytest.skip`/`skipif` for a prerequisite: under CI=true
  any skipped test fails the run (harness.tiers).
- `harness.waiting`: `wait_until(check, timeout, what)`, the one poll loop (explicit condition
  and timeout; never `sleep` to synchronise).
- `harness.order`: tests run in random order (pytest-randomly, seed printed); only the user
  guide's transcript is a `scenario` module that keeps file order (see its docstring).
- `harness.tiers`: counts tests per tier (unit, functional, integration, e2e) for the summary.
- Real OpenStack services (Keystone, Heat, Glance, Barbican) started by
  scripts/openstack-harness: use their fixtures with `pytest_plugins = ["harness.fixtures"]`
  in a test module.

`harness.host`, `harness.order` and `harness.tiers` are pytest plugins, registered in
tests/conftest.py.
"""
