"""What a record's sync column says, worked out when the list is read rather than stored.

A record's stored `sync_state` follows its revisions only ("local" until the service holds every
one, "synced" after, "conflict"). Whether its attachment files have crossed, and whether this
vault syncs at all, are facts of other tables: folding them in at read time (for the rows on
screen only) keeps them right with no bookkeeping on every upload, download or enrolment.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# The states a list row can show, and what each means.
CONFLICT = "conflict"  # versions collide: the inspector chooses
UNLINKED = "unlinked"  # this vault is not enrolled with any service: its evidence is on this laptop only
HELD = "held"  # its assessment is not on the service (made here, not offered yet, or refused): nothing of it is sent
LOCAL = "local"  # changes the service does not hold yet
FILES = "files"  # every revision is on the service, but an attachment's bytes have not crossed yet (either way)
SYNCED = "synced"  # revisions and attachment files, on the service and here
KEPT = "kept"  # retention removed its content from this laptop; the service keeps it, and opening fetches it (issue 16)
STATES = (LOCAL, SYNCED, CONFLICT, FILES, UNLINKED, HELD, KEPT)

META_PREFIX = "sync."  # the vault's sync settings in the meta table (fieldapp.replication.exchange writes them)
_LINKED = sa.text(
    f"SELECT count(*) FROM meta WHERE key IN ('{META_PREFIX}url', '{META_PREFIX}token') AND length(value) > 0"
)

# Bytes not on both sides: to upload (here, not yet whole on the service) or to download (named
# by a pulled revision, not here yet). The attachments key (record_id, id) finds a record's files.
_FILES_WAITING = (
    "EXISTS (SELECT 1 FROM attachments a JOIN blobs b ON b.sha256 = a.sha256 "
    "WHERE a.record_id = r.id AND (b.uploaded = 0 OR b.name IS NULL))"
)

# A record's revisions are sent only once the service has its assessment (fieldapp.replication).
_ASSESSMENT_HERE_ONLY = "NOT EXISTS (SELECT 1 FROM assessments a WHERE a.id = r.assessment_id AND a.on_service)"

# The state of records row `r`, given :linked (1 or 0). Only 'synced' rows pay for the files check.
SQL = f"""CASE
    WHEN r.purged_at IS NOT NULL THEN '{KEPT}'
    WHEN r.sync_state = '{CONFLICT}' THEN '{CONFLICT}'
    WHEN :linked = 0 THEN '{UNLINKED}'
    WHEN {_ASSESSMENT_HERE_ONLY} THEN '{HELD}'
    WHEN r.sync_state = '{SYNCED}' AND {_FILES_WAITING} THEN '{FILES}'
    ELSE r.sync_state
END"""


def is_linked(session: Any) -> bool:
    """Whether this vault is enrolled with a service (it has an address and a token for it)."""
    return session.execute(_LINKED).scalar_one() == 2
