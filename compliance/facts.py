"""Facts of an evaluation (checklist item or SOC 2 source) as readable text: for the console and report cells."""

from __future__ import annotations

from typing import Any

ACRONYMS = {"mfa": "MFA", "baa": "BAA", "id": "ID", "tls": "TLS", "hipaa": "HIPAA", "phi": "PHI", "aws": "AWS"}


def fact_rows(facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) for each fact: lists joined, the audit verification as its one-line result."""
    rows = []
    for key, value in facts.items():
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, dict):
            text = str(value["result"]) if "result" in value else ", ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, list):
            parts = [" ".join(str(v) for v in part.values()) if isinstance(part, dict) else str(part) for part in value]
            text = ", ".join(parts) or "none"
        else:
            text = "—" if value is None else str(value)
        words = [ACRONYMS.get(word, word) for word in key.split("_")]
        rows.append((" ".join(words)[:1].upper() + " ".join(words)[1:], text))
    return rows


def facts_line(facts: dict[str, Any], limit: int = 240) -> str:
    """All facts on one line for a table cell, cut at `limit` characters."""
    line = "; ".join(f"{label}: {text}" for label, text in fact_rows(facts))
    return line if len(line) <= limit else line[: limit - 1] + "…"
