"""Request body models (pydantic) and the one function that turns their errors into 400s."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from dockyard.common import exceptions

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, resource: str, read_only: Iterable[str] = ()) -> M:
    """Validate `data` against `model`; the first problem becomes a Magnum-style 400."""
    if not isinstance(data, dict):
        raise exceptions.Invalid(f"Invalid input for {resource}: expected a JSON object.")
    for key in read_only:
        if key in data:
            raise exceptions.ReadOnlyField(field=key)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise exceptions.Invalid(_describe(exc, resource)) from None


def _describe(exc: ValidationError, resource: str) -> str:
    error = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in error["loc"]) or resource
    if error["type"] == "extra_forbidden":
        return f"Unknown attribute for argument {resource}: {field}"
    if error["type"] == "missing":
        return str(
            exceptions.InvalidField(field=field, value=None, reason="mandatory field missing")
        )
    return str(exceptions.InvalidField(field=field, value=error.get("input"), reason=error["msg"]))
