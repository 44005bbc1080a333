"""/v1/certificates: cluster CA show, CSR signing, CA rotation; and two Dockyard extensions:
certificate expiry (GET /v1/clusters/{id}/certificates) and node certificate renewal
(POST /v1/clusters/{id}/actions/renew_certificates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from dockyard.api import microversions
from dockyard.api.deps import ContextDep, JsonBody, RuntimeDep, VersionDep, query_args
from dockyard.api.schemas import openapi as oa
from dockyard.api.schemas import parse
from dockyard.api.views.certificates import render_certificate
from dockyard.api.views.common import app_url, json_response, links
from dockyard.common import exceptions
from dockyard.services import certificates as service

router = APIRouter()


class CertificateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cluster_uuid: str | None = Field(default=None, max_length=255)
    bay_uuid: str | None = Field(default=None, max_length=255)
    csr: str = Field(min_length=1)
    ca_cert_type: str | None = None


def _render(
    request: Request, version: microversions.Version, cluster_uuid: str, **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"cluster_uuid": cluster_uuid, **fields}
    if version < microversions.BAYS_REMOVED:
        body["bay_uuid"] = cluster_uuid
    body["links"] = links(app_url(request), "certificates", cluster_uuid)
    return body


@router.get("/v1/certificates/{ident}", **oa.doc(answer=oa.CA, query={"ca_cert_type": oa.STRING}))
def get_ca(
    request: Request, ident: str, rt: RuntimeDep, ctx: ContextDep, version: VersionDep
) -> Response:
    args = query_args(request, ("ca_cert_type",))
    cluster, pem = service.get_ca(rt, ctx, ident, args.get("ca_cert_type"))
    return json_response(_render(request, version, cluster.uuid, pem=pem))


@router.post("/v1/certificates", **oa.doc(status=201, answer=oa.SIGNED, body=CertificateCreate))
@router.post("/v1/certificates/", include_in_schema=False)
def sign(
    request: Request, rt: RuntimeDep, ctx: ContextDep, version: VersionDep, body: JsonBody
) -> Response:
    attrs = parse(CertificateCreate, body, "certificate")
    ident = attrs.cluster_uuid or attrs.bay_uuid
    if not ident:
        raise exceptions.InvalidField(
            field="cluster_uuid", value=None, reason="mandatory field missing"
        )
    cluster, pem = service.sign(rt, ctx, ident, attrs.csr, attrs.ca_cert_type)
    return json_response(_render(request, version, cluster.uuid, csr=attrs.csr, pem=pem), 201)


@router.patch("/v1/certificates/{ident}", **oa.doc(status=202, answer=oa.UUID_ANSWER))
def rotate_ca(ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    return json_response({"uuid": service.rotate_ca(rt, ctx, ident)}, 202)


@router.get("/v1/clusters/{ident}/certificates", **oa.doc(answer=oa.CERTIFICATES))
def cluster_certificates(ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    """Dockyard extension: the cluster's CAs, admin and node certificates, first to expire
    first."""
    cluster, rows = service.expiry(rt, ctx, ident)
    now = dt.datetime.now(dt.UTC)
    renew_before = int(rt.conf.certificates.renew_before_days)
    return json_response(
        {
            "cluster_uuid": cluster.uuid,
            "renew_before_days": renew_before,
            "certificates": [render_certificate(row, now, renew_before) for row in rows],
        }
    )


@router.post(
    "/v1/clusters/{ident}/actions/renew_certificates", **oa.doc(status=202, answer=oa.UUID_ANSWER)
)
def renew_certificates(ident: str, rt: RuntimeDep, ctx: ContextDep) -> Response:
    """Dockyard extension: re-issue the node certificates from the cluster's current CA."""
    return json_response({"uuid": service.renew(rt, ctx, ident)}, 202)
