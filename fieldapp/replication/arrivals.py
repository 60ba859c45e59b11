"""Revisions arriving from the service: checked, stored, and — for records new to this vault that
arrive as a plain chain, by far the commonest case — made into records a page at a time.

A newly enrolled laptop may receive ten thousand records at once; set-based inserts on the page's
own connection make that seconds, not minutes. Anything less plain (a record already here, a
fork, a parent from an earlier page) is settled one record at a time by fieldapp.replication.settle.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp import domain, item_kinds, search
from fieldapp.revisions import graph, revision
from fieldapp.storage import sqlcipher
from fieldapp.revisions.canonical import canonical_json
from fieldapp.errors import FieldappError, IntegrityError
from fieldapp.storage.models import Device
from fieldapp.records import item_title

Arrived = dict[str, tuple[revision.SignedRevision, dict]]  # id -> (revision, parsed body)
_IN_CHUNK = 500  # ids per IN (...) list, under SQLite's parameter limit

_INSERT_REVISION = (
    "INSERT INTO revisions (id, record_id, parents, body, signature, device_id, created_at, deleted, pushed, awaiting_check) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"
)
_INSERT_RECORD = (
    "INSERT INTO records (id, assessment_id, kind, framework_key, title, occurred_on, flags, head_revision_id, "
    "draft_dirty, indexed, dirty_since, deleted, sync_state, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, ?, 'synced', ?, ?)"
)
_INSERT_CONTENT = "INSERT INTO record_content (num, content) VALUES (?, ?)"
_INSERT_FTS = "INSERT OR REPLACE INTO record_fts (rowid, title, body) VALUES (?, ?, ?)"
_INSERT_LINK = (
    "INSERT INTO links (id, record_id, statement_id, category_id, comment, passage_field, passage_start, "
    "passage_end, passage_text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_BLOB = "INSERT OR IGNORE INTO blobs (sha256, name, blob_id, size, uploaded) VALUES (?, NULL, NULL, ?, 1)"
_INSERT_ATTACHMENT = "INSERT INTO attachments (id, record_id, name, media_type, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"

_DEVICE_KEYS = sa.select(Device.id, Device.public_key)  # built once (see fieldapp.replication.exchange)

Prechecked = Mapping[str, tuple[dict, bytes | None]]  # id -> (parsed body, the key its signature held under)


def precheck(revisions: Iterable[revision.SignedRevision], keys: Mapping[str, bytes]) -> Prechecked:
    """The slow, pure half of checking (parse, hash, Ed25519), done off the vault's thread while
    the previous page is stored; store() takes a result only if the key matches the vault's."""
    checked: dict[str, tuple[dict, bytes | None]] = {}
    for rev in revisions:
        try:
            fields = _checked(rev, keys)
        except FieldappError:
            continue  # store() checks it again, and says why it refuses it
        checked[rev.id] = (fields, keys.get(fields["device_id"]))
    return checked


def store(
    session: Session, revisions: Iterable[revision.SignedRevision], prechecked: Prechecked | None = None
) -> tuple[Arrived, list[str]]:
    """Check each new revision (hash; signature by a device the service introduced) and keep it.

    Auto-merges are stored awaiting their check: settle() recomputes each from its parents once
    the record's graph is whole, in this page or a later one, before anything adopts it.
    Returns the revisions stored, with their parsed bodies, and why any were refused.
    """
    revisions = list(revisions)
    have = _existing(session, "revisions", "id", [r.id for r in revisions])
    keys = dict(session.execute(_DEVICE_KEYS).tuples().all())
    prechecked = prechecked or {}
    arrived: Arrived = {}
    refused: list[str] = []
    for rev in revisions:
        if rev.id in have or rev.id in arrived:
            continue
        early = prechecked.get(rev.id)
        if early is not None and early[1] == keys.get(early[0]["device_id"]):
            arrived[rev.id] = (rev, early[0])  # checked already, under the very key this vault trusts
            continue
        try:
            fields = _checked(rev, keys)
        except FieldappError as exc:
            refused.append(str(exc))
            continue
        arrived[rev.id] = (rev, fields)
    refused += _other_record_revisions(session, arrived)
    refused += _second_snapshot_revisions(session, arrived)
    rows = [
        (rev.id, f["record_id"], json.dumps(f["parents"]), rev.body, rev.signature, f["device_id"], f["created_at"], f["deleted"],
         f["device_id"] == revision.AUTO_MERGE_DEVICE)
        for rev, f in arrived.values()
    ]  # fmt: skip
    sqlcipher.cursor_of(session).executemany(_INSERT_REVISION, rows)
    return arrived, refused


