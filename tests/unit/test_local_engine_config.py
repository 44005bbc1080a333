"""The local driver's pure parts for upgrades: node settings from a template, restart order."""

from __future__ import annotations

import pytest

from dockyard.common.exceptions import InvalidLabel, InvalidParameterValue
from dockyard.drivers.swarm_local import engine, rolling
from dockyard.drivers.swarm_local.layout import MANAGER, WORKER, Node


def test_daemon_options_come_from_labels_and_template() -> None:
    template = {"insecure_registry": "192.168.1.5:5000"}
    labels = {"docker_debug": "TRUE", "docker_log_level": "warn"}
    assert engine.daemon_options(template, labels, "10.0.0.2", tls=True) == {
        "debug": True,
        "log-level": "warn",
        "registry-mirrors": ["https://10.0.0.2:5000"],
        "insecure-registries": ["192.168.1.5:5000"],
    }
    plain = engine.daemon_options({}, {}, "10.0.0.2", tls=False)
    assert plain == {
        "registry-mirrors": ["http://10.0.0.2:5000"],
        "insecure-registries": ["10.0.0.2:5000"],
    }
    assert engine.daemon_options({}, {}, None, tls=True) == {}
    assert engine.digest("overlay2", {}) != engine.digest("vfs", {})
    assert engine.digest("vfs", {"a": 1, "b": 2}) == engine.digest("vfs", {"b": 2, "a": 1})


def test_bad_label_values_are_refused() -> None:
    engine.check_labels({"docker_debug": "false", "docker_log_level": "fatal", "other": "x"})
    with pytest.raises(InvalidLabel, match="docker_debug"):
        engine.check_labels({"docker_debug": "maybe"})
    with pytest.raises(InvalidLabel, match="docker_log_level"):
        engine.check_labels({"docker_log_level": "loud"})


def _node(name: str, role: str) -> Node:
    return Node(name, role, f"10.0.0.{10 + len(name)}", name, swarm_id=f"id-{name}")


def test_managers_one_by_one_leader_last_then_workers_in_batches() -> None:
    nodes = [_node("m0", MANAGER), _node("m1", MANAGER), _node("m2", MANAGER)]
    nodes += [_node(f"w{i}", WORKER) for i in range(5)]
    groups = rolling.batches(nodes, 2, {"id-m0"})
    assert [[n.name for n in g] for g in groups] == [
        ["m1"], ["m2"], ["m0"], ["w0", "w1"], ["w2", "w3"], ["w4"]
    ]  # fmt: skip
    assert len(rolling.batches(nodes, 10, set())) == 4
    assert rolling.batches([], 1, set()) == []
    with pytest.raises(InvalidParameterValue, match="max_batch_size"):
        rolling.batches(nodes, 0, set())
