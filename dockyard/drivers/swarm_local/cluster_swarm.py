"""The swarm of a local cluster: a manager to talk to, init and joins, readiness, the leader."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dockyard.drivers.swarm_local.layout import MANAGER, WORKER, ClusterState, Node, StateStore
from dockyard.drivers.swarm_local.nodes import NodeManager
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.drivers.swarm_local.steps import JOINED, READY, NodeStep, no_step
from dockyard.providers.docker_local import swarm
from dockyard.providers.docker_local.image import base_image

JOIN_WORKERS = 4  # parallel joins; each is one short API call


class ClusterSwarm:
    """Swarm-mode calls on the nodes of local clusters."""

    def __init__(self, settings: LocalSettings, store: StateStore, nodes: NodeManager) -> None:
        self.settings = settings
        self.store = store
        self.nodes = nodes

    def manager_api(self, state: ClusterState) -> Any:
        """A client on the first manager that answers (the caller closes it)."""
        errors = []
        for node in state.managers:
            if not self.nodes.running(node):
                continue
            api = self.nodes.client(state, node, timeout=15)
            try:
                api.ping()
                return api
            except Exception as exc:
                errors.append(f"{node.hostname}: {exc}")
                api.close()
        raise swarm.SwarmError("no manager answers: " + ("; ".join(errors) or "none running"))

    @contextlib.contextmanager
    def manager(self, state: ClusterState) -> Iterator[Any]:
        """`manager_api`, closed when the block ends."""
        api = self.manager_api(state)
        try:
            yield api
        finally:
            api.close()

    def wait_ready(self, state: ClusterState, nodes: list[Node]) -> None:
        """Wait until a manager answers and lists every node of `nodes` as ready; a swarm whose
        managers just restarted answers with errors (no leader yet) for a moment."""
        ids = {n.swarm_id for n in nodes if n.swarm_id}
        deadline = time.monotonic() + self.settings.start_timeout
        while True:
            try:
                with self.manager(state) as api:
                    swarm.wait_ready(api, ids, max(1.0, deadline - time.monotonic()))
                    return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise swarm.SwarmError(f"the swarm is not back: {exc}") from exc
                time.sleep(0.3)

    def ensure_labels(self, state: ClusterState, wanted: dict[str, dict[str, str]]) -> int:
        """Give each swarm node in `wanted` (by swarm id) exactly its labels; returns how many
        nodes changed."""
        if not wanted:
            return 0
        with self.manager(state) as api:
            return sum(swarm.set_labels(api, node_id, labels) for node_id, labels in wanted.items())

    def leaders(self, state: ClusterState) -> set[str]:
        """The swarm ID of the raft leader (empty when none is known: the swarm is down)."""
        try:
            with self.manager(state) as api:
                return {n.id for n in swarm.nodes(api) if n.leader}
        except Exception:
            return set()

    def ensure_joined(
        self, state: ClusterState, nodes: list[Node], on_step: NodeStep = no_step
    ) -> None:
        """Init the swarm on the first manager if needed and join every node in `nodes`;
        `on_step` hears of each node joined (or found joined) and then ready."""
        image = base_image(self.settings.busybox)
        with ThreadPoolExecutor(JOIN_WORKERS) as pool:
            list(pool.map(lambda n: self.nodes.ensure_image(state, n, image), nodes))
        state.image_id = image.image_id
        first = state.api_node
        api = self.nodes.client(state, first)
        try:
            local, node_id = swarm.local_state(api)
            if local == "inactive":
                node_id = swarm.init(api, first.address)
            elif local != "active":
                raise swarm.SwarmError(f"{first.hostname} is in swarm state {local!r}")
            first.swarm_id = node_id
            state.engine_version = swarm.engine_version(api)
            tokens = swarm.join_tokens(api)
            self.store.save(state)
            joined = [m.address for m in state.managers if m.swarm_id]
            # Managers one at a time (each joins the raft group), workers in parallel.
            for node in (n for n in nodes if n.role == MANAGER):
                if node.address not in joined:
                    self._join(state, node, tokens["Manager"], joined)
                    joined.append(node.address)
                on_step(node, JOINED)

            def join_worker(node: Node) -> None:
                self._join(state, node, tokens["Worker"], joined)
                on_step(node, JOINED)

            with ThreadPoolExecutor(JOIN_WORKERS) as pool:
                list(pool.map(join_worker, [n for n in nodes if n.role == WORKER]))
            self.store.save(state)
            by_id = {n.swarm_id: n for n in nodes if n.swarm_id}
            swarm.wait_ready(
                api,
                set(by_id),
                self.settings.start_timeout,
                on_ready=lambda node_id: on_step(by_id[node_id], READY),
            )
        finally:
            api.close()

    def _join(self, state: ClusterState, node: Node, token: str, managers: list[str]) -> None:
        api = self.nodes.client(state, node)
        try:
            local, node_id = swarm.local_state(api)
            if local not in ("inactive", "active"):
                swarm.leave(api)  # "pending"/"error": an interrupted join; start over
                local = "inactive"
            if local == "inactive":
                node_id = swarm.join(api, node.address, managers, token)
            node.swarm_id = node_id
        finally:
            api.close()