def _other_record_revisions(session: Session, arrived: Arrived) -> list[str]:
    """Take out of `arrived` any revision whose assessment or kind differs from its record's (as held
    here, or as this page first brought it): a record never changes either, so such a revision is
    another thing in its place (the service refuses it too; an older or broken one might pass it on)."""
    record_ids = sorted({f["record_id"] for _rev, f in arrived.values()})
    facts: dict[str, tuple[str, str]] = {}
    for start in range(0, len(record_ids), _IN_CHUNK):
        part = record_ids[start : start + _IN_CHUNK]
        sql = f"SELECT id, assessment_id, kind FROM records WHERE id IN ({','.join('?' * len(part))})"
        facts.update((row[0], (row[1], row[2])) for row in sqlcipher.cursor_of(session).execute(sql, part))
    refused = []
    for rev_id, (_rev, f) in list(arrived.items()):
        claimed = (f["assessment_id"], f["kind"])
        if facts.setdefault(f["record_id"], claimed) != claimed:
            del arrived[rev_id]
            refused.append(f"Revision {rev_id[:12]}… would change the assessment or the kind of record {f['record_id'][:12]}…, "
                           "which never change; it was not taken.")  # fmt: skip
    return refused


def _second_snapshot_revisions(session: Session, arrived: Arrived) -> list[str]:
    """Take out of `arrived` any revision of a rating snapshot, a published report or a shared draft but
    its one and only: those are immutable (one revision, no parents), so a second is refused, never merged or adopted."""
    snapshots = {rev_id: f for rev_id, (_rev, f) in arrived.items() if f["kind"] in item_kinds.IMMUTABLE_KINDS}
    if not snapshots:
        return []
    stored = _existing(session, "revisions", "record_id", sorted({f["record_id"] for f in snapshots.values()}))
    refused, seen = [], set(stored)
    for rev_id, f in snapshots.items():
        if f["parents"] or f["record_id"] in seen:
            del arrived[rev_id]
            refused.append(snapshot_revised_words(f["record_id"], f["kind"]))
        seen.add(f["record_id"])
    return refused


def snapshot_revised_words(snapshot_id: str, kind: str = item_kinds.SNAPSHOT) -> str:
    if kind == item_kinds.PUBLISHED:
        return (f"Published report {snapshot_id[:12]}… came with a second version; a published report never changes once made, "
                "so the second version was not taken (publish the report again instead).")  # fmt: skip
    if kind == item_kinds.REPORT_DRAFT:
        return (f"Shared draft report {snapshot_id[:12]}… came with a second version; a draft never changes once shared, "
                "so the second version was not taken (share the draft again instead).")  # fmt: skip
    return (f"Rating snapshot {snapshot_id[:12]}… came with a second version; a snapshot never changes once made, "
            "so the second version was not taken (publish a new snapshot instead).")  # fmt: skip


def _checked(rev: revision.SignedRevision, keys: Mapping[str, bytes]) -> dict:
    fields = rev.fields()
    if revision.revision_id(rev.body) != rev.id:
        raise IntegrityError(f"Revision {rev.id[:12]}… does not match its content.")
    signer = fields["device_id"]
    if signer.startswith(revision.AUTO_MERGE_PREFIX):
        if signer != revision.AUTO_MERGE_DEVICE:
            raise IntegrityError(f"Revision {rev.id[:12]}… was merged by a newer fieldapp; update the app to take it.")
        _check_identity(rev, fields)
        return fields
    if signer not in keys:
        raise IntegrityError(f"Revision {rev.id[:12]}… comes from a device the service did not introduce.")
    revision.check(rev, keys[signer])
    _check_identity(rev, fields)
    return fields


def _check_identity(rev: revision.SignedRevision, fields: dict) -> None:
    """An item's id is derived from what it is of, nothing else takes such an id, and no item is
    deleted (as the service checks): a colleague's broken or hostile app cannot put its item in the
    place of another's, nor make a judgement that swallows every later score."""
    try:
        item_kinds.check_arrival(fields)
    except FieldappError as exc:
        raise IntegrityError(f"Revision {rev.id[:12]}… was not taken: {exc}") from None


def plain_chains(session: Session, arrived: Arrived) -> tuple[dict[str, list[str]], set[str]]:
    """Split arrived records into plain chains new to this vault (record id -> revision ids,
    oldest first) and the rest, which settle() takes one by one."""
    by_record: dict[str, list[str]] = defaultdict(list)
    for rev_id, (_rev, fields) in arrived.items():
        by_record[fields["record_id"]].append(rev_id)
    known = _existing(session, "records", "id", list(by_record)) | _existing(session, "revisions", "record_id", list(by_record), exclude=set(arrived))
    assessments = set(session.scalars(sa.text("SELECT id FROM assessments")))
    chains, others = {}, set()
    for record_id, rev_ids in by_record.items():
        chain = None if record_id in known else _chain(arrived, rev_ids)
        if chain is None or arrived[chain[-1]][1]["assessment_id"] not in assessments:
            others.add(record_id)
        else:
            chains[record_id] = chain
    return chains, others


