"""What the OpenAPI document declares for each route: request body, query arguments and answers.

Routes parse their own JSON (`deps.JsonBody`, then `schemas.parse`), so FastAPI cannot see the
body; `doc(...)` returns the decorator arguments that declare it, from the same pydantic models
the route validates with. Answers are declared too: the success status with its JSON shape, and
every 4xx as Magnum's error envelope (no 422: validation errors are 400s). A schema-driven
fuzzer reads this document (tests/functional/test_fuzz_api.py), and
tests/unit/test_openapi_bodies.py fails when a route reads a body that is not declared.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dockyard.api.schemas.clusters import ClusterCreate

Schema = dict[str, Any]

JSON = "application/json"
STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
NULLABLE_INTEGER: Schema = {"type": ["integer", "null"]}
BOOLEAN: Schema = {"type": "boolean"}
NULLABLE_BOOLEAN: Schema = {"type": ["boolean", "null"]}
OBJECT: Schema = {"type": "object"}
NULLABLE_OBJECT: Schema = {"type": ["object", "null"]}
TIMESTAMP: Schema = NULLABLE_STRING
LINKS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {"href": STRING, "rel": STRING},
    },
}


def obj(required: tuple[str, ...] = (), **properties: Schema) -> Schema:
    """An object schema; other keys are allowed (views add keys per microversion)."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def array_of(item: Schema) -> Schema:
    return {"type": "array", "items": item}


def collection(name: str, item: Schema) -> Schema:
    """A list answer: `{name: [...]}` and, when the page is full, `next`."""
    return obj((name,), **{name: array_of(item), "next": STRING})


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with every `#/$defs/...` reference replaced by its definition."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def model_schema(model: type[BaseModel]) -> Schema:
    """The JSON schema of a request model, self-contained (no `$ref`)."""
    raw = model.model_json_schema()
    inlined: Schema = _inline(raw, raw.get("$defs", {}))
    return inlined


ERROR: Schema = obj(
    ("errors",),
    errors={
        "type": "array",
        "minItems": 1,
        "items": obj(
            ("request_id", "code", "status", "title", "detail", "links"),
            request_id=STRING,
            code=STRING,
            status=INTEGER,
            title=STRING,
            detail=STRING,
            links=array_of(OBJECT),
        ),
    },
)

UUID_ANSWER: Schema = obj(("uuid",), uuid=STRING)

# RFC 6902 as Magnum takes it: add, replace and remove of top-level (or nested) attributes.
JSON_PATCH: Schema = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["op", "path"],
        "properties": {
            "op": {"enum": ["add", "replace", "remove"]},
            "path": {"type": "string", "pattern": r"^(/[A-Za-z0-9_-]+)+$"},
            "value": {},
        },
    },
}

PAGE_QUERY: dict[str, Schema] = {
    "limit": {"type": "integer", "minimum": 1},
    "marker": {"type": "string", "format": "uuid"},
    "sort_key": STRING,
    "sort_dir": {"enum": ["asc", "desc"]},
}
INT_PAGE_QUERY: dict[str, Schema] = {**PAGE_QUERY, "marker": {"type": "integer", "minimum": 1}}


def doc(
    *,
    status: int = 200,
    answer: Schema | None = None,
    body: type[BaseModel] | Schema | None = None,
    query: dict[str, Schema] | None = None,
    also: dict[int, Schema] | None = None,
    media_type: str = JSON,
) -> dict[str, Any]:
    """Decorator arguments for a route: its success `status` and `answer` (None: no content),
    its JSON `body` (a request model or a schema), its optional `query` arguments, and `also`
    the other successes it may answer (by microversion)."""
    responses: dict[int | str, dict[str, Any]] = {
        "4XX": {"description": "Magnum's error envelope", "content": {JSON: {"schema": ERROR}}}
    }
    answers = {status: answer, **(also or {})}
    for code, schema in answers.items():
        if schema is not None:
            content = {media_type: {"schema": schema}}
            responses[code] = {"description": "Success", "content": content}
    extra: dict[str, Any] = {}
    if body is not None:
        schema = model_schema(body) if isinstance(body, type) else body
        extra["requestBody"] = {"required": True, "content": {JSON: {"schema": schema}}}
    if query:
        extra["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in query.items()
        ]
    return {"status_code": status, "responses": responses, "openapi_extra": extra or None}


