"""``python -m chainrule``: the same command line as the ``chainrule`` console script."""

from .main import main

raise SystemExit(main())