def _chain(arrived: Arrived, rev_ids: list[str]) -> list[str] | None:
    """The revisions as one line from a root to a single head, or None when it is anything else."""
    parents = {r: arrived[r][1]["parents"] for r in rev_ids}
    heads = graph.heads(parents)
    if len(heads) != 1 or graph.missing_parents(parents):
        return None
    if any(arrived[r][1]["device_id"] == revision.AUTO_MERGE_DEVICE for r in rev_ids):
        return None  # a merge to check against its parents: settle() does that
    order, current = [], heads[0]
    while True:
        order.append(current)
        ps = parents[current]
        if not ps:
            break
        if len(ps) != 1:
            return None
        current = ps[0]
    return list(reversed(order)) if len(order) == len(rev_ids) else None


def create_records(session: Session, arrived: Arrived, chains: dict[str, list[str]], now: str) -> None:
    """Make each chain's head the draft of a new record, with its links, attachments and index entry."""
    cursor = sqlcipher.cursor_of(session)
    made: list[tuple[dict, domain.Content | None]] = []
    record_rows: list[tuple[Any, ...]] = []
    items: dict[str, domain.ItemContent] = {}
    for record_id, chain in chains.items():
        head = arrived[chain[-1]][1]
        if domain.is_item(head["kind"]):  # a judgement, rating or snapshot: no index entry, no links
            items[record_id] = item = domain.item_from_dict(head["kind"], head["content"])
            record_rows.append((
                record_id, head["assessment_id"], head["kind"], head["framework"], item_title(head["framework"], item),
                None, "", chain[-1], True, head["deleted"], arrived[chain[0]][1]["created_at"], now,
            ))  # fmt: skip
            continue
        content = None if head["deleted"] else domain.from_dict(head["kind"], head["content"])
        shown = content or domain.content_class(head["kind"])()
        record_rows.append((
            record_id, head["assessment_id"], head["kind"], head["framework"], domain.display_title(shown),
            domain.occurred_on(shown), " ".join(domain.flags(shown)), chain[-1], content is not None,
            head["deleted"], arrived[chain[0]][1]["created_at"], now,
        ))  # fmt: skip
        made.append((head, content))
    cursor.executemany(_INSERT_RECORD, record_rows)
    nums = _nums(session, list(chains))
    cursor.executemany(_INSERT_CONTENT, [
        (nums[h["record_id"]], canonical_json(domain.to_dict(c or domain.content_class(h["kind"])())).decode()) for h, c in made
    ] + [(nums[record_id], canonical_json(domain.item_to_dict(item)).decode()) for record_id, item in items.items()])  # fmt: skip
    cursor.executemany(_INSERT_FTS, [
        (nums[h["record_id"]], domain.display_title(c), search.searchable_text(c)) for h, c in made if c is not None
    ])  # fmt: skip
    live = [h for h, c in made if c is not None]
    cursor.executemany(_INSERT_LINK, [_link_row(h["record_id"], link, now) for h in live for link in h["links"]])
    attachments = [(h["record_id"], att) for h in live for att in h["attachments"]]
    cursor.executemany(_INSERT_BLOB, [(att["sha256"], att["size"]) for _r, att in attachments])
    cursor.executemany(_INSERT_ATTACHMENT, [
        (att["id"], record_id, att["name"], att["media_type"], att["size"], att["sha256"], now) for record_id, att in attachments
    ])  # fmt: skip


def _link_row(record_id: str, link: dict, now: str) -> tuple:
    p = link.get("passage") or {}
    return (link["id"], record_id, link["statement"], link["category"], link.get("comment", ""),
            p.get("field"), p.get("start"), p.get("end"), p.get("text"), now)  # fmt: skip


def _nums(session: Session, record_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(record_ids), _IN_CHUNK):
        part = record_ids[start : start + _IN_CHUNK]
        sql = f"SELECT id, num FROM records WHERE id IN ({','.join('?' * len(part))})"
        found.update(sqlcipher.cursor_of(session).execute(sql, part).fetchall())
    return found


def _existing(session: Session, table: str, column: str, values: list[str], *, exclude: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    """Which of values are in table.column (for revisions by record, not counting `exclude` ids)."""
    found: set[str] = set()
    for start in range(0, len(values), _IN_CHUNK):
        part = values[start : start + _IN_CHUNK]
        sql = f"SELECT {column}, id FROM {table} WHERE {column} IN ({','.join('?' * len(part))})"
        found.update(value for value, row_id in sqlcipher.cursor_of(session).execute(sql, part) if row_id not in exclude)
    return found
