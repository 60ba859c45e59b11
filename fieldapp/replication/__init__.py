"""The vault's side of sync: what waits to be pushed, revisions that arrive from the service, and
settling them against local drafts (merges, conflicts, resolutions)."""
