"""``python -m mediatui``."""

from mediatui.cli import main

raise SystemExit(main())
