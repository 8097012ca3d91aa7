"""Entry point for `python -m phi`."""

from phi.cli import main

raise SystemExit(main())
