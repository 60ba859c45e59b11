"""Search across a vault: words in any text field (FTS5), combined with filters.

Words match as prefixes so results come as the inspector types; they are quoted before they
reach FTS5, so punctuation in a query is never read as a search operator. Results come newest
record first; snippets are a separate call, made only for the rows on screen.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fieldapp import domain, sync_state
from fieldapp.context import VaultContext
from fieldapp.errors import ValidationError
from fieldapp.framework import available_frameworks
from fieldapp.rows import RecordSummary


SNIPPET_START, SNIPPET_END = "\x02", "\x03"  # control characters that typing never produces
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_EXPANSION = 24  # terms a prefix may expand to before FTS5's own prefix match is cheaper
SYNC_STATES = sync_state.STATES  # what a row's sync_state may be (see fieldapp.sync_state)


@dataclass(frozen=True)
class Query:
    text: str = ""
    assessment_id: str | None = None
    kinds: tuple[str, ...] = ()
    theme_id: str | None = None
    statement_ids: tuple[str, ...] = ()
    category_ids: tuple[str, ...] = ()
    date_from: str | None = None  # ISO dates, inclusive
    date_to: str | None = None
    sync_states: tuple[str, ...] = ()
    # The evidence's context (issue 15); each matches any of the values given.
    sources: tuple[str, ...] = ()  # domain.SOURCES keys
    sites: tuple[str, ...] = ()  # domain.SITES keys ("" not said)
    modes: tuple[str, ...] = ()  # domain.MODES keys: an interview's, a focus group's or any contact's
    place_ids: tuple[str, ...] = ()  # ids in the assessment's list of places
    organisation_ids: tuple[str, ...] = ()
    team: tuple[str, ...] = ()  # names of team members who took part
    samples: tuple[str, ...] = ()  # case-tracking sample names
    sample_stages: tuple[str, ...] = ()  # domain.SAMPLE_STAGES keys
    with_concern: bool = False  # only records a concern was raised from (issue 15)
    include_deleted: bool = False
    limit: int | None = 200
    offset: int = 0
    count: bool = False  # count every match (costly for common words) rather than just this page


@dataclass(frozen=True)
class Results:
    items: tuple[RecordSummary, ...]
    total: int | None  # None: there are more than this page, and they were not counted


EVIDENCE_IN = "(" + ", ".join(f"'{kind}'" for kind in domain.EVIDENCE_KINDS) + ")"  # items are never searched (docs/items.md)
_PENDING = sa.text(
    "SELECT r.num, r.kind, c.content FROM records r INDEXED BY ix_records_unindexed "
    f"JOIN record_content c ON c.num = r.num WHERE r.indexed = 0 AND r.deleted = 0 AND r.kind IN {EVIDENCE_IN}"
)
# FTS5 takes REPLACE on its rowid: one statement instead of a delete and an insert.
_INDEX = sa.text("INSERT OR REPLACE INTO record_fts(rowid, title, body) VALUES (:num, :title, :body)")
_MARK_INDEXED = sa.text("UPDATE records SET indexed = 1 WHERE num = :num")


def searchable_text(content: domain.Content) -> str:
    """The text FTS5 indexes: every free-text field, plus the labels of coded ones."""
    parts = list(domain.text_fields(content).values())
    if isinstance(content, domain.Observation):
        parts.append(domain.MEETING_TYPES[content.meeting_type])
    if isinstance(content, domain.Interview):
        parts.append(domain.INTERVIEWEE_ROLES[content.role])
    if isinstance(content, domain.Document):
        parts.append(domain.DOCUMENT_TYPES[content.document_type])
    return "\n".join(p for p in parts if p)


def index_record(session: Any, num: int, content: domain.Content) -> None:
    connection = session.connection()
    connection.execute(_INDEX, {"num": num, "title": domain.display_title(content), "body": searchable_text(content)})
    connection.execute(_MARK_INDEXED, {"num": num})


def index_pending(session: Any) -> int:
    """Index the drafts autosaved since the last search; every search and lock calls this first."""
    pending = session.connection().execute(_PENDING).all()
    for num, kind, text in pending:
        index_record(session, num, domain.from_dict(kind, json.loads(text)))
    return len(pending)


def fts_query(session: Any, text: str) -> str | None:
    """Every word must match, as a prefix: 'ICB chai' -> '("icb") AND ("chair" OR "chairs")'.

    A prefix is expanded to the exact terms in the index, because FTS5 answers exact terms
    lazily, newest first, but must merge a whole prefix's documents before returning any.
    Returns "" for no words, and None when some word matches nothing (so nothing can match).
    """
    parts = []
    for word in _WORD.findall(text):
        prefix = _fold(word)
        terms = [t for (t,) in session.connection().execute(_TERMS, {"low": prefix, "high": _after(prefix)})]
        if not terms:
            return None
        if len(terms) > MAX_EXPANSION:
            parts.append(f'"{prefix}"*')  # a very short prefix: let FTS5 do it
        else:
            parts.append("(" + " OR ".join(f'"{t}"' for t in terms) + ")")
    return " AND ".join(parts)


_TERMS = sa.text(
    f"SELECT term FROM record_fts_vocab WHERE term >= :low AND term < :high LIMIT {MAX_EXPANSION + 1}"
)


def _fold(word: str) -> str:
    """What the unicode61 tokenizer (remove_diacritics 2) makes of a word."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _after(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def run(context: VaultContext, query: Query) -> Results:
    """Newest record first: the order both FTS5 and the records index already hold, so SQLite
    stops after one page instead of ranking or sorting every match."""
    where, params = _conditions(query)
    with context.transaction("searching") as session:
        index_pending(session)
        params["linked"] = int(sync_state.is_linked(session))
        match = fts_query(session, query.text)
        if match is None:
            return Results((), 0)
        if match:
            source, key = "record_fts JOIN records r ON r.num = record_fts.rowid", "record_fts.rowid"
            where.append("record_fts MATCH :match")
            params["match"] = match
        else:
            source, key = "records r", "r.num"
        clause = " AND ".join(where) or "1"
        page = " LIMIT :limit OFFSET :offset" if query.limit is not None else ""
        params.update(limit=query.limit, offset=query.offset)
        sql = f"""
            WITH page AS (SELECT {key} AS num FROM {source} WHERE {clause} ORDER BY {key} DESC{page})
            SELECT r.id, r.assessment_id, r.kind, r.title, r.occurred_on, {sync_state.SQL}, r.updated_at, r.flags,
                   (SELECT group_concat(statement_id || ' ' || category_id, ' ') FROM links WHERE record_id = r.id)
            FROM page JOIN records r ON r.num = page.num ORDER BY r.num DESC"""
        rows = session.execute(sa.text(sql), params).all()
        total: int | None = query.offset + len(rows)
        if query.limit is not None and len(rows) == query.limit:
            total = None  # more than one page; counting every match is asked for explicitly
            if query.count:
                total = session.execute(sa.text(f"SELECT count(*) FROM {source} WHERE {clause}"), params).scalar_one()
    return Results(tuple(_summary(row) for row in rows), total)


