"""Concerns against a hostile device, office token or service, on the real service (SQLite and
PostgreSQL) and a real vault: what a device writes in a concern cannot drive the administrator's
terminal, a flood of concerns from one device cannot make the office's list fail or exhaust the
service (it comes in bounded pages), and a service's acknowledgement the vault keeps is a moment and
a name on one line, never arbitrary text."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sync_fixtures import Device, RawDevice, Service, colleagues, raw_device

from fieldapp.concerns import Acknowledgement
from fieldapp.ids import uuid7
from fieldapp.item_kinds import ConcernContent
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
