"""Heat stacks through openstacksdk's orchestration proxy (Heat's v1 REST API).

Calls go through the proxy's HTTP methods (endpoint discovery, auth and retries are
openstacksdk's and keystoneauth's), because two things Dockyard needs are not in its `Stack`
resource: PATCH updates that keep the stored template (`existing`), and the global stack list
filtered by id. Heat's error messages are kept verbatim (`HeatError.message`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keystoneauth1 import exceptions as ks_exceptions
from openstack import connection


class HeatError(Exception):
    """Heat refused a call; `message` is Heat's own explanation."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Stack:
    """What Dockyard reads from a stack."""

    id: str
    name: str
    status: str
    reason: str
    outputs: Mapping[str, Any] = field(default_factory=dict)
    output_errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.status.rsplit("_", 1)[0]

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")


@dataclass(frozen=True, slots=True)
class FailedResource:
    name: str
    type: str
    status: str
    reason: str
    stack_name: str


def _message(response: Any) -> str:
    """Heat's explanation from an error response body (its `error.message`), else the text."""
    try:
        body = response.json()
    except ValueError:
        return str(response.text or response.reason).strip()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "").strip()
        return message or str(body.get("explanation") or response.reason)
    return str(body)


def _stack(data: Mapping[str, Any]) -> Stack:
    outputs: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in data.get("outputs") or []:
        if item.get("output_error"):
            errors[item["output_key"]] = str(item["output_error"])
        outputs[item["output_key"]] = item.get("output_value")
    return Stack(
        id=str(data["id"]),
        name=str(data.get("stack_name", "")),
        status=str(data.get("stack_status", "")),
        reason=str(data.get("stack_status_reason") or ""),
        outputs=outputs,
        output_errors=errors,
    )


class Orchestration:
    """One identity's view of Heat."""

    def __init__(self, conn: connection.Connection) -> None:
        self.api = conn.orchestration

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.api.request(path, method, raise_exc=False, **kwargs)
        except ks_exceptions.ClientException as exc:  # connection refused, timeout, no endpoint
            raise HeatError(503, f"Heat is unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise HeatError(response.status_code, _message(response))
        return response

    def validate(
        self,
        template: str,
        files: Mapping[str, str],
        environment: Mapping[str, Any],
        ignore_errors: str | None = None,
    ) -> dict[str, Any]:
        """Heat's template-validate; raises HeatError with Heat's reason when it fails.
        `ignore_errors` lists Heat error codes to skip (e.g. "99001")."""
        body = {"template": template, "files": dict(files), "environment": dict(environment)}
        params = {"ignore_errors": ignore_errors} if ignore_errors else None
        result: dict[str, Any] = self._call("POST", "/validate", json=body, params=params).json()
        return result

    def create(
        self,
        name: str,
        template: str,
        files: Mapping[str, str],
        environment: Mapping[str, Any],
        parameters: Mapping[str, Any],
        timeout_mins: int | None,
        disable_rollback: bool,
    ) -> str:
        """Start a stack create; returns the stack id."""
        body: dict[str, Any] = {
            "stack_name": name,
            "template": template,
            "files": dict(files),
            "environment": dict(environment),
            "parameters": dict(parameters),
            "disable_rollback": disable_rollback,
        }
        if timeout_mins:
            body["timeout_mins"] = timeout_mins
        return str(self._call("POST", "/stacks", json=body).json()["stack"]["id"])

    def find(self, name_or_id: str) -> Stack | None:
        """The stack called (or with id) `name_or_id`, with its outputs; None when absent."""
        try:
            response = self._call("GET", f"/stacks/{name_or_id}")
        except HeatError as exc:
            if exc.status == 404:
                return None
            raise
        return _stack(response.json()["stack"])

    def get(self, name: str, stack_id: str) -> Stack | None:
        """One stack by name and id, with outputs (one GET); None when it is gone."""
        return self.find(f"{name}/{stack_id}")

    def update(
        self,
        name: str,
        stack_id: str,
        parameters: Mapping[str, Any],
        disable_rollback: bool,
        timeout_mins: int | None = None,
    ) -> None:
        """PATCH update: the stored template, files and environment with new parameters."""
        body: dict[str, Any] = {
            "parameters": dict(parameters),
            "disable_rollback": disable_rollback,
        }
        if timeout_mins:
            body["timeout_mins"] = timeout_mins
        self._call("PATCH", f"/stacks/{name}/{stack_id}", json=body)

    def delete(self, name: str, stack_id: str) -> None:
        """Start deleting a stack; a stack that is already gone is not an error."""
        try:
            self._call("DELETE", f"/stacks/{name}/{stack_id}")
        except HeatError as exc:
            if exc.status != 404:
                raise

    def list_stacks(self, stack_ids: Iterable[str], global_tenant: bool) -> list[Stack]:
        """Stacks among `stack_ids` in one call (no outputs). `global_tenant` lists every
        project's stacks (Heat policy `stacks:global_index`, the admin role)."""
        params: dict[str, Any] = {"id": list(stack_ids)}
        if global_tenant:
            params["global_tenant"] = "True"
        response = self._call("GET", "/stacks", params=params)
        return [_stack(item) for item in response.json()["stacks"]]

    def failed_resources(self, name: str, stack_id: str, depth: int = 3) -> list[FailedResource]:
        """Resources in a FAILED state, nested stacks included, deepest first: their reasons
        are Heat's own words about what broke."""
        response = self._call(
            "GET", f"/stacks/{name}/{stack_id}/resources", params={"nested_depth": depth}
        )
        failed = [
            FailedResource(
                name=str(item.get("resource_name", "")),
                type=str(item.get("resource_type", "")),
                status=str(item.get("resource_status", "")),
                reason=str(item.get("resource_status_reason") or ""),
                stack_name=str(item.get("stack_name", "")),
            )
            for item in response.json()["resources"]
            if str(item.get("resource_status", "")).endswith("_FAILED")
        ]
        # Provider and nested stacks fail because a member failed: the leaves come first.
        return sorted(failed, key=lambda r: -r.stack_name.count("-"))
