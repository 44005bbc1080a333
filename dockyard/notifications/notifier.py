"""The notifier: CADF events sent through oslo.messaging."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from oslo_config import cfg

from dockyard.notifications.cadf import activity_event

with warnings.catch_warnings():
    # oslo.messaging imports eventlet helpers, which warn on import; Dockyard uses threads.
    warnings.simplefilter("ignore")
    import oslo_messaging

LOG = logging.getLogger(__name__)

CLUSTER_TYPE_URI = "service/magnum/cluster"
# Fields of the cluster attachment, as Magnum sends them (its key "docker_volume_size:" has a
# stray colon; consumers written for Magnum read that key, so both are sent).
CLUSTER_FIELDS = (
    "status",
    "status_reason",
    "project_id",
    "created_at",
    "updated_at",
    "cluster_template_id",
    "keypair",
    "docker_volume_size",
    "labels",
    "master_flavor_id",
    "flavor_id",
    "stack_id",
    "health_status",
    "create_timeout",
    "api_address",
    "discovery_url",
    "node_addresses",
    "master_addresses",
    "node_count",
    "master_count",
    "name",
    "uuid",
)


class Notifier:
    """Sends CADF notifications; never raises into the caller."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        transport = oslo_messaging.get_notification_transport(conf)
        self._notifier = oslo_messaging.Notifier(
            transport, publisher_id=f"container-infra.{conf.host}"
        )

    def cluster(
        self, action: str, outcome: str, cluster: dict[str, Any], user_id: str, project_id: str
    ) -> None:
        """`magnum.cluster.<action>` with outcome pending, success or failure."""
        data = {k: cluster.get(k) for k in CLUSTER_FIELDS}
        data["docker_volume_size:"] = cluster.get("docker_volume_size")
        self.resource(
            "magnum.cluster", CLUSTER_TYPE_URI, "cluster_data", action, outcome, data, user_id,
            project_id,
        )  # fmt: skip

    def resource(
        self,
        event_prefix: str,
        type_uri: str,
        data_name: str,
        action: str,
        outcome: str,
        data: dict[str, Any],
        user_id: str,
        project_id: str,
    ) -> None:
        """`<event_prefix>.<action>` for any resource, `data` attached as `data_name`."""
        self.send(
            f"{event_prefix}.{action}",
            outcome,
            activity_event(
                resource_type=type_uri,
                target_id=str(data.get("uuid")),
                action=action,
                outcome=outcome,
                user_id=user_id,
                project_id=project_id,
                data=data,
                data_name=data_name,
            ),
        )

    def send(self, event_type: str, outcome: str, payload: dict[str, Any]) -> None:
        try:
            if outcome == "failure":
                self._notifier.error({}, event_type, payload)
            else:
                self._notifier.info({}, event_type, payload)
        except Exception:  # an unreachable bus must not fail an operation
            LOG.exception("could not send notification %s", event_type)