def snippets(context: VaultContext, text: str, record_ids: list[str]) -> dict[str, str]:
    """Matched words in context for the given records (the rows on screen), marked with
    SNIPPET_START/SNIPPET_END. Costly per record, so asked for only what is shown."""
    if not record_ids:
        return {}
    marks = f"'{SNIPPET_START}', '{SNIPPET_END}'"
    with context.transaction("searching") as session:
        index_pending(session)
        match = fts_query(session, text)
        if not match:
            return {}
        params: dict[str, Any] = {"match": match}
        ids = _in("r.id", "id", tuple(record_ids), params)
        sql = sa.text(
            f"SELECT r.id, snippet(record_fts, 1, {marks}, '…', 12) FROM record_fts "
            f"JOIN records r ON r.num = record_fts.rowid WHERE record_fts MATCH :match AND {ids}"
        )
        return dict(session.execute(sql, params).tuples().all())


def _conditions(query: Query) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = [f"r.kind IN {EVIDENCE_IN}"]  # only evidence is listed: judgements and ratings are not records
    params: dict[str, Any] = {}
    if not query.include_deleted:
        where.append("r.deleted = 0")
    if query.assessment_id:
        where.append("r.assessment_id = :assessment_id")
        params["assessment_id"] = query.assessment_id
    if query.kinds:
        where.append(_in("r.kind", "kind", query.kinds, params))
    if query.sync_states:
        unknown = set(query.sync_states) - set(SYNC_STATES)
        if unknown:
            raise ValidationError(f"Unknown sync state(s): {', '.join(sorted(unknown))}.")
        where.append(_in(f"({sync_state.SQL})", "sync", query.sync_states, params))
    for bound, op, value in (("date_from", ">=", query.date_from), ("date_to", "<=", query.date_to)):
        if value:
            where.append(f"r.occurred_on {op} :{bound}")
            params[bound] = value
    if context := _context_conditions(query, params):
        # The context is in the draft's content, not the narrow records row: only rows that passed
        # the filters above are read, and a context filter is asked for rarely (docs/items.md).
        where.append(f"EXISTS (SELECT 1 FROM record_content c WHERE c.num = r.num AND {' AND '.join(context)})")
    if query.with_concern:
        where.append(_WITH_CONCERN)
    statements = set(query.statement_ids)
    if query.theme_id:
        in_theme = _statements_of_theme(query.theme_id)
        statements = statements & in_theme if statements else in_theme
    if query.statement_ids or query.theme_id or query.category_ids:
        link_where = ["l.record_id = r.id"]
        if query.statement_ids or query.theme_id:
            link_where.append(_in("l.statement_id", "st", tuple(sorted(statements)) or ("",), params))
        if query.category_ids:
            link_where.append(_in("l.category_id", "cat", query.category_ids, params))
        where.append(f"EXISTS (SELECT 1 FROM links l WHERE {' AND '.join(link_where)})")
    return where, params


