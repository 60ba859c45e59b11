"""Sync: the wire protocol, the client engine and the central service."""
