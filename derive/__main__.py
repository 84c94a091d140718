"""`python -m derive`."""

from derive.cli import main

raise SystemExit(main())