# A concern names the record it was raised from in its content (item_kinds.ConcernContent.record_id).
_WITH_CONCERN = (
    "EXISTS (SELECT 1 FROM records k JOIN record_content kc ON kc.num = k.num "
    "WHERE k.kind = 'concern' AND k.deleted = 0 AND k.assessment_id = r.assessment_id "
    "AND json_extract(kc.content, '$.record_id') = r.id)"
)
# A key left out of stored content holds its default (domain.CONTEXT_FIELDS); only a document stores
# "held" as its default source, and it always stores its source.
_SOURCE = "coalesce(json_extract(c.content, '$.source'), 'collected')"
_SITE = "coalesce(json_extract(c.content, '$.site'), '')"
_STAGE = "coalesce(json_extract(c.content, '$.sample_stage'), '')"
_SAMPLE = "coalesce(json_extract(c.content, '$.sample'), '')"


def _context_conditions(query: Query, params: dict[str, Any]) -> list[str]:
    """SQL on the draft's content `c` for the context filters asked for; their keys checked first."""
    for values, allowed, what in (
        (query.sources, domain.SOURCES, "source"), (query.sites, domain.SITES, "site"),
        (query.modes, domain.MODES, "mode"), (query.sample_stages, domain.SAMPLE_STAGES, "sample stage"),
    ):  # fmt: skip
        if unknown := sorted(set(values) - set(allowed)):
            raise ValidationError(f"Unknown {what}(s) to filter by: {', '.join(map(repr, unknown))}.")
    found = []
    for column, prefix, values in ((_SOURCE, "src", query.sources), (_SITE, "site", query.sites),
                                   (_STAGE, "stage", query.sample_stages), (_SAMPLE, "sample", query.samples)):  # fmt: skip
        if values:
            found.append(_in(column, prefix, values, params))
    if query.modes:
        own = _in("coalesce(json_extract(c.content, '$.mode'), '')", "mode", query.modes, params)
        contact = _in("coalesce(json_extract(j.value, '$.mode'), '')", "cmode", query.modes, params)
        found.append(f"({own} OR EXISTS (SELECT 1 FROM json_each(c.content, '$.contacts') j WHERE {contact}))")
    for key, prefix, values in (("places", "place", query.place_ids), ("organisations", "org", query.organisation_ids),
                                ("team", "team", query.team)):  # fmt: skip
        if values:
            found.append(f"EXISTS (SELECT 1 FROM json_each(c.content, '$.{key}') j WHERE {_in('j.value', prefix, values, params)})")
    return found


def _in(column: str, prefix: str, values: tuple[str, ...], params: dict[str, Any]) -> str:
    names = []
    for i, value in enumerate(values):
        params[f"{prefix}{i}"] = value
        names.append(f":{prefix}{i}")
    return f"{column} IN ({', '.join(names)})"


def _statements_of_theme(theme_id: str) -> set[str]:
    # Records may be tagged against different framework versions: a theme means its statements in any.
    found: set[str] = set()
    for framework in available_frameworks():
        if any(theme.id == theme_id for theme in framework.themes):
            found.update(s.id for s in framework.statements_in(theme_id))
    if not found:
        raise ValidationError(f"Unknown theme {theme_id!r}.")
    return found


def _summary(row: Any) -> RecordSummary:
    rid, assessment_id, kind, title, occurred_on, state, updated_at, flags, tags = row
    pairs = (tags or "").split()
    return RecordSummary(
        id=rid,
        assessment_id=assessment_id,
        kind=kind,
        title=title,
        occurred_on=occurred_on,
        statement_ids=tuple(pairs[0::2]),
        category_ids=tuple(pairs[1::2]),
        sync_state=state,
        flags=tuple(flags.split()),
        updated_at=updated_at,
    )
