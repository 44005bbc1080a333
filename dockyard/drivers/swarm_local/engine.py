"""What the nodes' dockerds are configured with, from the template and its labels.

Their daemon.json takes settings that change with an upgrade:

* `docker_debug` (label, true/false): dockerd's debug mode;
* `docker_log_level` (label): dockerd's log level;
* `insecure_registry` (template field, `host:port`): a registry the nodes reach without TLS;
* `registry_enabled` (template field): the cluster registry, as the nodes' mirror for
  Docker Hub names (`registry-mirrors`); images are named `<registry address>:5000/<name>`.

Beside it come the storage driver (`docker_storage_driver`, also changed by an upgrade) and
the size of each node's data-root volume (`docker_volume_size`, fixed at create).

Swarm's raft timing cannot be set here: Docker 20.10 refuses `swarm-raft-election-tick` in
daemon.json and ignores the swarm spec's ElectionTick, so an election takes ~10 s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from dockyard.common.exceptions import InvalidLabel
from dockyard.drivers.base import ClusterSpec
from dockyard.drivers.swarm_local.layout import ClusterState

LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")
BOOLEANS = {"true": True, "false": False}
LABELS = frozenset({"docker_debug", "docker_log_level"})
REGISTRY_PORT = 5000
# docker_storage_driver values the nodes can use, and what they get for each.
STORAGE_DRIVERS = {"overlay2": "overlay2", "overlay": "overlay2", "vfs": "vfs"}


def check_labels(labels: Mapping[str, str]) -> None:
    """Raise InvalidLabel for a local-driver label with a value dockerd would refuse."""
    debug = labels.get("docker_debug")
    if debug is not None and debug.lower() not in BOOLEANS:
        raise InvalidLabel(label="docker_debug", reason=f"{debug!r} is not true or false")
    level = labels.get("docker_log_level")
    if level is not None and level not in LOG_LEVELS:
        raise InvalidLabel(
            label="docker_log_level", reason=f"{level!r} is not one of {', '.join(LOG_LEVELS)}"
        )


def daemon_options(
    template: Mapping[str, Any], labels: Mapping[str, str], registry: str | None, tls: bool
) -> dict[str, Any]:
    """The template-driven part of every node's daemon.json (see the module docstring)."""
    options: dict[str, Any] = {}
    if "docker_debug" in labels:
        options["debug"] = BOOLEANS[labels["docker_debug"].lower()]
    if "docker_log_level" in labels:
        options["log-level"] = labels["docker_log_level"]
    insecure = [str(template["insecure_registry"])] if template.get("insecure_registry") else []
    if registry is not None:
        endpoint = f"{registry}:{REGISTRY_PORT}"
        options["registry-mirrors"] = [f"{'https' if tls else 'http'}://{endpoint}"]
        if not tls:
            insecure.append(endpoint)
    if insecure:
        options["insecure-registries"] = insecure
    return options


def digest(storage_driver: str, options: Mapping[str, Any]) -> str:
    """What a node records about the configuration its running dockerd was started with."""
    blob = json.dumps({"storage": storage_driver, "options": options}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def storage_driver(template: Mapping[str, Any], default: str, events: list[str]) -> str:
    """The nodes' storage driver for the template's `docker_storage_driver`; `default` (the
    service's) when it names none, or one the nodes cannot use (said in `events`)."""
    wanted = template.get("docker_storage_driver")
    if not wanted:
        return default
    driver = STORAGE_DRIVERS.get(str(wanted))
    if driver is None:
        events.append(
            f"docker_storage_driver {wanted} is not available to local nodes; using {default}"
        )
        return default
    return driver


def apply_template(
    state: ClusterState, template: Mapping[str, Any], labels: Mapping[str, str]
) -> None:
    """Take the nodes' settings from `template` (at create, and at upgrade)."""
    state.template_id = template.get("uuid")
    state.registry = bool(template.get("registry_enabled"))
    state.rexray = template.get("volume_driver") == "rexray"
    registry_address = state.registry_names.address if state.registry else None
    state.daemon_options = daemon_options(template, labels, registry_address, state.tls)


def volume_gib(spec: ClusterSpec) -> int | None:
    """The size of each node's data-root volume (docker_volume_size), or None for none."""
    size = spec.docker_volume_size or spec.template.get("docker_volume_size")
    return int(size) if size else None
