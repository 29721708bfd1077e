"""chainrule's command line (the ``chainrule`` console script): see :mod:`chainrule.main`."""
