"""Certificate rows for the x509keypair store (keys arrive here already encrypted)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dockyard.db.models import Certificate
from dockyard.db.session import Database


def add(
    session: Session,
    ref: str,
    cluster_uuid: str,
    kind: str,
    cert_pem: str,
    key_ciphertext: str,
    not_after: dt.datetime,
) -> None:
    session.add(
        Certificate(
            ref=ref,
            cluster_id=cluster_uuid,
            kind=kind,
            cert_pem=cert_pem,
            key_ciphertext=key_ciphertext,
            not_after=not_after,
        )
    )
    session.flush()


def get(session: Session, ref: str) -> Certificate | None:
    return session.scalars(select(Certificate).where(Certificate.ref == ref)).first()


def remove(session: Session, ref: str) -> None:
    session.execute(delete(Certificate).where(Certificate.ref == ref))


def remove_for_cluster(session: Session, cluster_uuid: str) -> None:
    session.execute(delete(Certificate).where(Certificate.cluster_id == cluster_uuid))


class DatabaseCertificateRows:
    """The x509keypair store's persistence: one transaction per call."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self,
        ref: str,
        cluster_uuid: str,
        kind: str,
        cert_pem: str,
        key_ciphertext: str,
        not_after: dt.datetime,
    ) -> None:
        with self._db.write() as session:
            add(session, ref, cluster_uuid, kind, cert_pem, key_ciphertext, not_after)

    def get(self, ref: str) -> tuple[str, str] | None:
        with self._db.read() as session:
            row = get(session, ref)
            return (row.cert_pem, row.key_ciphertext) if row else None

    def remove(self, ref: str) -> None:
        with self._db.write() as session:
            remove(session, ref)

    def remove_for_cluster(self, cluster_uuid: str) -> None:
        with self._db.write() as session:
            remove_for_cluster(session, cluster_uuid)
