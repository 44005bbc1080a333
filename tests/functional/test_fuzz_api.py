"""Schema-driven fuzzing of every route (issue #13) with schemathesis, against a real
`dockyard` (API and conductor, TEST-ONLY fake driver) on a fresh PostgreSQL database.

The cases come from the OpenAPI document the server itself serves (`/openapi.json`, every body
declared: tests/unit/test_openapi_bodies.py), valid ones and ones that break the schema. Each
answer must be: not a 5xx; a status, content type and body the document declares (4xx in
Magnum's error envelope); a 4xx for a request that breaks the schema. The caller is a member
of project `fuzz`; project `victim` owns a template, a cluster, a nodegroup and a volume whose
identifiers the fuzzer is steered to use (path parameters and reference fields), so no 2xx may
name them, and they must be unchanged at the end.

The run is fixed: the same seed, budget and order of operations give the same requests on a
fresh database, so a failure replays (its curl command is printed). Its case count and time go
to docs/reliability.md.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from conftest import LATEST, PG_ADMIN_URL, Server, _drop_database, make_runtime, start_server
from harness.waiting import wait_until
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction
from schemathesis.core.result import Ok
from test_durability import Processes, pg_database

from dockyard.api.docker_plugin.protocol import HANDLERS
from dockyard.api.docker_plugin.server import PluginSockets
from dockyard.api.schemas import docker_plugin
from dockyard.domain.engines import EngineSocket

pytestmark = pytest.mark.postgres

SEED = 13
CASES = 5000  # at least this many requests in all
REPORT = 3000  # characters of a failure's report (a body may be 100 KiB)
FUZZER = {**LATEST, "X-Project-Id": "fuzz", "X-User-Id": "fuzz-user", "X-Roles": "member"}
VICTIM = {**LATEST, "X-Project-Id": "victim", "X-User-Id": "victim-user", "X-Roles": "member"}
ADMIN = {**LATEST, "X-Project-Id": "ops", "X-User-Id": "root", "X-Roles": "admin"}
# Body fields that name another resource: steered to real ones (the fuzzer's and the victim's).
REFERENCES = ("cluster_template_id", "baymodel_id", "cluster_template", "cluster_uuid", "bay_uuid")
# JSON-patch paths worth trying besides random ones.
PATCH_PATHS = [
    "/name", "/node_count", "/labels", "/labels/fake_seconds", "/health_status",
    "/health_status_reason", "/min_node_count", "/max_node_count", "/node_labels",
    "/node_taints", "/size", "/public", "/coe", "/image_id", "/docker_volume_size",
    "/project_id", "/uuid", "/apiserver_port", "/tags", "/hidden",
]  # fmt: skip
Operation = schemathesis.APIOperation[Any, Any, Any, Any]
JSON_TYPE = "application/json"
TEMPLATE = {"coe": "kubernetes", "image_id": "fedora-atomic-latest"}


@dataclass
class Target:
    server: Server
    db_url: str
    victim: dict[str, dict[str, Any]]  # kind -> the victim's resource as it was shown
    pools: dict[str, list[str]]  # path parameter / reference field -> identifiers to use
    secrets: list[str] = field(default_factory=list)  # the victim's uuids


def make(http: httpx.Client, headers: dict[str, str], path: str, body: Any, code: int) -> Any:
    response = http.post(path, json=body, headers=headers)
    assert response.status_code == code, response.text
    return response.json()


def complete(http: httpx.Client, headers: dict[str, str], cluster: str) -> dict[str, Any]:
    """The cluster once its operation (create, or the update a new nodegroup makes) is done."""

    def shown() -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(f"/v1/clusters/{cluster}", headers=headers).json()
        assert not body["status"].endswith("FAILED"), body
        return body if body["status"].endswith("_COMPLETE") else None

    return wait_until(shown, 60, f"cluster {cluster} to settle")


def seed_project(http: httpx.Client, headers: dict[str, str], name: str) -> dict[str, Any]:
    """A template, a completed cluster, a nodegroup and a volume of the caller's project."""
    template = make(http, headers, "/v1/clustertemplates", {"name": f"{name}-t", **TEMPLATE}, 201)
    body = {"name": f"{name}-c", "cluster_template_id": template["uuid"], "node_count": 1}
    uuid = make(http, headers, "/v1/clusters", body, 202)["uuid"]
    complete(http, headers, uuid)
    path = f"/v1/clusters/{uuid}/nodegroups"
    ng = make(http, headers, path, {"name": f"{name}-ng"}, 202)["uuid"]

    def nodegroup_created() -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(f"{path}/{ng}", headers=headers).json()
        return body if body["status"] == "CREATE_COMPLETE" else None

    nodegroup = wait_until(nodegroup_created, 60, f"nodegroup {ng} to be created")
    cluster = complete(http, headers, uuid)  # its node_count now counts the new nodegroup
    volume = make(http, headers, "/v1/volumes", {"name": f"{name}-v", "size": 1}, 201)
    return {"template": template, "cluster": cluster, "nodegroup": nodegroup, "volume": volume}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    name, url = pg_database()
    group = Processes(tmp_path_factory.mktemp("fuzz"), url)
    try:
        sections: dict[str, dict[str, Any]] = {
            "database": {"connection": url},
            "auth": {"default_roles": "member"},
            # The container host would start a dockerd; its routes still parse their bodies.
            "containers": {"enabled": False},
            "volume": {"max_volumes_per_project": 3, "max_size_gib": 1},
            "quotas": {"max_clusters_per_project": 30},
        }
        server = start_server(group.tmp_path, "dockyard", sections, start_timeout=120)
        group.servers.append(server)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            victim = seed_project(http, VICTIM, "victim")
            own = seed_project(http, FUZZER, "fuzz")
        ids = [r[k] for r in (*victim.values(), *own.values()) for k in ("uuid", "name")]
        clusters = [r[k] for r in (victim["cluster"], own["cluster"]) for k in ("uuid", "name")]
        pools = {
            "ident": ids,
            "cluster_ident": clusters,
            "project_id": ["fuzz", "victim"],
            "resource": ["Cluster", "Node"],
            "reference": [victim["template"]["uuid"], own["template"]["uuid"], *clusters],
        }
        secrets = [r["uuid"] for r in victim.values()]
        yield Target(server, url, victim, pools, secrets)
    finally:
        group.close()
        _drop_database(PG_ADMIN_URL, name)


