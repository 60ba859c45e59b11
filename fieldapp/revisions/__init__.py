"""Signed revisions and what is done with them: canonical JSON, hashing and signing, the revision
graph, and three-way merges. Pure (no database, no files), and shared with the central service."""
