"""Published reports (`vault.published`, issue 14): an assessment's report frozen as an immutable,
signed item (kind `published_report`) with a manifest of every revision it stands on and the digest
binding both; read back as a sealed report; and checked against this vault's stored revisions.

Only the lead inspector publishes, never while a judgement, the rating or an evidence record the
report cites is in conflict. See docs/items.md, "Published reports".
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import domain, item_kinds, signers
from fieldapp.assessments import Assessments
from fieldapp.audit import Audit
from fieldapp.context import VaultContext
from fieldapp.errors import KEPT_ON_SERVICE, FieldappError, IntegrityError, KeptOnService, NotFound, UnresolvedConflict, ValidationError
from fieldapp.ids import uuid7
from fieldapp.item_kinds import PUBLISHED, PublishedContent
from fieldapp.judgements import Judgements, new_item, require_lead
from fieldapp.records import Records, cut_revision
from fieldapp.report.build import build_citing
from fieldapp.report_texts import ReportTexts
from fieldapp.report.frozen import published_digest, report_from_json, report_to_json
from fieldapp.report.model import CitedRevision, Report, Seal
from fieldapp.revisions import graph, revision
from fieldapp.rows import Changes, Done
from fieldapp.storage.models import Assessment, Device, Record

# What a report draws its scores, findings and history from, besides the evidence it cites.
STANDS_ON_KINDS = (item_kinds.JUDGEMENT, item_kinds.RATING, item_kinds.SNAPSHOT, *item_kinds.REPORT_KINDS)  # and what the team wrote for it


@dataclass(frozen=True)
class PublishedRow:
    id: str
    assessment_id: str
    published_on: str  # ISO date
    revision_id: str  # its one signed revision
    digest: str
    cited: int  # revisions in its manifest
    device_id: str  # the laptop that signed it
    verified: bool  # its revision's hash and signature hold under that laptop's key
    signed_by: str = ""  # who, in words


@dataclass(frozen=True)
class Check:
    """One thing verifying a published report checked, in words."""

    holds: bool
    words: str


@dataclass(frozen=True)
class _Areas:
    """What build_citing reads (fieldapp.report.source.ReportSource), on this area's context."""

    assessments: Assessments
    records: Records
    judgements: Judgements
    report_texts: ReportTexts


class PublishedReports:
    def __init__(self, context: VaultContext) -> None:
        self._context = context
        self._areas = _Areas(Assessments(context), Records(context), Judgements(context), ReportTexts(context))

    def publish(self, assessment_id: str, published_on: date | None = None) -> Done[PublishedRow]:
        """Freeze the assessment's report as a signed, immutable item with its manifest: the head revision
        of every evidence record it cites, of every judgement, of the rating and of every rating snapshot.

        Drafts of the assessment are cut into revisions first, so the manifest names revisions that hold
        exactly what the report shows. Only the lead inspector publishes; refused during a conflict."""
        on = (published_on or self._context.clock().date()).isoformat()
        with self._context.transaction("publishing the report") as session:
            require_lead(session, assessment_id, "publishes the report", "ask them to publish it")
            cuts = [cut.id for rec in session.scalars(_DIRTY_OF, {"assessment_id": assessment_id})
                    if (cut := cut_revision(session, self._context, rec)) is not None]  # fmt: skip
        built = build_citing(self._areas, assessment_id, draft=False, shared_on=None)  # refuses a judgement or rating in conflict
        with self._context.transaction("publishing the report") as session:
            cited = list(session.scalars(sa.select(Record).where(Record.id.in_(sorted(built.cited)))))
            items = list(session.scalars(_ITEMS_OF, {"assessment_id": assessment_id}))
            _refuse_conflicts(cited, items)
            if any(rec.draft_dirty or rec.head_revision_id is None for rec in cited + items):
                raise ValidationError("The assessment changed while its report was being published; publish it again.")
            manifest = _manifest(session, cited + items)
            digest = published_digest(built.report, manifest, on, assessment_id)
            content = PublishedContent(on, report_to_json(built.report), manifest, digest)
            item_kinds.validate_item(content)
            assessment = session.get(Assessment, assessment_id)
            assert assessment is not None  # build_citing found it
            rec = new_item(session, self._context, uuid7(), PUBLISHED, assessment_id, assessment.framework_key, content)
            cut = cut_revision(session, self._context, rec)
            assert cut is not None
            (row,) = _rows(session, self._context, [rec.id])
            Audit(self._context).record_in(session, "report_published", assessment_id=assessment_id, report_id=rec.id, cited=len(manifest))
            changes = Changes(revisions=frozenset({cut.id, *cuts}), judgements=frozenset({assessment_id}))
            return Done(row, changes)

    def list(self, assessment_id: str) -> tuple[PublishedRow, ...]:
        """The assessment's published reports, oldest first, each with whether its signature holds."""
        with self._context.transaction("reading published reports") as session:
            ids = list(session.scalars(_PUBLISHED_IDS, {"assessment_id": assessment_id}))
            return tuple(sorted(_rows(session, self._context, ids), key=lambda r: (r.published_on, r.id)))

    def report(self, item_id: str) -> Report:
        """A published report as it was frozen, with its seal (this item, its signed revision, the date,
        the digest and the manifest), ready for any writer."""
        with self._context.transaction("reading a published report") as session:
            found = session.execute(_HEAD_OF, {"ids": [item_id]}).first()
            if found is None or found.kind != PUBLISHED:
                raise NotFound(f"There is no published report {item_id} in this vault.")
            content = _content_of(found.body)
        report = report_from_json(content.report)
        seal = Seal(item_id, found.revision_id, content.published_on, content.digest, content.manifest)
        return dataclasses.replace(report, seal=seal)

    def check(self, seal: Seal) -> tuple[Check, ...]:
        """Whether this vault proves what a report file's seal claims: the published item and its signed
        revision are here and hold, the seal's digest and manifest are the signed ones, the digest is
        the stored content's, and every cited revision is here, unchanged, signed as the manifest says.
        Stops at the first check that fails where the next ones would mean nothing."""
        with self._context.transaction("checking a published report") as session:
            return tuple(_Checker(session, self._context.device_id, seal).run())


