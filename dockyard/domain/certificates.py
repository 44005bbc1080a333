"""What Dockyard knows about a cluster certificate without its key: which one it is and when it
expires (shown by the API, exported to /metrics, checked by the health periodic)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# not_before of every certificate Dockyard issues is back-dated a day, as Magnum does, so
# slightly skewed clocks accept new certificates.
BACKDATE = dt.timedelta(days=1)

# Certificate kinds: the cluster's CAs, its admin client certificate, its nodes' server
# certificates.
CA_KINDS = ("ca", "etcd_ca", "front_proxy_ca")
CLIENT = "client"
NODE = "node"


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """One certificate: kind, name (a node's hostname, else the kind), subject, expiry."""

    kind: str
    name: str
    subject: str
    serial: str  # hex
    not_before: dt.datetime
    not_after: dt.datetime

    @property
    def issued_at(self) -> dt.datetime:
        """When it was issued (not_before is back-dated by BACKDATE)."""
        return self.not_before + BACKDATE


def days_left(not_after: dt.datetime, now: dt.datetime) -> int:
    """Whole days until `not_after` (negative once expired)."""
    return (not_after - now) // dt.timedelta(days=1)
