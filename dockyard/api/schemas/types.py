"""Field types shared by the request models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from dockyard.domain import bounds

Str255 = Annotated[str, Field(min_length=1, max_length=255)]


def bounded(limits: tuple[int, int]) -> Any:
    """An integer field limited to `limits` (inclusive), as documented in docs/api.md."""
    low, high = limits
    return Field(ge=low, le=high)


def _label_int_in_range(value: Any) -> Any:
    # Checked before the union: a too-large int would otherwise pass as a float.
    if isinstance(value, int) and not isinstance(value, bool):
        reason = bounds.out_of_range(value, bounds.LABEL_INT)
        if reason:
            raise ValueError(f"an integer label value {reason}")
    return value


LabelValue = Annotated[
    StrictStr | StrictBool | StrictInt | StrictFloat, BeforeValidator(_label_int_in_range)
]
Labels = dict[Annotated[str, Field(min_length=1, max_length=255)], LabelValue]
ClusterName = Annotated[str, Field(max_length=242, pattern=r"^[a-zA-Z][a-zA-Z0-9_.-]*$")]

NodeCount = Annotated[int, bounded(bounds.NODE_COUNT)]
MasterCount = Annotated[int, bounded(bounds.MASTER_COUNT)]
CreateTimeout = Annotated[int, bounded(bounds.CREATE_TIMEOUT)]
DockerVolumeSize = Annotated[int, bounded(bounds.DOCKER_VOLUME_SIZE)]
MaxBatchSize = Annotated[int, bounded(bounds.MAX_BATCH_SIZE)]
QuotaHardLimit = Annotated[int, bounded(bounds.QUOTA_HARD_LIMIT)]
