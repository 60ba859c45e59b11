"""Concerns against a hostile device, office token or service, on the real service (SQLite and
PostgreSQL) and a real vault: what a device writes in a concern cannot drive the administrator's
terminal, a flood of concerns from one device cannot make the office's list fail or exhaust the
service (it comes in bounded pages), and a service's acknowledgement the vault keeps is a moment and
a name on one line, never arbitrary text."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sync_fixtures import Device, RawDevice, Service, colleagues, raw_device, refused

from fieldapp.concerns import Acknowledgement
from fieldapp import domain
from fieldapp.replication.exchange import PulledDevice, PulledPage
from fieldapp.ids import uuid7
from fieldapp.item_kinds import ConcernContent
from sync import protocol
from sync.server import office as office_module
from test_office_api import admin_cli, office, office_token

# What a hostile device may write as "what was heard": a line cleared and overwritten (so the concern
# reads as something else), the terminal's title set, and (on terminals that allow it) the clipboard
# filled with a command for the administrator to paste. C1 controls and a right-to-left override too.
ESCAPES = "\x1b[2K\r\x1b]0;owned\x07\x1b]52;c;cm0gLXJmIH4K\x07\x9b31m\u202e"
HEARD = f"Rotas are short at night.{ESCAPES}\n  Acknowledged by Priya Shah on 01/12/2026 (UTC): done"


def concern_content(heard: str = "Rotas are short at night.", *, urgency: str = "soon", raised_at: str = "2026-11-20T10:00:00.000000Z",
                    tell: str = "") -> dict:  # fmt: skip
    return {"concern_kind": "other", "urgency": urgency, "heard": heard, "record_id": "", "passage_field": "", "passage_start": None,
            "passage_end": None, "statements": [], "tell": tell, "raised_by": "x", "raised_at": raised_at}  # fmt: skip


def pushed_concern(device: RawDevice, assessment_id: str, content: dict) -> str:
    concern_id = uuid7()
    (ack,) = device.push(device.revision(assessment_id, record_id=concern_id, kind="concern", content=content)).json()["acks"]
    assert ack["status"] == "accepted", ack
    return concern_id


def a_team_device(service: Service, team: str = "Southshire ICS") -> tuple[str, RawDevice]:
    assessment_id, (inspector_id,) = service.team(team)
    return assessment_id, raw_device(service, inspector_id)


def test_control_characters_a_device_wrote_reach_the_administrators_terminal_only_as_visible_escapes(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    assessment_id, device = a_team_device(service)
    concern_id = pushed_concern(device, assessment_id, concern_content(HEARD, tell=f"The LA{ESCAPES}"))
    for args in (("concern", "show", concern_id), ("concern", "list"), ("concern", "acknowledge", concern_id, "--note", f"Seen{ESCAPES}", "--by", "Priya")):
        code, out, err = admin_cli(service, capsys, *args)
        assert code == 0, err
        assert not any(ch in out for ch in "\x1b\x07\r\x9b\u202e"), repr(out)
    assert "\\u001b[2K" in out and "\\u009b31m" in out  # shown, so the administrator sees something is odd
    assert "\n  Acknowledged by Priya Shah on 01/12/2026" not in out  # a line of what was heard cannot pass for the service's own
    code, out, _ = admin_cli(service, capsys, "--json", "concern", "show", concern_id)
    assert code == 0 and json.loads(out)["heard"] == HEARD  # the JSON keeps every character, escaped as JSON escapes them


@pytest.mark.parametrize(
    "by, at, note",
    [
        ("Priya Shah", "yesterday, about teatime", "Seen"),  # no moment: a view showing "when" would show this
        ("Priya Shah", "2026-12-01T10:00:00Z\x1b[2K", "Seen"),
        ("Priya\nShah (Chief Inspector)", "2026-12-01T10:00:00.000000Z", "Seen"),  # a name over two lines
        ("Priya\x1b]0;x\x07", "2026-12-01T10:00:00.000000Z", "Seen"),
        ("", "2026-12-01T10:00:00.000000Z", "Seen"),  # by no one
        ("Priya Shah", "2026-12-01T10:00:00.000000Z", "Seen\x00"),  # a NUL no honest service stores
        ("Priya Shah", "2026-12-01T10:00:00.000000Z", "x" * 4_001),  # longer than the service lets the office write
    ],
)
def test_a_services_acknowledgement_the_vault_keeps_is_a_moment_and_a_name_on_one_line(
    service: Service, make_device: Callable[..., Device], by: str, at: str, note: str
) -> None:
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    hostile = amara.vault.concerns.raise_concern(assessment_id, ConcernContent("other", "routine", "Rotas are short.")).value
    honest = amara.vault.concerns.raise_concern(assessment_id, ConcernContent("other", "routine", "No night cover.")).value
    page = PulledPage((), (), (), amara.vault.replication.cursor() or "", acknowledgements=(
        Acknowledgement(hostile.id, by, at, note), Acknowledgement(honest.id, "Priya Shah", "2026-12-01T10:00:00.000000Z", "Referred"),
    ))  # fmt: skip
    amara.vault.replication.apply_pull(page)
    assert amara.vault.concerns.get(hostile.id).state != "acknowledged"  # still open: the app keeps reminding
    kept = amara.vault.concerns.get(honest.id)
    assert (kept.state, kept.acknowledged_by, kept.acknowledged_at) == ("acknowledged", "Priya Shah", "2026-12-01T10:00:00.000000Z")


def test_the_office_cannot_acknowledge_by_a_name_laptops_would_not_keep_nor_with_a_nul_in_its_note(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    assessment_id, device = a_team_device(service)
    concern_id = pushed_concern(device, assessment_id, concern_content())
    token = office_token(service, capsys)["token"]
    path = f"/concerns/{concern_id}/acknowledge"
    for body in ({"note": "Seen", "by": "Priya\x80Shah"}, {"note": "Seen", "by": "Priya\x9b31m"}, {"note": "Seen\x00", "by": "Priya"}):
        refused(office(service, token, "POST", path, json=body), 422, protocol.E_INVALID)
    assert admin_cli(service, capsys, "concern", "acknowledge", concern_id, "--note", "Seen", "--by", "Priya\x1b[2K")[0] == 1
    answer = office(service, token, "POST", path, json={"note": "Seen, referred", "by": "Priya Shah"})
    assert answer.status_code == 200 and answer.json()["acknowledged_by"] == "Priya Shah"


def office_pages(service: Service, token: str, query: str = "") -> list[list[str]]:
    """The office's list read page by page as `next` says, each page's concern ids."""
    pages, after = [], None
    while True:
        answer = office(service, token, "GET", "/concerns" + query + (("&" if query else "?") + f"after={after}" if after else ""))
        assert answer.status_code == 200, answer.text[:300]
        body = protocol.OfficeConcerns.model_validate(answer.json())
        pages.append([c.id for c in body.concerns])
        if body.next is None:
            return pages
        assert body.next == body.concerns[-1].id
        after = body.next


def test_a_flood_of_concerns_from_one_device_reaches_the_office_in_bounded_pages_each_concern_once_in_order(
    service: Service, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assessment_id, flooder = a_team_device(service, "Floodshire ICS")
    other_team, honest = a_team_device(service, "Northshire ICS")
    real = pushed_concern(honest, other_team, concern_content("A carer pushed Mr B.", urgency="immediate"))
    # Many, as long as a concern may be, all "immediate" and claiming to be the oldest: the most a device can do to bury the others.
    flood = [
        pushed_concern(flooder, assessment_id, concern_content("x" * 1_000, urgency="immediate", raised_at=f"2000-01-01T00:00:{n:02d}Z"))
        for n in range(7)
    ]
    monkeypatch.setattr(office_module, "PAGE_CONCERNS", 3)
    token = office_token(service, capsys)["token"]
    _, out, _ = admin_cli(service, capsys, "--json", "concern", "list")
    in_order = [c["id"] for c in json.loads(out)]
    assert set(in_order) == {real, *flood}
    pages = office_pages(service, token)
    assert [len(p) for p in pages] == [3, 3, 2] and sum(pages, []) == in_order

    monkeypatch.setattr(office_module, "PAGE_CHARS", 2_500)  # two of the flood's concerns to a page, and never none
    assert [len(p) for p in office_pages(service, token)] == [2, 2, 2, 2]
    monkeypatch.setattr(office_module, "PAGE_CHARS", 10)
    assert [len(p) for p in office_pages(service, token)] == [1] * 8

    # A concern acknowledged between two pages: the next page still starts after it, and skips nothing.
    monkeypatch.setattr(office_module, "PAGE_CHARS", office_module.PAGE_CHARS * 10**6)
    first = protocol.OfficeConcerns.model_validate(office(service, token, "GET", "/concerns").json())
    assert office(service, token, "POST", f"/concerns/{first.next}/acknowledge", json={"note": "Seen"}).status_code == 200
    rest = protocol.OfficeConcerns.model_validate(office(service, token, "GET", f"/concerns?after={first.next}").json())
    assert [c.id for c in first.concerns] + [c.id for c in rest.concerns] == in_order[:6]
    assert sum(office_pages(service, token, "?all=true"), []) == in_order
    unknown = office(service, token, "GET", f"/concerns?after={uuid7()}")
    assert unknown.status_code == 404


def test_a_colleagues_concern_naming_a_record_of_another_assessment_shows_none_of_that_records_words(
    service: Service, make_device: Callable[..., Device]
) -> None:
    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    elsewhere = amara.vault.assessments.create("Another ICS, on this laptop only").value.id
    secret = "Ms D named her GP and her daughter."
    other = amara.vault.records.create(elsewhere, domain.Interview(title="Ms D, another assessment", pseudonym="Ms D", notes=secret)).value.id
    colleague = raw_device(service, service.team()[1][0], "colleague")
    content = {**concern_content(), "record_id": other, "passage_field": "notes", "passage_start": 0, "passage_end": len(secret)}
    hostile = colleague.revision(assessment_id, kind="concern", content=content)
    public = colleague.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    page = PulledPage((hostile,), (PulledDevice(colleague.device_id, public, "colleague"),), (), amara.vault.replication.cursor() or "")
    amara.vault.replication.apply_pull(page)
    (row,) = amara.vault.concerns.list(assessment_id)
    assert (row.record_title, row.passage) == ("", "")  # the concern stands on its own in its assessment
    assert amara.vault.concerns.for_record(other) == ()
