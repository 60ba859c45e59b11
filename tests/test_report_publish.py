"""The published report (issue 14): the demo assessment's report frozen as a signed, immutable item with
a manifest of every revision it stands on; its JSON reads back exactly; an export verifies by the
command against the vault, and fails in words when its seal, its text or a cited revision in the
vault's database was altered, when it is of another vault, or when it is a draft. Only the lead
publishes, never during a conflict; a published report never gets a second revision, here or at the
service; and it reaches a colleague's laptop through the real service and verifies there."""

from __future__ import annotations

import base64
import dataclasses
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from sqlalchemy import text
from report_fixtures import CANARIES, Demo, demo, fill_demo  # noqa: F401
from sync_fixtures import Device, Service, colleagues, raw_device
from vault_fixtures import PASSPHRASE, Template

from fieldapp import domain, item_kinds
from fieldapp.errors import NotFound, UnresolvedConflict, ValidationError
from fieldapp.framework import default_framework
from fieldapp.ids import uuid7
from fieldapp.judgements import judgement_id, rating_id
from fieldapp.replication.exchange import PulledDevice, PulledPage
from fieldapp.report.build import build_citing, build_report
from fieldapp.report.frozen import published_digest, report_from_json, report_to_json
from fieldapp.report.html import render_html, write_html
from fieldapp.report.model import CitedRevision
from fieldapp.report.seal import DOCX_PART, HTML_ID, PDF_END, PDF_START, read_seal, seal_text
from fieldapp.revisions import revision
from fieldapp.storage import keys, sqlcipher
from fieldapp.vault import Vault
from sync import protocol

ROOT = Path(__file__).resolve().parents[1]
ON = date(2026, 12, 8)


def cli(*args: str, stdin: str = PASSPHRASE + "\n") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fieldapp.report", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=180)


def verify(report: Path, vault_path: Path, stdin: str = PASSPHRASE + "\n") -> subprocess.CompletedProcess[str]:
    return cli("verify", str(report), "--vault", str(vault_path), stdin=stdin)


def head_revisions(vault: Vault, where: str) -> dict[str, str]:
    with vault.transaction("reading heads") as session:
        return dict(session.execute(text(f"SELECT id, head_revision_id FROM records WHERE {where}")).tuples().all())


@pytest.fixture
def published(vault: Vault, demo: Demo, tmp_path: Path) -> tuple[str, Path]:
    """The demo published (with a rating item: a final rating set), its HTML exported, the vault locked."""
    vault.judgements.set_final(demo.assessment_id, 2, "Serious safeguarding risk found in the east locality")
    made = vault.published.publish(demo.assessment_id, ON).value
    out = write_html(vault.published.report(made.id), tmp_path / "published.html")
    vault.lock()
    return made.id, out


# -- publishing ---------------------------------------------------------------------------------------


def test_a_published_report_is_one_signed_revision_whose_manifest_is_every_head_it_stands_on(vault: Vault, demo: Demo) -> None:
    vault.judgements.set_final(demo.assessment_id, 2, "Serious safeguarding risk found in the east locality")
    made = vault.published.publish(demo.assessment_id, ON).value
    assert made.verified and made.published_on == "2026-12-08" and made.signed_by == "you, on this laptop"
    assert vault.published.list(demo.assessment_id) == (made,)

    # The interviews quoted and listed as key evidence; never the staff groups (tagged whole), the uncited
    # interview or the board observation. And every judgement, the rating, both snapshots and the report's texts.
    cited = head_revisions(vault, "kind = 'interview' AND title LIKE 'Interview %'")
    items = head_revisions(vault, "kind IN ('judgement', 'rating', 'rating_snapshot', 'report_text')")
    assert len(cited) == 17 and len(items) == 17 + 1 + 2 + 1 and rating_id(demo.assessment_id) in items
    report = vault.published.report(made.id)
    seal = report.seal
    assert seal is not None and (seal.report_id, seal.revision_id, seal.published_on, seal.digest) == (
        made.id, made.revision_id, "2026-12-08", made.digest)  # fmt: skip
    assert {(c.record_id, c.revision_id) for c in seal.manifest} == set(cited.items()) | set(items.items())
    assert len(seal.manifest) == made.cited == 38
    with vault.transaction("reading signatures") as session:
        stored = {r: (d, s) for r, d, s in session.execute(text("SELECT id, device_id, signature FROM revisions")).tuples()}
    assert all((c.device_id, c.signature) == (stored[c.revision_id][0], base64.b64encode(stored[c.revision_id][1]).decode()) for c in seal.manifest)
    assert all(c.device_id == vault.device_id for c in seal.manifest)
    # Every draft the report shows was cut first: the manifest names revisions holding what it says.
    assert head_revisions(vault, "draft_dirty = 1 AND kind = 'interview' AND title LIKE 'Interview %'") == {}

    with vault.transaction("reading the published item") as session:
        bodies = session.execute(text("SELECT body, parents FROM revisions WHERE record_id = :id"), {"id": made.id}).all()
    ((body, parents),) = bodies  # one revision, no parents: immutable
    assert parents == "[]" and revision.parse_body(body)["kind"] == "published_report"
    assert dataclasses.replace(report, seal=None) == build_report(vault, demo.assessment_id, draft=False, shared_on=None)


