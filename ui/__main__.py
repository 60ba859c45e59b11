"""`python -m ui`: start the desktop app."""

from ui.app import main

raise SystemExit(main())
