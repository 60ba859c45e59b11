"""The sync client: a transport to the service, the typed API over it, and the sync engine."""
