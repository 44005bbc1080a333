"""Containers (a Dockyard extension, after Zun's container API) on the container host
(services.container_hosts) or on a local Swarm cluster, with volumes from services.volumes.

Modules, one job each:

* `validation`      a create request checked: command, volume fields, mounts resolved
* `engine`          calls to the container host's engine; what it reports
* `cluster_target`  which cluster a container may run on; a client on its TLS API
* `cluster_engine`  containers on a cluster as one-replica swarm services; what swarm reports
* `sync`            statuses brought in line with the engines (read first, write changes)
* `queries`         show, list and logs (each synced with the engine first)
* `lifecycle`       create (with its volume), start, stop, delete
* `recovery`        at start: the host back, interrupted creates and deletes settled
"""

from __future__ import annotations

from dockyard.services.containers.engine import LABEL, engine_name
from dockyard.services.containers.lifecycle import create, delete, start, stop
from dockyard.services.containers.queries import LOG_TAIL_MAX, get, list_containers, logs
from dockyard.services.containers.recovery import resume

__all__ = [
    "LABEL",
    "LOG_TAIL_MAX",
    "create",
    "delete",
    "engine_name",
    "get",
    "list_containers",
    "logs",
    "resume",
    "start",
    "stop",
]
