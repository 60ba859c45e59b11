"""`python -m sync.server`: the same as `fieldapp-server`."""

from sync.server.cli import main

raise SystemExit(main())
