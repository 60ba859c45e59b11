"""Reading what can still be read from a damaged vault, and exporting it.

Rows are listed through a narrow index and fetched one at a time, so a page that fails its
HMAC costs only the rows on it. The export is plaintext JSON at a place the inspector chose:
an explicit act, for handing evidence over when the vault itself cannot be trusted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from fieldapp import domain
from fieldapp.records import Records
from fieldapp.storage import sqlcipher
from fieldapp.context import VaultContext
from fieldapp.errors import FieldappError, StorageError, VaultDamaged
from fieldapp.storage.fsutil import atomic_write
from fieldapp.rows import Problem
from fieldapp.storage.models import Record


EXPORT_FORMAT = "fieldapp-export"


@dataclass(frozen=True)
class ExportReport:
    path: Path
    records: int
    unreadable: tuple[Problem, ...]


def each_row(
    connection: sa.Connection, table: str, key: str, columns: str, problems: list[Problem]
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Rows by primary key one at a time; an unreadable row becomes a Problem, not an abort."""
    for k in sorted(_list_keys(connection, table, key, problems)):
        try:
            row = connection.exec_driver_sql(f"SELECT {columns} FROM {table} WHERE {key} = ?", (k,)).first()
        except sa.exc.DBAPIError as exc:
            if not sqlcipher.is_damage(exc):
                raise
            problems.append(Problem("row", f"A row of {table} sits on a damaged page and cannot be read.", file="vault.db"))
            continue
        if row is not None:
            yield k, tuple(row)


def _list_keys(connection: sa.Connection, table: str, key: str, problems: list[Problem]) -> set[Any]:
    """Every key that any index, read from either end, can still reach past a damaged page."""
    keys: set[Any] = set()
    # Every full (not partial) index of a table holds every rowid: each is another way past damage.
    indexes = [name for _, name, _, _, partial in connection.exec_driver_sql(f"PRAGMA index_list({table})") if not partial]
    for source in (*(f'INDEXED BY "{index}"' for index in indexes), "NOT INDEXED"):
        for direction in ("ASC", "DESC"):
            try:
                for (k,) in connection.exec_driver_sql(f"SELECT {key} FROM {table} {source} ORDER BY {key} {direction}"):
                    keys.add(k)
                return keys  # one complete listing is enough
            except sa.exc.DBAPIError as exc:
                if not sqlcipher.is_damage(exc):
                    raise
    problems.append(Problem("table", f"Part of the {table} table is damaged; rows there could not be listed.", file="vault.db"))
    return keys


def export(context: VaultContext, dest: Path) -> ExportReport:
    """Write every readable record (content, tags, attachment references) to dest as JSON."""
    problems: list[Problem] = []
    with context.transaction("reading records to export") as session:
        record_ids = [row[0] for _, row in each_row(session.connection(), "records", "num", "id", problems)]
        try:  # judgements, ratings and snapshots are not evidence records: this export is of evidence
            items = set(session.scalars(sa.select(Record.id).where(Record.kind.in_(domain.ITEM_KINDS))))
        except sa.exc.DBAPIError:
            items = set()
        record_ids = [r for r in record_ids if r not in items]
    exported = []
    for record_id in record_ids:
        try:
            row = Records(context).get(record_id, include_deleted=True)
        except (VaultDamaged, FieldappError) as exc:
            problems.append(Problem("record", str(exc), record_id=record_id))
            continue
        exported.append(
            {
                "id": row.id,
                "assessment_id": row.assessment_id,
                "kind": row.kind,
                "framework": row.framework_key,
                "deleted": row.deleted,
                "content": domain.to_dict(row.content),
                "links": [
                    {"statement": link.statement_id, "category": link.category_id, "comment": link.comment,
                     "passage": link.passage.text if link.passage else None}
                    for link in row.links
                ],  # fmt: skip
                "attachments": [{"name": a.name, "size": a.size, "sha256": a.sha256} for a in row.attachments],
            }
        )
    document = {"format": EXPORT_FORMAT, "version": 1, "exported_at": context.now(), "records": exported,
                "unreadable": [p.message for p in problems]}  # fmt: skip
    try:
        atomic_write(dest, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError as exc:
        raise StorageError(f"Could not write the export to {dest}: {exc.strerror or exc}.", exc.errno) from exc
    return ExportReport(dest, len(exported), tuple(problems))
