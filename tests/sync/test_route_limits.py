"""Every route of the running service is found by the guard in front of it, with its body limit
(the office's routes signed in with an office token):
each operation the OpenAPI document lists keeps the small limit, except push and attachment
chunks, which take large bodies."""

from __future__ import annotations

from sync_fixtures import Service, api_url, raw_device, refused

from sync import protocol
from sync.server import admin, identity, office
from sync.server.settings import Limits

LARGE = {("post", f"{protocol.API}/push"), ("put", f"{protocol.API}/blobs/{{sha256}}/chunks/{{index}}")}
EXAMPLE_PARAMS = {
    "assessment_id": "0190a3f0-0000-7000-8000-000000000000", "sha256": "ab" * 32, "index": "0", "key": "acme@1.0",
    "concern_id": "0190a3f0-0000-7000-8000-000000000001",
}  # fmt: skip


def operations(service: Service) -> list[tuple[str, str]]:
    document = service.http("GET", api_url(service, "/openapi.json"), timeout=30).json()
    return [(method, path) for path, item in document["paths"].items() for method in item]


def test_only_push_and_chunk_uploads_take_a_body_over_the_small_limit(service: Service) -> None:
    _assessment_id, (inspector_id,) = service.team()
    device = raw_device(service, inspector_id)
    revoked = raw_device(service, inspector_id, "revoked")
    with service.admin() as session:
        office_token = office.create_token(session, "Safeguarding desk")[1]
        admin.revoke_device(session, revoked.device_id)  # the one token the wipe confirmation takes
    small = Limits().small_request_bytes
    listed = operations(service)
    assert LARGE <= set(listed) and len(listed) > len(LARGE)
    for method, path in listed:
        url = f"{service.url}{path.format(**EXAMPLE_PARAMS)}"
        # Each route with the token it takes: the guard refuses any other before it reads a body.
        token = {"Authorization": f"Bearer {office_token}"} if path.startswith(office.PATH_PREFIX) else {}
        if f"{protocol.API}{path}" == identity.WIPED_PATH or path == identity.WIPED_PATH:
            token = {"Authorization": f"Bearer {revoked.token}"}
        headers = {**device.headers, **token, "Content-Type": "application/json"}
        answer = service.http(method, url, data=b"x" * (small + 1), headers=headers, timeout=60)
        if (method, path) in LARGE:
            assert answer.status_code != 413 and answer.status_code < 500, (method, path, answer.text[:300])
        else:
            assert refused(answer, 413, protocol.E_TOO_LARGE).limit == small, (method, path)
