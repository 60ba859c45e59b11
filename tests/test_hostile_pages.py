"""Pull pages a malicious or broken service could send (security review, findings 2 and 4): a
record this vault cannot store is refused alone while the rest of the page is kept and the
cursor moves; an auto-merge is checked once its parents are here, whichever page brings them."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from vault_fixtures import sample_contents

from fieldapp.revisions import graph, revision
from fieldapp.revisions.canonical import canonical_json
from fieldapp.errors import NotFound
from fieldapp.ids import uuid7
from fieldapp.replication.exchange import PulledPage
from fieldapp.vault import Vault

FORGED = "FORGED: the chair admitted the failures were covered up"


@dataclass
class Colleague:
    """Another inspector's device: a real Ed25519 key that the pages introduce to the vault."""

    device_id: str
    key: Ed25519PrivateKey

    @property
    def introduction(self) -> tuple[str, bytes, str]:
        public = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return self.device_id, public, "Inspector B – laptop"

    def edit(self, base: revision.SignedRevision, **content: object) -> revision.SignedRevision:
        """A signed revision on top of base, with some fields of its content changed."""
        return self.revision(base.fields(), parents=(base.id,), content=base.fields()["content"] | content)

    def revision(self, like: dict, *, parents: tuple[str, ...] = (), **changes: object) -> revision.SignedRevision:
        fields = like | changes
        snapshot = revision.Snapshot(
            record_id=fields["record_id"], assessment_id=fields["assessment_id"], kind=fields["kind"],
            framework_key=fields["framework"], deleted=False, content=fields["content"],
            links=tuple(fields["links"]), attachments=tuple(fields["attachments"]),
        )  # fmt: skip
        return revision.create(snapshot, parents=parents, device_id=self.device_id, created_at="2026-11-20T11:00:00.000000Z", private_key=self.key)


@pytest.fixture
def colleague() -> Colleague:
    return Colleague(uuid7(), Ed25519PrivateKey.generate())


def _page(colleague: Colleague, cursor: str, *revisions: revision.SignedRevision) -> PulledPage:
    return PulledPage(revisions=revisions, devices=(colleague.introduction,), assessments=(), cursor=cursor)


def _head(vault: Vault, assessment_id: str, index: int = 0) -> revision.SignedRevision:
    """A record made on this laptop, cut into its first revision (as a sync starts by doing)."""
    record_id = vault.records.create(assessment_id, sample_contents()[index]).value.id
    cut = vault.records.cut_revision(record_id).value
    assert cut is not None
    return vault.history.signed(cut.id)


def _forged(merge: revision.SignedRevision) -> revision.SignedRevision:
    """An unsigned "auto-merge" with the parents of a real one and words nobody wrote."""
    fields = merge.fields()
    body = canonical_json(fields | {"content": fields["content"] | {"notes": FORGED}})
    return revision.SignedRevision(revision.revision_id(body), body, b"")


def _sibling_edits(colleague: Colleague, head: revision.SignedRevision) -> tuple[revision.SignedRevision, ...]:
    """Two colleagues' edits of different fields on the same head, and their genuine auto-merge."""
    notes = head.fields()["content"]["notes"] + "\n11:00  colleague's line"
    one, two = colleague.edit(head, notes=notes), colleague.edit(head, location="Carers' centre")
    left, right = sorted((one, two), key=lambda r: r.id)
    merged = graph.auto_merge(head, left, right)
    assert isinstance(merged, revision.SignedRevision)
    return one, two, merged


def test_a_forged_merge_sent_a_page_before_its_second_parent_is_refused_and_never_adopted(
    vault: Vault, assessment_id: str, colleague: Colleague
) -> None:
    head = _head(vault, assessment_id)
    record_id = head.fields()["record_id"]
    one, two, merged = _sibling_edits(colleague, head)
    forged = _forged(merged)

    first = vault.replication.apply_pull(_page(colleague, "c1", one, forged)).value
    assert first.outcomes == {"waiting": 1} and first.refused == ()
    second = vault.replication.apply_pull(_page(colleague, "c2", two)).value

    assert second.refused == (f"Auto-merge {forged.id[:12]}… is not the merge of its parents (altered).",)
    got = vault.records.get(record_id)
    assert FORGED not in got.content.notes  # type: ignore[union-attr]
    assert got.head_revision_id == merged.id  # the laptop made the true merge of both edits itself
    assert "colleague's line" in got.content.notes and got.content.location == "Carers' centre"  # type: ignore[union-attr]
    assert forged.id not in {r.id for r in vault.history.revisions(record_id)}
    assert vault.verify().ok


def test_the_same_forged_merge_and_its_second_parent_in_one_page_are_refused_alike(
    vault: Vault, assessment_id: str, colleague: Colleague
) -> None:
    head = _head(vault, assessment_id)
    one, two, merged = _sibling_edits(colleague, head)
    forged = _forged(merged)
    report = vault.replication.apply_pull(_page(colleague, "c1", one, forged, two)).value
    assert report.refused == (f"Auto-merge {forged.id[:12]}… is not the merge of its parents (altered).",)
    assert vault.records.get(head.fields()["record_id"]).head_revision_id == merged.id