# -- answers --------------------------------------------------------------------------------
TEMPLATE: Schema = obj(
    ("uuid", "name", "coe", "image_id", "links"),
    uuid=STRING,
    name=NULLABLE_STRING,
    coe=STRING,
    image_id=STRING,
    labels=NULLABLE_OBJECT,
    public=NULLABLE_BOOLEAN,
    hidden=NULLABLE_BOOLEAN,
    docker_volume_size=NULLABLE_INTEGER,
    apiserver_port=NULLABLE_INTEGER,
    project_id=NULLABLE_STRING,
    links=LINKS,
)
_CLUSTER_FIELDS: dict[str, Schema] = {
    "uuid": STRING,
    "name": NULLABLE_STRING,
    "status": STRING,
    "node_count": INTEGER,
    "master_count": INTEGER,
    "docker_volume_size": NULLABLE_INTEGER,
    "labels": NULLABLE_OBJECT,
    "health_status": NULLABLE_STRING,
    "project_id": NULLABLE_STRING,
    "links": LINKS,
}
CLUSTER: Schema = obj(
    ("uuid", "name", "status", "node_count", "master_count", "links"),
    cluster_template_id=STRING,
    create_timeout=NULLABLE_INTEGER,
    **_CLUSTER_FIELDS,
)
BAY: Schema = obj(
    ("uuid", "name", "status", "node_count", "master_count", "links"),
    baymodel_id=STRING,
    bay_create_timeout=NULLABLE_INTEGER,
    **_CLUSTER_FIELDS,
)
_TO_BAY = {"cluster_template_id": "baymodel_id", "create_timeout": "bay_create_timeout"}


def bay_create() -> Schema:
    """A bay create body: the cluster's, with the bay names of two fields."""
    schema = model_schema(ClusterCreate)
    schema["properties"] = {_TO_BAY.get(k, k): v for k, v in schema["properties"].items()}
    schema["required"] = [_TO_BAY.get(k, k) for k in schema.get("required", [])]
    schema["title"] = "BayCreate"
    return schema


BAY_CREATE: Schema = bay_create()
NODEGROUP: Schema = obj(
    ("uuid", "name", "node_count", "role", "is_default", "status", "links"),
    uuid=STRING,
    name=STRING,
    cluster_id=STRING,
    project_id=STRING,
    node_count=INTEGER,
    min_node_count=INTEGER,
    max_node_count=NULLABLE_INTEGER,
    role=STRING,
    is_default=BOOLEAN,
    status=STRING,
    links=LINKS,
)
EVENTS: Schema = obj(
    ("cluster_uuid", "status", "events", "operations"),
    cluster_uuid=STRING,
    status=STRING,
    events=array_of(obj(("id", "event"), id=INTEGER, event=STRING)),
    operations=array_of(obj(("uuid", "kind", "state"), uuid=STRING, kind=STRING, state=STRING)),
)
QUOTA: Schema = obj(
    ("project_id", "resource", "hard_limit"),
    project_id=STRING,
    resource=STRING,
    hard_limit=INTEGER,
    id=INTEGER,
)
STATS: Schema = obj(("clusters", "nodes"), clusters=INTEGER, nodes=INTEGER)
CA: Schema = obj(("cluster_uuid", "pem", "links"), cluster_uuid=STRING, pem=STRING, links=LINKS)
SIGNED: Schema = obj(
    ("cluster_uuid", "csr", "pem", "links"),
    cluster_uuid=STRING,
    csr=STRING,
    pem=STRING,
    links=LINKS,
)
CERTIFICATES: Schema = obj(
    ("cluster_uuid", "renew_before_days", "certificates"),
    cluster_uuid=STRING,
    renew_before_days=INTEGER,
    certificates=array_of(OBJECT),
)
MSERVICES: Schema = collection(
    "mservices", obj(("id", "host", "binary", "state"), id=INTEGER, host=STRING, state=STRING)
)
_OWNED: dict[str, Schema] = {  # what volumes and containers show alike
    "uuid": STRING,
    "name": NULLABLE_STRING,
    "status": STRING,
    "project_id": NULLABLE_STRING,
    "links": LINKS,
}
VOLUME: Schema = obj(
    ("uuid", "name", "size", "status", "links"), size=INTEGER, options=OBJECT, **_OWNED
)
CONTAINER: Schema = obj(("uuid", "name", "status", "links"), **_OWNED)
LOGS: Schema = obj(("logs",), logs=STRING)
VERSIONS: Schema = obj(("versions",), versions=array_of(obj(("id", "links"), id=STRING)))
V1: Schema = obj(("id", "links", "media_types"), id=STRING, links=LINKS)
HEALTH: Schema = {"type": "string", "const": "OK"}
CAPABILITIES: Schema = OBJECT
IMAGES: Schema = obj(("images", "listed"), images=array_of(OBJECT), listed=BOOLEAN)
