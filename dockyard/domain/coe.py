"""What each Container Orchestration Engine (COE) accepts: server types, drivers and labels.

The rules come from Magnum's user guide. A ClusterTemplate names one of `COES`. Each COE
allows certain server types, network drivers (with a default) and volume drivers (no default).
Labels are key/value strings; the guide documents some of them (`LABELS`), and
`validate_labels` checks and normalises those that apply to the template's COE. It passes
other labels through unchanged, because drivers may define more.

Pure: no I/O and no imports outside the standard library and `dockyard.common.exceptions`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from dockyard.common.exceptions import InvalidField, InvalidLabel, InvalidParameterValue

__all__ = [
    "COES",
    "DEFAULT_NETWORK_DRIVERS",
    "DOCKER_STORAGE_DRIVERS",
    "LABELS",
    "LABEL_KINDS",
    "MAX_LABELS",
    "MAX_LABEL_KEY_LENGTH",
    "MAX_LABEL_VALUE_LENGTH",
    "MIN_DEVICEMAPPER_GB",
    "NETWORK_DRIVERS",
    "SERVER_TYPES",
    "SERVER_TYPES_BY_COE",
    "VOLUME_DRIVERS",
    "LabelKind",
    "LabelSpec",
    "check_coe",
    "check_docker_storage_driver",
    "check_docker_volume_size",
    "check_server_type",
    "label_defaults",
    "resolve_network_driver",
    "resolve_volume_driver",
    "validate_labels",
]

COES: Final = ("kubernetes", "swarm", "swarm-mode", "mesos")
SERVER_TYPES: Final = ("vm", "bm")

SERVER_TYPES_BY_COE: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "kubernetes": ("vm", "bm"),
        "swarm": ("vm", "bm"),
        "swarm-mode": ("vm", "bm"),
        "mesos": ("vm", "bm"),
    }
)

NETWORK_DRIVERS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "kubernetes": ("flannel", "calico"),
        "swarm": ("docker", "flannel"),
        "swarm-mode": ("docker", "flannel"),
        "mesos": ("docker",),
    }
)

DEFAULT_NETWORK_DRIVERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "kubernetes": "flannel",
        "swarm": "flannel",
        "swarm-mode": "flannel",
        "mesos": "docker",
    }
)

# No COE has a default volume driver.
VOLUME_DRIVERS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "kubernetes": ("cinder",),
        "swarm": ("rexray",),
        "swarm-mode": ("rexray",),
        "mesos": ("rexray",),
    }
)

# docker_storage_driver values: the guide's (devicemapper, overlay) and overlay2, which
# python-magnumclient 5 sends by default.
DOCKER_STORAGE_DRIVERS: Final = ("devicemapper", "overlay", "overlay2")
MIN_DEVICEMAPPER_GB: Final = 3

MAX_LABELS: Final = 100
MAX_LABEL_KEY_LENGTH: Final = 255
MAX_LABEL_VALUE_LENGTH: Final = 255


def check_coe(coe: str) -> None:
    """Raise InvalidParameterValue unless `coe` is one of `COES`."""
    if coe not in COES:
        raise InvalidField(field="coe", value=coe, reason=f"expected one of {', '.join(COES)}")


def check_server_type(coe: str, server_type: str) -> None:
    """Raise InvalidParameterValue unless `coe` supports `server_type`."""
    check_coe(coe)
    if server_type not in SERVER_TYPES_BY_COE[coe]:
        raise InvalidParameterValue(
            err=(
                f"Server type {server_type} not supported for COE {coe}; "
                f"expecting one of: {', '.join(SERVER_TYPES_BY_COE[coe])}."
            )
        )


def resolve_network_driver(coe: str, value: str | None) -> str:
    """Return the network driver to use: `value`, or the COE's default when it is None.

    Raises InvalidParameterValue when the COE does not support `value`.
    """
    check_coe(coe)
    if value is None:
        return DEFAULT_NETWORK_DRIVERS[coe]
    allowed = NETWORK_DRIVERS[coe]
    if value not in allowed:
        raise InvalidParameterValue(
            err=(
                f"Network driver type {value} is not supported, "
                f"expecting a {'/'.join(allowed)} network driver."
            )
        )
    return value


def check_docker_storage_driver(value: str | None) -> None:
    """Raise InvalidField unless `value` is None or one of `DOCKER_STORAGE_DRIVERS`."""
    if value is not None and value not in DOCKER_STORAGE_DRIVERS:
        raise InvalidField(
            field="docker_storage_driver",
            value=value,
            reason=f"expected one of {', '.join(DOCKER_STORAGE_DRIVERS)}",
        )


def check_docker_volume_size(storage_driver: str | None, size: int | None) -> None:
    """The seed-era rule: devicemapper needs at least 3 GB *when a volume is given*; without
    one (the legacy CLI's default template) the node's own disk is used."""
    if storage_driver == "devicemapper" and size and size < MIN_DEVICEMAPPER_GB:
        raise InvalidParameterValue(
            err=f"docker volume size {size} GB is not valid, expecting minimum value "
            f"{MIN_DEVICEMAPPER_GB}GB for devicemapper storage driver."
        )


def resolve_volume_driver(coe: str, value: str | None) -> str | None:
    """Return the volume driver to use: `value`, or None (no COE has a default).

    Raises InvalidParameterValue when the COE does not support `value`.
    """
    check_coe(coe)
    if value is None:
        return None
    allowed = VOLUME_DRIVERS[coe]
    if value not in allowed:
        raise InvalidParameterValue(
            err=(
                f"Volume driver type {value} is not supported, "
                f"expecting a {'/'.join(allowed)} volume driver."
            )
        )
    return value


# Labels -----------------------------------------------------------------------------------

LabelKind = Literal["cidr", "int", "bool", "enum", "enum_list", "str", "path", "filename"]
LABEL_KINDS: Final = ("cidr", "int", "bool", "enum", "enum_list", "str", "path", "filename")

_ALL_COES: Final = frozenset(COES)
_K8S: Final = frozenset({"kubernetes"})
_FLANNEL_COES: Final = frozenset({"kubernetes", "swarm", "swarm-mode"})
_SWARM_COES: Final = frozenset({"swarm", "swarm-mode"})
_MESOS: Final = frozenset({"mesos"})


@dataclass(frozen=True, kw_only=True)
class LabelSpec:
    """One documented label.

    `default` is the value a driver uses when the label is absent; "" means "unset", and
    then an empty value is accepted too. `allowed` lists the values of an "enum" label or the
    items of an "enum_list" label. `min_value`/`max_value` bound an "int" label. `pattern`
    is a regular expression a "str" label's whole value must match.
    """

    name: str
    kind: LabelKind
    coes: frozenset[str]
    default: str
    description: str
    allowed: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    pattern: str | None = None


_SPECS: Final = (
    LabelSpec(
        name="flannel_network_cidr",
        kind="cidr",
        coes=_FLANNEL_COES,
        default="10.100.0.0/16",
        description="IPv4 network (CIDR) flannel allocates container addresses from.",
    ),
    LabelSpec(
        name="flannel_backend",
        kind="enum",
        coes=_FLANNEL_COES,
        default="udp",
        allowed=("udp", "vxlan", "host-gw"),
        description="Flannel backend carrying the container traffic between nodes.",
    ),
    LabelSpec(
        name="flannel_network_subnetlen",
        kind="int",
        coes=_FLANNEL_COES,
        default="24",
        min_value=8,
        max_value=30,
        description=(
            "Prefix length of the subnet flannel assigns to each node; longer than the "
            "prefix of flannel_network_cidr."
        ),
    ),
    LabelSpec(
        name="rexray_preempt",
        kind="bool",
        coes=frozenset({"swarm", "swarm-mode", "mesos"}),
        default="false",
        description="Let any host take control of a Rexray volume even if other hosts use it.",
    ),
    LabelSpec(
        name="mesos_slave_isolation",
        kind="enum_list",
        coes=_MESOS,
        default="",
        allowed=(
            "filesystem/posix",
            "filesystem/linux",
            "filesystem/shared",
            "posix/cpu",
            "posix/mem",
            "posix/disk",
            "cgroups/cpu",
            "cgroups/mem",
            "docker/runtime",
            "namespaces/pid",
        ),
        description="Comma-separated isolators for the Mesos slave (--isolation).",
    ),
    LabelSpec(
        name="mesos_slave_image_providers",
        kind="enum_list",
        coes=_MESOS,
        default="",
        allowed=("appc", "docker"),
        description="Comma-separated container image types the Mesos containerizer allows.",
    ),
    LabelSpec(
        name="mesos_slave_work_dir",
        kind="path",
        coes=_MESOS,
        default="",
        description="Absolute path of the Mesos slave's work directory (--work_dir).",
    ),
    LabelSpec(
        name="mesos_slave_executor_env_variables",
        kind="filename",
        coes=_MESOS,
        default="",
        description=(
            "JSON file of environment variables passed to executors "
            "(--executor_environment_variables)."
        ),
    ),
    LabelSpec(
        name="swarm_strategy",
        kind="enum",
        coes=_SWARM_COES,
        default="spread",
        allowed=("spread", "binpack", "random"),
        description="Scheduling strategy of the Swarm master (--strategy).",
    ),
    LabelSpec(
        name="admission_control_list",
        kind="enum_list",
        coes=_K8S,
        default="NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota",
        allowed=(
            "NamespaceLifecycle",
            "LimitRanger",
            "ServiceAccount",
            "ResourceQuota",
            "DefaultStorageClass",
            "DefaultTolerationSeconds",
            "NodeRestriction",
            "PodSecurityPolicy",
            "AlwaysPullImages",
            "MutatingAdmissionWebhook",
            "ValidatingAdmissionWebhook",
        ),
        description="Comma-separated admission controllers of the Kubernetes API server.",
    ),
    LabelSpec(
        name="prometheus_monitoring",
        kind="bool",
        coes=_K8S,
        default="false",
        description="Deploy Prometheus and Grafana in the cluster.",
    ),
    LabelSpec(
        name="grafana_admin_passwd",
        kind="str",
        coes=_K8S,
        default="admin",
        description="Password of Grafana's admin user (with prometheus_monitoring).",
    ),
    LabelSpec(
        name="kube_tag",
        kind="str",
        coes=_K8S,
        default="v1.2.0",
        pattern=r"v[0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9._+-]*",
        description="Kubernetes version (image tag) to run, such as v1.2.0.",
    ),
    LabelSpec(
        name="kube_dashboard_enabled",
        kind="bool",
        coes=_K8S,
        default="true",
        description="Deploy the Kubernetes dashboard.",
    ),
    LabelSpec(
        name="docker_volume_type",
        kind="str",
        coes=_ALL_COES,
        default="",
        description="Cinder volume type of the Docker storage volume (docker_volume_size).",
    ),
    LabelSpec(
        name="etcd_volume_size",
        kind="int",
        coes=_K8S,
        default="0",
        min_value=0,
        description="Size in GB of the Cinder volume holding etcd's data; 0 for none.",
    ),
    LabelSpec(
        name="min_node_count",
        kind="int",
        coes=_ALL_COES,
        default="",
        min_value=0,
        description="Fewest nodes the autoscaler may shrink the cluster to.",
    ),
    LabelSpec(
        name="max_node_count",
        kind="int",
        coes=_ALL_COES,
        default="",
        min_value=0,
        description="Most nodes the autoscaler may grow the cluster to.",
    ),
    LabelSpec(
        name="auto_healing_enabled",
        kind="bool",
        coes=_ALL_COES,
        default="",
        description=(
            "Restart (or replace) nodes that stay down; unset means true with the drivers "
            "that can heal (the local drivers); false leaves down nodes alone."
        ),
    ),
    LabelSpec(
        name="auto_healing_max_unhealthy",
        kind="str",
        coes=_ALL_COES,
        default="",
        pattern=r"[0-9]{1,9}%?",
        description=(
            "Most nodes that may be down at once for healing to act, as a count or a "
            "percentage of the cluster's nodes (Cluster API's maxUnhealthy; unset means "
            "100%); beyond it, healing waits."
        ),
    ),
)

LABELS: Final[Mapping[str, LabelSpec]] = MappingProxyType({spec.name: spec for spec in _SPECS})

_INT_RE: Final = re.compile(r"[+-]?[0-9]+")
_LINE_BREAKING: Final = ("\x00", "\n", "\r")


def label_defaults(coe: str) -> dict[str, str]:
    """Return the non-empty defaults of the documented labels that apply to `coe`."""
    check_coe(coe)
    return {spec.name: spec.default for spec in _SPECS if coe in spec.coes and spec.default}


def _label_value_to_str(name: str, value: object) -> str:
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise InvalidLabel(
        label=name,
        reason=(
            f"value {value!r} has type {type(value).__name__}; "
            "expecting a string, number or boolean"
        ),
    )


def _check_label_value(spec: LabelSpec, value: str) -> str:
    """Return `value` normalised for `spec`, or raise InvalidLabel."""

    def bad(expecting: str) -> InvalidLabel:
        return InvalidLabel(label=spec.name, reason=f"value {value!r} is invalid; {expecting}")

    if value == "":
        if spec.default == "":
            return value  # "unset"
        raise bad("it must not be empty")

    if spec.kind == "bool":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise bad("expecting true or false")
        return lowered

    if spec.kind == "int":
        if not _INT_RE.fullmatch(value):
            raise bad("expecting an integer")
        number = int(value)
        if spec.min_value is not None and spec.max_value is not None:
            bounds = f"an integer from {spec.min_value} to {spec.max_value}"
        elif spec.min_value is not None:
            bounds = f"an integer >= {spec.min_value}"
        else:
            bounds = f"an integer <= {spec.max_value}"
        if (spec.min_value is not None and number < spec.min_value) or (
            spec.max_value is not None and number > spec.max_value
        ):
            raise bad(f"expecting {bounds}")
        return str(number)

    if spec.kind == "cidr":
        expecting = "expecting an IPv4 network in CIDR notation, such as 10.100.0.0/16"
        if "/" not in value:
            raise bad(expecting)
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError:
            raise bad(expecting + ", with no host bits set") from None
        return str(network)

    if spec.kind == "enum":
        if value not in spec.allowed:
            raise bad(f"expecting one of: {', '.join(spec.allowed)}")
        return value

    if spec.kind == "enum_list":
        items: list[str] = []
        for raw in value.split(","):
            item = raw.strip()
            if item not in spec.allowed:
                raise bad(
                    f"{item!r} is not allowed; expecting a comma-separated list of: "
                    f"{', '.join(spec.allowed)}"
                )
            if item not in items:
                items.append(item)
        return ",".join(items)

    if spec.kind == "path":
        if not value.startswith("/") or any(ch in value for ch in _LINE_BREAKING):
            raise bad("expecting an absolute directory path, such as /tmp/mesos")
        return value

    if spec.kind == "filename":
        if any(ch in value for ch in _LINE_BREAKING):
            raise bad("expecting a file name without NUL or line-break characters")
        return value

    # "str"
    if spec.pattern is not None and not re.fullmatch(spec.pattern, value, re.ASCII):
        raise bad(f"expecting a value matching {spec.pattern}")
    return value


def validate_labels(coe: str, labels: Mapping[str, object]) -> dict[str, str]:
    """Check `labels` for a ClusterTemplate or cluster of `coe`; return them as strings.

    Every value becomes a string (booleans "true"/"false"). Documented labels must apply to
    `coe` and hold a valid value, which is normalised (booleans lowercased, integers without
    leading zeros or sign, list items stripped and deduplicated). Other labels pass through.
    Raises InvalidLabel naming the first offending label, in the order given, or
    InvalidParameterValue for an unknown COE or too many labels.
    """
    check_coe(coe)
    if not isinstance(labels, Mapping):
        raise InvalidParameterValue(
            err=f"Labels must be a mapping of strings, not {type(labels).__name__}."
        )
    if len(labels) > MAX_LABELS:
        raise InvalidParameterValue(
            err=f"Too many labels: {len(labels)} given, at most {MAX_LABELS} allowed."
        )

    result: dict[str, str] = {}
    for key, raw in labels.items():
        if not isinstance(key, str) or not key:
            raise InvalidLabel(label=repr(key), reason="label keys must be non-empty strings")
        if len(key) > MAX_LABEL_KEY_LENGTH:
            raise InvalidLabel(
                label=key[:40] + "...",
                reason=(
                    f"the key is {len(key)} characters long; "
                    f"at most {MAX_LABEL_KEY_LENGTH} are allowed"
                ),
            )
        value = _label_value_to_str(key, raw)
        if len(value) > MAX_LABEL_VALUE_LENGTH:
            raise InvalidLabel(
                label=key,
                reason=(
                    f"value {value[:40]!r}... is {len(value)} characters long; "
                    f"at most {MAX_LABEL_VALUE_LENGTH} are allowed"
                ),
            )
        spec = LABELS.get(key) or LABELS.get(key.replace("-", "_"))
        if spec is None:
            result[key] = value
            continue
        if spec.name != key:
            # The guide writes some labels with hyphens (`rexray-preempt=true`): an alias.
            if spec.name in labels and labels[spec.name] != raw:
                raise InvalidLabel(
                    label=key,
                    reason=f"it is another spelling of {spec.name}, which is also given "
                    "with another value",
                )
            key = spec.name
        if coe not in spec.coes:
            coes = ", ".join(c for c in COES if c in spec.coes)
            raise InvalidLabel(
                label=key,
                reason=f"value {value!r} is not accepted: the label applies only to {coes}, "
                f"not to {coe}",
            )
        result[key] = _check_label_value(spec, value)

    _cross_check(result)
    return result


def _cross_check(labels: Mapping[str, str]) -> None:
    cidr = labels.get("flannel_network_cidr")
    subnetlen = labels.get("flannel_network_subnetlen")
    if cidr and subnetlen:
        prefix = ipaddress.IPv4Network(cidr).prefixlen
        if int(subnetlen) <= prefix:
            raise InvalidLabel(
                label="flannel_network_subnetlen",
                reason=(
                    f"value {subnetlen!r} is invalid; it must be longer than the prefix length "
                    f"{prefix} of flannel_network_cidr {cidr}"
                ),
            )
    low = labels.get("min_node_count")
    high = labels.get("max_node_count")
    if low and high and int(low) > int(high):
        raise InvalidLabel(
            label="max_node_count",
            reason=f"value {high!r} is invalid; it must be >= min_node_count ({low})",
        )