def _refuse_conflicts(cited: Iterable[Record], items: Iterable[Record]) -> None:
    names = [f"the evidence record ‘{rec.title}’" for rec in cited if rec.sync_state == "conflict"]
    names += [f"‘{rec.title}’" for rec in items if rec.sync_state == "conflict"]
    if names:
        raise UnresolvedConflict(
            f"Two versions of {', '.join(names)} collide; resolve {'them' if len(names) > 1 else 'it'} before publishing the "
            "report, so it stands on one signed version of each."
        )


def _manifest(session: Session, records: Iterable[Record]) -> tuple[CitedRevision, ...]:
    """Each record's head revision as the vault stores it, by record id."""
    heads = {rec.head_revision_id: rec.id for rec in records if rec.head_revision_id is not None}
    rows = session.execute(_REVISIONS, {"ids": sorted(heads)}).all()
    cited = [CitedRevision(row.id, row.record_id, row.device_id, _b64(row.signature)) for row in rows]
    return tuple(sorted(cited, key=lambda c: (c.record_id, c.revision_id)))


def _b64(signature: bytes) -> str:
    return base64.b64encode(signature).decode("ascii")


def _content_of(body: bytes) -> PublishedContent:
    content = domain.item_from_dict(PUBLISHED, revision.parse_body(body)["content"])
    assert isinstance(content, PublishedContent)
    return content


def _rows(session: Session, context: VaultContext, ids: list[str]) -> list[PublishedRow]:
    """Published reports from their one revision each: what was signed is what is listed, and checked."""
    keys = dict(session.execute(sa.select(Device.id, Device.public_key)).tuples().all())
    known = signers.signers(session, context.device_id)
    made = []
    for found in session.execute(_HEAD_OF, {"ids": ids}):
        try:
            content = _content_of(found.body)
            revision.check(revision.SignedRevision(found.revision_id, found.body, found.signature), keys.get(found.device_id, b""))
            verified = True
        except IntegrityError:
            verified = False
        except FieldappError:
            continue  # unreadable here (a newer app's): verify() reports damage, the list goes on
        made.append(PublishedRow(
            id=found.id, assessment_id=found.assessment_id, published_on=content.published_on, revision_id=found.revision_id,
            digest=content.digest, cited=len(content.manifest), device_id=found.device_id, verified=verified,
            signed_by=signers.signer_of(known, found.device_id).words(),
        ))  # fmt: skip
    return made


