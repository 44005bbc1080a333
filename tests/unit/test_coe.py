"""Tests for dockyard.domain.coe: COEs, server types, drivers and labels."""

from __future__ import annotations

import dataclasses

import pytest

from dockyard.common.exceptions import Invalid, InvalidLabel, InvalidParameterValue
from dockyard.domain import coe
from dockyard.domain.coe import (
    COES,
    LABELS,
    check_coe,
    check_server_type,
    label_defaults,
    resolve_network_driver,
    resolve_volume_driver,
    validate_labels,
)

# COEs and server types ---------------------------------------------------------------------


def test_coes_and_server_types() -> None:
    assert COES == ("kubernetes", "swarm", "swarm-mode", "mesos")
    assert coe.SERVER_TYPES == ("vm", "bm")
    assert set(coe.SERVER_TYPES_BY_COE) == set(COES)


@pytest.mark.parametrize("name", COES)
def test_check_coe_accepts_known(name: str) -> None:
    check_coe(name)


@pytest.mark.parametrize("name", ["docker", "Kubernetes", "", "swarm_mode"])
def test_check_coe_rejects_unknown(name: str) -> None:
    with pytest.raises(InvalidParameterValue) as exc:
        check_coe(name)
    assert "expected one of kubernetes, swarm, swarm-mode, mesos" in str(exc.value)
    assert exc.value.http_status == 400


@pytest.mark.parametrize("name", COES)
@pytest.mark.parametrize("server_type", ["vm", "bm"])
def test_check_server_type_accepts(name: str, server_type: str) -> None:
    check_server_type(name, server_type)


@pytest.mark.parametrize("name", COES)
@pytest.mark.parametrize("server_type", ["baremetal", "VM", "", "container"])
def test_check_server_type_rejects(name: str, server_type: str) -> None:
    with pytest.raises(InvalidParameterValue) as exc:
        check_server_type(name, server_type)
    assert f"Server type {server_type} not supported for COE {name}" in str(exc.value)


def test_check_server_type_checks_coe_first() -> None:
    with pytest.raises(InvalidParameterValue, match="expected one of kubernetes"):
        check_server_type("nomad", "vm")


# Network drivers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("kubernetes", "flannel"),
        ("swarm", "flannel"),
        ("swarm-mode", "flannel"),
        ("mesos", "docker"),
    ],
)
def test_network_driver_default(name: str, default: str) -> None:
    assert resolve_network_driver(name, None) == default


@pytest.mark.parametrize(
    ("name", "driver"),
    [
        ("kubernetes", "flannel"),
        ("kubernetes", "calico"),
        ("swarm", "docker"),
        ("swarm", "flannel"),
        ("swarm-mode", "docker"),
        ("swarm-mode", "flannel"),
        ("mesos", "docker"),
    ],
)
def test_network_driver_allowed(name: str, driver: str) -> None:
    assert resolve_network_driver(name, driver) == driver


@pytest.mark.parametrize(
    ("name", "driver", "expecting"),
    [
        ("kubernetes", "docker", "flannel/calico"),
        ("kubernetes", "Flannel", "flannel/calico"),
        ("kubernetes", "", "flannel/calico"),
        ("swarm", "calico", "docker/flannel"),
        ("swarm-mode", "calico", "docker/flannel"),
        ("mesos", "flannel", "docker"),
        ("mesos", "calico", "docker"),
    ],
)
def test_network_driver_refused(name: str, driver: str, expecting: str) -> None:
    with pytest.raises(InvalidParameterValue) as exc:
        resolve_network_driver(name, driver)
    assert str(exc.value) == (
        f"Network driver type {driver} is not supported, expecting a {expecting} network driver."
    )


def test_network_driver_unknown_coe() -> None:
    with pytest.raises(InvalidParameterValue, match="expected one of kubernetes"):
        resolve_network_driver("nomad", None)


# Volume drivers ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", COES)
def test_volume_driver_has_no_default(name: str) -> None:
    assert resolve_volume_driver(name, None) is None


@pytest.mark.parametrize(
    ("name", "driver"),
    [("kubernetes", "cinder"), ("swarm", "rexray"), ("swarm-mode", "rexray"), ("mesos", "rexray")],
)
def test_volume_driver_allowed(name: str, driver: str) -> None:
    assert resolve_volume_driver(name, driver) == driver


