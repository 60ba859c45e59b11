"""No plaintext evidence at rest: unique canaries in every field never appear in any file."""

from __future__ import annotations

import base64
import io
import os
import tempfile
import time
from pathlib import Path

import pytest
from vault_fixtures import PASSPHRASE

from fieldapp import domain
from fieldapp.links import passage_of
from fieldapp.vault import Vault


def _canary(label: str) -> str:
    return f"CANARY{label}{os.urandom(6).hex()}"


def _needles(text: str) -> list[bytes]:
    """The canary as it could leak: UTF-8, UTF-16 either way, and base64 at every alignment."""
    raw = text.encode()
    found = [raw, text.encode("utf-16-le"), text.encode("utf-16-be")]
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw)
        found.append(encoded[4 if pad else 0 : -4])  # the middle, which is the same wherever it sits
    return found


def _files_under(*folders: Path, since: float) -> list[Path]:
    # os.walk passes over folders that vanish while it walks: the tests running beside this one (on
    # every core) make and remove theirs in the same temporary folder.
    files = []
    for folder in folders:
        for where, _dirs, names in os.walk(folder, onerror=lambda _error: None):
            for name in names:
                path = Path(where, name)
                try:
                    if path.is_file() and (folder.name != "tmp" or path.stat().st_mtime >= since):
                        files.append(path)
                except OSError:
                    continue
    return files


def _leaks(canaries: list[str], files: list[Path]) -> list[str]:
    needles = {c: _needles(c) for c in canaries}
    leaks = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for canary, forms in needles.items():
            if any(form in data for form in forms):
                leaks.append(f"{canary[:14]} in {path}")
    return leaks


@pytest.mark.parametrize("when", ["while unlocked", "after locking"])
def test_no_canary_from_any_field_or_attachment_reaches_any_file(vault_path: Path, tmp_path: Path, when: str) -> None:
    started = time.time() - 1
    c = {name: _canary(name) for name in (
        "assessment", "team", "title", "notes", "location", "attendee", "org", "pseudonym", "contact", "account",
        "transition", "service", "group", "facilitator", "comment", "passage", "attname", "attbytes", "quicknote",
    )}  # fmt: skip
    v = Vault.open(vault_path, passphrase=PASSPHRASE)
    aid = v.assessments.create(f"ICS {c['assessment']}", team=(c["team"],)).value.id
    obs = v.records.create(aid, domain.Observation(
        title=c["title"], location=c["location"], notes=f"intro {c['notes']} and {c['passage']} end",
        attendees=(domain.Attendee(c["attendee"], c["org"]),),
    )).value  # fmt: skip
    v.records.add_note(obs.id, c["quicknote"])
    v.records.create(aid, domain.Interview(role="carer", pseudonym=c["pseudonym"], notes=c["notes"]))
    case = v.records.create(aid, domain.CaseTracking(pseudonym=c["pseudonym"])).value
    v.records.append_contact(case.id, domain.Contact("c1", c["service"], "2026-11-01", c["contact"], c["transition"], c["account"]))
    v.records.create(aid, domain.FocusGroup(groups_represented=(c["group"],), facilitator=c["facilitator"]))
    notes = v.records.get(obs.id).content.notes
    start = notes.index(c["passage"])
    passage = passage_of(v.records.get(obs.id).content, "notes", start, start + len(c["passage"]))
    v.links.tag(obs.id, "learning-culture", comment=c["comment"], passage=passage)
    big = (c["attbytes"].encode() + os.urandom(997)) * 3000  # several chunks, canary in each
    v.attachments.add(obs.id, io.BytesIO(big), name=f"{c['attname']}.jpg")
    v.search(c["notes"][:12])
    v.records.cut_all(reason="test")
    v.backup("canary")
    if when == "after locking":
        v.lock()
    files = _files_under(vault_path, Path(tempfile.gettempdir()), since=started)
    files = [f for f in files if vault_path in f.parents or not str(f).startswith(str(tmp_path))]
    assert any(f.name == "vault.db" for f in files)
    assert _leaks(list(c.values()), files) == []
    if when == "while unlocked":
        assert (vault_path / "vault.db-wal").exists()  # the WAL was scanned while it held the changes
        v.lock()


def test_the_scanner_does_find_a_canary_that_is_there(tmp_path: Path) -> None:
    canary = _canary("selftest")
    for i, form in enumerate(_needles(canary)[:3]):
        (tmp_path / f"f{i}").write_bytes(b"xx" + form + b"yy")
    (tmp_path / "b64").write_bytes(base64.b64encode(b"padding!" + canary.encode() + b"tail"))
    assert len(_leaks([canary], _files_under(tmp_path, since=0))) == 4
