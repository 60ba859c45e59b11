"""A deterministic three-way merge of two revision bodies of one record against their common parent.

The merge is a pure function of its three inputs, so every device writes the same merge revision,
byte for byte; only true collisions (one thing edited both ways) are left to the inspector.
"""

from __future__ import annotations

import copy
import enum
from collections import Counter
from collections.abc import Set
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, NamedTuple

from fieldapp import domain
from fieldapp.revisions.canonical import canonical_json
from fieldapp.errors import ValidationError
from fieldapp.revisions.revision import Snapshot

Body = dict[str, Any]
_SAME_RECORD = ("record_id", "assessment_id", "kind")


class _Absent(enum.Enum):
    MISSING = "missing"

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Absent.MISSING  # a field, contact, link or attachment that one body does not have
_UNSETTLED = object()  # both sides changed a value differently from base


@dataclass(frozen=True)
class Collision:
    """One thing edited both ways; the inspector chooses. A side without it holds MISSING."""

    path: str
    base: Any
    left: Any
    right: Any


@dataclass(frozen=True)
class MergeResult:
    """The merged snapshot when the two sides merged cleanly, else the collisions, sorted by path."""

    snapshot: Snapshot | None
    collisions: tuple[Collision, ...]

    @property
    def clean(self) -> bool:
        return not self.collisions


def merge_bodies(base: Body | None, left: Body, right: Body) -> MergeResult:
    """Merge two heads of a record against their common ancestor's body (None: no ancestor)."""
    _check_bodies(base, left, right)
    # Private copies: the result may share values with them, never with the caller's dicts.
    base, left, right = copy.deepcopy((base or {}, *_ordered(left, right)))
    found: list[Collision] = []
    framework = _three_way("framework", _get(base, "framework"), left["framework"], right["framework"], found)
    deleted = _merge_deleted(base, left, right, found)
    content: dict[str, Any] = {}
    links: list[dict[str, Any]] = []
    attachments: list[dict[str, Any]] = []
    if not deleted:
        content = _merge_content(left["kind"], _get(base, "content", {}), left["content"], right["content"], found)
        links = _merge_by_id("links", _get(base, "links", []), left["links"], right["links"], found)
        attachments = _merge_by_id("attachments", _get(base, "attachments", []), left["attachments"], right["attachments"], found)
        if not found:
            _check_content(left["kind"], base, left, right, content, found)
    if found:
        return MergeResult(None, tuple(sorted(found, key=lambda c: c.path)))
    snapshot = Snapshot(
        record_id=left["record_id"],
        assessment_id=left["assessment_id"],
        kind=left["kind"],
        framework_key=framework,
        deleted=deleted,
        content=content,
        links=tuple(links),
        attachments=tuple(attachments),
    )
    return MergeResult(snapshot, ())


def _check_bodies(base: Body | None, left: Body, right: Body) -> None:
    """Refuse bodies of different records, or too malformed to merge by id."""
    for key in _SAME_RECORD:
        values = {repr(body.get(key)) for body in (base, left, right) if body is not None}
        if len(values) > 1:
            raise ValidationError(f"These revisions are not of one record: their {key} differs.")
    for body in (left, right) if base is None else (base, left, right):
        if not isinstance(body.get("content"), dict):
            raise ValidationError("A revision's content must be an object.")
        for name in ("links", "attachments"):
            if _by_id(body.get(name)) is None:
                raise ValidationError(f"A revision's {name} must be objects with distinct ids.")


def _ordered(left: Body, right: Body) -> tuple[Body, Body]:
    """The two heads in an order every device agrees on, so the merge is symmetric."""
    return (left, right) if canonical_json(left) <= canonical_json(right) else (right, left)


def _get(body: dict[str, Any], key: str, default: Any = MISSING) -> Any:
    return body.get(key, default)


def _same(a: Any, b: Any) -> bool:
    """Equal as the revision hash sees them (so 1 and true differ, as do a key absent and null)."""
    if a is MISSING or b is MISSING:
        return a is b
    return a is b or canonical_json(a) == canonical_json(b)


def _settled(base: Any, left: Any, right: Any) -> Any:
    """The 3-way answer when at most one side changed (or both alike), else _UNSETTLED."""
    if _same(left, right) or _same(right, base):
        return left
    if _same(left, base):
        return right
    return _UNSETTLED