def one_of(pool: list[str], schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{"enum": pool}, schema]}


def steer(document: dict[str, Any], pools: dict[str, list[str]]) -> dict[str, Any]:
    """The served document with path parameters, reference fields and JSON-patch paths made
    to hit real resources (the fuzzer's and the victim's) as often as random ones."""
    steered = copy.deepcopy(document)
    for operations in steered["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in pools:
                    parameter["schema"] = one_of(pools[parameter["name"]], parameter["schema"])
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            schema = body["schema"]
            for key in REFERENCES:
                properties = schema.get("properties", {})
                if key in properties:
                    properties[key] = one_of(pools["reference"], properties[key])
            if schema.get("type") == "array":  # a JSON patch
                path = schema["items"]["properties"]["path"]
                schema["items"]["properties"]["path"] = one_of(PATCH_PATHS, path)
    return steered


def leak_check(secrets: list[str]) -> Callable[[int, str], str | None]:
    """What a 2xx answer (status, text) names of the victim's resources."""

    def leaked(status: int, text: str) -> str | None:
        if status >= 300:
            return None
        found = [s for s in secrets if s in text]
        return f"a 2xx answer names the victim's {found}" if found else None

    return leaked


CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
]


def budget(operation: Operation, mode: GenerationMode) -> int:
    """Cases per operation and mode: bodies get the most, then query arguments."""
    has_body = bool(operation.body)
    has_query = bool(operation.query)
    if mode == GenerationMode.NEGATIVE:
        return 70 if has_body else 30 if has_query or operation.path_parameters else 0
    return 100 if has_body else 50 if has_query or operation.path_parameters else 5