class _Checker:
    """The checks of one seal against one vault, in order, in words."""

    def __init__(self, session: Session, own_device_id: str, seal: Seal) -> None:
        self.session, self.seal = session, seal
        self.keys = dict(session.execute(sa.select(Device.id, Device.public_key)).tuples().all())
        self.known = signers.signers(session, own_device_id)
        self._held: dict[str, str] = {}  # revision id -> "" holds, or why not

    def run(self) -> Iterator[Check]:
        seal, short = self.seal, f"{self.seal.report_id[:12]}…"
        found = self.session.execute(_HEAD_OF, {"ids": [seal.report_id]}).first()
        if found is None or found.kind != PUBLISHED:
            yield Check(False, f"There is no published report {short} in this vault: the file is of another vault, or the report "
                               "has not reached this laptop yet (sync, then verify again).")  # fmt: skip
            return
        yield Check(True, f"The published report {short} is in this vault.")
        if found.revision_id != seal.revision_id:
            yield Check(False, f"The file names revision {seal.revision_id[:12]}… of it, but the one signed in this vault is "
                               f"{found.revision_id[:12]}…: the seal was altered.")  # fmt: skip
            return
        why = self.holds(seal.revision_id)
        if why:
            yield Check(False, f"Its signed revision in this vault does not hold: {why}")
            return
        yield Check(True, f"Its revision {seal.revision_id[:12]}… is unchanged and signed by {signers.signer_of(self.known, found.device_id).words()}.")
        try:
            content = _content_of(found.body)
            stored_report = report_from_json(content.report)
        except FieldappError as exc:
            yield Check(False, f"Its signed content cannot be read by this app: {exc}")
            return
        yield self._seal_matches(content)
        recomputed = published_digest(stored_report, content.manifest, content.published_on, found.assessment_id)
        if recomputed != content.digest:
            yield Check(False, "The digest worked out again from the signed report and manifest is not the one signed with them.")
        else:
            yield Check(True, "The digest worked out again from the signed report, its manifest, date and assessment is the one signed.")
        yield self._cited_hold()

    def _seal_matches(self, content: PublishedContent) -> Check:
        seal = self.seal
        wrong = []
        if seal.published_on != content.published_on:
            wrong.append(f"the file says it was published on {seal.published_on}, the signed revision on {content.published_on}")
        if seal.digest != content.digest:
            wrong.append("the file's digest is not the signed one")
        wrong += _manifest_differences(seal.manifest, content.manifest)
        if wrong:
            return Check(False, "The file's seal differs from what is signed in this vault: " + _some(wrong) + ".")
        return Check(True, f"The file's date, digest and manifest of {len(seal.manifest)} cited revisions are exactly the signed ones.")

    def _cited_hold(self) -> Check:
        manifest = self.seal.manifest
        wrong = [why for cited in manifest if (why := self._cited(cited))]
        if wrong:
            verb = "does" if len(wrong) == 1 else "do"
            return Check(False, f"{len(wrong)} of the {len(manifest)} cited revisions {verb} not hold: {_some(wrong)}.")
        return Check(True, f"All {len(manifest)} cited revisions are in this vault, unchanged, each signed by the device and with the "
                           "signature the manifest names.")  # fmt: skip

    def _cited(self, cited: CitedRevision) -> str:
        """"" when the cited revision is here and holds as the manifest says; else why not, in words."""
        row = self.session.execute(_REVISIONS, {"ids": [cited.revision_id]}).first()
        what = f"revision {cited.revision_id[:12]}… of record {cited.record_id[:12]}…"
        if row is None:
            return f"{what} is not in this vault"
        if row.record_id != cited.record_id:
            return f"{what} is a revision of another record here"
        if row.device_id != cited.device_id:
            return f"{what} was made by another device than the manifest names"
        if _b64(row.signature) != cited.signature:
            return f"{what} carries another signature than the manifest names"
        why = self.holds(cited.revision_id)
        return f"{what}: {why}" if why else ""

    def holds(self, rev_id: str) -> str:
        """"" when a stored revision holds: its id is the hash of its stored body, and it is signed by its
        device (an automatic merge: it is exactly the merge of its parents, which hold); else why not.
        The parents of automatic merges are checked first, deepest first, by a loop rather than by
        recursion, so a long run of merges on one item cannot exhaust Python's stack."""
        stack, visiting = [(rev_id, False)], set()
        while stack:
            current, parents_done = stack.pop()
            if current in self._held:
                continue
            if parents_done:
                self._held[current] = self._verdict(current)
                continue
            if current in visiting:
                continue  # a revision naming itself among its ancestors: its verdict is made where it was met first
            visiting.add(current)
            stack.append((current, True))
            stack += [(parent, False) for parent in self._merged_parents(current) if parent not in self._held]
        return self._held[rev_id]

    def _verdict(self, rev_id: str) -> str:
        try:
            self._check(rev_id)
            return ""
        except FieldappError as exc:
            return _lower_first(str(exc).rstrip("."))

    def _merged_parents(self, rev_id: str) -> list[str]:
        """The parents of an automatic merge (checked before it); none for a signed revision, or for one
        that cannot be read (its own check says why)."""
        try:
            signed, _record_id, device_id = self._load(rev_id)
            if device_id != revision.AUTO_MERGE_DEVICE:
                return []
            return [p for p in revision.parse_body(signed.body)["parents"] if isinstance(p, str)]
        except (FieldappError, KeyError, TypeError, ValueError):
            return []

    def _check(self, rev_id: str) -> None:
        signed, record_id, device_id = self._load(rev_id)
        if revision.revision_id(signed.body) != rev_id:
            raise IntegrityError(f"Revision {rev_id[:12]}… does not match its stored content (altered).")
        fields = revision.parse_body(signed.body)
        if fields["record_id"] != record_id or fields["device_id"] != device_id:
            raise IntegrityError(f"Revision {rev_id[:12]}… is filed under another record or device than it names.")
        if device_id == revision.AUTO_MERGE_DEVICE:
            parents = {r: json.loads(p) for r, p in self.session.execute(_GRAPH, {"record_id": record_id})}
            graph.check_auto_merge(signed, parents, lambda r: self._load(r)[0])
            for parent in fields["parents"]:
                # checked before this one by holds(); one not checked names this merge among its ancestors
                if why := self._held.get(parent, "it names itself among its ancestors"):
                    raise IntegrityError(f"Automatic merge {rev_id[:12]}… stands on a revision that does not hold: {why}")
            return
        if device_id not in self.keys:
            raise IntegrityError(f"Revision {rev_id[:12]}… is signed by a device this vault does not know.")
        revision.check(signed, self.keys[device_id])

    def _load(self, rev_id: str) -> tuple[revision.SignedRevision, str, str]:
        row = self.session.execute(_REVISION_BODY, {"id": rev_id}).first()
        if row is None:
            raise IntegrityError(f"Revision {rev_id[:12]}… is missing from this vault (broken chain).")
        if not row.body:  # retention left it on the service: not altered, only not here (open the record to fetch it)
            raise KeptOnService(KEPT_ON_SERVICE + " Open it, then verify again.")
        return revision.SignedRevision(rev_id, row.body, row.signature), row.record_id, row.device_id


