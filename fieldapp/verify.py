"""Walk the whole vault and report what does not hold, by record, without refusing the rest.

Pages are checked by their HMACs; revisions by hash, canonical form, parent chain and device
signature; attachments chunk by chunk and by SHA-256. Rows are fetched one at a time through
an index, so a damaged page costs only the rows on it.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from fieldapp.revisions import graph, revision
from fieldapp.storage import sqlcipher
from fieldapp.salvage import each_row
from fieldapp.context import VaultContext
from fieldapp.errors import FieldappError, IntegrityError
from fieldapp.rows import Problem, VerifyReport



def run(context: VaultContext, *, attachments: bool = True) -> VerifyReport:
    problems: list[Problem] = []
    with context.transaction("checking the vault") as session:
        connection = session.connection()
        for page in sqlcipher.damaged_pages(connection):
            problems.append(Problem("page", f"Database page {page} failed its integrity check.", file="vault.db"))
        if context.db_path.stat().st_size % sqlcipher.PAGE_SIZE:
            problems.append(Problem("page", "The database file ends part-way through a page (truncated).", file="vault.db"))
        devices = dict(_small_table(connection, "SELECT id, public_key FROM devices", "devices", problems))
        revs = dict(each_row(connection, "revisions", "seq", "id, record_id, parents, body, signature, device_id", problems))
        known = {row[0]: row[1] for row in revs.values()}
        by_id = {row[0]: row for row in revs.values()}
        graphs: dict[str, dict[str, list[str]]] = {}
        for row in revs.values():
            graphs.setdefault(row[1], {})[row[0]] = json.loads(row[2])
        kept = {record_id for (record_id,) in _small_table(connection, "SELECT id FROM records WHERE purged_at IS NOT NULL", "records", problems)}
        for row in revs.values():
            problems.extend(_check_revision(row, devices, known, by_id, graphs, kept))
        for _, (record_id, head) in each_row(connection, "records", "num", "id, head_revision_id", problems):
            if head is not None and known.get(head) != record_id:
                problems.append(Problem("head", "The record's latest revision is missing.", record_id=record_id, revision_id=head))
        blobs = _small_table(
            connection,
            "SELECT b.name, b.blob_id, b.sha256, group_concat(a.record_id, ' ') "
            "FROM blobs b LEFT JOIN attachments a ON a.sha256 = b.sha256 WHERE b.name IS NOT NULL GROUP BY b.sha256",
            "attachments",
            problems,
        )
    checked = 0
    if attachments:
        for name, blob_id, sha256, records in blobs:
            checked += 1
            try:
                context.blobs.verify(name, blob_id=blob_id, expected_sha256=sha256)
            except IntegrityError as exc:
                for record_id in (records or "").split() or [None]:
                    problems.append(Problem("attachment", str(exc), record_id=record_id, file=name))
    return VerifyReport(revisions_checked=len(revs), attachments_checked=checked, problems=tuple(problems))


def _small_table(connection: sa.Connection, sql: str, what: str, problems: list[Problem]) -> list[tuple[Any, ...]]:
    try:
        return [tuple(row) for row in connection.exec_driver_sql(sql).all()]
    except sa.exc.DBAPIError as exc:
        if not sqlcipher.is_damage(exc):
            raise
        problems.append(Problem("table", f"The {what} table sits on a damaged page and could not be checked.", file="vault.db"))
        return []


def _check_revision(
    row: tuple[Any, ...], devices: dict[str, bytes], known: dict[str, str], by_id: dict[str, tuple[Any, ...]],
    graphs: dict[str, dict[str, list[str]]], kept: set[str],
) -> list[Problem]:
    rev_id, record_id, parents_json, body, signature, device_id = row
    found: list[Problem] = []

    def problem(message: str) -> None:
        found.append(Problem("revision", message, record_id=record_id, revision_id=rev_id))

    if not body:
        # Retention left it on the service (fieldapp.replication.retention): checked again when it is fetched back.
        if record_id not in kept:
            problem(f"Revision {rev_id[:12]}…'s content is missing.")
        return found

    public_key = devices.get(device_id)
    if public_key is None and device_id != revision.AUTO_MERGE_DEVICE:
        problem(f"Revision {rev_id[:12]}… was signed by an unknown device.")
        return found
    try:
        signed = revision.SignedRevision(rev_id, body, signature)
        if public_key is None:  # an auto-merge: it holds if it is exactly the merge of its parents
            graph.check_auto_merge(signed, graphs[record_id], lambda rid: _signed(by_id, rid))
        else:
            revision.check(signed, public_key)
        fields = revision.parse_body(body)
    except FieldappError as exc:
        problem(str(exc))
        return found
    if fields["record_id"] != record_id or fields["device_id"] != device_id:
        problem(f"Revision {rev_id[:12]}… is filed under the wrong record or device.")
    if sorted(fields["parents"]) != sorted(json.loads(parents_json)):
        problem(f"Revision {rev_id[:12]}…'s parents disagree with its signed body.")
    for parent in fields["parents"]:
        if known.get(parent) != record_id:
            problem(f"Revision {rev_id[:12]}… names a parent {parent[:12]}… that is missing (broken chain).")
    return found


def _signed(by_id: dict[str, tuple[Any, ...]], rev_id: str) -> revision.SignedRevision:
    row = by_id.get(rev_id)
    if row is None:
        raise IntegrityError(f"Revision {rev_id[:12]}… is missing (broken chain).")
    return revision.SignedRevision(row[0], row[3], row[4])
