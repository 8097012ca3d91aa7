"""The models the service ships knowing how to run."""

from typing import Any

from django.db import migrations

from deployments.catalog import CATALOG


def add(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("deployments", "CatalogModel")
    for entry in CATALOG:
        model.objects.update_or_create(name=entry["name"], defaults=entry)


def remove(apps: Any, schema_editor: Any) -> None:
    apps.get_model("deployments", "CatalogModel").objects.filter(name__in=[e["name"] for e in CATALOG]).delete()


class Migration(migrations.Migration):
    dependencies = [("deployments", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
