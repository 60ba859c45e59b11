"""The vault's own ways to change records never reach an item: deleting a rating snapshot (immutable), a
judgement or the rating through vault.records is refused like reading one there, and nothing is cut."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from fieldapp import domain
from fieldapp.errors import NotFound
from fieldapp.judgements import judgement_id, rating_id
from fieldapp.vault import Vault

STAFFING = "safe-effective-staffing"


def revision_count(vault: Vault) -> int:
    with vault.transaction("counting revisions") as session:
        return session.execute(text("SELECT count(*) FROM revisions")).scalar_one()


def test_vault_records_never_deletes_a_snapshot_a_judgement_or_the_rating(vault: Vault, assessment_id: str) -> None:
    vault.judgements.save(assessment_id, STAFFING, domain.JudgementContent(STAFFING, {"outcomes": domain.ScoreEntry(3)}))
    vault.judgements.set_final(assessment_id, 2, "Night staffing gaps")
    made = vault.judgements.snapshot(assessment_id, note="Published").value
    vault.records.cut_all()
    before = revision_count(vault)
    for item_id in (made.id, judgement_id(assessment_id, STAFFING), rating_id(assessment_id)):
        with pytest.raises(NotFound, match="No record with id"):
            vault.records.delete(item_id)
    assert revision_count(vault) == before
    (kept,) = vault.judgements.snapshots(assessment_id)
    assert kept.content == made.content and kept.verified
    assert vault.judgements.get(assessment_id, STAFFING).exists and vault.judgements.rating(assessment_id).final_score == 2
