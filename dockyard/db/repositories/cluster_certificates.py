"""Certificate expiry rows (`cluster_certificates`): what each cluster's certificates are and
when they expire, whichever store keeps them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dockyard.db.models import ClusterCertificate, utcnow
from dockyard.domain.certificates import CertificateInfo


def replace(
    session: Session, cluster_uuid: str, kinds: Iterable[str], infos: Sequence[CertificateInfo]
) -> None:
    """Make `infos` the cluster's certificates of `kinds` (earlier rows of those kinds go)."""
    # Delete by primary key: a DELETE on a range of the cluster_id index takes InnoDB gap
    # locks, and two conductors recording different clusters then deadlock on MariaDB.
    stale = list(
        session.scalars(
            select(ClusterCertificate.id).where(
                ClusterCertificate.cluster_id == cluster_uuid,
                ClusterCertificate.kind.in_(list(kinds)),
            )
        )
    )
    if stale:
        session.execute(delete(ClusterCertificate).where(ClusterCertificate.id.in_(stale)))
    now = utcnow()
    for info in infos:
        session.add(
            ClusterCertificate(
                cluster_id=cluster_uuid,
                kind=info.kind,
                name=info.name,
                subject=info.subject,
                serial=info.serial,
                not_before=info.not_before,
                not_after=info.not_after,
                updated_at=now,
            )
        )
    session.flush()


def for_cluster(session: Session, cluster_uuid: str) -> list[ClusterCertificate]:
    """The cluster's certificates, the first to expire first."""
    return list(
        session.scalars(
            select(ClusterCertificate)
            .where(ClusterCertificate.cluster_id == cluster_uuid)
            .order_by(
                ClusterCertificate.not_after, ClusterCertificate.kind, ClusterCertificate.name
            )
        )
    )


def expiring(session: Session, before: dt.datetime) -> list[ClusterCertificate]:
    """Every certificate that expires before `before`, the first to expire first."""
    return list(
        session.scalars(
            select(ClusterCertificate)
            .where(ClusterCertificate.not_after < before)
            .order_by(ClusterCertificate.not_after, ClusterCertificate.cluster_id)
        )
    )


def earliest_expiry(session: Session) -> dict[str, dt.datetime]:
    """Cluster uuid -> when its first certificate expires."""
    rows = session.execute(
        select(ClusterCertificate.cluster_id, func.min(ClusterCertificate.not_after)).group_by(
            ClusterCertificate.cluster_id
        )
    )
    return {cluster_id: _aware(not_after) for cluster_id, not_after in rows}


def remove_for_cluster(session: Session, cluster_uuid: str) -> None:
    session.execute(delete(ClusterCertificate).where(ClusterCertificate.cluster_id == cluster_uuid))


def _aware(value: dt.datetime) -> dt.datetime:
    # min() over a column bypasses UTCDateTime's result processing on some backends.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
