"""The `local` driver: real Docker swarm-mode clusters on this machine.

Each node is a network namespace with its own dockerd (own data-root, exec-root, /etc/docker,
hostname), attached by a veth to a per-cluster bridge on a /24 of the configured address
pool. The first manager's API is published on tcp://127.0.0.1:<port> (TLS from the cluster
CA unless the template disables TLS). Nodes have no default route: they reach their cluster
and nothing else. See dockyard.providers.docker_local for the machinery.

Calls are synchronous (COMPLETE or FAILED in the first call) and idempotent: state is saved
before each step that creates something, so a call repeated after a crash continues.

`rotate_ca` re-issues the node certificates from the new CA and restarts each dockerd from
its data-root (swarm, services and volumes stay). `resume`, called when a conductor starts,
restarts the dead nodes of known clusters (a machine restart) and sweeps clusters of this
state_dir that the database no longer knows. With `docker_volume_size`, each node's data-root
is a loop-mounted ext4 image, mounted inside the node only.
"""

from __future__ import annotations

import contextlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.domain.status import HealthStatus
from dockyard.drivers.base import (
    ClusterDriver,
    ClusterFacts,
    ClusterInventory,
    ClusterSpec,
    DriverResult,
    Health,
    NodeGroupSpec,
    Outcome,
    Provides,
)
from dockyard.drivers.swarm_local import options, scaling
from dockyard.drivers.swarm_local.layout import MANAGER, WORKER, ClusterState, Node, StateStore
from dockyard.drivers.swarm_local.nodes import NodeManager
from dockyard.drivers.swarm_local.settings import LocalSettings
from dockyard.drivers.swarm_local.tls import ca_fingerprint
from dockyard.providers.docker_local import host, swarm, volumes
from dockyard.providers.docker_local.image import base_image

OS_DISTRO = "dockyard-node"
STORAGE_DRIVERS = {"overlay2": "overlay2", "overlay": "overlay2", "vfs": "vfs"}
JOIN_WORKERS = 4  # parallel joins; each is one short API call
# File times come from the kernel's coarse clock: a state saved just after the database was
# listed may look a little older. Anything changed this close to the listing is kept.
ORPHAN_CLOCK_MARGIN = 1.0