@pytest.mark.parametrize(
    ("name", "driver", "expecting"),
    [
        ("kubernetes", "rexray", "cinder"),
        ("swarm", "cinder", "rexray"),
        ("swarm-mode", "cinder", "rexray"),
        ("mesos", "cinder", "rexray"),
        ("mesos", "", "rexray"),
    ],
)
def test_volume_driver_refused(name: str, driver: str, expecting: str) -> None:
    with pytest.raises(InvalidParameterValue) as exc:
        resolve_volume_driver(name, driver)
    assert str(exc.value) == (
        f"Volume driver type {driver} is not supported, expecting a {expecting} volume driver."
    )


def test_volume_driver_unknown_coe() -> None:
    with pytest.raises(InvalidParameterValue, match="expected one of kubernetes"):
        resolve_volume_driver("nomad", "cinder")


# Label table -------------------------------------------------------------------------------


def test_label_table_is_consistent() -> None:
    documented = {
        "flannel_network_cidr",
        "flannel_backend",
        "flannel_network_subnetlen",
        "rexray_preempt",
        "mesos_slave_isolation",
        "mesos_slave_image_providers",
        "mesos_slave_work_dir",
        "mesos_slave_executor_env_variables",
        "swarm_strategy",
        "admission_control_list",
        "prometheus_monitoring",
        "grafana_admin_passwd",
        "kube_tag",
        "kube_dashboard_enabled",
        "docker_volume_type",
        "etcd_volume_size",
        "min_node_count",
        "max_node_count",
        "auto_healing_enabled",
        "auto_healing_max_unhealthy",
    }
    assert set(LABELS) == documented
    for name, spec in LABELS.items():
        assert spec.name == name
        assert spec.kind in coe.LABEL_KINDS
        assert spec.coes and spec.coes <= set(COES)
        assert spec.description
        assert (spec.kind in ("enum", "enum_list")) == bool(spec.allowed)
        # Every default is itself valid for every COE the label applies to.
        for name_coe in spec.coes:
            assert validate_labels(name_coe, {name: spec.default}) == {name: spec.default}


