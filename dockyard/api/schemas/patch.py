"""JSON-Patch bodies (RFC 6902 subset Magnum accepts: add, replace, remove)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any, Literal

import jsonpatch
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from dockyard.common import exceptions

_PATH = re.compile(r"^(/[\w-]+)+$")
# Attributes whose `replace` may carry a Python-literal string (old client style).
_LITERAL_PATHS = frozenset({"/labels", "/node_labels", "/node_taints", "/health_status_reason"})


class PatchOp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["add", "replace", "remove"]
    path: str
    value: Any = None


_OPS = TypeAdapter(list[PatchOp])


def parse_ops(body: Any) -> list[PatchOp]:
    """The body as a list of patch operations (400 when it is not one)."""
    try:
        ops = _OPS.validate_python(body)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"])
        raise exceptions.PatchError(patch=body, reason=f"{where}: {error['msg']}") from None
    if not ops:
        raise exceptions.PatchError(patch=body, reason="the patch is empty")
    return ops


def apply(
    document: dict[str, Any],
    ops: Iterable[PatchOp],
    *,
    internal: frozenset[str],
    not_removable: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Apply `ops` to a copy of `document` with Magnum's path rules."""
    prepared: list[dict[str, Any]] = []
    for op in ops:
        if not _PATH.match(op.path):
            raise exceptions.PatchError(patch=op.path, reason="Invalid path")
        top = "/" + op.path.split("/")[1]
        if op.path in internal or top in internal:
            raise exceptions.PatchError(
                patch=op.path, reason=f"'{op.path}' is an internal attribute and can not be updated"
            )
        if top[1:] not in document:
            raise exceptions.PatchError(patch=op.path, reason=f"Unknown attribute {top}")
        if op.op == "remove" and op.path in not_removable:
            raise exceptions.PatchError(
                patch=op.path, reason=f"'{op.path}' is a mandatory attribute and can not be removed"
            )
        entry: dict[str, Any] = {"op": op.op, "path": op.path}
        if op.op != "remove":
            if op.value is None:
                raise exceptions.PatchError(
                    patch=op.path, reason="'add' and 'replace' need a value"
                )
            value = op.value
            if op.path in _LITERAL_PATHS and isinstance(value, str):
                try:
                    value = ast.literal_eval(value)
                except (ValueError, SyntaxError):
                    raise exceptions.PatchError(
                        patch=op.path, reason=f"cannot parse {value!r}"
                    ) from None
            entry["value"] = value
            if op.op == "add" and op.path == top and document.get(top[1:]) is not None:
                raise exceptions.PatchError(
                    patch=op.path,
                    reason=f"The attribute {op.path} has existed, please use 'replace' "
                    "operation instead.",
                )
            if op.op == "add" and op.path == top:
                entry["op"] = "replace"
        elif op.path == top:
            # Removing a top-level attribute resets it (jsonpatch would delete the key).
            entry = {"op": "replace", "path": op.path, "value": None}
        prepared.append(entry)
    try:
        result: dict[str, Any] = jsonpatch.apply_patch(document, prepared)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise exceptions.PatchError(patch=prepared, reason=str(exc)) from None
    return result
