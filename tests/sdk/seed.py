"""The Python samples of the public HIPAA page, extracted as published (the page's text lost its
indentation, so the body of a trailing block statement is re-indented; nothing else is changed)."""

from __future__ import annotations

import re
from pathlib import Path

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "hipaa-compliance.txt"
# What follows a code block on the page (its text runs straight on into the next heading).
ENDS = [
    "// Node.js example",
    "PHI Handling Modes",
    "Audit and Compliance Reporting",
    "Compliance Reports",
    "Business Associate Agreement",
    "Transmission Security",
    "Emergency Access",
    "HIPAA Compliance Checklist",
]


def _reindent(code: str) -> str:
    lines, out, depth, block = code.splitlines(), [], 0, False
    for line in lines:
        stripped = line.strip()
        out.append(("    " if block else "") + stripped)
        depth += stripped.count("(") + stripped.count("[") + stripped.count("{")
        depth -= stripped.count(")") + stripped.count("]") + stripped.count("}")
        if depth == 0 and stripped.endswith(":") and not stripped.startswith("#"):
            block = True
    return "\n".join(out) + "\n"


def python_samples() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    samples = []
    for match in re.finditer(r"# Python example", text):
        start = match.start()
        end = min(i for i in (text.find(marker, start + 1) for marker in ENDS) if i != -1)
        samples.append(_reindent(text[start:end]))
    return samples
