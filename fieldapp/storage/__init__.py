"""Where a vault's bytes live: the SQLCipher database and its migrations, the keys and header, the
encrypted attachment store, backups, and safe file writes. Nothing here knows what a record means."""