def test_build_citing_names_the_quoted_and_key_evidence_records_and_builds_the_report_once(vault: Vault, demo: Demo) -> None:
    built = build_citing(vault, demo.assessment_id, draft=False, shared_on=None)
    titles = {vault.records.get(record_id).title for record_id in built.cited}
    assert titles == {f"Interview {i}" for i in range(17)}
    assert built.report == build_report(vault, demo.assessment_id, draft=False, shared_on=None)


def test_the_report_json_round_trips_exactly_sealed_draft_and_working_copy(vault: Vault, demo: Demo) -> None:
    made = vault.published.publish(demo.assessment_id, ON).value
    sealed = vault.published.report(made.id)
    draft = build_report(vault, demo.assessment_id, draft=True, shared_on=ON)
    for report in (sealed, draft, build_report(vault, demo.assessment_id, draft=False, shared_on=None)):
        assert report_from_json(report_to_json(report)) == report
        assert render_html(report_from_json(report_to_json(report))) == render_html(report)
    with pytest.raises(ValidationError, match="cannot be read"):
        report_from_json({**report_to_json(draft), "sections": [{"heading": "H", "level": 1, "blocks": [{"type": "script"}]}]})


def test_published_content_no_honest_app_makes_is_refused_in_words(vault: Vault, demo: Demo) -> None:
    made = vault.published.publish(demo.assessment_id, ON).value
    with vault.transaction("reading the published revision") as session:
        body = session.execute(text("SELECT body FROM revisions WHERE id = :id"), {"id": made.revision_id}).scalar_one()
    good = revision.parse_body(body)["content"]
    assert domain.item_to_dict(domain.item_from_dict(item_kinds.PUBLISHED, good)) == good
    draft = report_to_json(build_report(vault, demo.assessment_id, draft=True, shared_on=ON))
    bad = {
        "a draft": ({**good, "report": draft}, "neither a draft nor sealed"),
        "a report that is not one": ({**good, "report": {"title": "x"}}, "The published report cannot be read"),
        "a digest that is not SHA-256": ({**good, "digest": "abc"}, "SHA-256 in hexadecimal"),
        "a manifest entry with more": ({**good, "manifest": [{**good["manifest"][0], "note": "x"}]}, "not in the form it takes"),
        "no date": ({**good, "published_on": "soon"}, "is not a date"),
        "a field missing": ({k: v for k, v in good.items() if k != "digest"}, "a field it needs is missing"),
    }
    for _what, (content, words) in bad.items():
        with pytest.raises(ValidationError, match=words):
            domain.item_from_dict(item_kinds.PUBLISHED, content)


def test_the_digest_covers_the_report_its_manifest_its_date_and_its_assessment(vault: Vault, demo: Demo) -> None:
    report = build_report(vault, demo.assessment_id, draft=False, shared_on=None)
    manifest = (CitedRevision("a" * 64, "record", "device", "c2lnbmF0dXJl"),)
    digest = published_digest(report, manifest, "2026-12-08", demo.assessment_id)
    changed_paragraph = dataclasses.replace(report, title=report.title + ".")
    assert len({
        digest,
        published_digest(changed_paragraph, manifest, "2026-12-08", demo.assessment_id),
        published_digest(report, (dataclasses.replace(manifest[0], signature="b3RoZXI="),), "2026-12-08", demo.assessment_id),
        published_digest(report, (), "2026-12-08", demo.assessment_id),
        published_digest(report, manifest, "2026-12-09", demo.assessment_id),
        published_digest(report, manifest, "2026-12-08", "another assessment"),
    }) == 6  # fmt: skip
    assert re.fullmatch("[0-9a-f]{64}", digest)