def test_label_spec_is_frozen_and_table_read_only() -> None:
    spec = LABELS["flannel_backend"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.default = "vxlan"  # type: ignore[misc]
    with pytest.raises(TypeError):
        LABELS["x"] = spec  # type: ignore[index]


def test_label_defaults_kubernetes() -> None:
    assert label_defaults("kubernetes") == {
        "flannel_network_cidr": "10.100.0.0/16",
        "flannel_backend": "udp",
        "flannel_network_subnetlen": "24",
        "admission_control_list": "NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota",
        "prometheus_monitoring": "false",
        "grafana_admin_passwd": "admin",
        "kube_tag": "v1.2.0",
        "kube_dashboard_enabled": "true",
        "etcd_volume_size": "0",
    }


@pytest.mark.parametrize("name", ["swarm", "swarm-mode"])
def test_label_defaults_swarm(name: str) -> None:
    assert label_defaults(name) == {
        "flannel_network_cidr": "10.100.0.0/16",
        "flannel_backend": "udp",
        "flannel_network_subnetlen": "24",
        "rexray_preempt": "false",
        "swarm_strategy": "spread",
    }


def test_label_defaults_mesos() -> None:
    assert label_defaults("mesos") == {"rexray_preempt": "false"}


def test_label_defaults_returns_a_fresh_dict() -> None:
    label_defaults("mesos")["rexray_preempt"] = "true"
    assert label_defaults("mesos") == {"rexray_preempt": "false"}


def test_label_defaults_unknown_coe() -> None:
    with pytest.raises(InvalidParameterValue):
        label_defaults("nomad")


# Label values: one good and one bad value per kind ------------------------------------------

GOOD = [
    # (coe, label, given, stored)
    ("kubernetes", "flannel_network_cidr", "10.0.0.0/8", "10.0.0.0/8"),
    ("swarm", "flannel_network_cidr", "192.168.0.0/16", "192.168.0.0/16"),
    ("kubernetes", "flannel_backend", "vxlan", "vxlan"),
    ("swarm-mode", "flannel_backend", "host-gw", "host-gw"),
    ("kubernetes", "flannel_network_subnetlen", "26", "26"),
    ("kubernetes", "flannel_network_subnetlen", 30, "30"),
    ("kubernetes", "flannel_network_subnetlen", "024", "24"),
    ("swarm", "rexray_preempt", "TRUE", "true"),
    ("mesos", "rexray_preempt", True, "true"),
    ("swarm-mode", "rexray_preempt", "False", "false"),
    (
        "mesos",
        "mesos_slave_isolation",
        "filesystem/linux,docker/runtime",
        "filesystem/linux,docker/runtime",
    ),
    ("mesos", "mesos_slave_isolation", " posix/cpu , posix/mem,posix/cpu", "posix/cpu,posix/mem"),
    ("mesos", "mesos_slave_isolation", "", ""),
    ("mesos", "mesos_slave_image_providers", "appc,docker", "appc,docker"),
    ("mesos", "mesos_slave_work_dir", "/tmp/mesos", "/tmp/mesos"),
    (
        "mesos",
        "mesos_slave_executor_env_variables",
        "/home/ubuntu/test.json",
        "/home/ubuntu/test.json",
    ),
    ("swarm", "swarm_strategy", "binpack", "binpack"),
    ("swarm-mode", "swarm_strategy", "random", "random"),
    (
        "kubernetes",
        "admission_control_list",
        "NamespaceLifecycle,NodeRestriction",
        "NamespaceLifecycle,NodeRestriction",
    ),
    ("kubernetes", "prometheus_monitoring", False, "false"),
    ("kubernetes", "grafana_admin_passwd", "s3cr3t!", "s3cr3t!"),
    ("kubernetes", "kube_tag", "v1.11.6", "v1.11.6"),
    ("kubernetes", "kube_tag", "v1.2.0-beta.1", "v1.2.0-beta.1"),
    ("kubernetes", "kube_dashboard_enabled", "True", "true"),
    ("mesos", "docker_volume_type", "lvmdriver-1", "lvmdriver-1"),
    ("kubernetes", "docker_volume_type", "", ""),
    ("kubernetes", "etcd_volume_size", 10, "10"),
    ("kubernetes", "etcd_volume_size", "0", "0"),
    ("swarm", "min_node_count", "1", "1"),
    ("mesos", "max_node_count", 5, "5"),
    ("kubernetes", "min_node_count", "", ""),
]


@pytest.mark.parametrize(("name", "label", "given", "stored"), GOOD)
def test_label_good_value(name: str, label: str, given: object, stored: str) -> None:
    assert validate_labels(name, {label: given}) == {label: stored}


BAD = [
    # (coe, label, given, words the message must contain besides label and value)
    ("kubernetes", "flannel_network_cidr", "10.100.0.0", "CIDR"),
    ("kubernetes", "flannel_network_cidr", "10.100.0.1/16", "host bits"),
    ("kubernetes", "flannel_network_cidr", "fd00::/64", "IPv4"),
    ("kubernetes", "flannel_network_cidr", "not-a-net/8", "IPv4"),
    ("kubernetes", "flannel_network_cidr", "", "must not be empty"),
    ("kubernetes", "flannel_backend", "gre", "udp, vxlan, host-gw"),
    ("kubernetes", "flannel_backend", "VXLAN", "udp, vxlan, host-gw"),
    ("kubernetes", "flannel_network_subnetlen", "7", "from 8 to 30"),
    ("kubernetes", "flannel_network_subnetlen", "31", "from 8 to 30"),
    ("kubernetes", "flannel_network_subnetlen", "24.0", "integer"),
    ("kubernetes", "flannel_network_subnetlen", "1_6", "integer"),
    ("kubernetes", "flannel_network_subnetlen", " 24", "integer"),
    ("swarm", "rexray_preempt", "yes", "true or false"),
    ("mesos", "rexray_preempt", 1, "true or false"),
    ("swarm", "rexray_preempt", "", "must not be empty"),
    ("mesos", "mesos_slave_isolation", "cgroups/cpu,cgroups/net", "cgroups/net"),
    ("mesos", "mesos_slave_isolation", "posix/cpu,,posix/mem", "comma-separated"),
    ("mesos", "mesos_slave_image_providers", "docker,rkt", "appc, docker"),
    ("mesos", "mesos_slave_work_dir", "tmp/mesos", "absolute"),
    ("mesos", "mesos_slave_work_dir", "/tmp/a\nb", "absolute"),
    ("mesos", "mesos_slave_executor_env_variables", "a\x00b.json", "NUL"),
    ("mesos", "mesos_slave_executor_env_variables", "a.json\n", "line-break"),
    ("swarm", "swarm_strategy", "fill", "spread, binpack, random"),
    ("kubernetes", "admission_control_list", "NamespaceLifecycle,Bogus", "Bogus"),
    ("kubernetes", "admission_control_list", "", "must not be empty"),
    ("kubernetes", "prometheus_monitoring", "on", "true or false"),
    ("kubernetes", "grafana_admin_passwd", "", "must not be empty"),
    ("kubernetes", "kube_tag", "1.2.0", "v[0-9]+"),
    ("kubernetes", "kube_tag", "v1.2", "v[0-9]+"),
    ("kubernetes", "kube_tag", "latest", "v[0-9]+"),
    ("kubernetes", "kube_tag", "v1.2.0 ;rm", "v[0-9]+"),
    ("kubernetes", "kube_dashboard_enabled", "1", "true or false"),
    ("kubernetes", "etcd_volume_size", "-1", ">= 0"),
    ("kubernetes", "etcd_volume_size", "ten", "integer"),
    ("swarm", "min_node_count", "-2", ">= 0"),
    ("mesos", "max_node_count", 2.5, "integer"),
]


@pytest.mark.parametrize(("name", "label", "given", "words"), BAD)
def test_label_bad_value(name: str, label: str, given: object, words: str) -> None:
    with pytest.raises(InvalidLabel) as exc:
        validate_labels(name, {label: given})
    message = str(exc.value)
    assert message.startswith(f"Invalid label {label}: ")
    assert repr(coe._label_value_to_str(label, given)) in message
    assert words in message
    assert exc.value.http_status == 400


def test_every_kind_is_exercised() -> None:
    good_kinds = {LABELS[label].kind for _, label, _, _ in GOOD}
    bad_kinds = {LABELS[label].kind for _, label, _, _ in BAD}
    assert good_kinds == bad_kinds == set(coe.LABEL_KINDS)


# COE applicability -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label", "value", "applies_to"),
    [
        ("mesos", "flannel_backend", "vxlan", "kubernetes, swarm, swarm-mode"),
        ("mesos", "flannel_network_cidr", "10.0.0.0/8", "kubernetes, swarm, swarm-mode"),
        ("kubernetes", "rexray_preempt", "true", "swarm, swarm-mode, mesos"),
        ("kubernetes", "swarm_strategy", "spread", "swarm, swarm-mode"),
        ("mesos", "swarm_strategy", "spread", "swarm, swarm-mode"),
        ("swarm", "kube_tag", "v1.2.0", "kubernetes"),
        ("swarm-mode", "admission_control_list", "LimitRanger", "kubernetes"),
        ("kubernetes", "mesos_slave_work_dir", "/tmp/mesos", "mesos"),
        ("swarm", "etcd_volume_size", "1", "kubernetes"),
    ],
)
def test_label_for_other_coe(name: str, label: str, value: str, applies_to: str) -> None:
    with pytest.raises(InvalidLabel) as exc:
        validate_labels(name, {label: value})
    message = str(exc.value)
    assert label in message
    assert repr(value) in message
    assert f"applies only to {applies_to}" in message


