"""SQLAlchemy 2 table models. Only the db package imports these."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC (portable across SQLite/PostgreSQL/MariaDB), returns aware UTC."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        # MySQL/MariaDB DATETIME drops microseconds unless given a precision.
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=False))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)


class ClusterTemplate(TimestampMixin, Base):
    __tablename__ = "cluster_templates"
    __table_args__ = (Index("ix_cluster_templates_project_id", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    coe: Mapped[str] = mapped_column(String(32))
    image_id: Mapped[str] = mapped_column(String(255))
    flavor_id: Mapped[str | None] = mapped_column(String(255))
    master_flavor_id: Mapped[str | None] = mapped_column(String(255))
    keypair_id: Mapped[str | None] = mapped_column(String(255))
    dns_nameserver: Mapped[str | None] = mapped_column(String(255))
    external_network_id: Mapped[str | None] = mapped_column(String(255))
    fixed_network: Mapped[str | None] = mapped_column(String(255))
    fixed_subnet: Mapped[str | None] = mapped_column(String(255))
    network_driver: Mapped[str | None] = mapped_column(String(255))
    volume_driver: Mapped[str | None] = mapped_column(String(255))
    apiserver_port: Mapped[int | None] = mapped_column(Integer)
    docker_volume_size: Mapped[int | None] = mapped_column(Integer)
    docker_storage_driver: Mapped[str | None] = mapped_column(String(255))
    cluster_distro: Mapped[str | None] = mapped_column(String(255))
    http_proxy: Mapped[str | None] = mapped_column(String(255))
    https_proxy: Mapped[str | None] = mapped_column(String(255))
    no_proxy: Mapped[str | None] = mapped_column(String(255))
    insecure_registry: Mapped[str | None] = mapped_column(String(255))
    registry_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    tls_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    server_type: Mapped[str] = mapped_column(String(32), default="vm")
    master_lb_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    floating_ip_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[str | None] = mapped_column(String(255))
    driver: Mapped[str | None] = mapped_column(String(255))


class Cluster(TimestampMixin, Base):
    __tablename__ = "clusters"
    __table_args__ = (Index("ix_clusters_project_id", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    cluster_template_id: Mapped[str] = mapped_column(String(36), index=True)
    driver: Mapped[str] = mapped_column(String(255))
    keypair: Mapped[str | None] = mapped_column(String(255))
    docker_volume_size: Mapped[int | None] = mapped_column(Integer)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    master_flavor_id: Mapped[str | None] = mapped_column(String(255))
    flavor_id: Mapped[str | None] = mapped_column(String(255))
    fixed_network: Mapped[str | None] = mapped_column(String(255))
    fixed_subnet: Mapped[str | None] = mapped_column(String(255))
    floating_ip_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    master_lb_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    create_timeout: Mapped[int] = mapped_column(Integer, default=60)
    discovery_url: Mapped[str | None] = mapped_column(String(255))
    node_count: Mapped[int] = mapped_column(Integer, default=1)
    master_count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(32), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    health_status: Mapped[str | None] = mapped_column(String(32))
    health_status_reason: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    api_address: Mapped[str | None] = mapped_column(String(255))
    coe_version: Mapped[str | None] = mapped_column(String(255))
    container_version: Mapped[str | None] = mapped_column(String(255))
    stack_id: Mapped[str | None] = mapped_column(String(255))
    ca_cert_ref: Mapped[str | None] = mapped_column(String(512))
    magnum_cert_ref: Mapped[str | None] = mapped_column(String(512))
    etcd_ca_cert_ref: Mapped[str | None] = mapped_column(String(512))
    front_proxy_ca_cert_ref: Mapped[str | None] = mapped_column(String(512))
    # The one operation allowed to change this cluster now (a conditional UPDATE claims it).
    active_operation_id: Mapped[str | None] = mapped_column(String(36))
    # Driver-private facts (node ids, ports, ...), opaque to everything else.
    driver_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class NodeGroup(TimestampMixin, Base):
    __tablename__ = "nodegroups"
    __table_args__ = (UniqueConstraint("cluster_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    cluster_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str] = mapped_column(String(255))
    docker_volume_size: Mapped[int | None] = mapped_column(Integer)
    labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flavor_id: Mapped[str | None] = mapped_column(String(255))
    image_id: Mapped[str | None] = mapped_column(String(255))
    node_addresses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    node_count: Mapped[int] = mapped_column(Integer, default=1)
    role: Mapped[str] = mapped_column(String(255), default="worker")
    min_node_count: Mapped[int] = mapped_column(Integer, default=0)
    max_node_count: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    stack_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(32))
    status_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(255))
    node_labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    node_taints: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Operation(TimestampMixin, Base):
    """A durable request to change a cluster, claimed by one conductor at a time."""

    __tablename__ = "operations"
    __table_args__ = (Index("ix_operations_state_next_run_at", "state", "next_run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    cluster_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    next_run_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)
    # Control of the run (never shown: views, timeline and logs read `params` only).
    #: The requester's Keystone token while the operation is active (a driver whose backend
    #: acts as the user, Heat, needs it); cleared when the operation ends.
    auth_token: Mapped[str | None] = mapped_column(Text)
    #: The driver answered IN_PROGRESS: later runs poll instead of calling again.
    polling: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Transient backend errors retried so far (`[conductor] retry_*` sets the backoff).
    retries: Mapped[int] = mapped_column(Integer, default=0)
    #: A CA rotation's or renewal's certificate references it replaced, once its new ones
    #: are stored (deleted when it completes); None before.
    replaced_certs: Mapped[list[str] | None] = mapped_column(JSON)
    #: A nodegroup update changed node labels or taints (the driver relabels the nodes).
    relabel: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A nodegroup update's changed fields as they were before (put back when it fails).
    restore: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ClusterEvent(Base):
    """One line of a cluster's timeline (GET /v1/clusters/{id}/events)."""

    __tablename__ = "cluster_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster_id: Mapped[str] = mapped_column(String(36), index=True)
    operation_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    event: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16), default="INFO")
    message: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str | None] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: Fraction of the operation done after a `<kind>.progress` step (0..1), else None.
    progress: Mapped[float | None] = mapped_column(Float)