def test_only_the_lead_inspector_publishes(vault: Vault, demo: Demo) -> None:
    with vault.transaction("naming a lead, as a pull from the service does") as session:
        session.execute(text("UPDATE assessments SET lead_id = 'someone-else', lead_name = 'Amara Okafor' WHERE id = :id"), {"id": demo.assessment_id})
    with pytest.raises(ValidationError, match="Only the lead inspector, Amara Okafor, publishes the report"):
        vault.published.publish(demo.assessment_id, ON)
    assert vault.published.list(demo.assessment_id) == ()


@pytest.mark.parametrize("what", ["evidence", "judgement"])
def test_publishing_is_refused_during_a_conflict_naming_it(vault: Vault, demo: Demo, what: str) -> None:
    statement = default_framework().statements[3]
    if what == "evidence":
        item_id = next(r.id for r in vault.records.list(demo.assessment_id) if r.title == "Interview 3")
        words = "the evidence record ‘Interview 3’"
    else:
        item_id, words = judgement_id(demo.assessment_id, statement.id), f"‘{statement.name}’"
    with vault.transaction("marking a conflict, as a sync that found one does") as session:
        session.execute(text("UPDATE records SET sync_state = 'conflict' WHERE id = :id"), {"id": item_id})
    with pytest.raises(UnresolvedConflict, match=words):
        vault.published.publish(demo.assessment_id, ON)
    assert vault.published.list(demo.assessment_id) == ()


def test_a_published_report_is_never_changed_through_the_vault(vault: Vault, demo: Demo) -> None:
    made = vault.published.publish(demo.assessment_id, ON).value
    with pytest.raises(NotFound, match="No record with id"):
        vault.records.delete(made.id)
    assert vault.records.cut_revision(made.id).value is None  # nothing to cut: it has no draft to change
    with pytest.raises(NotFound, match="no published report"):
        vault.published.report(vault.records.list(demo.assessment_id)[0].id)  # an evidence record is not one
    assert vault.published.list(demo.assessment_id) == (made,) and vault.verify(attachments=False).ok


# -- verifying ---------------------------------------------------------------------------------------


