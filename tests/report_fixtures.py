"""The demo assessment every report test renders: 17 quality statements scored, each with a tagged
People's experience passage (its key evidence) and a staff focus group, plus canaries in every place
a report must never reach (untagged notes, attachment names and bytes, an uncited pseudonym and
title, an attendee's real-looking name, a facilitator)."""

from __future__ import annotations

import copy
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from vault_fixtures import PASSPHRASE, Template

from fieldapp import domain
from fieldapp.framework import default_framework
from fieldapp.links import passage_of
from fieldapp.vault import Vault

PEOPLE, STAFF = "peoples-experience", "staff-leaders-feedback"
CANARIES = ("CANARY-NOTE", "CANARY-ATTNAME", "CANARY-ATTBYTES", "CANARY-PSEUDO", "CANARY-TITLE", "Margaret Canarywell", "CANARY-FACILITATOR")


@dataclass(frozen=True)
class Demo:
    assessment_id: str
    scores: dict[str, int]  # statement id -> its score
    quotes: tuple[str, ...]
    key_titles: tuple[str, ...]


def _interview(vault: Vault, aid: str, n: int, statement_id: str) -> tuple[str, str, str]:
    quote = f"The team listened to me and sorted my care, number {n}."
    notes = f"Opening remarks CANARY-NOTE {n}. {quote} Later aside CANARY-NOTE again."
    content = domain.Interview(title=f"Interview {n}", role="carer" if n % 2 else "person_using_services", pseudonym=f"Person P{n}",
                               consent=domain.Consent(True, "verbal", "2026-11-20"), held_at="2026-11-20T10:00", notes=notes)  # fmt: skip
    record = vault.records.create(aid, content).value
    start = notes.index(quote)
    link = vault.links.tag(record.id, statement_id, PEOPLE, passage=passage_of(record.content, "notes", start, start + len(quote))).value
    return record.id, link.id, quote


@dataclass(frozen=True)
class DemoTemplate:
    path: Path  # the vault folder as it stood the moment fill_demo returned
    demo: Demo


@pytest.fixture(scope="session")
def demo_template(vault_template: Template, tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """The demo filled once per worker, for the ~130 tests that render it (filling it took 1-3 s a
    test). Its folder is copied while the vault is still open and idle, never after a lock: a lock
    would cut the drafts fill_demo leaves open, and tests see them open, as a user would."""
    filled = tmp_path_factory.mktemp("demo-filling") / "vault"
    shutil.copytree(vault_template.path, filled)
    vault = Vault.open(filled, passphrase=PASSPHRASE)
    try:
        demo = _fill_new_demo(vault)
        path = tmp_path_factory.mktemp("demo") / "vault"
        # The database with its write-ahead log (every commit, not yet checkpointed); not the -shm
        # index of that log, which the next open rebuilds.
        shutil.copytree(filled, path, ignore=shutil.ignore_patterns("*-shm"))
    finally:
        vault.lock()
    return DemoTemplate(path, demo)


@pytest.fixture
def demo(vault: Vault, demo_template: DemoTemplate) -> Demo:
    """The demo, in the test's own vault: vault_fixtures.vault_path copies demo_template's folder
    when a test asks for the demo."""
    vault.assessments.get(demo_template.demo.assessment_id)  # there, or NotFound says the copy is missing
    return copy.deepcopy(demo_template.demo)


def _fill_new_demo(vault: Vault) -> Demo:
    aid = vault.assessments.create("Northshire & <Coast> ICS", period_start="2026-11-01", period_end="2026-11-30",
                                   team=("Amara Okafor", "Ben Hughes")).value.id  # fmt: skip
    return fill_demo(vault, aid)


def fill_demo(vault: Vault, aid: str) -> Demo:
    """The demo's records, judgements and snapshots in an assessment that exists (a synced laptop's, say)."""
    framework = default_framework()
    scores, quotes, titles = {}, [], []
    for i, statement in enumerate(framework.statements):
        record_id, link_id, quote = _interview(vault, aid, i, statement.id)
        quotes.append(quote)
        titles.append(f"Interview {i}")
        staff = vault.records.create(aid, domain.FocusGroup(title=f"Staff group {i}", held_at="2026-11-21T09:00", role="staff", participants=6,
                                                            facilitator="CANARY-FACILITATOR", notes=f"Untagged staff notes CANARY-NOTE {i}")).value  # fmt: skip
        vault.links.tag(staff.id, statement.id, STAFF)  # tagged as a whole, not key evidence: its notes are not quoted
        score = 1 + i % 4
        scores[statement.id] = score
        content = domain.JudgementContent(
            statement.id, {PEOPLE: domain.ScoreEntry(score, "updated", f"2026-11-{10 + i:02d}"), STAFF: domain.ScoreEntry(score)},
            strengths=f"Strength of {statement.name}\nShared records <work>", improvements=f"Improve {statement.name}",
            key_evidence=(domain.EvidenceRef(record_id, link_id),),
        )  # fmt: skip
        vault.judgements.save(aid, statement.id, content)
    uncited = vault.records.create(aid, domain.Interview(title="CANARY-TITLE", role="carer", pseudonym="CANARY-PSEUDO",
                                                         consent=domain.Consent(True, "verbal", "2026-11-20"), notes="CANARY-NOTE")).value  # fmt: skip
    vault.attachments.add(uncited.id, io.BytesIO(b"CANARY-ATTBYTES " * 10), name="CANARY-ATTNAME.txt")
    cited = vault.records.list(aid)[0].id
    vault.attachments.add(cited, io.BytesIO(b"CANARY-ATTBYTES"), name="CANARY-ATTNAME-cited.txt")
    vault.records.create(aid, domain.Observation(title="ICB board", meeting_type="icb", held_at="2026-11-20T10:00",
                                                 attendees=(domain.Attendee("Mrs Margaret Canarywell", "Northshire ICB"),), notes="CANARY-NOTE"))  # fmt: skip
    # The team chose every suggested passage to quote (tests/test_report_texts.py chooses fewer).
    vault.report_texts.choose_quotations(aid, [(s.record_id, s.link_id) for s in vault.report_texts.suggestions(aid)])
    vault.judgements.snapshot(aid, note="First publication")
    vault.judgements.snapshot(aid, kind="review", note="Reviewed, unchanged")
    return Demo(aid, scores, tuple(quotes), tuple(titles))
