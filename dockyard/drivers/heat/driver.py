"""The Heat cluster driver: a cluster is one Heat stack built from the driver's template
definition (`template_def`).

- create: a stack named `<cluster name>-<uuid prefix>`, timeout `create_timeout`, rollback as
  the request asked (`ClusterSpec.rollback`; Magnum keeps a failed create for inspection by
  default). A retry after a crash finds the stack by name instead of creating a second one.
- resize: a PATCH update of `number_of_minions`; nodes leave in the order Magnum's heuristic
  gives (`scaling.nodes_to_remove`) through the node ResourceGroup's removal policy.
- nodegroups beyond the default ones: a nested stack each (`nodegroups`); create, resize and
  delete are PATCH updates of the `nodegroups` parameter. Relabelling a group's running
  servers is refused (labels are given when a server boots).
- delete: stack delete; a stack that is gone is a completed delete.
- per-server bundles (`node_bundle`): a driver whose servers need files only it can render
  (certificates from the cluster's CAs) overrides `bundle_parameters`; create and resize pass
  them, and `rekey_by_update` re-renders them all and rebuilds the servers in place.
- status: `poll` reads the stack (one GET, with outputs); `sync_in_progress` is the periodic
  batch check (one global list, or one GET per cluster). Failures carry Heat's own reason
  verbatim, and each failed resource's reason goes to the event timeline.

Heat calls act as the user whose request started the operation (their token, so Heat can make
its own trust), or as Dockyard's service user when there is none (noauth) and for the
periodic sync (see `dockyard.providers.openstack.sessions`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from dockyard.common import exceptions
from dockyard.common.context import RequestContext
from dockyard.drivers.base import (
    ClusterDriver,
    ClusterSpec,
    DriverResult,
    NodeGroupSpec,
    Outcome,
)
from dockyard.drivers.heat import addresses, node_bundle, nodegroups, options, scaling
from dockyard.drivers.heat.options import HeatSettings
from dockyard.drivers.heat.template_def import DriverLayout, TemplateDefinition, worker_count
from dockyard.providers.openstack.orchestration import HeatError, Orchestration, Stack
from dockyard.providers.openstack.sessions import Endpoint, Sessions

LOG = logging.getLogger(__name__)

STACK_ID = "stack_id"
STACK_NAME = "stack_name"
#: The highest node index the stack's node group has used (bundles are rendered above it).
NODE_INDEX_HIGH = "node_index_high"
# What each operation waits for: the stack statuses that end it, well or badly.
_ACTIONS = {"create": "CREATE", "update": "UPDATE", "resize": "UPDATE", "delete": "DELETE"}
# Catalog entries a cluster needs: Heat always; Cinder for volumes (docker_volume_size, or
# volume_driver cinder). Alternative service types per need, the first one named in messages.
HEAT_SERVICE = ("orchestration",)
CINDER_SERVICE = ("block-storage", "volumev3")
OCTAVIA_SERVICE = ("load-balancer",)
_SERVICE_NAMES = {
    "orchestration": "Heat (orchestration)",
    "block-storage": "Cinder (block-storage)",
}
NO_CREDENTIALS = (
    "no Keystone service credentials ([keystone_authtoken] or [heat]: auth_type, auth_url, "
    "username, password, project), so no Heat endpoint can be found"
)


#: A resize's node count and the nodes the caller named for removal.
Resize = tuple[int, list[str]]


def stack_name(spec: ClusterSpec) -> str:
    """The stack's name: readable and unique (Magnum's `<name>-<short id>`)."""
    return f"{spec.name[:30]}-{spec.uuid[:12]}"


class HeatDriver(ClusterDriver):
    """Base of the Heat drivers; a subclass gives `provides` and its `layout` (folder, API
    endpoint, versions: its template_def module's LAYOUT)."""

    layout: ClassVar[DriverLayout]
    backend: ClassVar[str] = "Heat"

    def __init__(self, settings: HeatSettings | None = None) -> None:
        self.settings = settings or HeatSettings()
        self.status_sync_interval = self.settings.periodic_sync_interval
        # Per instance: the files it holds are the driver's own to change (tests do).
        self.definition = TemplateDefinition(self.layout)
        self._sessions: Sessions | None = None
        self._endpoints_found: set[tuple[str, ...]] = set()

    def configure(self, conf: Any) -> None:
        self.settings = options.register(conf)
        self.status_sync_interval = self.settings.periodic_sync_interval
        self._sessions = None
        self._endpoints_found = set()

    # -- what the deployment must offer -------------------------------------------------
    @property
    def configured(self) -> bool:
        """Whether Dockyard has service credentials, without which no Heat can be reached."""
        return self.settings.service_auth is not None

    def unmet_requirements(self, template: Mapping[str, Any] | None = None) -> list[str]:
        """Service credentials, then a Heat endpoint (and Cinder's for volumes) in their
        catalog. Endpoints found are remembered; a missing one is asked again next time."""
        if not self.configured:
            return [NO_CREDENTIALS]
        wanted: list[tuple[str, ...]] = [HEAT_SERVICE]
        if template is not None and (
            template.get("volume_driver") == "cinder" or template.get("docker_volume_size")
        ):
            wanted.append(CINDER_SERVICE)
        if template is not None and template.get("master_lb_enabled"):
            wanted.append(OCTAVIA_SERVICE)
        unknown = [types for types in wanted if types not in self._endpoints_found]
        if not unknown:
            return []
        try:
            missing = self.sessions.missing_endpoints(unknown)
        except Exception as exc:  # keystoneauth's errors: Keystone is down or refuses us
            return [f"Keystone at {self.settings.auth_url} cannot be asked for endpoints ({exc})"]
        self._endpoints_found.update(t for t in unknown if t[0] not in missing)
        return [
            f"no {_SERVICE_NAMES.get(name, name)} endpoint in the Keystone catalog"
            for name in missing
        ]

    # -- access -------------------------------------------------------------------------
    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:
            endpoint = Endpoint(
                self.settings.region_name, self.settings.interface, self.settings.verify
            )
            self._sessions = Sessions(self.settings.service_auth, self.settings.auth_url, endpoint)
        return self._sessions

    def heat(self, ctx: RequestContext, spec: ClusterSpec) -> Orchestration:
        """Heat as the requester (their token), or the service user without one."""
        return Orchestration(self.sessions.requester(ctx.auth_token, spec.project_id))

    def service_heat(self) -> Orchestration:
        return Orchestration(self.sessions.service())

    # -- what Heat gets -----------------------------------------------------------------
    def stack_input(
        self, spec: ClusterSpec
    ) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
        """(environment, files, parameters) for the cluster's stack."""
        environment, files = self.definition.environment(spec, self.settings.environments)
        params = self.definition.parameters(
            spec, self.settings.cluster_auth_url, self.settings.region_name
        )
        return environment, files, params

    def bundle_parameters(
        self, spec: ClusterSpec, stack: str, node_indices: Sequence[int]
    ) -> dict[str, Any]:
        """Stack parameters carrying per-server bundles (see `node_bundle`) for every master
        and the nodes at `node_indices`; none by default. Raises ValueError with a reason
        for the user when the cluster cannot have them."""
        return {}

    def group_bundles(
        self, spec: ClusterSpec, stack: str, slot: int, group: NodeGroupSpec, indices: Sequence[int]
    ) -> dict[str, Any]:
        """The `bundles` of nodegroup `group` (in `slot`) for its servers at `indices`, as a
        `*_bundles` parameter value; none by default (see `bundle_parameters`)."""
        return {}

    def check_nodegroup(self, coe: str, nodegroup: NodeGroupSpec) -> None:
        if nodegroup.node_taints:
            raise exceptions.NotSupported(
                operation=f"node_taints on a nodegroup of driver {self.name} (its servers get "
                "their node labels when they boot; no taints are set on them)"
            )

    def validate_template(self, heat: Orchestration, spec: ClusterSpec) -> dict[str, Any]:
        """Heat's template-validate of this cluster's stack (no extra environments), the
        top-level template and each fragment the environment selects: Heat checks the
        properties of a provider template's resources only when it is validated itself.
        Returns the top-level template's validation (its parameters)."""
        environment, files = self.definition.environment(spec)
        result = heat.validate(self.definition.template, files, environment)
        shallow: dict[str, str] = {}
        for fragment in sorted(set(environment["resource_registry"].values())):
            try:
                try:
                    heat.validate(files[fragment], files, environment)
                except HeatError as exc:
                    if "HEAT-E99001" not in exc.message:
                        raise
                    # A resource type whose service Heat could not ask (e.g. Neutron's
                    # extension list): validated without that one check.
                    heat.validate(files[fragment], files, environment, ignore_errors="99001")
                    shallow[fragment] = exc.message
            except HeatError as exc:
                raise HeatError(exc.status, f"{fragment}: {exc.message}") from exc
        return {**result, "shallow": shallow}

    # -- operations ---------------------------------------------------------------------
    def create_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        if spec.driver_state.get(STACK_ID):
            return self.poll(ctx, spec, "create")
        heat = self.heat(ctx, spec)
        name = stack_name(spec)
        try:
            existing = heat.find(name)  # a retry after a crash: the stack may exist already
            if existing is not None:
                stack_id = existing.id
            else:
                environment, files, params = self.stack_input(spec)
                params.update(self.bundle_parameters(spec, name, range(worker_count(spec))))
                stack_id = heat.create(
                    name,
                    self.definition.template,
                    files,
                    environment,
                    params,
                    timeout_mins=spec.create_timeout or None,
                    disable_rollback=not spec.rollback,
                )
        except HeatError as exc:
            return DriverResult(Outcome.FAILED, reason=exc.message)
        except ValueError as exc:  # bundles that cannot be rendered for this cluster
            return DriverResult(Outcome.FAILED, reason=str(exc))
        state = {**spec.driver_state, STACK_ID: stack_id, STACK_NAME: name}
        return self._in_progress(state, [f"stack {name} ({stack_id}) create started"])

    def resize_cluster(
        self,
        ctx: RequestContext,
        spec: ClusterSpec,
        nodegroup: NodeGroupSpec,
        node_count: int,
        nodes_to_remove: list[str],
    ) -> DriverResult:
        if nodegroup.role == "master":
            raise exceptions.NotSupported(operation="Resizing the master nodegroup")
        if not nodegroup.is_default:
            return self._resize_group(ctx, spec, nodegroup, (node_count, nodes_to_remove))
        removal: list[str] = []

        def params_of(stack: Stack) -> dict[str, Any]:
            removal.extend(scaling.nodes_to_remove(stack.outputs, node_count, nodes_to_remove))
            params: dict[str, Any] = {
                "number_of_minions": node_count,
                "minions_to_remove": ",".join(removal),
            }
            high = int(spec.driver_state.get(NODE_INDEX_HIGH, -1))
            indices = _node_indices(stack.outputs, node_count, high)
            bundles = self.bundle_parameters(spec, stack.name, indices)
            if bundles:  # new nodes boot with theirs; running servers keep what they have
                params[node_bundle.NODE_BUNDLES] = bundles[node_bundle.NODE_BUNDLES]
                params[node_bundle.USER_DATA_UPDATE_POLICY] = node_bundle.KEEP
            return params

        def events() -> list[str]:
            lines = [f"stack update started: {node_count} node(s)"]
            if removal:
                lines.append(f"nodes removed first (resource names): {', '.join(removal)}")
            return lines

        return self._update(ctx, spec, "resize", params_of, None, events)

    # -- nodegroups beyond the default ones (nodegroups.py) -----------------------------
    def create_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """A slot and a nested stack for the group, with its node count."""
        state, slot = nodegroups.allocate(spec.driver_state, nodegroup.uuid)
        event = (
            f"stack update started: nodegroup {nodegroup.name} (slot {slot}): "
            f"{nodegroup.node_count} node(s)"
        )
        return self._update_groups(ctx, spec, "nodegroup_create", state, {}, event)

    def delete_nodegroup(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec
    ) -> DriverResult:
        """The group's entry leaves the stack, so Heat deletes its servers (the nested
        stack stays, empty, holding the slot)."""
        if nodegroup.uuid not in nodegroups.slots(spec.driver_state):
            return DriverResult(
                Outcome.COMPLETE, reason=f"nodegroup {nodegroup.name} had no stack resources"
            )
        state = nodegroups.remove(spec.driver_state, nodegroup.uuid)
        event = f"stack update started: nodegroup {nodegroup.name}: its servers are deleted"
        return self._update_groups(ctx, spec, "nodegroup_delete", state, {}, event)

    def _resize_group(
        self, ctx: RequestContext, spec: ClusterSpec, nodegroup: NodeGroupSpec, to: Resize
    ) -> DriverResult:
        """`to`: the group's new node count and the nodes the caller wants gone first."""
        node_count, nodes_to_remove = to
        known = nodegroups.slots(spec.driver_state).get(nodegroup.uuid)
        if known is None or known["removed"]:
            return DriverResult(
                Outcome.FAILED, reason=f"nodegroup {nodegroup.name} has no stack resources"
            )
        name, stack_id = self._stack_ref(spec)
        try:
            stack = self.heat(ctx, spec).get(name, stack_id)
        except HeatError as exc:
            return DriverResult(Outcome.FAILED, reason=exc.message)
        outputs = nodegroups.group_outputs(stack.outputs if stack else {}, int(known["slot"]))
        removal = scaling.nodes_to_remove(outputs, node_count, nodes_to_remove)
        event = f"stack update started: nodegroup {nodegroup.name}: {node_count} node(s)"
        if removal:
            event += f"; nodes removed first (resource names): {', '.join(removal)}"
        changes = {nodegroup.uuid: (node_count, removal)}
        return self._update_groups(ctx, spec, "resize", dict(spec.driver_state), changes, event)

    def _update_groups(
        self,
        ctx: RequestContext,
        spec: ClusterSpec,
        operation: str,
        state: dict[str, Any],
        changes: Mapping[str, tuple[int, list[str]]],
        event: str,
    ) -> DriverResult:
        """A PATCH update of the `nodegroups` parameter from `state`'s slots; running
        servers keep what they booted with."""

        def params_of(stack: Stack) -> dict[str, Any]:
            renderer = self._group_renderer(spec, stack.name)
            params = nodegroups.parameters(spec, state, stack.outputs, renderer, changes)
            params[node_bundle.USER_DATA_UPDATE_POLICY] = node_bundle.KEEP
            return params

        return self._update(ctx, spec, operation, params_of, state, lambda: [event])

    def _update(
        self,
        ctx: RequestContext,
        spec: ClusterSpec,
        operation: str,
        params_of: Callable[[Stack], dict[str, Any]],
        state: dict[str, Any] | None,
        events: Callable[[], list[str]],
    ) -> DriverResult:
        """A PATCH update of the cluster's idle stack with `params_of(stack)`; IN_PROGRESS
        with `state` and `events()`. Parameters that cannot be rendered (ValueError) and
        Heat's refusals are the operation's failure."""
        try:
            idle = self._idle_stack(ctx, spec, operation)
            if isinstance(idle, DriverResult):
                return idle
            heat, stack = idle
            params = params_of(stack)
            heat.update(stack.name, stack.id, params, disable_rollback=not spec.rollback)
        except HeatError as exc:
            return DriverResult(Outcome.FAILED, reason=exc.message)
        except ValueError as exc:
            return DriverResult(Outcome.FAILED, reason=str(exc))
        return self._in_progress(state, events())

    def _group_renderer(self, spec: ClusterSpec, stack: str) -> nodegroups.GroupBundles:
        def render(slot: int, group: NodeGroupSpec, indices: Sequence[int]) -> dict[str, Any]:
            return self.group_bundles(spec, stack, slot, group, indices)

        return render

    def rekey_by_update(
        self, ctx: RequestContext, spec: ClusterSpec, operation: str, what: str
    ) -> DriverResult:
        """New certificates from the cluster's CAs (new ones after a rotation) for every
        server: a stack update with every bundle re-rendered and `user_data_update_policy`
        REBUILD, so Nova rebuilds each server in place (same address and volumes) and it
        boots with its new bundle. For drivers with `bundle_parameters`, which expose it as
        their `rotate_ca` and `renew_certificates` (`operation` names the one running)."""

        def params_of(stack: Stack) -> dict[str, Any]:
            params = self.bundle_parameters(spec, stack.name, _used_indices(stack.outputs))
            if not params:
                raise exceptions.NotSupported(
                    operation=f"{what} with driver {self.name} on a cluster whose servers get "
                    "no bundles (a template-named fixed network: their addresses are not "
                    "planned)"
                )
            renderer = self._group_renderer(spec, stack.name)
            params.update(nodegroups.parameters(spec, spec.driver_state, stack.outputs, renderer))
            params[node_bundle.USER_DATA_UPDATE_POLICY] = node_bundle.REBUILD
            return params

        line = f"stack update started: {what}: every server rebuilt with new certificates"
        return self._update(ctx, spec, operation, params_of, None, lambda: [line])

    def delete_cluster(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        if not spec.driver_state.get(STACK_ID):
            if not self.configured:
                # No credentials: this deployment cannot have made a stack for it.
                return DriverResult(Outcome.COMPLETE, reason="no stack was ever created")
            # Never created, or created just before a crash: find it by its name.
            found = self._find_by_name(ctx, spec)
            if found is None:
                return DriverResult(Outcome.COMPLETE, reason="no stack to delete")
            state = {**spec.driver_state, STACK_ID: found.id, STACK_NAME: found.name}
        else:
            state = dict(spec.driver_state)
        heat = self.heat(ctx, spec)
        try:
            heat.delete(state[STACK_NAME], state[STACK_ID])
        except HeatError as exc:
            return DriverResult(Outcome.FAILED, reason=exc.message)
        return self._in_progress(state, ["stack delete started"])

    def _find_by_name(self, ctx: RequestContext, spec: ClusterSpec) -> Stack | None:
        try:
            return self.heat(ctx, spec).find(stack_name(spec))
        except HeatError:
            return None

    def poll(self, ctx: RequestContext, spec: ClusterSpec, operation: str) -> DriverResult:
        name, stack_id = self._stack_ref(spec)
        heat = self.heat(ctx, spec)
        action = _ACTIONS.get(operation, "UPDATE")
        try:
            stack = heat.get(name, stack_id)
            if stack is None or stack.status == "DELETE_COMPLETE":
                if action == "DELETE":
                    return DriverResult(Outcome.COMPLETE, reason="stack deleted")
                return DriverResult(Outcome.FAILED, reason=f"stack {name} ({stack_id}) is gone")
            return self._result(heat, spec, stack, action)
        except HeatError as exc:
            return DriverResult(Outcome.FAILED, reason=exc.message)

    def _result(
        self, heat: Orchestration, spec: ClusterSpec, stack: Stack, action: str
    ) -> DriverResult:
        """The operation's outcome from its stack's status."""
        if stack.in_progress:
            return self._in_progress(None, [])
        facts = self.definition.facts(spec, stack.outputs, stack.id)
        groups = nodegroups.addresses(spec.driver_state, stack.outputs)
        facts.nodegroup_addresses = groups or None
        if stack.status == f"{action}_COMPLETE":
            used = _used_indices(stack.outputs)
            high = max([*used, int(spec.driver_state.get(NODE_INDEX_HIGH, -1))])
            state = {**spec.driver_state, NODE_INDEX_HIGH: high} if used else None
            settled = nodegroups.settled_state(state or spec.driver_state, stack.outputs)
            state = settled if settled is not None else state
            return DriverResult(
                Outcome.COMPLETE, reason=stack.reason or None, facts=facts, driver_state=state
            )
        if stack.status.endswith("_COMPLETE") and stack.action != "ROLLBACK":
            # Heat records the new action before it answers a create or update, so another
            # settled action means this request never reached the stack.
            reason = f"stack {stack.name} is {stack.status}, not {action}_COMPLETE"
            return DriverResult(Outcome.FAILED, reason=reason, facts=facts)
        # *_FAILED, or ROLLBACK_* (the request failed and Heat rolled it back).
        events = [
            f"{r.status} {r.type} {r.name} (stack {r.stack_name}): {r.reason}"
            for r in self._failed_resources(heat, stack)
        ]
        return DriverResult(Outcome.FAILED, reason=stack.reason, facts=facts, events=events)

    def _failed_resources(self, heat: Orchestration, stack: Stack) -> list[Any]:
        try:
            return heat.failed_resources(stack.name, stack.id)
        except HeatError as exc:
            LOG.warning("cannot list the failed resources of stack %s: %s", stack.id, exc)
            return []

    def _in_progress(self, state: dict[str, Any] | None, events: list[str]) -> DriverResult:
        return DriverResult(
            Outcome.IN_PROGRESS,
            driver_state=state,
            events=events,
            poll_after=self.settings.operation_poll_interval,
        )

    def _idle_stack(
        self, ctx: RequestContext, spec: ClusterSpec, operation: str
    ) -> tuple[Orchestration, Stack] | DriverResult:
        """Heat and the cluster's stack when no action runs on it; else what the call
        answers: FAILED when the stack is gone, the poll's result while an action runs (a
        retried call whose update was already sent). Raises HeatError."""
        name, stack_id = self._stack_ref(spec)
        heat = self.heat(ctx, spec)
        stack = heat.get(name, stack_id)
        if stack is None:
            return DriverResult(Outcome.FAILED, reason=f"stack {name} ({stack_id}) is gone")
        if stack.in_progress:
            return self.poll(ctx, spec, operation)
        return heat, stack

    def _stack_ref(self, spec: ClusterSpec) -> tuple[str, str]:
        stack_id = spec.driver_state.get(STACK_ID)
        if not stack_id:
            raise exceptions.DockyardError(f"cluster {spec.uuid} has no stack")
        return str(spec.driver_state.get(STACK_NAME) or stack_name(spec)), str(stack_id)

    # -- periodic sync ------------------------------------------------------------------
    def sync_in_progress(self, ctx: RequestContext, specs: Sequence[ClusterSpec]) -> set[str]:
        """The clusters among `specs` (all with a running operation) whose stack settled or
        vanished: one global stack list, or one stack get per cluster, as the service user."""
        refs = {str(s.driver_state[STACK_ID]): s for s in specs if s.driver_state.get(STACK_ID)}
        if not refs:
            return set()
        heat = self.service_heat()
        if self.settings.periodic_global_stack_list:
            listed = {stack.id: stack for stack in heat.list_stacks(refs, global_tenant=True)}
            observed: Callable[[str], Stack | None] = listed.get
        else:

            def observed(stack_id: str) -> Stack | None:
                return heat.get(str(refs[stack_id].driver_state.get(STACK_NAME)), stack_id)

        settled: set[str] = set()
        for stack_id, spec in refs.items():
            try:
                stack = observed(stack_id)
            except HeatError as exc:
                LOG.warning("status sync of stack %s failed: %s", stack_id, exc)
                continue
            if stack is None or not stack.in_progress:
                settled.add(spec.uuid)
        return settled


def _used_indices(outputs: Mapping[str, Any]) -> list[int]:
    """The node group's indices in use (the stack's `node_refs_map` output)."""
    current = outputs.get("node_refs_map")
    return sorted(int(k) for k in current) if isinstance(current, Mapping) else []


def _node_indices(outputs: Mapping[str, Any], node_count: int, highest: int) -> list[int]:
    """Every index the node group may use after an update to `node_count` nodes: those in
    use, and `node_count` above the highest ever used (`highest`, or the outputs'). Every
    node a shrink removes is named (`scaling.nodes_to_remove`), so Heat's ResourceGroup has
    excluded each unused index below the highest for good and numbers new nodes above it."""
    used = _used_indices(outputs)
    start = max([*used, highest], default=-1) + 1
    return sorted({*used, *range(start, start + node_count)})


@dataclass(frozen=True, slots=True)
class BundleRenderer:
    """How a driver renders its servers' bundles: `servers(spec, stack, node_indices)` gives
    `bundle_parameters`, `group(spec, stack, slot, group, indices)` gives `group_bundles`."""

    servers: Callable[[ClusterSpec, str, Sequence[int]], dict[str, Any]]
    group: Callable[[ClusterSpec, str, int, NodeGroupSpec, Sequence[int]], dict[str, Any]]


class RekeyedHeatDriver(HeatDriver):
    """A Heat driver whose servers get bundles from its `renderer`, at planned addresses
    (`addresses`): its CA rotation and certificate renewal are `rekey_by_update`."""

    renderer: ClassVar[BundleRenderer]

    def bundle_parameters(
        self, spec: ClusterSpec, stack: str, node_indices: Sequence[int]
    ) -> dict[str, Any]:
        return self.renderer.servers(spec, stack, node_indices)

    def group_bundles(
        self, spec: ClusterSpec, stack: str, slot: int, group: NodeGroupSpec, indices: Sequence[int]
    ) -> dict[str, Any]:
        return self.renderer.group(spec, stack, slot, group, indices)

    def check_nodegroup(self, coe: str, nodegroup: NodeGroupSpec) -> None:
        super().check_nodegroup(coe, nodegroup)
        if nodegroup.node_count > addresses.GROUP_BLOCK:
            raise exceptions.InvalidParameterValue(
                f"nodegroup {nodegroup.name}: a nodegroup of a {self.name} cluster has at most "
                f"{addresses.GROUP_BLOCK} nodes (its servers' addresses are planned in blocks "
                f"of {addresses.GROUP_BLOCK})"
            )

    def rekey_refusal(self, template: Mapping[str, Any]) -> str | None:
        if addresses.plannable_template(template):
            return None
        return (
            f"its servers get no certificate bundles: the template names its own fixed "
            f"network, and {self.name} plans server addresses only on the network its stack "
            "creates"
        )

    def rotate_ca(self, ctx: RequestContext, spec: ClusterSpec) -> DriverResult:
        return self.rekey_by_update(ctx, spec, "rotate_ca", "Rotating the CA")

    def renew_certificates(
        self, ctx: RequestContext, spec: ClusterSpec, issued_before: dt.datetime
    ) -> DriverResult:
        """Every bundle is rendered with new certificates, so all of them were issued after
        `issued_before`."""
        return self.rekey_by_update(ctx, spec, "renew_certificates", "Renewing node certificates")
