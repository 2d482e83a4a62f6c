"""The kiosk API's answers checked against its contract, docs/openapi.json.

``check_answer`` finds the operation of the document that a request was
for and raises ``ContractBroken`` unless the answer is one that operation
documents: its status, its required headers, its content type and, for
JSON, its body against the response's schema (JSON Schema 2020-12, the
dialect of OpenAPI 3.1, with formats asserted). A request for no operation
of the document may only get the JSON error of an address (404) or of a
method (405) that does not exist. ``ContractClient`` runs the check on every
answer under /api/ that a Flask test client receives.
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

OPENAPI_PATH = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
DOCUMENT: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
BASE = DOCUMENT["servers"][0]["url"]
# The document as a schema resource, so that every "$ref" inside it resolves.
DOCUMENT_URI = "urn:hailong:openapi"
REGISTRY = jsonschema_rs.Registry([(DOCUMENT_URI, DOCUMENT)])
ERROR_SCHEMA = "#/components/schemas/Error"


class ContractBroken(AssertionError):
    """An answer of the kiosk API that docs/openapi.json does not allow."""


def _path_pattern(template: str) -> re.Pattern[str]:
    """``/officers/{officer_id}/photo`` as a pattern: a parameter is one path segment."""
    parts = re.split(r"\{[^}]+\}", template)
    return re.compile("".join([re.escape(parts[0]), *("[^/]+" + re.escape(part) for part in parts[1:])]) + "$")


PATH_PATTERNS = {template: _path_pattern(template) for template in DOCUMENT["paths"]}


def find_path(path: str) -> str | None:
    """The document's path template that a request path matches, or None."""
    if not path.startswith(BASE + "/"):
        return None
    rest = path[len(BASE):]
    return next((template for template, pattern in PATH_PATTERNS.items() if pattern.match(rest)), None)


def resolve(node: dict[str, Any], pointer: str) -> tuple[dict[str, Any], str]:
    """``node`` (found at ``pointer``) with its "$ref" followed, and where it ends up."""
    while "$ref" in node:
        pointer = node["$ref"]
        node = DOCUMENT
        for token in pointer.removeprefix("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return node, pointer


def _token(name: str) -> str:
    """``name`` as one token of a JSON pointer."""
    return name.replace("~", "~0").replace("/", "~1")


@functools.cache
def validator(pointer: str) -> jsonschema_rs.Draft202012Validator:
    """A validator for the schema at ``pointer`` in the document."""
    return jsonschema_rs.Draft202012Validator(
        {"$ref": DOCUMENT_URI + pointer}, registry=REGISTRY, validate_formats=True
    )


def check_json(body: bytes, pointer: str, where: str) -> None:
    """``body`` is JSON that the schema at ``pointer`` allows; else ``ContractBroken``."""
    try:
        value = json.loads(body)
    except ValueError:
        raise ContractBroken(f"{where}: the body is not JSON: {body[:200]!r}") from None
    problems = [
        f"{'/'.join(map(str, error.instance_path)) or '(body)'}: {error.message}"
        for error in validator(pointer).iter_errors(value)
    ]
    if problems:
        raise ContractBroken(f"{where}: the body does not match {pointer}:\n  " + "\n  ".join(problems))


def check_answer(method: str, path: str, response: TestResponse) -> None:
    """Raise ``ContractBroken`` unless docs/openapi.json allows ``response`` to ``method path``."""
    status = response.status_code
    template = find_path(path)
    method = method.lower()
    if template is None or method not in DOCUMENT["paths"][template]:
        expected = 404 if template is None else 405
        where = f"{method.upper()} {path} (no operation in docs/openapi.json)"
        if status != expected:
            raise ContractBroken(f"{where}: only {expected} may answer, not {status}")
        if expected == 405 and "Allow" not in response.headers:
            raise ContractBroken(f"{where}: a 405 names the methods the path takes in Allow")
        if response.mimetype != "application/json":
            raise ContractBroken(f"{where}: the error is {response.mimetype}, not application/json")
        check_json(response.data, ERROR_SCHEMA, where)
        return

    where = f"{method.upper()} {template} answered {status}"
    pointer = f"#/paths/{_token(template)}/{method}/responses"
    documented = DOCUMENT["paths"][template][method]["responses"]
    if str(status) not in documented:
        raise ContractBroken(f"{where}, which is not documented (only {', '.join(documented)})")
    answer, pointer = resolve(documented[str(status)], f"{pointer}/{status}")
    for name, header in answer.get("headers", {}).items():
        header, _ = resolve(header, "")
        if header.get("required") and name not in response.headers:
            raise ContractBroken(f"{where} without the {name} header")
    content = answer.get("content")
    if not content:
        if response.data:
            raise ContractBroken(f"{where} with a body, which is documented without one")
        return
    if response.mimetype not in content:
        raise ContractBroken(f"{where} with {response.mimetype or 'no type'}, not {' or '.join(content)}")
    if response.mimetype == "application/json":
        schema = content["application/json"]["schema"]
        _, schema_pointer = resolve(schema, f"{pointer}/content/application~1json/schema")
        check_json(response.data, schema_pointer, where)


class ContractClient(FlaskClient):
    """A Flask test client that checks every answer under /api/ against docs/openapi.json.

    The request that got the answer fails with ``ContractBroken``, in the test that made it.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith("/api/"):
            check_answer(request.method, request.path, response)
        return response
