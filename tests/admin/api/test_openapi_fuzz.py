"""The running central service against its own contract, with schemathesis.

The real ``python -m admin`` serves a demo province on a temporary SQLite
file, with a registered kiosk. Schemathesis loads the contract from the
service itself (GET /api/v1/openapi.json) and derives requests from it:
well-formed ones, and ones that break the request schemas. They go over
HTTP with the kiosk's token. Every answer must be documented for its
operation (status, content type, required headers, body), and none may be
a server error. The run is bounded and derandomized: the same requests
every time, whatever the machine's speed.

The contract lets a batch item be any object with a UUID ``id`` (a bad item
is answered in ``rejected``), so cases drawn from it seldom reach the
storage code. A second, narrower copy makes every item a well-formed rating
or duty event of this province (its scale, reasons and officers), so that
many are stored: odd but valid seqs, texts and times, repeats and conflicts.

Schemathesis's own pytest loader (``schemathesis.pytest.from_fixture``)
does not run under pytest 9, so each operation's cases come from its
Hypothesis strategy (``APIOperation.as_strategy``), driven here.
"""
from __future__ import annotations

import copy
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from schemathesis.errors import FailureGroup

from ...kiosk.kiosk_support import CentralProcess

POSITIVE = schemathesis.GenerationMode.POSITIVE
NEGATIVE = schemathesis.GenerationMode.NEGATIVE
# Cases per run; 9 runs of the contract and 2 of the narrow copy: 275 requests.
MAX_EXAMPLES = 25
SEED = 20261127
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
# Reports shown when the test fails; the count says how many there were.
SHOWN_FAILURES = 5


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    """The central service on a demo province, with one kiosk registered at desk 1."""
    central = CentralProcess(tmp_path_factory.mktemp("central"))
    central.setup()
    central.start()
    yield central
    central.stop()


def config_for(central: CentralProcess) -> schemathesis.Config:
    """The checks above; the kiosk's token on every request, never a generated one."""
    return schemathesis.Config.from_dict({
        "generation": {"with-security-parameters": False},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "auth": {"openapi": {"kioskToken": {"bearer": central.token}}},
    })


def narrowed(document: dict[str, Any], kiosk_config: dict[str, Any]) -> dict[str, Any]:
    """``document`` with each batch item a well-formed rating or duty event of the kiosk's province."""
    narrow = copy.deepcopy(document)
    schemas = narrow["components"]["schemas"]
    schemas["RatingsRequest"]["properties"]["ratings"]["items"] = {"$ref": "#/components/schemas/Rating"}
    schemas["DutyRequest"]["properties"]["events"]["items"] = {"$ref": "#/components/schemas/DutyEvent"}
    rating = schemas["Rating"]["properties"]
    officers = [officer["id"] for officer in kiosk_config["officers"]]
    rating["score"]["maximum"] = len(kiosk_config["scale"]["levels"])
    rating["officer_id"] = {"enum": [None, *officers]}
    rating["reasons"]["items"] = {"enum": [reason["code"] for reason in kiosk_config["reasons"]]}
    schemas["DutyEvent"]["properties"]["officer_id"] = {"enum": officers}
    return narrow


def whole_numbers(value: Any) -> Any:
    """``value`` with every float that is a whole number (``4.0``) as an int.

    JSON Schema counts 4.0 as an integer; the service takes only 4 (docs/protocol.md §2).
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [whole_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: whole_numbers(item) for key, item in value.items()}
    return value


def modes(operation) -> list[schemathesis.GenerationMode]:
    """Positive cases for every operation; negative ones where there is something to break.

    A header or a query parameter that may be any string cannot be made
    invalid, and the token is not generated (the kiosk's is sent), so an
    operation without a body or a path parameter has no negative case.
    """
    return [POSITIVE, NEGATIVE] if operation.body or operation.path_parameters else [POSITIVE]


def fuzz(operation, mode, session: requests.Session, base_url: str) -> tuple[int, list[str]]:
    """Send ``MAX_EXAMPLES`` cases of ``operation`` in ``mode``; the count sent and the failures' reports."""
    sent: list[int] = []
    failures: list[str] = []

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
        # Speed must not decide the outcome: Hypothesis's timing health check is off.
        suppress_health_check=[HealthCheck.too_slow], phases=[hypothesis.Phase.generate],
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.seed(SEED)
    def run(case):
        sent.append(1)
        try:
            case.call_and_validate(session=session, base_url=base_url)
        except FailureGroup as group:
            failures.append(str(group))

    run()
    return len(sent), failures


def test_openapi_fuzz_every_answer_is_documented(central):
    config = config_for(central)
    contract = schemathesis.openapi.from_url(f"{central.url}/api/v1/openapi.json", config=config)
    operations = [result.ok() for result in contract.get_all_operations()]
    # Schemathesis leaves out the operation that served it the document (see test_openapi_document.py).
    assert {operation.label for operation in operations} == {
        "GET /kiosk/config", "GET /officers/{officer_id}/photo", "POST /ratings", "POST /kiosk/duty",
        "POST /kiosk/heartbeat",
    }
    base_url = f"{central.url}/api/v1"
    token = {"Authorization": f"Bearer {central.token}"}
    kiosk_config = requests.get(f"{base_url}/kiosk/config", headers=token, timeout=30).json()
    narrow = schemathesis.openapi.from_dict(narrowed(contract.raw_schema, kiosk_config), config=config)

    @narrow.hook
    def map_body(context, body):
        return whole_numbers(body)

    runs = [(operation, mode) for operation in operations for mode in modes(operation)]
    runs += [(narrow["/ratings"]["POST"], POSITIVE), (narrow["/kiosk/duty"]["POST"], POSITIVE)]
    sent = 0
    failures: list[str] = []
    with requests.Session() as session:
        for operation, mode in runs:
            count, found = fuzz(operation, mode, session, base_url)
            sent += count
            failures += found
    assert sent == MAX_EXAMPLES * len(runs) == 275
    assert central.query("SELECT count(*) FROM ratings")[0][0] > 0, "no case reached the storage code"
    assert not failures, f"{len(failures)} of {sent} answers break the contract, for example:\n\n" + "\n".join(
        failures[:SHOWN_FAILURES]
    )
