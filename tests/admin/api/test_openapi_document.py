"""docs/openapi.json: a valid OpenAPI 3.1 document of every API route, served at GET /api/v1/openapi.json.

Also the check that tests/admin/api/conftest.py puts on every test client
(``api_support.check_answer``): it must refuse answers the document does
not allow, or the API tests would prove nothing about the contract.
"""
from __future__ import annotations

import json
import re

import jsonschema_rs
import pytest
import schemathesis
from flask import Response

from .api_support import BASE, DOCUMENT, OPENAPI_PATH, ContractBroken, check_answer, resolve, validator

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_openapi_document_is_valid_openapi_3_1():
    schema = schemathesis.openapi.from_path(OPENAPI_PATH)
    schema.validate()  # the OpenAPI 3.1 meta-schema; raises on any error
    assert DOCUMENT["openapi"].startswith("3.1.")
    for name, component in DOCUMENT["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(
            {"$schema": "https://json-schema.org/draft/2020-12/schema", **component}
        ), name


def _refs(node, found: list[str]) -> list[str]:
    if isinstance(node, dict):
        found += [node["$ref"]] if "$ref" in node else []
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def test_openapi_every_reference_resolves():
    refs = _refs(DOCUMENT, [])
    assert refs
    for ref in refs:
        resolve({"$ref": ref}, "")  # KeyError when it points nowhere


def test_openapi_documents_every_api_route_and_nothing_else(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        # Werkzeug adds HEAD to a GET route and Flask answers OPTIONS itself, on every route.
        automatic = {"HEAD"} if "GET" in rule.methods else set()
        if rule.provide_automatic_options:
            automatic.add("OPTIONS")
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method.lower()) for method in rule.methods - automatic}
    documented = {
        (BASE + template, method)
        for template, item in DOCUMENT["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert routes == documented


def test_openapi_served_without_token_with_etag(client):
    res = client.get("/api/v1/openapi.json")
    assert res.status_code == 200
    assert res.mimetype == "application/json"
    assert res.data == OPENAPI_PATH.read_bytes()
    assert res.headers["Cache-Control"] == "no-cache"
    etag = res.headers["ETag"]
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get("/api/v1/openapi.json", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


@pytest.mark.parametrize(
    "path, key, item_schema",
    [("/ratings", "ratings", "Rating"), ("/kiosk/duty", "events", "DutyEvent"), ("/kiosk/heartbeat", None, None)],
)
def test_openapi_request_examples_are_well_formed(client, world, path, key, item_schema):
    example = DOCUMENT["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"]
    request_schema = f"#/paths/{path.replace('/', '~1')}/post/requestBody/content/application~1json/schema"
    assert validator(request_schema).is_valid(example)
    if item_schema:
        assert all(validator(f"#/components/schemas/{item_schema}").is_valid(item) for item in example[key])
    res = client.post(BASE + path, json=example, headers=auth(world.token_a))
    assert res.status_code == 200
    if key:
        answer = res.get_json()
        assert sorted(answer["accepted"] + answer["duplicates"] + [r["id"] for r in answer["rejected"]]) == sorted(
            item["id"] for item in example[key]
        )


def json_answer(body, status: int = 200, **headers) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


BATCH = {"accepted": ["7d0c3c1e-4f7b-4d43-9a55-1f7f0d3c2b11"], "duplicates": [], "rejected": []}
ERROR = {"error": {"code": "not_found", "message": "There is nothing at this address."}}


def test_contract_check_passes_a_documented_answer():
    check_answer("POST", "/api/v1/ratings", json_answer(BATCH))
    check_answer("GET", "/api/v1/officers/12/photo", json_answer(ERROR, 404))
    check_answer("GET", "/api/v2/ratings", json_answer(ERROR, 404))
    check_answer("PUT", "/api/v1/ratings", json_answer(ERROR, 405, Allow="POST"))


@pytest.mark.parametrize(
    "method, path, response, complaint",
    [
        ("POST", "/api/v1/ratings", json_answer({"accepted": [], "duplicates": []}), '"rejected" is a required'),
        ("POST", "/api/v1/ratings", json_answer({**BATCH, "stored": 1}), "Additional properties"),
        ("POST", "/api/v1/ratings", json_answer({**BATCH, "accepted": [7]}), 'is not of type "string"'),
        ("POST", "/api/v1/kiosk/heartbeat", json_answer({"server_time": "2026-11-27T09:10:00+07:00",
                                                         "config_version": "abc"}), "does not match"),
        ("POST", "/api/v1/ratings", json_answer(BATCH, 201), "not documented"),
        ("POST", "/api/v1/ratings", Response("<p>Bad</p>", 400, mimetype="text/html"), "text/html"),
        ("POST", "/api/v1/ratings", json_answer({"error": {"code": "Bad", "message": "x"}}, 400), "does not match"),
        ("GET", "/api/v1/kiosk/config", json_answer(ERROR, 401), "WWW-Authenticate"),
        ("GET", "/api/v1/kiosk/config", Response(b"{}", 304, headers={"ETag": '"a"'}), "without one"),
        ("GET", "/api/v1/nothing-here", Response("<html></html>", 404, mimetype="text/html"), "not application/"),
        ("GET", "/api/v1/nothing-here", json_answer(ERROR, 200), "only 404"),
        ("DELETE", "/api/v1/ratings", json_answer(ERROR, 405), "Allow"),
    ],
)
def test_contract_check_refuses_an_answer_the_document_does_not_allow(method, path, response, complaint):
    with pytest.raises(ContractBroken, match=re.escape(complaint)):
        check_answer(method, path, response)


def test_contract_check_runs_on_the_api_tests_client(client, world, monkeypatch):
    import admin.api.endpoints

    # The service's clock in local time instead of UTC: the heartbeat answer breaks the contract.
    monkeypatch.setattr(admin.api.endpoints, "iso_utc", lambda at: at.isoformat())
    with pytest.raises(ContractBroken, match="server_time"):
        client.post("/api/v1/kiosk/heartbeat", json={}, headers=auth(world.token_a))