def _three_way(path: str, base: Any, left: Any, right: Any, found: list[Collision]) -> Any:
    """Scalar 3-way merge; on a collision, record it and return left as a placeholder."""
    merged = _settled(base, left, right)
    if merged is _UNSETTLED:
        found.append(Collision(path, base, left, right))
        return left
    return merged


def _merge_deleted(base: Body, left: Body, right: Body, found: list[Collision]) -> bool:
    """The deleted flag, 3-way; True means a tombstone (or a collision that makes merging content moot)."""
    flags = (_get(base, "deleted"), left["deleted"], right["deleted"])
    deleted = _settled(*flags)
    if deleted is True and left["deleted"] != right["deleted"]:
        keeper = right if left["deleted"] else left  # the side that did not delete
        if not _unchanged(base, keeper):
            # A delete against an edit is the inspector's call: never drop the edit unseen.
            found.append(Collision("deleted", *flags))
    elif deleted is _UNSETTLED:
        found.append(Collision("deleted", *flags))
        return True
    return bool(deleted)


def _unchanged(base: Body, keeper: Body) -> bool:
    """Whether the side that kept the record left its content, links and attachments as in base."""
    pairs: tuple[tuple[str, object], ...] = (("content", {}), ("links", []), ("attachments", []))
    return all(_same(_get(base, key, empty), keeper[key]) for key, empty in pairs)


def _merge_content(
    kind: str, base: dict[str, Any], left: dict[str, Any], right: dict[str, Any], found: list[Collision]
) -> dict[str, Any]:
    """The kind's fields merged one by one; a field missing from the merge stays missing."""
    merged = {}
    merge_field = _FIELD_MERGES.get(kind, _merge_field)
    for key in sorted(base.keys() | left.keys() | right.keys()):
        value = merge_field(key, _get(base, key), _get(left, key), _get(right, key), found)
        if value is not MISSING:
            merged[key] = value
    return merged


# Issue 15's lists of names and ids (who took part, places, organisations, why face to face) merge
# as sets, as tags do. A list left out of a content dict is empty (domain.CONTEXT_FIELDS), and an
# empty merge is left out again, so the merged content is what domain.to_dict would write.
_SET_FIELDS = frozenset({"team", "places", "organisations", "face_to_face_reasons"})


def _merge_field(key: str, base: Any, left: Any, right: Any, found: list[Collision]) -> Any:
    """One content field: a scalar 3-way merge, except the fields merged by their structure."""
    merged = _settled(base, left, right)
    if merged is not _UNSETTLED:
        return merged
    if key in _SET_FIELDS and (sides := _as_sets(base, left, right)) is not None:
        return _merge_set(*sides) or MISSING
    if key == "notes" and _all_of(str, _present(base, ""), left, right):
        return _merge_notes(_present(base, ""), left, right, found)
    if key == "contacts" and all(_by_id(v) is not None for v in (_present(base, []), left, right)):
        return _merge_contacts(_present(base, []), left, right, found)
    if key == "groups_represented" and _all_of(list, _present(base, []), left, right):
        if all(isinstance(g, str) for g in [*_present(base, []), *left, *right]):
            return _merge_ordered_set(_present(base, []), left, right)
    found.append(Collision(f"content.{key}", base, left, right))
    return left


def _merge_judgement_field(key: str, base: Any, left: Any, right: Any, found: list[Collision]) -> Any:
    """A judgement's field (docs/items.md): scores key by key, the rationale line by line as notes,
    key evidence as a set, who scored as a set of names; status, who agreed and the statement are scalars."""
    merged = _settled(base, left, right)
    if merged is not _UNSETTLED:
        return merged
    if key == "scores" and _all_of(dict, _present(base, {}), left, right):
        return _merge_keyed(f"content.{key}", _present(base, {}), left, right, found)
    if key in ("strengths", "improvements") and _all_of(str, _present(base, ""), left, right):
        return _merge_notes(_present(base, ""), left, right, found, path=f"content.{key}")
    if key == "key_evidence" and _all_of(list, _present(base, []), left, right):
        return _merge_set(_present(base, []), left, right)
    if key == "scored_by" and _all_of(str, left, right):
        # Two inspectors scoring one statement (other categories, or alike) both scored it: both
        # names, in one order every device agrees on. What collides is the scores, never who.
        return ", ".join(sorted({n.strip() for side in (left, right) for n in side.split(",") if n.strip()}))
    found.append(Collision(f"content.{key}", base, left, right))
    return left