class Quota(TimestampMixin, Base):
    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("project_id", "resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int] = mapped_column(Integer)


class Service(TimestampMixin, Base):
    """A running API or conductor process; `last_seen_up` is its heartbeat."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("host", "binary"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    host: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    forced_down: Mapped[bool] = mapped_column(Boolean, default=False)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    last_seen_up: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Certificate(Base):
    """A stored certificate; its private key is kept encrypted by the x509keypair store."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    cluster_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    cert_pem: Mapped[str] = mapped_column(Text)
    key_ciphertext: Mapped[str] = mapped_column(Text)
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ClusterCertificate(Base):
    """When one of a cluster's certificates expires, whichever store keeps it: the CAs and the
    admin certificate (recorded by the conductor that makes them) and the nodes' server
    certificates (reported by the driver)."""

    __tablename__ = "cluster_certificates"
    __table_args__ = (UniqueConstraint("cluster_id", "kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(1024))
    serial: Mapped[str] = mapped_column(String(64))
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Volume(TimestampMixin, Base):
    """A persistent volume for containers, kept by a volume driver (local, cinder)."""

    __tablename__ = "volumes"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_volumes_project_id", "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    driver: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The driver's own reference (an image path, a Cinder volume id) and where it lives.
    backend_ref: Mapped[str | None] = mapped_column(String(255))
    host: Mapped[str | None] = mapped_column(String(255))


class VolumeAttachment(Base):
    """A volume mounted for one container on one engine (recorded by the volume plugin)."""

    __tablename__ = "volume_attachments"
    __table_args__ = (UniqueConstraint("volume_id", "engine", "mount_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    volume_id: Mapped[str] = mapped_column(String(36), index=True)
    # Which Docker engine mounted it: "host:<name>" or "cluster:<uuid>/<node>".
    engine: Mapped[str] = mapped_column(String(255))
    # Docker's mount request ID (one per container mount) and the container, when known.
    mount_id: Mapped[str] = mapped_column(String(128))
    container_id: Mapped[str | None] = mapped_column(String(128))
    mountpoint: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Container(TimestampMixin, Base):
    """A container run for a user on a Dockyard-managed engine."""

    __tablename__ = "containers"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_containers_project_id", "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    image: Mapped[str] = mapped_column(String(255))
    command: Mapped[list[Any]] = mapped_column(JSON, default=list)
    environment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"type": "volume"|"bind", "source": volume uuid or host path, "destination": path}]
    mounts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Where it runs: a container host name, or a local Swarm cluster's uuid.
    host: Mapped[str | None] = mapped_column(String(255))
    cluster_id: Mapped[str | None] = mapped_column(String(36), index=True)
    docker_id: Mapped[str | None] = mapped_column(String(128))


class ProjectLock(Base):
    """One row per project that has created a cluster: the row quota checks lock (SELECT ...
    FOR UPDATE), so counting and inserting happen one transaction at a time per project."""

    __tablename__ = "project_locks"

    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