def test_an_untouched_html_export_verifies_by_the_command_a_line_per_check(published: tuple[str, Path], vault_path: Path) -> None:
    item_id, out = published
    done = verify(out, vault_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert all(line.startswith("ok:") for line in lines[:-1]) and len(lines) == 7, done.stdout
    assert "All 38 cited revisions are in this vault, unchanged" in done.stdout
    assert "exactly the published report's, word for word" in done.stdout
    assert lines[-1].startswith(f"Verified: published.html is published report {item_id[:12]}… of 08/12/2026")


def test_build_published_exports_the_latest_or_the_named_one_with_its_seal(published: tuple[str, Path], vault_path: Path, tmp_path: Path) -> None:
    item_id, out = published
    assessment_id = _assessment_of(vault_path)
    latest, named = tmp_path / "latest.html", tmp_path / "named.html"
    assert cli("build", str(vault_path), assessment_id, "--published", item_id, "--out", str(named)).returncode == 0
    done = cli("build", str(vault_path), assessment_id, "--published", "--out", str(latest))
    assert done.returncode == 0, done.stderr
    assert latest.read_bytes() == named.read_bytes() == out.read_bytes()
    assert read_seal(latest).report_id == item_id
    both = cli("build", str(vault_path), assessment_id, "--published", "--draft", "--out", str(tmp_path / "x.html"))
    assert both.returncode == 2 and "not allowed with" in both.stderr
    elsewhere = cli("build", str(vault_path), "another-assessment", "--published", item_id, "--out", str(tmp_path / "y.html"))
    assert elsewhere.returncode == 1 and "Not written: The assessment another-assessment has no published report yet" in elsewhere.stderr


def _assessment_of(vault_path: Path) -> str:
    vault = Vault.open(vault_path, passphrase=PASSPHRASE)
    try:
        return vault.assessments.list()[0].id
    finally:
        vault.lock()


def _reseal(path: Path, change: Callable[..., object]) -> None:
    html = path.read_text(encoding="utf-8")
    seal = read_seal(path)
    changed = change(seal)
    path.write_text(html.replace(seal_text(seal), seal_text(changed)), encoding="utf-8")  # type: ignore[arg-type]
    assert read_seal(path) == changed


def _other_signature(cited: CitedRevision) -> CitedRevision:
    flipped = bytearray(base64.b64decode(cited.signature))
    flipped[0] ^= 1
    return dataclasses.replace(cited, signature=base64.b64encode(bytes(flipped)).decode())


@pytest.mark.parametrize("tamper, words", [
    ("one signature", "another signature than the signed one"),
    ("one entry dropped", "the file's manifest leaves out revision"),
    ("the digest", "the file's digest is not the signed one"),
])  # fmt: skip
def test_verify_fails_in_words_on_a_manifest_or_digest_altered_in_the_file(published: tuple[str, Path], vault_path: Path, tamper: str, words: str) -> None:
    _item_id, out = published
    changes = {
        "one signature": lambda s: dataclasses.replace(s, manifest=(_other_signature(s.manifest[0]), *s.manifest[1:])),
        "one entry dropped": lambda s: dataclasses.replace(s, manifest=s.manifest[1:]),
        "the digest": lambda s: dataclasses.replace(s, digest="0" * 64),
    }
    _reseal(out, changes[tamper])
    done = verify(out, vault_path)
    assert done.returncode == 1, done.stdout
    assert "FAILED: The file's seal differs from what is signed in this vault" in done.stdout and words in done.stdout
    assert done.stdout.splitlines()[-1].startswith("NOT verified: The file's seal differs")


def test_verify_fails_when_a_cited_revisions_body_was_altered_in_the_vaults_database(published: tuple[str, Path], vault_path: Path) -> None:
    _item_id, out = published
    seal = read_seal(out)
    engine = sqlcipher.create_engine(vault_path / "vault.db", keys.subkey(keys.unwrap_with_passphrase(keys.read_header(vault_path / "vault.header"), PASSPHRASE), "database"))
    try:
        with engine.begin() as c:
            ids = {c.exec_driver_sql("SELECT id FROM revisions WHERE id = ? AND body LIKE '%sorted my care%'", (e.revision_id,)).scalar() for e in seal.manifest}
            target = sorted(i for i in ids if i)[0]
            body = c.exec_driver_sql("SELECT body FROM revisions WHERE id = ?", (target,)).scalar()
            c.exec_driver_sql("UPDATE revisions SET body = ? WHERE id = ?", (body.replace(b"sorted my care", b"ignored my care"), target))
    finally:
        engine.dispose()
    done = verify(out, vault_path)
    assert done.returncode == 1, done.stdout
    assert f"1 of the 38 cited revisions does not hold: revision {target[:12]}…" in done.stdout
    assert "does not match its stored content (altered)" in done.stdout and "NOT verified: 1 of the 38" in done.stdout


def test_verify_fails_when_the_visible_text_was_edited(published: tuple[str, Path], vault_path: Path) -> None:
    _item_id, out = published
    html = out.read_text(encoding="utf-8")
    assert html.count("Strength of Safe and effective staffing") >= 1
    out.write_text(html.replace("Strength of Safe and effective staffing", "Weakness of Safe and effective staffing", 1), encoding="utf-8")
    done = verify(out, vault_path)
    assert done.returncode == 1, done.stdout
    # Where and what in a reader's terms (dogfood: it said "from line 23 on", a line of HTML source).
    line = next(ln for ln in done.stdout.splitlines() if "FAILED: The file's text differs" in ln)
    assert re.search(r'at paragraph \d+: the report says "[^"]*Strength of Safe and effective staffing", the file says "[^"]*Weakness of Safe', line), line
    assert "line" not in line and "<" not in line
    assert "NOT verified: The file's text differs" in done.stdout


def test_verify_fails_for_a_report_of_another_vault_a_draft_a_wrong_passphrase_and_says_how_to_use_it(
    published: tuple[str, Path], vault_path: Path, vault_template: Template, tmp_path: Path
) -> None:
    _item_id, out = published
    other = tmp_path / "other-vault"
    shutil.copytree(vault_template.path, other)
    elsewhere = verify(out, other)
    assert elsewhere.returncode == 1 and "FAILED: There is no published report" in elsewhere.stdout and "NOT verified" in elsewhere.stdout

    assessment_id = _assessment_of(vault_path)
    draft = tmp_path / "draft.html"
    assert cli("build", str(vault_path), assessment_id, "--draft", "--shared-on", "2026-12-07", "--out", str(draft)).returncode == 0
    unsealed = verify(draft, vault_path)
    assert unsealed.returncode == 1 and "NOT verified: This file carries no seal" in unsealed.stdout

    wrong = verify(out, vault_path, stdin="not the passphrase\n")
    assert wrong.returncode == 1 and wrong.stdout.startswith("NOT verified:") and "passphrase" in wrong.stdout.lower()
    missing = verify(tmp_path / "nowhere.html", vault_path)
    assert missing.returncode == 1 and "NOT verified: Cannot read" in missing.stdout
    usage = cli("verify", str(out))
    assert usage.returncode == 2 and "--vault" in usage.stderr


def _writer_available(fmt: str) -> bool:
    if fmt == "html":
        return True
    if fmt == "docx":
        return (ROOT / "fieldapp" / "report" / "docx.py").exists()
    plugged = [ep for ep in entry_points(group="fieldapp.report.formats") if ep.name == fmt]
    return bool(plugged) and (ROOT / Path(*plugged[0].module.split("."))).with_suffix(".py").exists()


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_every_format_of_a_published_report_verifies_by_its_seal(published: tuple[str, Path], vault_path: Path, tmp_path: Path, fmt: str) -> None:
    if not _writer_available(fmt):
        pytest.skip(f"no {fmt} writer in this tree yet (a colleague's branch makes it)")
    item_id, _out = published
    out = tmp_path / f"exported.{fmt}"
    made = cli("build", str(vault_path), _assessment_of(vault_path), "--published", item_id, "--format", fmt, "--out", str(out))
    assert made.returncode == 0, made.stderr
    done = verify(out, vault_path)
    assert done.returncode == 0, done.stdout
    if fmt != "html":
        assert "its text was not compared with the published report, only its seal was checked" in done.stdout


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_a_seal_nested_thousands_deep_is_refused_in_words_not_a_traceback(vault_path: Path, tmp_path: Path, fmt: str) -> None:
    nested = b"[" * 200_000 + b"]" * 200_000  # JSON's parser gives up with RecursionError, not ValueError
    out = tmp_path / f"crafted.{fmt}"
    if fmt == "html":
        out.write_bytes(b'<!DOCTYPE html><html><body><script type="application/json" id="' + HTML_ID.encode() + b'">' + nested + b"</script></body></html>")
    elif fmt == "docx":
        with zipfile.ZipFile(out, "w") as package:
            package.writestr(DOCX_PART, nested)
    else:
        out.write_bytes(b"%PDF-1.4\n" + PDF_START + base64.b64encode(nested) + PDF_END + b"\n%%EOF\n")
    with pytest.raises(ValidationError, match="nested far too deeply"):
        read_seal(out)
    done = verify(out, vault_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.splitlines()[-1] == "NOT verified: The report's seal is damaged: it is nested far too deeply to be a seal."


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_words_typed_as_a_seal_never_become_one(vault: Vault, demo: Demo, vault_path: Path, tmp_path: Path, fmt: str) -> None:
    """The team's summary carries a whole seal element and a PDF seal marker, of a seal naming the real
    published report but another digest: every format reads back the one seal the writer put there,
    a working copy reads back none, and the published report verifies."""
    if not _writer_available(fmt):
        pytest.skip(f"no {fmt} writer in this tree yet")
    made = vault.published.publish(demo.assessment_id, ON).value
    genuine = vault.published.report(made.id).seal
    assert genuine is not None
    forged = seal_text(dataclasses.replace(genuine, digest="0" * 64)).replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
    marker = (PDF_START + base64.b64encode(forged.encode("ascii")) + PDF_END).decode("ascii")
    hostile = f'Opening.\n<script type="application/json" id="{HTML_ID}">{forged}</script>\n{marker}\n<!-- {forged} -->'
    current = vault.report_texts.texts(demo.assessment_id).content
    vault.report_texts.save_texts(demo.assessment_id, dataclasses.replace(current, summary=hostile))
    with_words = vault.published.publish(demo.assessment_id, ON).value
    assert any(hostile.splitlines()[1] in p.text for p in vault.published.report(with_words.id).paragraphs())
    vault.lock()
    aid = demo.assessment_id
    working = tmp_path / f"working.{fmt}"
    assert cli("build", str(vault_path), aid, "--format", fmt, "--out", str(working)).returncode == 0
    with pytest.raises(ValidationError, match="carries no seal"):
        read_seal(working)
    out = tmp_path / f"published.{fmt}"
    assert cli("build", str(vault_path), aid, "--published", with_words.id, "--format", fmt, "--out", str(out)).returncode == 0
    seal = read_seal(out)
    assert (seal.report_id, seal.digest) == (with_words.id, with_words.digest)
    done = verify(out, vault_path)
    assert done.returncode == 0, done.stdout


def test_canary_nothing_private_reaches_a_published_reports_html_or_its_manifest(published: tuple[str, Path]) -> None:
    _item_id, out = published
    written = out.read_text(encoding="utf-8")
    for canary in CANARIES:
        assert canary.lower() not in written.lower(), canary
    assert "Person P3" in written  # a cited record's pseudonym is there: the test would see a leak
    seal_json = re.search(rf'<script type="application/json" id="{HTML_ID}">(.*?)</script>', written, re.S)
    assert seal_json is not None
    assert set(re.findall(r'"([a-z_]+)":', seal_json.group(1))) == {"report_id", "revision_id", "published_on", "digest", "manifest",
                                                                     "record_id", "device_id", "signature"}  # fmt: skip
    for cited in read_seal(out).manifest:
        assert re.fullmatch("[0-9a-f]{64}", cited.revision_id) and re.fullmatch("[0-9a-f-]{36}", cited.record_id)
        assert re.fullmatch("[0-9a-f-]{36}", cited.device_id) and len(base64.b64decode(cited.signature)) == 64


# -- immutability on arrival, and sync ------------------------------------------------------------------


def _second_revision(raw: object, made_id: str, assessment_id: str, head: str, body: bytes) -> revision.SignedRevision:
    content = {**revision.parse_body(body)["content"], "published_on": "2026-12-09"}
    return raw.revision(assessment_id, record_id=made_id, kind=item_kinds.PUBLISHED, content=content, parents=(head,))  # type: ignore[attr-defined]


def test_a_published_report_reaches_a_colleague_and_verifies_there_and_is_never_revised(
    service: Service, make_device: Callable[..., Device], tmp_path: Path
) -> None:
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    fill_demo(amara.vault, assessment_id)
    made = amara.vault.published.publish(assessment_id, ON).value
    out = write_html(amara.vault.published.report(made.id), tmp_path / "published.html")
    amara.sync()
    ben.sync()
    (arrived,) = ben.vault.published.list(assessment_id)
    assert (arrived.id, arrived.revision_id, arrived.digest, arrived.verified) == (made.id, made.revision_id, made.digest, True)
    assert arrived.signed_by == "Inspector A, on ‘first’"
    assert render_html(ben.vault.published.report(made.id)) == out.read_text(encoding="utf-8")

    with amara.vault.transaction("reading the published revision") as session:
        body = session.execute(text("SELECT body FROM revisions WHERE id = :id"), {"id": made.revision_id}).scalar_one()
    colleague = raw_device(service, sorted(m.inspector_id for m in _members(service, assessment_id))[1], "colleague")
    second = _second_revision(colleague, made.id, assessment_id, made.revision_id, body)
    (ack,) = colleague.push(second).json()["acks"]
    assert (ack["status"], ack["code"]) == ("rejected", protocol.R_IMMUTABLE) and "never changes once made" in ack["reason"]
    public = colleague.key.public_key().public_bytes_raw()  # type: ignore[attr-defined]
    page = PulledPage((second,), (PulledDevice(colleague.device_id, public, "colleague"),), (), ben.vault.replication.cursor() or "")
    pulled = ben.vault.replication.apply_pull(page).value
    assert pulled.stored == 0 and any("Published report" in why and "never changes once made" in why for why in pulled.refused), pulled

    ben_path = ben.vault.path
    ben.vault.lock()
    done = verify(out, ben_path)
    assert done.returncode == 0, done.stdout
    assert "Verified: published.html" in done.stdout


def test_the_service_refuses_a_published_report_from_anyone_but_the_lead(service: Service, make_device: Callable[..., Device]) -> None:
    from sync.server import admin

    assessment_id, amara, _ben, _ = colleagues(service, make_device)
    lead, other = sorted(m.inspector_id for m in _members(service, assessment_id))
    with service.admin() as session:
        admin.set_lead(session, assessment_id, lead)
    amara.vault.judgements.save(assessment_id, "safeguarding", domain.JudgementContent("safeguarding", {"outcomes": domain.ScoreEntry(3)}))
    made = amara.vault.published.publish(assessment_id, ON).value  # before the lead is known here: anyone may
    with amara.vault.transaction("reading the published revision") as session:
        body = session.execute(text("SELECT body FROM revisions WHERE id = :id"), {"id": made.revision_id}).scalar_one()
    raw = raw_device(service, other, "not the lead")
    content = revision.parse_body(body)["content"]
    theirs = raw.revision(assessment_id, record_id=uuid7(), kind=item_kinds.PUBLISHED, content=content)
    (ack,) = raw.push(theirs).json()["acks"]
    assert (ack["status"], ack["code"]) == ("rejected", protocol.R_NOT_LEAD) and "publishes the report" in ack["reason"]


def _members(service: Service, assessment_id: str) -> list:
    from sync.server import admin

    with service.admin() as session:
        return list(admin.list_members(session, assessment_id))


def test_a_report_citing_an_automatic_merge_verifies_and_an_edit_altered_under_it_fails(
    service: Service, make_device: Callable[..., Device]
) -> None:
    """Two inspectors editing the summary's two lines at once, round after round: each round's heads are
    folded into an automatic merge, so the texts the report cites are a merge, unsigned. Verify re-makes
    it from its parents, each checked first (by a loop over the merges, not a recursion per merge)."""
    assessment_id, amara, ben, _ = colleagues(service, make_device)
    fill_demo(amara.vault, assessment_id)

    def write(device: Device, summary: str) -> None:
        current = device.vault.report_texts.texts(assessment_id).content
        device.vault.report_texts.save_texts(assessment_id, dataclasses.replace(current, summary=summary))

    def sync_both() -> None:
        for device in (amara, ben, amara, ben):
            device.sync()

    write(amara, "First line.\nSecond line.")
    sync_both()
    for n in range(3):
        write(amara, f"First line, round {n}.\nSecond line{'.' if n == 0 else f', round {n - 1}.'}")
        write(ben, f"First line{'.' if n == 0 else f', round {n - 1}.'}\nSecond line, round {n}.")
        sync_both()
    texts = amara.vault.report_texts.texts(assessment_id)
    assert not texts.conflict and texts.content.summary == "First line, round 2.\nSecond line, round 2."
    made = amara.vault.published.publish(assessment_id, ON).value
    seal = amara.vault.published.report(made.id).seal
    assert seal is not None
    (cited_texts,) = [c for c in seal.manifest if c.record_id == texts.id]
    assert cited_texts.device_id == revision.AUTO_MERGE_DEVICE
    with amara.vault.transaction("reading the texts' revisions") as session:
        merges = session.execute(text("SELECT count(*) FROM revisions WHERE record_id = :r AND device_id = :d"),
                                 {"r": texts.id, "d": revision.AUTO_MERGE_DEVICE}).scalar_one()  # fmt: skip
        bens_last = session.execute(text("SELECT id, body FROM revisions WHERE record_id = :r AND body LIKE :words AND device_id != :d"),
                                    {"r": texts.id, "d": revision.AUTO_MERGE_DEVICE,
                                     "words": '%"First line, round 1.\\nSecond line, round 2."%'}).one()  # a parent of the merge cited  # fmt: skip
    assert merges >= 3
    assert all(check.holds for check in amara.vault.published.check(seal))

    with amara.vault.transaction("altering an edit under the merge") as session:
        session.execute(text("UPDATE revisions SET body = :b WHERE id = :id"),
                        {"b": bens_last.body.replace(b"round 2.", b"round 9."), "id": bens_last.id})  # fmt: skip
    failed = [check.words for check in amara.vault.published.check(seal) if not check.holds]
    # the merge re-made from its parents as stored no longer gives the merge cited
    assert len(failed) == 1 and f"auto-merge {cited_texts.revision_id[:12]}… is not the merge of its parents (altered)" in failed[0], failed