# -- the report's kinds (issue 14) -----------------------------------------------------------------


def _merge_report_text_field(key: str, base: Any, left: Any, right: Any, found: list[Collision]) -> Any:
    """The report's texts (docs/items.md): the summary and the progress commentary line by line as
    notes; each theme's narrative likewise, theme by theme; the chosen quotations as an ordered list
    (what either side added or removed, in the order of the side that reordered them)."""
    merged = _settled(base, left, right)
    if merged is not _UNSETTLED:
        return merged
    if key in ("summary", "progress") and _all_of(str, _present(base, ""), left, right):
        return _merge_notes(_present(base, ""), left, right, found, path=f"content.{key}")
    if key in ("strengths", "improvements") and _all_of(dict, _present(base, {}), left, right):
        b, lt, rt = _present(base, {}), left, right
        texts = {}
        for theme in sorted(b.keys() | lt.keys() | rt.keys()):
            was, ours, theirs = (side.get(theme, "") for side in (b, lt, rt))
            if not _all_of(str, was, ours, theirs):
                found.append(Collision(f"content.{key}.{theme}", was, ours, theirs))
                continue
            text = _merge_notes(was, ours, theirs, found, path=f"content.{key}.{theme}")
            if text:
                texts[theme] = text
        return texts
    if key == "quotations" and _all_of(list, _present(base, []), left, right):
        return _merge_ordered_values(_present(base, []), left, right)
    found.append(Collision(f"content.{key}", base, left, right))
    return left


def _merge_response_field(key: str, base: Any, left: Any, right: Any, found: list[Collision]) -> Any:
    """A factual accuracy response: what was said, the change made and the reason line by line as
    notes; the draft, paragraph, organisation and decision are scalars (two decisions collide)."""
    merged = _settled(base, left, right)
    if merged is not _UNSETTLED:
        return merged
    if key in ("said", "change", "reason") and _all_of(str, _present(base, ""), left, right):
        return _merge_notes(_present(base, ""), left, right, found, path=f"content.{key}")
    found.append(Collision(f"content.{key}", base, left, right))
    return left


def _merge_ordered_values(base: list[Any], left: list[Any], right: list[Any]) -> list[Any]:
    """JSON values as an ordered set (_merge_ordered_set), each known by its canonical bytes."""
    by_key = {canonical_json(v).decode(): v for side in (base, left, right) for v in side}
    keys = [[canonical_json(v).decode() for v in side] for side in (base, left, right)]
    return [by_key[k] for k in _merge_ordered_set(*keys)]


# -- end of the report's kinds --------------------------------------------------------------------


def _merge_concern_field(key: str, base: Any, left: Any, right: Any, found: list[Collision]) -> Any:
    """A concern's fields merge as a record's do (docs/items.md): what was heard and who else should
    know line by line as notes, the statements it touches as a set; its kind, urgency, passage and who
    raised it are scalars (two urgencies collide and go to the team)."""
    merged = _settled(base, left, right)
    if merged is not _UNSETTLED:
        return merged
    if key in ("heard", "tell") and _all_of(str, _present(base, ""), left, right):
        return _merge_notes(_present(base, ""), left, right, found, path=f"content.{key}")
    if key == "statements" and _all_of(list, _present(base, []), left, right):
        return sorted(_merge_set(_present(base, []), left, right))
    found.append(Collision(f"content.{key}", base, left, right))
    return left


def _merge_keyed(path: str, base: dict[str, Any], left: dict[str, Any], right: dict[str, Any], found: list[Collision]) -> dict[str, Any]:
    """A map merged key by key, each value whole: two different scores for one category collide."""
    merged = {}
    for key in sorted(base.keys() | left.keys() | right.keys()):
        value = _three_way(f"{path}.{key}", _get(base, key), _get(left, key), _get(right, key), found)
        if value is not MISSING:
            merged[key] = value
    return merged


