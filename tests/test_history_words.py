"""A record's history in words: newest first by when each version was saved (not the order they
reached this laptop), each saying what it changed; and what restoring an older one would change."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from vault_fixtures import sample_contents

from fieldapp.vault import Vault


def test_each_version_says_what_it_changed_newest_first(vault: Vault, assessment_id: str) -> None:
    interview = sample_contents()[1]
    rec = vault.records.create(assessment_id, interview).value
    vault.records.cut_revision(rec.id)
    vault.records.save(rec.id, dataclasses.replace(interview, notes="Notes, edited."))
    vault.records.cut_revision(rec.id)
    vault.links.tag(rec.id, "learning-culture")
    vault.links.tag(rec.id, "safeguarding")
    vault.records.cut_revision(rec.id)
    vault.records.save(rec.id, dataclasses.replace(interview, title="Renamed", notes="Notes, edited again."))
    vault.records.cut_revision(rec.id)

    words = [entry.change for entry in vault.history.entries(rec.id)]
    assert words == ["Title and notes edited", "Tagged 2 statements", "Notes edited", "Created"]
    times = [entry.revision.created_at for entry in vault.history.entries(rec.id)]
    assert times == sorted(times, reverse=True)


def test_versions_are_listed_by_when_they_were_saved_not_the_order_they_arrived(vault: Vault, assessment_id: str) -> None:
    start = datetime(2026, 11, 21, 14, 0, tzinfo=timezone.utc)
    now = [start]
    vault.clock = lambda: now[0]
    interview = sample_contents()[1]
    rec = vault.records.create(assessment_id, interview).value
    vault.records.cut_revision(rec.id)
    for minutes, notes in ((5, "second"), (1, "third")):  # the third saved "earlier", as a laptop whose clock is behind
        now[0] = start + timedelta(minutes=minutes)
        vault.records.save(rec.id, dataclasses.replace(interview, notes=notes))
        vault.records.cut_revision(rec.id)

    listed = [entry.revision.created_at[11:16] for entry in vault.history.entries(rec.id)]
    assert listed == ["14:05", "14:01", "14:00"]
    assert [r.created_at for r in vault.history.revisions(rec.id)] == sorted(r.created_at for r in vault.history.revisions(rec.id))


def test_restoring_says_what_would_go_back(vault: Vault, assessment_id: str) -> None:
    interview = sample_contents()[1]
    rec = vault.records.create(assessment_id, interview).value
    first = vault.records.cut_revision(rec.id).value
    vault.records.save(rec.id, dataclasses.replace(interview, title="Renamed", notes="Other words."))
    vault.links.tag(rec.id, "safeguarding")
    vault.records.cut_revision(rec.id)

    assert vault.history.changes_back_to(rec.id, first.id) == "Title and notes as they were then; untagged 1 statement"