# Cross-checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "subnetlen", "ok"),
    [
        ("10.100.0.0/16", "24", True),
        ("10.100.0.0/16", "17", True),
        ("10.100.0.0/16", "16", False),
        ("10.100.0.0/16", "8", False),
        ("10.0.0.0/8", "9", True),
        ("10.0.0.0/24", "24", False),
        ("10.0.0.0/24", "25", True),
    ],
)
def test_subnetlen_must_be_longer_than_cidr_prefix(cidr: str, subnetlen: str, ok: bool) -> None:
    labels = {"flannel_network_cidr": cidr, "flannel_network_subnetlen": subnetlen}
    if ok:
        assert validate_labels("kubernetes", labels) == labels
        return
    with pytest.raises(InvalidLabel) as exc:
        validate_labels("kubernetes", labels)
    message = str(exc.value)
    assert message.startswith("Invalid label flannel_network_subnetlen: ")
    assert repr(subnetlen) in message
    assert cidr in message


def test_subnetlen_alone_is_not_cross_checked() -> None:
    assert validate_labels("swarm", {"flannel_network_subnetlen": "12"}) == {
        "flannel_network_subnetlen": "12"
    }


def test_min_node_count_not_above_max() -> None:
    ok = {"min_node_count": "2", "max_node_count": "2"}
    assert validate_labels("kubernetes", ok) == ok
    with pytest.raises(InvalidLabel, match=r"max_node_count: value '1' .*min_node_count \(3\)"):
        validate_labels("kubernetes", {"min_node_count": 3, "max_node_count": 1})