def _merge_set(base: list[Any], left: list[Any], right: list[Any]) -> list[Any]:
    """Items as a set (as tags are): what either side added, less what either side removed; sorted."""
    key = lambda item: canonical_json(item)  # noqa: E731 - items are JSON values; their bytes order them
    b, lt, rt = ({key(i): i for i in side} for side in (base, left, right))
    kept = (lt.keys() & rt.keys()) | (lt.keys() - b.keys()) | (rt.keys() - b.keys())
    return [({**lt, **rt})[k] for k in sorted(kept)]


def _as_sets(base: Any, left: Any, right: Any) -> tuple[list[Any], list[Any], list[Any]] | None:
    """Three sides of a set field, an absent side as empty; None unless each is a list of text."""
    sides = tuple(_present(side, []) for side in (base, left, right))
    if not all(isinstance(side, list) and all(isinstance(v, str) for v in side) for side in sides):
        return None
    return sides[0], sides[1], sides[2]


def _present(value: Any, empty: Any) -> Any:
    """A base without the field merges as if it held the empty value (an empty record)."""
    return empty if value is MISSING else value


def _all_of(kind: type, *values: Any) -> bool:
    return all(isinstance(v, kind) for v in values)


def _by_id(items: Any) -> dict[str, dict[str, Any]] | None:
    """Items keyed by id in their order; None unless a list of objects with distinct text ids."""
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        return None
    keyed = {item["id"]: item for item in items}
    return keyed if len(keyed) == len(items) else None


def _merge_by_id(name: str, base: list[Any], left: list[Any], right: list[Any], found: list[Collision]) -> list[dict[str, Any]]:
    """Links or attachments as a set keyed by id: each item merged whole, the result sorted by id."""
    b, lt, rt = _by_id(base) or {}, _by_id(left) or {}, _by_id(right) or {}
    merged = []
    for item_id in sorted(b.keys() | lt.keys() | rt.keys()):
        item = _three_way(f"{name}.{item_id}", b.get(item_id, MISSING), lt.get(item_id, MISSING), rt.get(item_id, MISSING), found)
        if item is not MISSING:
            merged.append(item)
    return merged


def _merge_contacts(base: list[Any], left: list[Any], right: list[Any], found: list[Collision]) -> list[dict[str, Any]]:
    """A case timeline merged contact by contact (by id), then put in order."""
    b, lt, rt = _by_id(base) or {}, _by_id(left) or {}, _by_id(right) or {}
    merged = {}
    for contact_id in sorted(b.keys() | lt.keys() | rt.keys()):
        sides = (b.get(contact_id, MISSING), lt.get(contact_id, MISSING), rt.get(contact_id, MISSING))
        contact = _merge_contact(contact_id, *sides, found)
        if contact is not MISSING:
            merged[contact_id] = contact
    order = _contact_order(list(b), list(lt), list(rt), merged.keys(), found)
    return [merged[contact_id] for contact_id in order]


def _merge_contact(contact_id: str, base: Any, left: Any, right: Any, found: list[Collision]) -> Any:
    """One contact (MISSING where absent or deleted): whole if one side changed it, else field by field."""
    merged = _settled(base, left, right)
    if merged is not _UNSETTLED:
        return merged
    if left is MISSING or right is MISSING:
        found.append(Collision(f"content.contacts.{contact_id}", base, left, right))  # deleted against edited
        return MISSING
    fields = {} if base is MISSING else base
    contact = {}
    for name in sorted(fields.keys() | left.keys() | right.keys()):
        path = f"content.contacts.{contact_id}.{name}"
        sides = (_get(fields, name), _get(left, name), _get(right, name))
        if name in _SET_FIELDS and _settled(*sides) is _UNSETTLED and (sets := _as_sets(*sides)) is not None:
            value = _merge_set(*sets) or MISSING
        else:
            value = _three_way(path, *sides, found)
        if value is not MISSING:
            contact[name] = value
    return contact


