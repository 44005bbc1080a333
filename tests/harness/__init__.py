"""Test harness: real OpenStack services (Keystone today) started by scripts/openstack-harness.

Use the fixtures with `pytest_plugins = ["harness.fixtures"]` in a test module.
"""
