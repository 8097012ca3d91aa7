"""Install the append-only triggers on the audit table (see audit/db_guard.py)."""

from typing import Any

from django.db import migrations


def install(apps: Any, schema_editor: Any) -> None:
    from audit.db_guard import install_guard

    install_guard(schema_editor.connection)


def uninstall(apps: Any, schema_editor: Any) -> None:
    from audit.db_guard import drop_guard

    drop_guard(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
