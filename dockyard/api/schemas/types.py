"""Field types shared by the request models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

Str255 = Annotated[str, Field(min_length=1, max_length=255)]
LabelValue = StrictStr | StrictBool | StrictInt | StrictFloat
Labels = dict[Annotated[str, Field(min_length=1, max_length=255)], LabelValue]
ClusterName = Annotated[str, Field(max_length=242, pattern=r"^[a-zA-Z][a-zA-Z0-9_.-]*$")]