def test_a_genuine_merge_sent_a_page_before_its_second_parent_is_taken_once_the_parent_arrives(
    vault: Vault, assessment_id: str, colleague: Colleague
) -> None:
    head = _head(vault, assessment_id)
    one, two, merged = _sibling_edits(colleague, head)
    vault.replication.apply_pull(_page(colleague, "c1", one, merged))
    report = vault.replication.apply_pull(_page(colleague, "c2", two)).value
    assert report.refused == () and report.outcomes == {"updated": 1}
    got = vault.records.get(head.fields()["record_id"])
    assert got.head_revision_id == merged.id and "colleague's line" in got.content.notes  # type: ignore[union-attr]


def test_an_edit_built_on_a_forged_merge_is_never_adopted(vault: Vault, assessment_id: str, colleague: Colleague) -> None:
    head = _head(vault, assessment_id)
    one, two, merged = _sibling_edits(colleague, head)
    forged = _forged(merged)
    on_top = colleague.edit(forged, location="Town hall")
    vault.replication.apply_pull(_page(colleague, "c1", one, forged, on_top))
    report = vault.replication.apply_pull(_page(colleague, "c2", two)).value
    assert report.outcomes == {"waiting": 1} and len(report.refused) == 1
    got = vault.records.get(head.fields()["record_id"])
    assert got.head_revision_id == head.id and FORGED not in got.content.notes  # type: ignore[union-attr]


def test_a_new_record_this_vault_cannot_store_is_refused_alone_and_the_rest_of_the_page_is_kept(
    vault: Vault, assessment_id: str, colleague: Colleague
) -> None:
    like = _head(vault, assessment_id).fields()
    good = colleague.revision(like, record_id=uuid7())
    bad = colleague.revision(like, record_id=uuid7(), content={"title": "ICB board", "no_such_field": "x"})
    later = colleague.revision(like, record_id=uuid7(), content={"title": "Next page"})

    report = vault.replication.apply_pull(_page(colleague, "c1", good, bad)).value

    bad_id = bad.fields()["record_id"]
    assert report.outcomes == {"created": 1, "refused": 1} and report.stored == 1
    (refusal,) = report.refused
    assert refusal.startswith(f"Record {bad_id[:12]}…: 1 revision(s) from the service could not be stored here") and "no_such_field" in refusal
    assert vault.replication.cursor() == "c1"
    assert vault.records.get(good.fields()["record_id"]).title == like["content"]["title"]
    with pytest.raises(NotFound):
        vault.records.get(bad_id)
    with pytest.raises(NotFound):
        vault.history.signed(bad.id)
    assert vault.replication.apply_pull(_page(colleague, "c2", later)).value.outcomes == {"created": 1}
    assert vault.replication.cursor() == "c2" and vault.verify().ok


def test_an_update_this_vault_cannot_store_leaves_its_record_as_it_was_and_others_update(
    vault: Vault, assessment_id: str, colleague: Colleague
) -> None:
    mine, theirs = _head(vault, assessment_id, 0), _head(vault, assessment_id, 1)
    bad = colleague.revision(mine.fields(), parents=(mine.id,), content=mine.fields()["content"] | {"attendees": "not a list"})
    good = colleague.edit(theirs, location="Carers' centre")

    report = vault.replication.apply_pull(_page(colleague, "c1", bad, good)).value

    assert report.outcomes == {"refused": 1, "updated": 1} and report.stored == 1
    assert vault.replication.cursor() == "c1"
    kept = vault.records.get(mine.fields()["record_id"])
    assert kept.head_revision_id == mine.id and kept.sync_state == "local"
    assert vault.records.get(theirs.fields()["record_id"]).content.location == "Carers' centre"  # type: ignore[union-attr]
    fixed = colleague.edit(mine, notes="10:42  chair asks again")  # the record is not stuck
    assert vault.replication.apply_pull(_page(colleague, "c2", fixed)).value.outcomes == {"updated": 1}
    assert vault.records.get(kept.id).head_revision_id == fixed.id
    assert json.loads(vault.history.signed(fixed.id).body)["parents"] == [mine.id]


def test_a_merge_awaiting_its_check_is_never_offered_as_a_version_to_keep_in_a_conflict(
    vault: Vault, assessment_id: str, colleague: Colleague
) -> None:
    head = _head(vault, assessment_id)
    record_id = head.fields()["record_id"]
    one, two = colleague.edit(head, title="Board, as minuted"), colleague.edit(head, title="Board, as heard")
    assert vault.replication.apply_pull(_page(colleague, "c1", one, two)).value.outcomes == {"conflict": 1}
    fields = one.fields()
    body = canonical_json(fields | {
        "parents": sorted([one.id, "f" * 64]), "device_id": revision.AUTO_MERGE_DEVICE,
        "content": fields["content"] | {"notes": FORGED},
    })  # fmt: skip
    waiting = revision.SignedRevision(revision.revision_id(body), body, b"")  # its second parent never comes

    assert vault.replication.apply_pull(_page(colleague, "c2", waiting)).value.outcomes == {"waiting": 1}

    (conflict,) = vault.replication.conflicts()
    assert {h.id for h in conflict.heads} == {one.id, two.id}
    with pytest.raises(NotFound, match="not one of the record's conflicting versions"):
        vault.replication.resolve(record_id, take=waiting.id)
    assert FORGED not in vault.records.get(record_id).content.notes  # type: ignore[union-attr]
