#!/usr/bin/env python
"""Django's command-line utility; a configuration error prints one line and exits 2."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    from core.config import ConfigError

    try:
        settings.INSTALLED_APPS  # noqa: B018 - load settings now, so a bad one is reported in one line
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
