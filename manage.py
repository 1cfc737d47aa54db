#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rcvs.settings")
    if not os.environ.get("DATABASE_URL"):
        # Without DATABASE_URL this cannot be production (settings refuse it there), so it is a
        # developer's checkout: use development settings and the embedded PostgreSQL, so that
        # `./manage.py makemigrations`, `shell` etc. work without exporting anything first.
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