def _contact_order(base: list[str], left: list[str], right: list[str], kept: Set[str], found: list[Collision]) -> list[str]:
    """Surviving contacts in the order of the side that reordered them, then each side's new ones."""
    old = set(base)
    order = _pick_order(*([i for i in ids if i in kept and i in old] for ids in (base, left, right)))
    if order is None:
        found.append(Collision("content.contacts.order", base, left, right))
        order = []
    new_left = [i for i in left if i in kept and i not in old]
    return order + new_left + [i for i in right if i in kept and i not in old and i not in new_left]


def _pick_order(base: list[str], left: list[str], right: list[str]) -> list[str] | None:
    """The one side's order that differs from base (either if they agree); None if both differ."""
    if left == base:
        return right
    if right in (base, left):
        return left
    return None


def _merge_ordered_set(base: list[str], left: list[str], right: list[str]) -> list[str]:
    """Removals and additions from either side; left's order, then right's additions.

    Should only right have reordered the items both kept, right's order leads instead, so that a
    reorder on either side survives the merge.
    """
    old = set(base)
    kept = set(left) & set(right) | (set(left) - old) | (set(right) - old)
    base_order, left_order, right_order = ([g for g in dict.fromkeys(ids) if g in kept] for ids in (base, left, right))
    first, then = left_order, right_order
    if [g for g in left_order if g in old] == base_order and [g for g in right_order if g in old] != base_order:
        first, then = right_order, left_order
    return first + [g for g in then if g not in first]


class _Lines(NamedTuple):
    lines: list[str]
    final_newline: bool


class _Hunk(NamedTuple):
    start: int  # base lines [start, end) were replaced by lines
    end: int
    side: int  # 0 left, 1 right
    lines: list[str]


def _merge_notes(base: str, left: str, right: str, found: list[Collision], *, path: str = "content.notes") -> str:
    """Notes merged line by line (diff3); overlapping edits of the same base lines collide."""
    b, lt, rt = _split(base), _split(left), _split(right)
    lines = _diff3(b.lines, lt.lines, rt.lines)
    if lines is None:
        found.append(Collision(path, base, left, right))
        return left
    # A final newline is a separate yes/no, so appending after "…\n" and after "…" align alike.
    final_newline = _settled(b.final_newline, lt.final_newline, rt.final_newline)
    return "\n".join(lines) + ("\n" if final_newline and lines else "")


def _split(text: str) -> _Lines:
    """Lines without their newlines; no lines at all for empty notes."""
    if not text:
        return _Lines([], False)
    lines = text.split("\n")
    final_newline = text.endswith("\n")
    return _Lines(lines[:-1] if final_newline else lines, final_newline)


# Aligning lines costs about the square of the lines that differ (difflib), and a service and
# every laptop of the team run each merge: beyond this many changed lines (both sides of one
# alignment together, after the common start and end are set aside) the notes are a collision
# for the inspector to merge by hand, never minutes of work. Worst case here: ~15 ms.
MAX_ALIGNED_LINES = 4000


class _TooCostly(Exception):
    pass


def _diff3(base: list[str], left: list[str], right: list[str]) -> list[str] | None:
    """Both sides' changes applied to base, or None where they overlap and disagree (or differ
    in more lines than a merge aligns)."""
    try:
        hunks = sorted(_hunks(base, left, 0) + _hunks(base, right, 1))
    except _TooCostly:
        return None
    merged: list[str] = []
    at = 0
    for start, end, group in _groups(hunks):
        chunk = _resolve(base, start, end, group)
        if chunk is None:
            return None
        merged += base[at:start] + chunk
        at = end
    return merged + base[at:]


def _hunks(base: list[str], other: list[str], side: int) -> list[_Hunk]:
    # The lines both start and end with are set aside first: the usual edit (lines added at the
    # end, a typo fixed) then aligns a handful of lines however long the notes are.
    same = min(len(base), len(other))
    head = 0
    while head < same and base[head] == other[head]:
        head += 1
    tail = 0
    while tail < same - head and base[-1 - tail] == other[-1 - tail]:
        tail += 1
    base_mid, other_mid = base[head : len(base) - tail], other[head : len(other) - tail]
    if len(base_mid) + len(other_mid) > MAX_ALIGNED_LINES:
        raise _TooCostly
    # autojunk stays on: without it a long transcript with many blank lines takes seconds to align.
    opcodes = SequenceMatcher(None, base_mid, other_mid).get_opcodes()
    return [_Hunk(head + i1, head + i2, side, other_mid[j1:j2]) for tag, i1, i2, j1, j2 in opcodes if tag != "equal"]


