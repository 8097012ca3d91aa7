"""Splitting an upload into documents: plain text (one), JSONL (`{"id","text"}` a line), CSV (every cell).

Documents are named by position (`line3`, `r2c4`), never by the upload's own ids: a JSONL `id` may be an MRN
or a patient's name, and findings and the redacted copy must not carry it in the clear."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator


class ScanInputError(ValueError):
    """The upload cannot be read as its format; the message names the line, never its content."""


def documents(data: bytes, fmt: str) -> Iterator[tuple[str, str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScanInputError("the file is not UTF-8 text") from None
    if fmt == "text":
        yield "1", text
    elif fmt == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                row["id"]  # required by the format (and checked), but never echoed
                yield f"line{number}", str(row["text"])
            except (ValueError, KeyError, TypeError):
                raise ScanInputError(f"line {number} is not a JSON object with id and text") from None
    elif fmt == "csv":
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            for column, cell in enumerate(row, start=1):
                if cell.strip():
                    yield f"r{number}c{column}", cell
    else:
        raise ScanInputError(f"unknown format {fmt}")
