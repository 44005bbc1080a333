"""What the nodes' dockerds are configured with (their daemon.json), from the template.

Settings that come from the template and its labels, and so change with an upgrade:

* `docker_debug` (label, true/false): dockerd's debug mode;
* `docker_log_level` (label): dockerd's log level;
* `insecure_registry` (template field, `host:port`): a registry the nodes reach without TLS;
* `registry_enabled` (template field): the cluster registry, as the nodes' mirror for
  Docker Hub names (`registry-mirrors`); images are named `<registry address>:5000/<name>`.

Swarm's raft timing cannot be set here: Docker 20.10 refuses `swarm-raft-election-tick` in
daemon.json and ignores the swarm spec's ElectionTick, so an election takes ~10 s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from dockyard.common.exceptions import InvalidLabel

LOG_LEVELS = ("debug", "info", "warn", "error", "fatal")
BOOLEANS = {"true": True, "false": False}
LABELS = frozenset({"docker_debug", "docker_log_level"})
REGISTRY_PORT = 5000


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