class LocalDriver(ClusterDriver):
    """Swarm-mode clusters of dockerd-in-a-namespace nodes on this machine."""

    provides: ClassVar[tuple[Provides, ...]] = (
        Provides("vm", OS_DISTRO, "swarm-mode"),
        Provides("vm", OS_DISTRO, "swarm"),
    )

    def __init__(self, settings: LocalSettings | None = None) -> None:
        self.settings = settings or LocalSettings(state_dir="./var/local_driver")
        self._host_ok = False

    @property
    def store(self) -> StateStore:
        return StateStore(self.settings)

    @property
    def nodes(self) -> NodeManager:
        return NodeManager(self.settings, self.store)

    def configure(self, conf: Any) -> None:
        self.settings = options.register(conf)

    # -- host ---------------------------------------------------------------------------
    def check_host(self) -> None:
        if self._host_ok:
            return
        found = host.problems(self.settings.dockerd, self.settings.busybox)
        pool_problem = self.settings.pool_problem()
        if pool_problem:
            found.append(pool_problem)
        if found:
            raise exceptions.NotSupported(
                "The local cluster driver cannot run on this host: " + "; ".join(found) + "."
            )
        self._host_ok = True  # only success is remembered: a fixed host is seen at once

    # -- state --------------------------------------------------------------------------
    def _existing_state(self, spec: ClusterSpec) -> ClusterState | None:
        state = self.store.load(spec.uuid)
        if state is None and spec.driver_state.get("subnet"):
            state = ClusterState.from_dict(dict(spec.driver_state))
        return state

    def _storage_driver(self, spec: ClusterSpec, events: list[str]) -> str:
        wanted = spec.template.get("docker_storage_driver")
        if not wanted:
            return self.settings.storage_driver
        driver = STORAGE_DRIVERS.get(str(wanted))
        if driver is None:
            events.append(
                f"docker_storage_driver {wanted} is not available to local nodes; "
                f"using {self.settings.storage_driver}"
            )
            return self.settings.storage_driver
        return driver

    @staticmethod
    def _volume_gib(spec: ClusterSpec) -> int | None:
        size = spec.docker_volume_size or spec.template.get("docker_volume_size")
        return int(size) if size else None

    def _facts(self, state: ClusterState) -> ClusterFacts:
        return ClusterFacts(
            api_address=f"tcp://127.0.0.1:{state.api_port}" if state.api_port else None,
            coe_version=state.engine_version,
            container_version=state.engine_version,
            master_addresses=[n.address for n in state.managers],
            node_addresses=[n.address for n in state.workers if not n.removing],
        )

    # -- swarm --------------------------------------------------------------------------
    def _manager_api(self, state: ClusterState) -> Any:
        """A client on the first manager that answers."""
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

    def _wait_swarm_ready(self, state: ClusterState, nodes: list[Node]) -> None:
        """Wait until a manager answers and lists every node of `nodes` as ready; a swarm whose
        managers just restarted answers with errors (no leader yet) for a moment."""
        ids = {n.swarm_id for n in nodes if n.swarm_id}
        deadline = time.monotonic() + self.settings.start_timeout
        while True:
            try:
                api = self._manager_api(state)
                try:
                    swarm.wait_ready(api, ids, max(1.0, deadline - time.monotonic()))
                    return
                finally:
                    api.close()
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise swarm.SwarmError(f"the swarm is not back: {exc}") from exc
                time.sleep(0.3)

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

    def _ensure_swarm(self, state: ClusterState, nodes: list[Node]) -> None:
        """Init the swarm on the first manager if needed and join every node in `nodes`."""
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
            for node in (n for n in nodes if n.role == MANAGER and n.address not in joined):
                self._join(state, node, tokens["Manager"], joined)
                joined.append(node.address)
            workers = [n for n in nodes if n.role == WORKER]
            with ThreadPoolExecutor(JOIN_WORKERS) as pool:
                list(pool.map(lambda n: self._join(state, n, tokens["Worker"], joined), workers))
            self.store.save(state)
            ids = {n.swarm_id for n in nodes if n.swarm_id}
            swarm.wait_ready(api, ids, self.settings.start_timeout)
        finally:
            api.close()

    # -- operations ---------------------------------------------------------------------
    def _check_spec(self, spec: ClusterSpec) -> None:
        if spec.coe not in ("swarm", "swarm-mode"):
            raise exceptions.NotSupported(
                f"The local driver builds swarm clusters, not {spec.coe}."
            )
        if spec.template.get("volume_driver"):
            raise exceptions.NotSupported(
                f"Volume driver {spec.template['volume_driver']} is not available to local "
                "clusters."
            )
        if spec.master_count < 1:
            raise exceptions.InvalidParameterValue("a cluster needs at least one master")
        if self._volume_gib(spec):
            found = volumes.problems()
            if found:
                raise exceptions.NotSupported(
                    "docker_volume_size needs loop devices on this host: " + "; ".join(found)
                )
        if not spec.tls_disabled and spec.ca is None:
            raise exceptions.InvalidParameterValue("TLS is enabled but the cluster has no CA")

    def create_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        self.check_host()
        self._check_spec(spec)
        events: list[str] = []
        with self.store.cluster_lock(spec.uuid):
            state = self._existing_state(spec)
            if state is None:
                storage = self._storage_driver(spec, events)
                state = self.nodes.new_state(
                    spec.uuid, not spec.tls_disabled, storage, self._volume_gib(spec)
                )
            while len(state.managers) < spec.master_count:
                state.add_node(MANAGER, spec.name)
            while len([w for w in state.workers if not w.removing]) < spec.node_count:
                state.add_node(WORKER, spec.name)
            self.store.save(state)
            live = [n for n in state.nodes if not n.removing]  # removals are resize's to finish
            self.nodes.ensure_network(state)
            self.nodes.ensure_running(state, live, spec.ca)
            self._ensure_swarm(state, live)
            self.store.save(state)
        reason = (
            f"{len(state.managers)} manager(s) and {len(state.workers)} worker(s) in swarm "
            f"mode, Docker {state.engine_version}"
        )
        return DriverResult(
            Outcome.COMPLETE,
            reason=reason,
            facts=self._facts(state),
            driver_state=state.to_dict(),
            events=events,
        )

    def resize_cluster(
        self,
        ctx: RequestContext,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: list[str],
    ) -> DriverResult:
        self.check_host()
        if nodegroup.role == "master":
            raise exceptions.NotSupported("Resizing the master nodegroup of a local cluster")
        events: list[str] = []
        with self.store.cluster_lock(spec.uuid):
            state = self._existing_state(spec)
            if state is None:
                raise exceptions.NotSupported("Resizing a local cluster that was never created")
            self.nodes.ensure_network(state)
            live = [n for n in state.nodes if not n.removing]
            self.nodes.ensure_running(state, live, spec.ca)
            unjoined = [n for n in live if not n.swarm_id]
            if unjoined:  # added by an interrupted call
                self._ensure_swarm(state, unjoined)
            # Removals an interrupted call had decided on are finished first.
            warned = self._remove_workers(state, [n for n in state.nodes if n.removing], events)
            before = len(state.workers)
            if node_count > before:
                added = [state.add_node(WORKER, spec.name) for _ in range(node_count - before)]
                self.store.save(state)
                self.nodes.ensure_running(state, added, spec.ca)
                self._ensure_swarm(state, added)
            elif node_count < before:
                api = self._manager_api(state)
                try:
                    by_id = swarm.running_tasks(api)
                finally:
                    api.close()
                tasks = {n.name: by_id.get(n.swarm_id or "", []) for n in state.workers}
                victims = scaling.choose_victims(
                    state.workers, before - node_count, nodes_to_remove, tasks
                )
                for node in victims:
                    node.removing = True
                self.store.save(state)
                warned += self._remove_workers(state, victims, events)
            self.store.save(state)
        reason = f"workers scaled from {before} to {len(state.workers)}"
        if warned:
            reason += f"; {len(warned)} removed node(s) were running tasks: {', '.join(warned)}"
        return DriverResult(
            Outcome.COMPLETE,
            reason=reason,
            facts=self._facts(state),
            driver_state=state.to_dict(),
            events=events,
        )

    def _remove_workers(
        self, state: ClusterState, victims: list[Node], events: list[str]
    ) -> list[str]:
        """Drain, stop and remove `victims`; returns the hostnames that still ran tasks."""
        if not victims:
            return []
        warned: list[str] = []
        api = self._manager_api(state)
        try:
            by_id = swarm.running_tasks(api)  # before draining, which starts stopping them
            for node in victims:
                if node.swarm_id:
                    with contextlib.suppress(Exception):  # already gone from the swarm
                        swarm.drain(api, node.swarm_id)
            for node in victims:
                tasks = by_id.get(node.swarm_id or "", [])
                if not tasks:
                    continue
                warned.append(node.hostname)
                timeout = self.settings.drain_timeout
                if not self.nodes.running(node):
                    note = "its dockerd was not running; swarm reschedules them"
                elif swarm.wait_no_tasks(api, node.swarm_id or "", timeout):
                    note = f"still running after {timeout:.0f}s of draining, stopped with the node"
                else:
                    note = "drained first: swarm rescheduled them"
                events.append(
                    f"Removed worker {node.hostname} ({node.address}) that was running "
                    f"{len(tasks)} task(s) ({', '.join(tasks)}); {note}"
                )
            for node in victims:
                if self.nodes.running(node):
                    with contextlib.suppress(Exception):
                        worker_api = self.nodes.client(state, node, timeout=10)
                        try:
                            swarm.leave(worker_api)
                        finally:
                            worker_api.close()
            problems = self.nodes.teardown(state, victims, graceful=True)
            events += problems
            for node in victims:
                if node.swarm_id:
                    with contextlib.suppress(Exception):
                        swarm.remove(api, node.swarm_id)
                state.nodes.remove(node)
                self.store.save(state)
        finally:
            api.close()
        return warned

    def delete_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        with self.store.cluster_lock(spec.uuid) as lock_path:
            state = self._existing_state(spec)
            problems: list[str] = []
            if state is not None:
                problems = self.nodes.teardown_cluster(state)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock_path)
        reason = "deleted" if not problems else "deleted; left behind: " + "; ".join(problems)
        return DriverResult(Outcome.COMPLETE, reason=reason, driver_state={}, events=problems)

    def rotate_ca(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        """Re-issue every node's server certificate from the new `spec.ca` and restart the
        nodes' dockerds from their data-roots (dockerd reads TLS files only at start).

        With several managers, they restart one at a time, each back in the swarm before the
        next (raft keeps its quorum), then the workers together; with one manager every node
        restarts at once. A node that already serves the new CA is left alone, so a call
        repeated after a crash only finishes the job.
        """
        self.check_host()
        if spec.tls_disabled or spec.ca is None:
            raise exceptions.NotSupported("Rotating the CA of a cluster without TLS")
        with self.store.cluster_lock(spec.uuid):
            state = self._existing_state(spec)
            if state is None or not state.tls:
                raise exceptions.NotSupported(
                    "Rotating the CA of a local cluster that was never created with TLS"
                )
            self.nodes.ensure_network(state)
            live = [n for n in state.nodes if not n.removing]
            current = ca_fingerprint(spec.ca)
            stale = [n for n in live if n.ca_fingerprint != current or not self.nodes.running(n)]
            waves = [stale]
            if len(state.managers) > 1:
                waves = [[n] for n in self._leader_last(state, stale)]
                waves.append([n for n in stale if n.role == WORKER])
            for wave in (w for w in waves if w):
                self.nodes.ensure_running(state, wave, spec.ca)
                self._wait_swarm_ready(state, wave)
            self._wait_swarm_ready(state, live)
            self.store.save(state)
        names = ", ".join(n.hostname for n in stale) or "none"
        return DriverResult(
            Outcome.COMPLETE,
            reason=f"CA rotated; nodes restarted with certificates of the new CA: {names}",
            facts=self._facts(state),
            driver_state=state.to_dict(),
        )

    def _leader_last(self, state: ClusterState, nodes: list[Node]) -> list[Node]:
        """The managers of `nodes`, the raft leader last: one election instead of several."""
        managers = [n for n in nodes if n.role == MANAGER]
        try:
            api = self._manager_api(state)
            try:
                leaders = {n.id for n in swarm.nodes(api) if n.leader}
            finally:
                api.close()
        except Exception:
            return managers  # no leader known (the swarm is down): any order will do
        return sorted(managers, key=lambda n: n.swarm_id in leaders)

    # -- conductor start ----------------------------------------------------------------
    def resume(self, ctx: RequestContext, inventory: ClusterInventory) -> list[str]:
        """Restart the dead nodes of running clusters; sweep clusters the database forgot.

        Only clusters with a directory in this driver's state_dir are looked at: other
        services (or test runs) on this machine have their own and are never touched. An
        empty database sweeps nothing (see below).
        """
        on_disk = self.store.cluster_uuids()
        if not on_disk:
            return []
        try:
            self.check_host()
        except exceptions.NotSupported as exc:
            return [f"local clusters not resumed: {exc}"]
        running = {spec.uuid: spec for spec in inventory.running}
        reports: list[str] = []
        for uuid in on_disk:
            try:
                if uuid in running:
                    line = self._resume_cluster(running[uuid])
                elif not inventory.known:
                    # No cluster at all in the database, yet clusters here: more likely a
                    # database mix-up than orphans. Never destroy data on that guess.
                    line = (
                        f"cluster {uuid} is not in the database, which has no clusters at all: "
                        f"left alone (remove {self.store.cluster_dir(uuid)} after deleting its "
                        "nodes, or restore the database)"
                    )
                elif uuid not in inventory.known:
                    line = self._sweep(uuid, inventory.listed_at)
                else:
                    line = None  # being deleted: its delete operation finishes the job
            except Exception as exc:
                line = f"cluster {uuid}: {exc.__class__.__name__}: {exc}"
            if line:
                reports.append(line)
        return reports

    def _resume_cluster(self, spec: ClusterSpec) -> str | None:
        with self.store.cluster_lock(spec.uuid):
            state = self.store.load(spec.uuid)
            if state is None:
                return None
            live = [n for n in state.nodes if not n.removing]
            down = [n for n in live if not self.nodes.running(n)]
            if not down:
                return None
            if state.tls and spec.ca is None:
                return f"cluster {spec.uuid}: {len(down)} node(s) down, not restarted: no CA"
            self.nodes.ensure_network(state)
            self.nodes.ensure_running(state, live, spec.ca)
            self._wait_swarm_ready(state, [n for n in live if n.swarm_id])
            self.store.save(state)
        names = ", ".join(n.hostname for n in down)
        return f"cluster {spec.uuid} ({spec.name}): restarted {names} from their data-roots"

    def _sweep(self, uuid: str, listed_at: float) -> str | None:
        with self.store.cluster_lock(uuid) as lock_path:
            changed = self.store.changed_at(uuid)
            if changed is None or changed >= listed_at - ORPHAN_CLOCK_MARGIN:
                return None  # gone meanwhile, or made by a create that started since
            try:
                state = self.store.load(uuid)
            except (ValueError, TypeError, KeyError):  # unreadable: go by the UUID's names
                state = None
            problems = self.nodes.sweep(uuid, state)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock_path)
        what = f"{len(state.nodes)} node(s), subnet {state.subnet}" if state else "no state"
        line = f"orphan cluster {uuid} (not in the database; {what}): removed"
        return line + ("; left behind: " + "; ".join(problems) if problems else "")

    # -- health -------------------------------------------------------------------------
    def check_health(self, ctx: RequestContext, spec: ClusterSpec) -> Health | None:
        state = self._existing_state(spec)
        if state is None or not state.nodes:
            return None
        reason: dict[str, str] = {}
        unhealthy = False
        for node in state.nodes:
            if self.nodes.running(node):
                reason[node.hostname] = "Ready"
            else:
                reason[node.hostname] = f"dockerd is not running (pid {node.pid})"
                unhealthy = True
        try:
            api = self._manager_api(state)
        except swarm.SwarmError as exc:
            reason["api"] = str(exc)
            return Health(HealthStatus.UNHEALTHY.value, reason)
        try:
            listed = {n.id: n for n in swarm.nodes(api)}
        finally:
            api.close()
        reason["api"] = "ok"
        for node in state.nodes:
            entry = listed.get(node.swarm_id or "")
            if entry is None:
                problem = "not a member of the swarm"
            elif entry.state != "ready":
                problem = f"swarm reports the node {entry.state}"
            else:
                continue
            unhealthy = True
            if reason[node.hostname] == "Ready":
                reason[node.hostname] = problem
            else:
                reason[node.hostname] += f"; {problem}"
        status = HealthStatus.UNHEALTHY if unhealthy else HealthStatus.HEALTHY
        return Health(status.value, reason)
