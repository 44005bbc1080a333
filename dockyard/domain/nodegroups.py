"""What a nodegroup may hold: node counts within its limits, node labels and taints.

Magnum's rules (409 NodeGroupInvalidInput on a violation): min_node_count <= node_count <=
max_node_count; node labels are Kubernetes-style keys and values, outside the namespaces the
kubelet reserves; taints are {key, value, effect} objects with one of Kubernetes' effects.
The two labels every node gets from its group (`magnum.openstack.org/nodegroup` and `/role`)
cannot be set by hand.

Pure: no I/O and no imports outside the standard library and `dockyard.common.exceptions`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, NoReturn

from dockyard.common.exceptions import NodeGroupInvalidInput

TAINT_EFFECTS: Final = ("NoSchedule", "PreferNoSchedule", "NoExecute")
RESERVED_LABELS: Final = frozenset({"magnum.openstack.org/nodegroup", "magnum.openstack.org/role"})
# Kubernetes' own namespaces; a node may carry only the kubelet's labels from them.
_K8S_NAMESPACES: Final = ("kubernetes.io", "k8s.io")
_KUBELET_PREFIXES: Final = ("kubelet.kubernetes.io", "node.kubernetes.io")
_KUBELET_LABELS: Final = frozenset(
    {
        "kubernetes.io/hostname",
        "kubernetes.io/arch",
        "kubernetes.io/os",
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/instance-type",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    }
)
_NAME: Final = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
_PREFIX: Final = re.compile(
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def check_counts(name: str, node_count: int, min_count: int, max_count: int | None) -> None:
    """min_node_count <= node_count <= max_node_count (max None: no upper limit)."""
    if max_count is not None and max_count < min_count:
        _invalid(
            "max_node_count",
            name,
            f"min_node_count ({min_count}) should be less or equal to max_node_count ({max_count})",
        )
    if max_count is not None and node_count > max_count:
        _invalid(
            "max_node_count",
            name,
            f"node_count ({node_count}) should be less or equal to max_node_count ({max_count})",
        )
    if min_count > node_count:
        _invalid(
            "min_node_count",
            name,
            f"min_node_count ({min_count}) should be less or equal to node_count ({node_count})",
        )


def check_node_labels(name: str, labels: Any) -> dict[str, str]:
    """The node labels as strings; refuses malformed and reserved keys."""
    if not isinstance(labels, Mapping):
        _invalid("node_labels", name, "expected an object of key/value strings")
    checked: dict[str, str] = {}
    for key, value in labels.items():
        key, text = str(key), "" if value is None else str(value)
        if not _valid_key(key):
            _invalid("node_labels", name, f"invalid label key {key!r}")
        if key in RESERVED_LABELS:
            _invalid("node_labels", name, f"label key {key!r} is set from the nodegroup")
        if in_kubernetes_namespace(key) and key not in _KUBELET_LABELS:
            prefix = key.partition("/")[0]
            if prefix not in _KUBELET_PREFIXES:
                _invalid("node_labels", name, f"label key {key!r} is in a reserved namespace")
        if text and not _NAME.match(text):
            _invalid("node_labels", name, f"invalid label value {text!r}")
        checked[key] = text
    return checked


def check_node_taints(name: str, taints: Any) -> list[dict[str, str]]:
    """The taints as {key, value, effect} dicts; refuses anything else."""
    if not isinstance(taints, list):
        _invalid("node_taints", name, "expected a list of {key, value, effect} objects")
    checked: list[dict[str, str]] = []
    for taint in taints:
        if not isinstance(taint, Mapping) or set(taint) - {"key", "value", "effect"}:
            _invalid("node_taints", name, f"taint {taint!r} must have only key, value, effect")
        key = str(taint.get("key") or "")
        value = "" if taint.get("value") is None else str(taint.get("value"))
        effect = str(taint.get("effect") or "")
        if not _valid_key(key):
            _invalid("node_taints", name, f"invalid taint key {key!r}")
        if effect not in TAINT_EFFECTS:
            _invalid(
                "node_taints",
                name,
                f"taint {key!r}: effect must be one of {', '.join(TAINT_EFFECTS)}",
            )
        if value and not _NAME.match(value):
            _invalid("node_taints", name, f"invalid taint value {value!r}")
        checked.append({"key": key, "value": value, "effect": effect})
    return checked


def _valid_key(key: str) -> bool:
    prefix, slash, label = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _PREFIX.match(prefix)):
        return False
    return bool(_NAME.match(label))


def in_kubernetes_namespace(key: str) -> bool:
    """True for a label key in Kubernetes' own namespaces (`kubernetes.io`, `k8s.io`)."""
    prefix = key.partition("/")[0] if "/" in key else ""
    return any(prefix == ns or prefix.endswith("." + ns) for ns in _K8S_NAMESPACES)


def _invalid(attr: str, name: str, expl: str) -> NoReturn:
    raise NodeGroupInvalidInput(attr=attr, nodegroup=name, expl=expl)
