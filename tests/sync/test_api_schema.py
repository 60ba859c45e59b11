"""Schemathesis against the OpenAPI document the running service serves, with every check it has:
whatever it is sent, with the token its route takes (a device's, or the office's on the office's
routes) and without, no operation answers with a 5xx or off its own schema, a request the document
admits is accepted and one it does not is refused, and a 405 says every method the path takes. What no
schema can say (a code never issued, a cursor not made here) is in `schemathesis.toml`, which the
`schemathesis run` command reads from the repository's root as well."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import schemathesis
import schemathesis.specs.openapi.checks  # noqa: F401 - registers the OpenAPI checks
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS
from schemathesis.config import SchemathesisConfig
from sync_fixtures import BACKENDS, PROTOCOL_HEADERS, RawDevice, Service, api_url, backend_service, raw_device

from sync.server import office
from sync.server.settings import Limits

# Enough to reach every operation's positive and negative space in well under a minute for all four runs.
EXAMPLES = 25
# Every check (those that need stateful links or a declared security scheme find nothing to judge in
# one call: this document has neither, as the token is a plain Authorization header).
ALL_CHECKS = CHECKS.get_all()
CONFIG = Path(__file__).parents[2] / "schemathesis.toml"


@pytest.fixture(params=BACKENDS)
def fuzzed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Service, RawDevice, str]]:
    """A service with a team, an enrolled device, a stored revision and an open concern, an office
    token (the third), and no rate to hit."""
    limits = Limits(requests_per_s=1e6, burst=1_000_000, enrol_per_minute=1_000_000)
    with backend_service(request.param, tmp_path / "service", limits=limits) as service:
        assessment_id, (inspector_id,) = service.team()
        device = raw_device(service, inspector_id)
        assert device.push(device.revision(assessment_id)).status_code == 200
        concern = {"concern_kind": "safeguarding", "urgency": "immediate", "heard": "A carer pushed Mr B.", "record_id": "",
                   "passage_field": "", "passage_start": None, "passage_end": None, "statements": [], "tell": "", "raised_by": "",
                   "raised_at": ""}  # fmt: skip
        (ack,) = device.push(device.revision(assessment_id, kind="concern", content=concern)).json()["acks"]
        assert ack["status"] == "accepted", ack
        with service.admin() as session:
            token = office.create_token(session, "Safeguarding desk")[1]
        yield service, device, token


@pytest.fixture
def api_schema(fuzzed: tuple[Service, RawDevice, str]) -> schemathesis.BaseSchema:
    service, _device, _token = fuzzed
    document = service.http("GET", api_url(service, "/openapi.json"), timeout=10)
    assert document.status_code == 200
    schema = schemathesis.openapi.from_dict(document.json(), config=SchemathesisConfig.from_path(CONFIG))
    schema.config.update(base_url=service.url, headers=PROTOCOL_HEADERS)
    schema.config.generation.update(modes=["positive", "negative"], max_examples=EXAMPLES, deterministic=True, database="none")
    schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    return schema


@pytest.fixture(params=[False, True], ids=["no-token", "own-token"])
def sent_headers(request: pytest.FixtureRequest, fuzzed: tuple[Service, RawDevice, str]) -> Callable[[str], dict[str, str]]:
    """What is sent over whatever the case generated, by the operation's path: the protocol header,
    and none or the real token the route takes (the office's on the office's routes, else a device's)."""
    _service, device, office_token = fuzzed

    def headers(path: str) -> dict[str, str]:
        if not request.param:
            return PROTOCOL_HEADERS
        return {**PROTOCOL_HEADERS, "Authorization": f"Bearer {office_token}"} if path.startswith(office.PATH_PREFIX) else device.headers

    return headers


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32 reads and renames `node._nodeid`, which pytest 9.2 calls `_id` now.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@pytest.mark.usefixtures("sent_headers")  # copied onto the generated test, so pytest parametrizes it
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error_or_off_its_schema(
    case: schemathesis.Case, sent_headers: Callable[[str], dict[str, str]], fuzzed: tuple[Service, RawDevice, str]
) -> None:
    with fuzzed[0].session() as session:  # in-process: the service's own app, no socket
        case.call_and_validate(headers=sent_headers(case.operation.path), checks=ALL_CHECKS, timeout=30, session=session)
