"""Convert hand-written PHI markup into gold JSONL for the de-identification bench.

Source format (``*.src.txt``):

* Notes are separated by a line that contains only ``=====`` (surrounding
  whitespace is tolerated).  Blank lines at the start and end of a note are
  dropped; everything else, the first line included, is note text.
* PHI is marked inline as ``[[TYPE:text]]``.  ``TYPE`` must be one of
  :data:`ENTITY_TYPES`; ``text`` is the literal PHI string and must not
  contain brackets, a newline, or leading/trailing whitespace.

Output: one JSON object per note, in source order::

    {"id": "hand-a-001", "text": "...", "spans": [{"start": 0, "end": 3, "type": "NAME"}]}

where ``text[start:end]`` is exactly the marked PHI string.  The id prefix is
taken from the source file name (``phi_dev_hand_a.src.txt`` -> ``hand-a``)
unless ``--id-prefix`` is given.  After writing, the records are re-read and
validated, and counts per type (spans and whitespace tokens) are printed.

Usage::

    python bench/data/markup_to_jsonl.py bench/data/phi_dev_hand_a.src.txt [-o OUT.jsonl]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from phi.types import ENTITY_TYPES

SEPARATOR = "====="
_TAG = re.compile(r"\[\[([A-Z_]+):([^\[\]\n]*)\]\]")


class Span(TypedDict):
    """One gold PHI span: character offsets into the note text plus its type."""

    start: int
    end: int
    type: str


class Record(TypedDict):
    """One gold note as written to the JSONL file."""

    id: str
    text: str
    spans: list[Span]


class MarkupError(ValueError):
    """Raised when the source markup is malformed."""


def split_notes(source: str) -> list[tuple[int, str]]:
    """Split the source into ``(first_line_number, raw_note)`` pairs, skipping empty notes."""
    notes: list[tuple[int, str]] = []
    current: list[str] = []
    start_line = 1
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == SEPARATOR:
            notes.append((start_line, "\n".join(current)))
            current = []
            start_line = number + 1
        else:
            current.append(line)
    notes.append((start_line, "\n".join(current)))

    result: list[tuple[int, str]] = []
    for first_line, raw in notes:
        lines = raw.split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
            first_line += 1
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            result.append((first_line, "\n".join(line.rstrip() for line in lines)))
    return result


def parse_note(raw: str, first_line: int) -> tuple[str, list[Span]]:
    """Strip the markup from one note and return its plain text and gold spans."""
    parts: list[str] = []
    spans: list[Span] = []
    length = 0
    cursor = 0

    def check_literal(chunk: str, offset: int) -> None:
        for token in ("[[", "]]"):
            position = chunk.find(token)
            if position != -1:
                line = first_line + raw.count("\n", 0, offset + position)
                raise MarkupError(f"line {line}: stray or malformed {token!r}")

    for match in _TAG.finditer(raw):
        literal = raw[cursor : match.start()]
        check_literal(literal, cursor)
        parts.append(literal)
        length += len(literal)
        kind, value = match.group(1), match.group(2)
        line = first_line + raw.count("\n", 0, match.start())
        if kind not in ENTITY_TYPES:
            raise MarkupError(f"line {line}: unknown entity type {kind!r}")
        if not value or value != value.strip():
            raise MarkupError(f"line {line}: empty span or span with outer whitespace: {value!r}")
        spans.append({"start": length, "end": length + len(value), "type": kind})
        parts.append(value)
        length += len(value)
        cursor = match.end()
    tail = raw[cursor:]
    check_literal(tail, cursor)
    parts.append(tail)
    return "".join(parts), spans


def convert(source: str, id_prefix: str) -> list[Record]:
    """Convert a whole source file into gold records."""
    records: list[Record] = []
    for index, (first_line, raw) in enumerate(split_notes(source), start=1):
        text, spans = parse_note(raw, first_line)
        records.append({"id": f"{id_prefix}-{index:03d}", "text": text, "spans": spans})
    return records


def validate(records: list[Record]) -> list[str]:
    """Return a list of problems found in ``records`` (empty when all is well)."""
    problems: list[str] = []
    seen: set[str] = set()
    for record in records:
        rid, text = record["id"], record["text"]
        if rid in seen:
            problems.append(f"{rid}: duplicate id")
        seen.add(rid)
        previous_end = -1
        for span in sorted(record["spans"], key=lambda s: (s["start"], s["end"])):
            start, end = span["start"], span["end"]
            piece = text[start:end]
            if span["type"] not in ENTITY_TYPES:
                problems.append(f"{rid}: unknown type {span['type']!r}")
            if not 0 <= start < end <= len(text):
                problems.append(f"{rid}: bad offsets {start}-{end}")
            elif piece != piece.strip():
                problems.append(f"{rid}: span {piece!r} has outer whitespace")
            if start < previous_end:
                problems.append(f"{rid}: span at {start} overlaps the previous one")
            previous_end = max(previous_end, end)
    return problems


def summarize(records: list[Record]) -> str:
    """Return a human-readable table of span and token counts per entity type."""
    span_counts: Counter[str] = Counter()
    token_counts: Counter[str] = Counter()
    words = 0
    for record in records:
        words += len(record["text"].split())
        for span in record["spans"]:
            span_counts[span["type"]] += 1
            token_counts[span["type"]] += len(record["text"][span["start"] : span["end"]].split())
    lines = [f"notes={len(records)} words={words}", f"{'type':<12} {'spans':>6} {'tokens':>7}"]
    for kind in sorted(span_counts, key=lambda k: (-token_counts[k], k)):
        lines.append(f"{kind:<12} {span_counts[kind]:>6} {token_counts[kind]:>7}")
    lines.append(f"{'TOTAL':<12} {sum(span_counts.values()):>6} {sum(token_counts.values()):>7}")
    return "\n".join(lines)


def default_prefix(path: Path) -> str:
    """Derive an id prefix such as ``hand-a`` from ``phi_dev_hand_a.src.txt``."""
    stem = path.name.split(".", 1)[0]
    stem = stem.removeprefix("phi_dev_")
    return stem.replace("_", "-")


def default_output(path: Path) -> Path:
    """Return ``X.jsonl`` next to ``X.src.txt``."""
    stem = path.name.split(".", 1)[0]
    return path.with_name(f"{stem}.jsonl")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", type=Path, help="markup source file (*.src.txt)")
    parser.add_argument("-o", "--output", type=Path, help="output JSONL (default: next to the source)")
    parser.add_argument("--id-prefix", help="id prefix (default: derived from the file name)")
    args = parser.parse_args(argv)

    source_path: Path = args.source
    output_path: Path = args.output or default_output(source_path)
    prefix: str = args.id_prefix or default_prefix(source_path)
    try:
        records = convert(source_path.read_text(encoding="utf-8"), prefix)
    except MarkupError as exc:
        print(f"{source_path}: {exc}", file=sys.stderr)
        return 1

    with output_path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    with output_path.open(encoding="utf-8") as handle:
        reread: list[Record] = [json.loads(line) for line in handle if line.strip()]
    problems = validate(reread)
    for problem in problems:
        print(f"{output_path}: {problem}", file=sys.stderr)
    print(f"wrote {output_path}")
    print(summarize(reread))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