def fuzz(
    operation: Operation,
    mode: GenerationMode,
    examples: int,
    send_and_check: Callable[[schemathesis.Case[Operation]], None],
) -> tuple[int, str | None]:
    """Run up to `examples` cases of `operation` in `mode`, each through `send_and_check`:
    (cases sent, the first failure or None). Seeded and unshrunk: the same cases every run."""
    sent = 0
    if not examples:
        return 0, None

    @hypothesis.seed(SEED)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case[Operation]) -> None:
        nonlocal sent
        sent += 1
        send_and_check(case)

    try:
        run()
    except AssertionError as exc:
        return sent, f"{operation.label} ({mode.value}): {exc}"
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing to negate in this operation
    return sent, None


def api_check(
    base_url: str, session: requests.Session, leaked: Callable[[int, str], str | None]
) -> Callable[[schemathesis.Case[Operation]], None]:
    def send_and_check(case: schemathesis.Case[Operation]) -> None:
        response = case.call(base_url=base_url, session=session, headers=FUZZER, timeout=30)
        # A 413 refuses the whole body before it is read: a rejection whatever it held.
        checks = CHECKS if response.status_code != 413 else CHECKS[:-1]
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:
            raise AssertionError(f"{exc}"[:REPORT]) from None
        problem = leaked(response.status_code, response.text)
        assert problem is None, f"{problem}\n{case.as_curl_command(FUZZER)}"[:REPORT]

    return send_and_check


