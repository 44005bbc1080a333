"""Domain exceptions. Each carries the HTTP status the API answers with.

The API layer turns any `DockyardError` into Magnum's `{"errors": [...]}` body; the message
becomes `detail` and its first sentence the `title` (what the `openstack coe` client prints).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DockyardError(Exception):
    """Base class: a message template plus the HTTP status it maps to."""

    http_status: ClassVar[int] = 500
    message: ClassVar[str] = "An unknown exception occurred."

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        if message is None:
            try:
                message = self.message % kwargs if kwargs else self.message
            except (KeyError, TypeError):
                message = self.message
        self.kwargs = kwargs
        super().__init__(message)

    @property
    def detail(self) -> str:
        return str(self)


# 400 ---------------------------------------------------------------------------------------
class Invalid(DockyardError):
    http_status = 400
    message = "Unacceptable parameters."


class InvalidParameterValue(Invalid):
    message = "%(err)s"


class InvalidField(InvalidParameterValue):
    """A request attribute with a bad value; the whole reason fits in the CLI's title."""

    message = "Invalid input for field/attribute %(field)s: %(reason)s (value: %(value)r)"


class InvalidLabel(Invalid):
    message = "Invalid label %(label)s: %(reason)s"


class PatchError(Invalid):
    message = "Couldn't apply patch '%(patch)s'. Reason: %(reason)s"


class ReadOnlyField(Invalid):
    message = "Cannot set read only field %(field)s."


class NotSupported(Invalid):
    message = "%(operation)s is not supported."


class ClusterTypeNotSupported(NotSupported):
    message = (
        "Cluster type (%(server_type)s, %(os)s, %(coe)s) is not supported by any loaded "
        "cluster driver. Loaded drivers support: %(supported)s."
    )


class DriverUnusable(NotSupported):
    """A driver this deployment cannot use: `problems` says what it lacks."""

    def __init__(
        self, driver: str, backend: str, problems: list[str], subject: str | None = None
    ) -> None:
        what = f"the driver {driver} ({backend})" if backend else f"the driver {driver}"
        lead = f"{subject} needs {what}, which" if subject else f"Cluster driver {driver}"
        super().__init__(f"{lead} cannot build clusters here: {'; '.join(problems)}.")
        self.driver = driver
        self.problems = list(problems)


class ClusterDriverNotSupported(NotSupported):
    message = "Cluster driver (%(driver_name)s) not supported."


class DeletingDefaultNGNotSupported(NotSupported):
    message = "Deleting a default nodegroup is not supported."


class CreateMasterNodeGroup(NotSupported):
    message = "Creating master nodegroups is currently not supported."


class ImageNotFound(Invalid):
    message = "Image %(image_id)s could not be found."


class OSDistroFieldNotFound(Invalid):
    message = "Image %(image_id)s doesn't contain os_distro field."


# Magnum answers 400 for these lookups, not 404 (its attr_validator).
class FlavorNotFound(Invalid):
    message = "Unable to find flavor %(flavor)s."


class ExternalNetworkNotFound(Invalid):
    message = "Unable to find external network %(network)s."


class FixedNetworkNotFound(Invalid):
    message = "Unable to find fixed network %(network)s."


class FixedSubnetNotFound(Invalid):
    message = "Unable to find fixed subnet %(subnet)s."


# 403 ---------------------------------------------------------------------------------------
class NotAuthorized(DockyardError):
    http_status = 403
    message = "Not authorized."


class PolicyNotAuthorized(NotAuthorized):
    message = "Policy doesn't allow %(action)s to be performed."


class QuotaExceeded(NotAuthorized):
    message = "%(msg)s"


class ImageNotAuthorized(NotAuthorized):
    message = "Not authorized for image %(image_id)s."


# 401 ---------------------------------------------------------------------------------------
class AuthenticationRequired(DockyardError):
    http_status = 401
    message = "Authentication required."


# 404 ---------------------------------------------------------------------------------------
class NotFound(DockyardError):
    http_status = 404
    message = "Resource could not be found."


class ClusterNotFound(NotFound):
    message = "Cluster %(cluster)s could not be found."


class ClusterTemplateNotFound(NotFound):
    message = "ClusterTemplate %(clustertemplate)s could not be found."


class NodeGroupNotFound(NotFound):
    message = "Nodegroup %(nodegroup)s could not be found."


class KeyPairNotFound(NotFound):
    message = "Unable to find keypair %(keypair)s."


class QuotaNotFound(NotFound):
    message = "Quota could not be found: %(msg)s"


class VolumeNotFound(NotFound):
    message = "Volume %(volume)s could not be found."


class ContainerNotFound(NotFound):
    message = "Container %(container)s could not be found."


# 406 ---------------------------------------------------------------------------------------
class NotAcceptable(DockyardError):
    http_status = 406
    message = "Not Acceptable."


# 409 ---------------------------------------------------------------------------------------
class Conflict(DockyardError):
    http_status = 409
    message = "Conflict."


class OperationInProgress(Conflict):
    message = (
        "Cluster %(cluster)s already has an operation in progress (%(operation)s, status "
        "%(status)s). "
        "Wait for it to finish and retry."
    )


class ClusterStatusConflict(Conflict):
    message = "Cannot %(action)s cluster %(cluster)s while its status is %(status)s."


class ClusterTemplateReferenced(Conflict):
    # Magnum answers 400 here; it is a conflict with the clusters using the template.
    message = (
        "ClusterTemplate %(clustertemplate)s is referenced by one or multiple clusters. %(users)s"
    )


class QuotaAlreadyExists(Conflict):
    message = "Quota for project %(project_id)s already exists for resource %(resource)s."


class NodeGroupAlreadyExists(Conflict):
    message = "A node group with name %(name)s already exists in the cluster %(cluster_id)s."


class NodeGroupInvalidInput(Conflict):
    # 409 as in Magnum: the values conflict with each other or with the group's size.
    message = "%(attr)s for %(nodegroup)s is invalid (%(expl)s)."


class ClusterAPIAddressUnavailable(Conflict):
    message = "Cluster API address is not available yet. Wait for the cluster to be created."


class VolumeAlreadyExists(Conflict):
    message = "A volume with name %(name)s already exists in project %(project_id)s."


class VolumeInUse(Conflict):
    message = "Volume %(volume)s is attached (%(attachments)s); detach it first."


class VolumeStatusConflict(Conflict):
    message = "Cannot %(action)s volume %(volume)s while its status is %(status)s."


class ContainerAlreadyExists(Conflict):
    message = "A container with name %(name)s already exists in this project."


class ContainerStatusConflict(Conflict):
    message = "Cannot %(action)s container %(container)s while its status is %(status)s."


# 413 ---------------------------------------------------------------------------------------
class RequestTooLarge(DockyardError):
    http_status = 413
    message = "Request is larger than the limit of %(limit)d bytes."


# 415 ---------------------------------------------------------------------------------------
class UnsupportedMediaType(DockyardError):
    http_status = 415
    message = "Unsupported media type %(content_type)s; send application/json."


# 503 ---------------------------------------------------------------------------------------
class ServiceUnavailable(DockyardError):
    """A service Dockyard depends on (Glance, Nova, Neutron) did not answer."""

    http_status = 503
    message = "%(service)s is unavailable: %(reason)s"


# 500 ---------------------------------------------------------------------------------------
class VolumeBackendError(DockyardError):
    message = "Volume %(volume)s: %(reason)s"