def _groups(hunks: list[_Hunk]) -> list[tuple[int, int, list[_Hunk]]]:
    """Hunks (sorted by base position) gathered into runs that touch the same base lines."""
    groups: list[tuple[int, int, list[_Hunk]]] = []
    for hunk in hunks:
        if groups and _touches(groups[-1][0], groups[-1][1], hunk):
            start, end, members = groups[-1]
            groups[-1] = (start, max(end, hunk.end), [*members, hunk])
        else:
            groups.append((hunk.start, hunk.end, [hunk]))
    return groups


def _touches(start: int, end: int, hunk: _Hunk) -> bool:
    """Whether a hunk shares base lines with a run: an insertion touches only what it lands inside.

    Two insertions at one place touch (their order needs a rule); an insertion at the edge of a
    changed range does not, since where it goes is plain.
    """
    if start == end:
        return hunk.start == hunk.end == start
    if hunk.start == hunk.end:
        return start < hunk.start < end
    return hunk.start < end


def _resolve(base: list[str], start: int, end: int, group: list[_Hunk]) -> list[str] | None:
    """What base lines [start, end) become under both sides' hunks there; None if they disagree."""
    left = _apply(base, start, end, [h for h in group if h.side == 0])
    right = _apply(base, start, end, [h for h in group if h.side == 1])
    original = base[start:end]
    if left == right or right == original:
        return left
    if left == original:
        return right
    if start == end:  # both only inserted here: left's lines, then right's not already there
        return left + _without(right, left)
    return None


def _apply(base: list[str], start: int, end: int, hunks: list[_Hunk]) -> list[str]:
    """Base lines [start, end) with one side's hunks in that range applied."""
    lines: list[str] = []
    at = start
    for hunk in hunks:
        lines += base[at : hunk.start] + hunk.lines
        at = hunk.end
    return lines + base[at:end]


def _without(lines: list[str], already: list[str]) -> list[str]:
    """lines, less one occurrence of each line already present (the same note added on both sides)."""
    unused = Counter(already)
    kept = []
    for line in lines:
        if unused[line]:
            unused[line] -= 1
        else:
            kept.append(line)
    return kept


_FIELD_MERGES = {
    domain.JUDGEMENT: _merge_judgement_field,
    domain.REPORT_TEXT: _merge_report_text_field,
    domain.FAC_RESPONSE: _merge_response_field,
    domain.CONCERN: _merge_concern_field,
}


def _check_content(kind: str, base: Body, left: Body, right: Body, content: dict[str, Any], found: list[Collision]) -> None:
    try:
        domain.check_content(kind, content)
    except ValidationError:
        # e.g. two valid halves that make an invalid whole: the inspector decides, nothing raises.
        found.append(Collision("content", _get(base, "content", {}), left["content"], right["content"]))


def rebase_edit(kind: str, base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """An editor's unsaved content (mine), moved onto a draft a sync changed (theirs) since the
    editor last saved (base); all three are content dicts of one kind (a domain.KINDS).

    Merged as merge_bodies merges (fields, contacts, quick notes line by line); where one field was
    changed both ways, the inspector's own words win here (the colleague's revision stays in the
    history), and the field names are returned so the editor can say so.
    """
    bodies = [{"record_id": "r", "assessment_id": "a", "kind": kind, "framework": "f", "deleted": False,
               "content": content, "links": [], "attachments": []} for content in (base, mine, theirs)]  # fmt: skip
    result = merge_bodies(*bodies)
    if result.snapshot is not None:
        return dict(result.snapshot.content), ()
    merged, kept_mine = {}, []
    for key in sorted(set(base) | set(mine) | set(theirs)):
        b, m, t = base.get(key, MISSING), mine.get(key, MISSING), theirs.get(key, MISSING)
        if _same(m, t) or _same(b, t):
            value = m
        elif _same(b, m):
            value = t
        else:
            value = m
            kept_mine.append(key)
        if value is not MISSING:
            merged[key] = value
    return merged, tuple(kept_mine)