def _manifest_differences(claimed: tuple[CitedRevision, ...], signed: tuple[CitedRevision, ...]) -> list[str]:
    by_revision = {c.revision_id: c for c in signed}
    claimed_ids = {c.revision_id for c in claimed}
    wrong = [f"the file's manifest leaves out revision {c.revision_id[:12]}… of record {c.record_id[:12]}…" for c in signed if c.revision_id not in claimed_ids]
    for c in claimed:
        stored = by_revision.get(c.revision_id)
        if stored is None:
            wrong.append(f"the file's manifest names revision {c.revision_id[:12]}…, which the signed one does not")
        elif stored.signature != c.signature:
            wrong.append(f"the file's manifest gives revision {c.revision_id[:12]}… another signature than the signed one")
        elif stored != c:
            wrong.append(f"the file's manifest gives revision {c.revision_id[:12]}… another record or device than the signed one")
    if not wrong and claimed != signed:
        wrong.append("the file's manifest lists the cited revisions in another order than the signed one")
    return wrong


def _some(problems: list[str], shown: int = 5) -> str:
    more = len(problems) - shown
    return "; ".join(problems[:shown]) + (f"; and {more} more" if more > 0 else "")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


_IDS: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
_DIRTY_OF = sa.select(Record).where(Record.assessment_id == sa.bindparam("assessment_id"), Record.draft_dirty == sa.true())
_ITEMS_OF = sa.select(Record).where(Record.assessment_id == sa.bindparam("assessment_id"), Record.kind.in_(STANDS_ON_KINDS))
_PUBLISHED_IDS = sa.select(Record.id).where(Record.assessment_id == sa.bindparam("assessment_id"), Record.kind == PUBLISHED)
_HEAD_OF = sa.text(
    "SELECT r.id, r.kind, r.assessment_id, v.id AS revision_id, v.body, v.signature, v.device_id "
    "FROM records r JOIN revisions v ON v.id = r.head_revision_id WHERE r.id IN :ids"
).bindparams(_IDS)
_REVISIONS = sa.text("SELECT id, record_id, device_id, signature FROM revisions WHERE id IN :ids").bindparams(_IDS)
_REVISION_BODY = sa.text("SELECT record_id, device_id, body, signature FROM revisions WHERE id = :id")
_GRAPH = sa.text("SELECT id, parents FROM revisions WHERE record_id = :record_id")

__all__ = ["Check", "PublishedReports", "PublishedRow"]
