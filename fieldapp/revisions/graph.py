"""A record's revisions as a graph: heads, the merge base of two revisions, and auto-merges.

An auto-merge revision is a pure function of its two parents and their merge base, so every
device (and the service) computes the same bytes and the same id, and checks one by recomputing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from fieldapp.revisions import revision
from fieldapp.errors import IntegrityError
from fieldapp.revisions.merge import Collision, merge_bodies

Parents = Mapping[str, Sequence[str]]  # revision id -> its parents' ids


def heads(parents: Parents) -> list[str]:
    """Revisions no other revision names as a parent, sorted by id (a deterministic order)."""
    named = {p for ps in parents.values() for p in ps}
    return sorted(set(parents) - named)


def missing_parents(parents: Parents) -> set[str]:
    return {p for ps in parents.values() for p in ps if p not in parents}


def ancestors(parents: Parents, rev_id: str) -> set[str]:
    """rev_id and every revision it descends from (that is present)."""
    seen, todo = set(), [rev_id]
    while todo:
        current = todo.pop()
        if current in seen or current not in parents:
            continue
        seen.add(current)
        todo.extend(parents[current])
    return seen


def merge_base(parents: Parents, a: str, b: str) -> str | None:
    """The nearest common ancestor of a and b; of several equally near, their own merge base."""
    common = ancestors(parents, a) & ancestors(parents, b)
    if not common:
        return None
    # Drop every common ancestor that is itself an ancestor of another one.
    below = set().union(*(ancestors(parents, c) - {c} for c in common))
    nearest = sorted(common - below)
    # Several are a criss-cross: the same heads merged twice, say one conflict resolved one way
    # on one laptop and another way on another. Either as the base would let one resolution
    # pass as unchanged and the other win in silence; from where both began they collide.
    base: str | None = nearest[0]
    for other in nearest[1:]:
        base = merge_base(parents, base, other) if base is not None else None
    return base


def auto_merge(
    base: revision.SignedRevision | None, left: revision.SignedRevision, right: revision.SignedRevision
) -> revision.SignedRevision | tuple[Collision, ...]:
    """The merge revision of two heads, or the collisions that need the inspector."""
    lf, rf = left.fields(), right.fields()
    result = merge_bodies(base.fields() if base else None, lf, rf)
    if result.collisions or result.snapshot is None:
        return result.collisions
    body = revision.build_body(
        result.snapshot,
        parents=(left.id, right.id),
        device_id=revision.AUTO_MERGE_DEVICE,
        created_at=max(lf["created_at"], rf["created_at"]),
    )
    return revision.SignedRevision(revision.revision_id(body), body, b"")


def check_auto_merge(rev: revision.SignedRevision, parents: Parents, load: Callable[[str], revision.SignedRevision]) -> None:
    """Raise IntegrityError unless rev is exactly the auto-merge of its two parents."""
    fields = rev.fields()
    if fields["device_id"] != revision.AUTO_MERGE_DEVICE or rev.signature:
        raise IntegrityError(f"Revision {rev.id[:12]}… is not an unsigned auto-merge.")
    if revision.revision_id(rev.body) != rev.id:
        raise IntegrityError(f"Revision {rev.id[:12]}… does not match its content (altered).")
    if len(fields["parents"]) != 2:
        raise IntegrityError(f"Auto-merge {rev.id[:12]}… must have exactly two parents.")
    left_id, right_id = fields["parents"]
    base_id = merge_base(parents, left_id, right_id)
    expected = auto_merge(load(base_id) if base_id else None, load(left_id), load(right_id))
    if not isinstance(expected, revision.SignedRevision) or expected.body != rev.body:
        raise IntegrityError(f"Auto-merge {rev.id[:12]}… is not the merge of its parents (altered).")


def fold_heads(
    head_ids: Iterable[str], parents: dict[str, list[str]], load: Callable[[str], revision.SignedRevision]
) -> tuple[list[revision.SignedRevision], tuple[Collision, ...]]:
    """Merge every head into one, pairwise in id order; returns the new merge revisions made, and
    the collisions that stopped it (then the heads stay as they are for the inspector)."""
    ordered = sorted(head_ids)
    made: list[revision.SignedRevision] = []
    made_by_id: dict[str, revision.SignedRevision] = {}

    def get(rev_id: str) -> revision.SignedRevision:
        return made_by_id.get(rev_id) or load(rev_id)

    current = ordered[0]
    for other in ordered[1:]:
        base_id = merge_base(parents, current, other)
        left, right = sorted((current, other))
        merged = auto_merge(get(base_id) if base_id else None, get(left), get(right))
        if not isinstance(merged, revision.SignedRevision):
            return made, merged
        made.append(merged)
        made_by_id[merged.id] = merged
        parents[merged.id] = merged.fields()["parents"]
        current = merged.id
    return made, ()