@pytest.mark.timeout(900)
def test_fuzz_every_route(target: Target) -> None:
    document = httpx.get(f"{target.server.url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(steer(document, target.pools))
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    declared = sum(len(methods) for methods in document["paths"].values())
    assert len(operations) == declared >= 60, [op.label for op in operations]
    leaked = leak_check(target.secrets)
    failures: list[str] = []
    total = 0
    started = time.monotonic()
    with requests.Session() as session:
        check = api_check(target.server.url, session, leaked)
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                sent, failure = fuzz(operation, mode, budget(operation, mode), check)
                total += sent
                if failure:
                    failures.append(failure)
    elapsed = time.monotonic() - started
    print(f"\nfuzz: {total} cases over {len(operations)} operations in {elapsed:.0f} s")
    assert not failures, "\n\n".join(failures)
    assert total >= CASES
    unchanged(target)


def unchanged(target: Target) -> None:
    """The victim's resources are as they were, and every cluster the fuzzer has uses a
    template the fuzzer can see."""
    with httpx.Client(base_url=target.server.url, timeout=30) as http:
        before = target.victim
        template = http.get(f"/v1/clustertemplates/{before['template']['uuid']}", headers=VICTIM)
        assert template.status_code == 200, template.text
        for key in ("name", "labels", "public", "image_id"):
            assert template.json()[key] == before["template"][key], key
        cluster = http.get(f"/v1/clusters/{before['cluster']['uuid']}", headers=VICTIM).json()
        for key in ("name", "node_count", "labels", "status", "cluster_template_id"):
            assert cluster[key] == before["cluster"][key], key
        ng = before["nodegroup"]
        shown = http.get(f"/v1/clusters/{cluster['uuid']}/nodegroups/{ng['uuid']}", headers=VICTIM)
        for key in ("name", "node_count", "min_node_count", "max_node_count"):
            assert shown.json()[key] == ng[key], key
        volume = http.get(f"/v1/volumes/{before['volume']['uuid']}", headers=VICTIM).json()
        assert (volume["name"], volume["size"]) == (before["volume"]["name"], 1)
        visible = {
            t["uuid"]
            for t in http.get("/v1/clustertemplates", headers=FUZZER).json()["clustertemplates"]
        }
        theirs = http.get("/v1/clusters/detail", headers=FUZZER).json()["clusters"]
        assert all(c["cluster_template_id"] in visible for c in theirs)
        assert before["template"]["uuid"] not in visible


# -- the Docker volume plugin ----------------------------------------------------------------
PLUGIN_CASES = {GenerationMode.POSITIVE: 60, GenerationMode.NEGATIVE: 40}  # per call


@pytest.fixture(scope="module")
def plugin(target: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Dockyard's volume plugin serving a shared engine (a container host's: volumes named by
    uuid, nothing created through it) on a unix socket, on the fuzzed server's database."""
    tmp = tmp_path_factory.mktemp("plugin")
    rt = make_runtime(tmp, target.db_url, {"containers": {"enabled": False}})
    engine = EngineSocket(path=str(tmp / "plugins" / "dockyard.sock"), engine="host:fuzz")
    sockets = PluginSockets(rt, engines=lambda: [engine], recover_grace=3600.0)
    sockets.start()
    try:
        yield engine.path
    finally:
        sockets.stop()
        rt.db.dispose()


def plugin_call(http: httpx.Client, case: schemathesis.Case[Operation]) -> httpx.Response:
    """The case as schemathesis serializes it (JSON, or the raw bytes of a negative case)."""
    sent = case.as_transport_kwargs(base_url="http://plugin")
    body = json.dumps(sent["json"]).encode() if "json" in sent else sent.get("data") or b""
    headers = {**sent.get("headers", {}), "Content-Type": JSON_TYPE}
    return http.post(case.formatted_path, content=body, headers=headers)


def plugin_check(
    http: httpx.Client, leaked: Callable[[int, str], str | None]
) -> Callable[[schemathesis.Case[Operation]], None]:
    def send_and_check(case: schemathesis.Case[Operation]) -> None:
        response = plugin_call(http, case)
        try:
            case.validate_response(response, checks=CHECKS[:-1])
        except (Exception, BaseExceptionGroup) as exc:
            raise AssertionError(f"{exc}\n{case.body!r}"[:REPORT]) from None
        problem = leaked(response.status_code, response.text)
        assert problem is None, f"{problem}: {response.text}"[:REPORT]
        # The plugin's 500: an exception it did not expect, answered as an Err.
        unexpected = "Dockyard volume plugin error" in response.text
        assert not unexpected, f"{response.text}\n{case.body!r}"[:REPORT]

    return send_and_check


@pytest.mark.timeout(600)
def test_fuzz_the_volume_plugin(plugin: str, target: Target) -> None:
    """Every plugin call, fuzzed over its socket: answers as declared
    (dockyard/api/schemas/docker_plugin.py), no volume of the victim named, and the victim's
    volume still there."""
    schema = schemathesis.openapi.from_dict(docker_plugin.document())
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    assert {op.path for op in operations} == set(HANDLERS)
    leaked = leak_check(target.secrets)
    failures: list[str] = []
    total = 0
    transport = httpx.HTTPTransport(uds=plugin)
    with httpx.Client(transport=transport, base_url="http://plugin", timeout=30) as http:
        check = plugin_check(http, leaked)
        for operation in operations:
            for mode, examples in PLUGIN_CASES.items():
                sent, failure = fuzz(operation, mode, examples, check)
                total += sent
                if failure:
                    failures.append(failure)
    print(f"\nfuzz: {total} volume plugin cases over {len(operations)} calls")
    assert not failures, "\n\n".join(failures)
    assert total >= len(HANDLERS) * 50
    with httpx.Client(base_url=target.server.url, timeout=30) as api:
        volume = api.get(f"/v1/volumes/{target.victim['volume']['uuid']}", headers=VICTIM)
        assert volume.status_code == 200, volume.text
