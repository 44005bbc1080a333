"""The one microversion registry: versions 1.1-1.14, named features, header parsing.

Mirrors Magnum: no header means 1.1; `latest` means 1.14; the service name may be
`container-infrastructure-management`, `container-infrastructure` or `container-infra`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from dockyard.common import exceptions

SERVICE_NAMES: Final = (
    "container-infrastructure-management",
    "container-infrastructure",
    "container-infra",
)
RESPONSE_SERVICE: Final = "container-infrastructure-management"
HEADER: Final = "openstack-api-version"
HELP_URL: Final = "http://docs.openstack.org/api-guide/compute/microversions.html"


@dataclass(frozen=True, order=True, slots=True)
class Version:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @classmethod
    def parse(cls, text: str) -> Version:
        major, _, minor = text.partition(".")
        if not (major.isdigit() and minor.isdigit()):
            raise ValueError(text)
        return cls(int(major), int(minor))


# One line per version: what it added (the history users read in docs/api.md).
VERSIONS: Final = (
    (Version(1, 1), "Base version."),
    (Version(1, 2), "Cluster and bay create/update/delete are asynchronous (202)."),
    (Version(1, 3), "?rollback on cluster PATCH."),
    (Version(1, 4), "GET /v1/stats."),
    (Version(1, 5), "CA certificate rotation."),
    (Version(1, 6), "Quotas API."),
    (Version(1, 7), "POST /v1/clusters/{id}/actions/resize."),
    (Version(1, 8), "POST /v1/clusters/{id}/actions/upgrade."),
    (Version(1, 9), "Nodegroups API."),
    (Version(1, 10), "node_count 0; unknown template on cluster create is 404."),
    (Version(1, 11), "Magnum removed bays/baymodels here; Dockyard keeps serving them."),
    (Version(1, 12), "Credential rotation."),
    (Version(1, 13), "cluster_id instead of stack_id in cluster responses."),
    (Version(1, 14), "Nodegroup node_labels and node_taints."),
)
MIN_VERSION: Final = VERSIONS[0][0]
MAX_VERSION: Final = VERSIONS[-1][0]

ASYNC_CLUSTER_OPS: Final = Version(1, 2)
ROLLBACK: Final = Version(1, 3)
STATS: Final = Version(1, 4)
QUOTAS: Final = Version(1, 6)
RESIZE: Final = Version(1, 7)
UPGRADE: Final = Version(1, 8)
NODEGROUPS: Final = Version(1, 9)
ZERO_NODES: Final = Version(1, 10)
CLUSTER_ID_FIELD: Final = Version(1, 13)
# Magnum removed bays here; certificates stop echoing `bay_uuid` (Dockyard keeps /v1/bays).
BAYS_REMOVED: Final = Version(1, 11)
# Bays render as clusters did just before CLUSTER_ID_FIELD (stack_id), at any version.
BAY_VIEW: Final = Version(1, 12)


class VersionNotSupported(exceptions.NotAcceptable):
    """A version outside [min, max]: 406 with Magnum's extra error keys."""

    def __init__(self, requested: str) -> None:
        super().__init__(
            f"Version {requested} was requested but the minor version is not supported by "
            f"this service. The supported version range is: [{MIN_VERSION}, {MAX_VERSION}]."
        )


def negotiate(header_value: str | None) -> Version:
    """The version a request asks for; raises 406 for a malformed or unsupported one."""
    if not header_value:
        return MIN_VERSION
    parts = header_value.split()
    if len(parts) != 2 or parts[0].lower() not in SERVICE_NAMES:
        raise exceptions.NotAcceptable(
            f"Invalid service type for {HEADER} header: {header_value!r}."
        )
    if parts[1].lower() == "latest":
        return MAX_VERSION
    try:
        version = Version.parse(parts[1])
    except ValueError:
        raise exceptions.NotAcceptable(
            f"Invalid value for {HEADER} header: {header_value!r}."
        ) from None
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise VersionNotSupported(str(version))
    return version


def require(requested: Version, minimum: Version, api_name: str) -> None:
    """406 when `requested` is older than the version that introduced `api_name`."""
    if requested < minimum:
        raise exceptions.NotAcceptable(
            f"Version {requested} was requested but the requested API {api_name} is not "
            "supported for this version."
        )