# Conversion, pass-through and limits -------------------------------------------------------


def test_unknown_labels_pass_through_as_strings() -> None:
    labels = {
        "my_driver_option": "Some Value",
        "flag": True,
        "off": False,
        "count": 3,
        "ratio": 0.5,
        "empty": "",
    }
    assert validate_labels("mesos", labels) == {
        "my_driver_option": "Some Value",
        "flag": "true",
        "off": "false",
        "count": "3",
        "ratio": "0.5",
        "empty": "",
    }


def test_mixed_labels_are_normalised_and_order_kept() -> None:
    result = validate_labels(
        "kubernetes",
        {"kube_dashboard_enabled": "FALSE", "zzz": "x", "flannel_network_subnetlen": 25},
    )
    assert result == {
        "kube_dashboard_enabled": "false",
        "zzz": "x",
        "flannel_network_subnetlen": "25",
    }
    assert list(result) == ["kube_dashboard_enabled", "zzz", "flannel_network_subnetlen"]


def test_input_is_not_modified() -> None:
    labels: dict[str, object] = {"rexray_preempt": True}
    validate_labels("swarm", labels)
    assert labels == {"rexray_preempt": True}


def test_empty_labels() -> None:
    assert validate_labels("kubernetes", {}) == {}


def test_first_bad_label_is_reported() -> None:
    labels = {
        "flannel_backend": "vxlan",
        "kube_tag": "nope",
        "flannel_network_subnetlen": "99",
    }
    with pytest.raises(InvalidLabel, match=r"^Invalid label kube_tag: "):
        validate_labels("kubernetes", labels)
    labels = {"flannel_network_subnetlen": "99", "kube_tag": "nope"}
    with pytest.raises(InvalidLabel, match=r"^Invalid label flannel_network_subnetlen: "):
        validate_labels("kubernetes", labels)


@pytest.mark.parametrize("value", [None, ["a"], {"a": "b"}])
def test_unsupported_value_types(value: object) -> None:
    with pytest.raises(InvalidLabel, match=r"^Invalid label x: value .* has type"):
        validate_labels("kubernetes", {"x": value})


@pytest.mark.parametrize("key", ["", 1, None])
def test_bad_keys(key: object) -> None:
    with pytest.raises(InvalidLabel, match="non-empty strings"):
        validate_labels("kubernetes", {key: "v"})  # type: ignore[dict-item]


def test_key_length_limit() -> None:
    assert validate_labels("swarm", {"k" * 255: "v"}) == {"k" * 255: "v"}
    with pytest.raises(InvalidLabel, match="256 characters long; at most 255"):
        validate_labels("swarm", {"k" * 256: "v"})


def test_value_length_limit() -> None:
    assert validate_labels("swarm", {"k": "v" * 255}) == {"k": "v" * 255}
    with pytest.raises(InvalidLabel, match=r"^Invalid label k: .*256 characters long"):
        validate_labels("swarm", {"k": "v" * 256})
    with pytest.raises(InvalidLabel, match=r"^Invalid label grafana_admin_passwd: "):
        validate_labels("kubernetes", {"grafana_admin_passwd": "p" * 256})


def test_label_count_limit() -> None:
    hundred = {f"k{i}": "v" for i in range(100)}
    assert validate_labels("mesos", hundred) == hundred
    with pytest.raises(InvalidParameterValue, match="101 given, at most 100"):
        validate_labels("mesos", {**hundred, "one_more": "v"})


def test_labels_must_be_a_mapping() -> None:
    with pytest.raises(InvalidParameterValue, match="mapping"):
        validate_labels("mesos", [("a", "b")])  # type: ignore[arg-type]


def test_validate_labels_unknown_coe() -> None:
    with pytest.raises(InvalidParameterValue, match="expected one of kubernetes"):
        validate_labels("nomad", {})


def test_all_errors_are_400() -> None:
    assert issubclass(InvalidLabel, Invalid)
    assert issubclass(InvalidParameterValue, Invalid)
