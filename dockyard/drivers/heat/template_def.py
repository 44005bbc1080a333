"""Template definitions: what a Heat driver sends to Heat and what it reads back.

One top-level template (`templates/cluster.yaml`) serves every COE. A definition composes its
environment from fragments, Magnum-style (`resource_registry` as feature switches):

| type | chosen by | fragment |
| --- | --- | --- |
| Dockyard::Network, Dockyard::Server | always | `network.yaml`, `server.yaml` |
| Dockyard::NodeGroup | always (one per nodegroup slot) | `nodegroup.yaml` |
| Dockyard::ApiLoadBalancer | master_lb_enabled | `lb.yaml` or `lb_none.yaml` |
| Dockyard::NetworkDriverConfig | network_driver | `fragments/network/<driver>.yaml` |
| Dockyard::VolumeDriverConfig | volume_driver | `fragments/volume/<driver or none>.yaml` |
| Dockyard::MasterConfig, Dockyard::NodeConfig | the driver | generated from its `DriverLayout` |

So a new network or volume driver adds one fragment, and a new cluster driver adds an entry to
`layouts.py` (its wrappers are generated from it) and its scripts. Parameters come from
`PARAMETERS` (cluster and template attributes) and `LABEL_PARAMETERS` (the user guide's
labels, already validated by `dockyard.domain.coe`); outputs map back through `facts`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dockyard.domain import coe as coe_rules
from dockyard.drivers.base import ClusterFacts, ClusterSpec, NodeGroupSpec

HEAT_TEMPLATES = Path(__file__).resolve().parent / "templates"
TOP_LEVEL = "dockyard/cluster.yaml"
# Prefix of the shared templates in the `files` map; a driver's own files use its folder name.
SHARED = "dockyard"


@dataclass(frozen=True, slots=True)
class ParameterMapping:
    """One stack parameter and where its value comes from (None: leave Heat's default)."""

    name: str
    source: Callable[[ClusterSpec], Any]


def _template(field: str) -> Callable[[ClusterSpec], Any]:
    return lambda spec: spec.template.get(field)


def _bool(value: bool | None) -> str:
    return "true" if value else "false"


PARAMETERS: tuple[ParameterMapping, ...] = (
    ParameterMapping("cluster_uuid", lambda s: s.uuid),
    ParameterMapping("coe", lambda s: s.coe),
    ParameterMapping("number_of_masters", lambda s: s.master_count),
    ParameterMapping("number_of_minions", lambda s: worker_count(s)),
    ParameterMapping("default_node_labels", lambda s: _default_node_labels(s)),
    ParameterMapping("server_image", _template("image_id")),
    ParameterMapping("master_flavor", lambda s: s.master_flavor_id),
    ParameterMapping("minion_flavor", lambda s: s.flavor_id),
    ParameterMapping("ssh_key_name", lambda s: s.keypair or ""),
    ParameterMapping("external_network", _template("external_network_id")),
    ParameterMapping("fixed_network", _template("fixed_network")),
    ParameterMapping("fixed_subnet", _template("fixed_subnet")),
    ParameterMapping("dns_nameserver", _template("dns_nameserver")),
    ParameterMapping("http_proxy", _template("http_proxy")),
    ParameterMapping("https_proxy", _template("https_proxy")),
    ParameterMapping("no_proxy", _template("no_proxy")),
    ParameterMapping("docker_volume_size", lambda s: s.docker_volume_size or 0),
    ParameterMapping("docker_storage_driver", _template("docker_storage_driver")),
    ParameterMapping("network_driver", _template("network_driver")),
    ParameterMapping("volume_driver", lambda s: s.template.get("volume_driver") or ""),
    ParameterMapping("master_lb_enabled", lambda s: _bool(_master_lb(s))),
    ParameterMapping(
        "floating_ip_enabled", lambda s: _bool(s.template.get("floating_ip_enabled", True))
    ),
    ParameterMapping("tls_disabled", lambda s: _bool(s.tls_disabled)),
    ParameterMapping("registry_enabled", lambda s: _bool(s.template.get("registry_enabled"))),
)

# Labels of the user guide's table that are stack parameters of the same name. Their values
# were checked and normalised by dockyard.domain.coe.validate_labels when the template and
# the cluster were created; Heat checks them again (the parameters carry constraints).
LABEL_PARAMETERS: tuple[str, ...] = (
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
)


def _master_lb(spec: ClusterSpec) -> bool:
    value = spec.labels.get("master_lb_enabled")
    if value is not None:
        return str(value).lower() == "true"
    return bool(spec.template.get("master_lb_enabled"))


def default_workers(spec: ClusterSpec) -> NodeGroupSpec | None:
    """The default worker group (None for a spec without nodegroups)."""
    return next((ng for ng in spec.nodegroups if ng.role != "master" and ng.is_default), None)


def worker_count(spec: ClusterSpec) -> int:
    """The default worker group's size: the stack's `number_of_minions` (the other groups
    are nested stacks of their own, see `nodegroups.py`)."""
    group = default_workers(spec)
    return group.node_count if group is not None else spec.node_count


def label_text(labels: Mapping[str, str]) -> str:
    """Node labels as the node fragments take them: `k=v,k=v`, sorted."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _default_node_labels(spec: ClusterSpec) -> str:
    group = default_workers(spec)
    return label_text(group.labels_for_nodes) if group is not None else ""


def _walk(root: Path, prefix: str) -> Iterator[tuple[str, str]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield f"{prefix}/{path.relative_to(root).as_posix()}", path.read_text()


@dataclass(frozen=True, slots=True)
class ApiEndpoint:
    """How the COE's API address is written: scheme and port, with and without TLS."""

    scheme: str
    port: int
    insecure_scheme: str
    insecure_port: int

    def address(self, ip: str, tls_disabled: bool) -> str:
        if tls_disabled:
            return f"{self.insecure_scheme}://{ip}:{self.insecure_port}"
        return f"{self.scheme}://{ip}:{self.port}"

    def port_for(self, tls_disabled: bool) -> int:
        return self.insecure_port if tls_disabled else self.port


def kubernetes_version(spec: ClusterSpec) -> str:
    """The Kubernetes version a cluster runs: its `kube_tag` label, else the table's default."""
    return spec.labels.get("kube_tag") or coe_rules.LABELS["kube_tag"].default


@dataclass(frozen=True, slots=True)
class ConfigFragment:
    """One generated configuration wrapper (Dockyard::MasterConfig or ::NodeConfig): a
    SoftwareConfig running `script` (a path of the `files` map) with each `@KEY@`
    placeholder replaced by the `key` entry of the server's settings, and each of `fixed`
    by its literal value."""

    summary: str
    script: str
    settings: tuple[str, ...]
    fixed: Mapping[str, str] = field(default_factory=dict)

    def template(self, kind: str, folder: str) -> str:
        """The wrapper's HOT text (`kind`: Dockyard::MasterConfig or Dockyard::NodeConfig)."""
        params: dict[str, Any] = {f"@{k.upper()}@": v for k, v in self.fixed.items()}
        params.update({f"@{k.upper()}@": {"get_param": ["settings", k]} for k in self.settings})
        body = {
            "heat_template_version": "2021-04-16",
            "description": f"{kind} of {folder} - {self.summary} (generated from its "
            "DriverLayout by dockyard/drivers/heat/template_def.py).",
            "parameters": {
                "settings": {"type": "json", "description": "the server's settings map"}
            },
            "resources": {
                "config": {
                    "type": "OS::Heat::SoftwareConfig",
                    "properties": {
                        "group": "ungrouped",
                        "config": {
                            "str_replace": {"template": {"get_file": self.script}, "params": params}
                        },
                    },
                }
            },
            "outputs": {"OS::stack_id": {"value": {"get_resource": "config"}}},
        }
        return str(yaml.safe_dump(body, sort_keys=False, width=100))


@dataclass(frozen=True, slots=True)
class DriverLayout:
    """What one Heat driver adds to the shared stack: its folder (its scripts in
    `templates/`, if any), its two configuration wrappers, how its COE's API is reached,
    and the versions it reports."""

    folder: str
    templates: Path
    api: ApiEndpoint
    coe_version: Callable[[ClusterSpec], str]
    master: ConfigFragment
    node: ConfigFragment
    container_version: str = "1.12.6"

    def wrappers(self) -> dict[str, str]:
        """The `files` entries of the two generated wrappers."""
        return {
            f"{self.folder}/master-config.yaml": self.master.template(
                "Dockyard::MasterConfig", self.folder
            ),
            f"{self.folder}/node-config.yaml": self.node.template(
                "Dockyard::NodeConfig", self.folder
            ),
        }


class TemplateDefinition:
    """The stack of one driver: files, environment, parameters, outputs."""

    def __init__(self, layout: DriverLayout) -> None:
        self.folder = layout.folder
        self.api = layout.api
        self.coe_version = layout.coe_version
        self.container_version = layout.container_version
        templates = layout.templates
        folder = layout.folder
        self.files: dict[str, str] = {
            **dict(_walk(HEAT_TEMPLATES, SHARED)),
            **dict(_walk(templates, folder)),
            **layout.wrappers(),
        }
        self.template = self.files[TOP_LEVEL]

    def registry(self, spec: ClusterSpec) -> dict[str, str]:
        """The environment's resource_registry: which fragment provides each Dockyard type."""
        coe = spec.coe
        network_driver = (
            spec.template.get("network_driver") or (coe_rules.DEFAULT_NETWORK_DRIVERS[coe])
        )
        volume_driver = spec.template.get("volume_driver") or "none"
        return {
            "Dockyard::Network": f"{SHARED}/network.yaml",
            "Dockyard::Server": f"{SHARED}/server.yaml",
            "Dockyard::NodeGroup": f"{SHARED}/nodegroup.yaml",
            "Dockyard::ApiLoadBalancer": f"{SHARED}/{'lb' if _master_lb(spec) else 'lb_none'}.yaml",
            "Dockyard::NetworkDriverConfig": f"{SHARED}/fragments/network/{network_driver}.yaml",
            "Dockyard::VolumeDriverConfig": f"{SHARED}/fragments/volume/{volume_driver}.yaml",
            "Dockyard::MasterConfig": f"{self.folder}/master-config.yaml",
            "Dockyard::NodeConfig": f"{self.folder}/node-config.yaml",
        }

    def environment(
        self, spec: ClusterSpec, extra: tuple[tuple[dict[str, Any], dict[str, str]], ...] = ()
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The stack's environment and files, with `extra` environments merged last."""
        registry: dict[str, Any] = dict(self.registry(spec))
        files = dict(self.files)
        for env, env_files in extra:
            registry.update(env.get("resource_registry") or {})
            files.update(env_files)
        return {"resource_registry": registry}, files

    def parameters(self, spec: ClusterSpec, auth_url: str, region: str | None) -> dict[str, Any]:
        """Stack parameters from the cluster, its template and its labels."""
        params: dict[str, Any] = {}
        for mapping in PARAMETERS:
            value = mapping.source(spec)
            if value is not None and value != "":
                params[mapping.name] = value
        for name in LABEL_PARAMETERS:
            value = spec.labels.get(name)
            if value not in (None, ""):
                params[name] = value
        params["api_port"] = self.api.port_for(spec.tls_disabled)
        params["coe_version"] = self.coe_version(spec)
        params["auth_url"] = auth_url
        if region:
            params["region_name"] = region
        return params

    def facts(self, spec: ClusterSpec, outputs: Mapping[str, Any], stack_id: str) -> ClusterFacts:
        """Cluster facts from the stack's outputs."""
        api_ip = outputs.get("api_ip")
        return ClusterFacts(
            api_address=self.api.address(str(api_ip), spec.tls_disabled) if api_ip else None,
            stack_id=stack_id,
            coe_version=self.coe_version(spec),
            container_version=self.container_version,
            master_addresses=[str(a) for a in outputs.get("master_addresses") or []],
            node_addresses=[str(a) for a in outputs.get("node_addresses") or []],
        )


def templates_of(driver_module_file: str) -> Path:
    """A driver package's `templates` folder."""
    return Path(os.path.dirname(os.path.abspath(driver_module_file))) / "templates"
