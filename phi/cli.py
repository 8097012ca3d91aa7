"""`python -m phi detect|redact|deidentify --in notes.jsonl --out out.jsonl`: the engine over JSON lines."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from phi.types import ENTITY_TYPES, DeidContext

__all__ = ["InputError", "Note", "main", "read_notes"]

KEY_ENV = "PHI_DEID_KEY"


class InputError(Exception):
    """A bad input line; the message names the line number."""


@dataclass(frozen=True, slots=True)
class Note:
    id: Any
    text: str
    subject: str | None


def read_notes(lines: Sequence[str]) -> list[Note]:
    """Parse and check every line before any work is done, so a bad line leaves no partial output."""
    notes: list[Note] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number}: malformed JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(row, dict):
            raise InputError(f'line {number}: expected a JSON object with "id" and "text"')
        if "id" not in row:
            raise InputError(f'line {number}: missing "id"')
        if not isinstance(row.get("text"), str):
            raise InputError(f'line {number}: "text" must be a string')
        subject = row.get("subject")
        if subject is not None and not isinstance(subject, (str, int)):
            raise InputError(f'line {number}: "subject" must be a string')
        notes.append(Note(row["id"], row["text"], None if subject is None else str(subject)))
    return notes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m phi", description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    for mode, help_text in (
        ("detect", 'write {"id", "entities": [{"start", "end", "type", "score"}]} per line'),
        ("redact", 'write {"id", "text"} with each identifier replaced by [REDACTED <TYPE>]'),
        ("deidentify", 'write {"id", "text"} with consistent surrogates (key: $PHI_DEID_KEY or --key-file)'),
    ):
        p = sub.add_parser(mode, help=help_text)
        p.add_argument("--in", dest="inp", default="-", help="input JSON lines (default: stdin)")
        p.add_argument("--out", default="-", help="output JSON lines (default: stdout)")
        p.add_argument("--spacy", action="store_true", help="also use the packaged spaCy model's NER")
        p.add_argument("--allow", action="append", default=[], metavar="TYPE", help="let this type through")
        if mode == "deidentify":
            p.add_argument("--key-file", type=Path, help=f"file holding the HMAC key (else ${KEY_ENV})")
    return parser


def _key(args: argparse.Namespace) -> bytes:
    key_file: Path | None = args.key_file
    if key_file is not None:
        try:
            return key_file.read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise InputError(f"cannot read key file: {exc.strerror}") from None
    value = os.environ.get(KEY_ENV)
    if not value:
        raise InputError(f"deidentify needs a key: set {KEY_ENV} or pass --key-file")
    return value.encode()


def _allowed(values: list[str]) -> list[str]:
    allowed = [t.strip().upper() for v in values for t in v.split(",") if t.strip()]
    unknown = sorted(set(allowed) - set(ENTITY_TYPES))
    if unknown:
        raise InputError(f"unknown --allow type(s): {', '.join(unknown)} (known: {', '.join(ENTITY_TYPES)})")
    return allowed


def _read(path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().splitlines()
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None


def _run(args: argparse.Namespace, out: IO[str]) -> None:
    from phi.engine import Engine

    allowed = _allowed(args.allow)
    key = _key(args) if args.mode == "deidentify" else b""
    notes = read_notes(_read(args.inp))
    engine = Engine(use_spacy=args.spacy)
    for note in notes:
        row: dict[str, Any]
        if args.mode == "detect":
            result = engine.process(note.text, "detect", allowed_types=allowed)
            row = {"id": note.id, "entities": [e.to_dict() for e in result.entities]}
        elif args.mode == "redact":
            row = {"id": note.id, "text": engine.process(note.text, "redact", allowed_types=allowed).text}
        else:
            context = DeidContext(key=key, subject=note.subject)
            row = {
                "id": note.id,
                "text": engine.process(note.text, "deidentify", context=context, allowed_types=allowed).text,
            }
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 bad input or usage)."""
    args = _parser().parse_args(argv)
    try:
        if args.out == "-":
            _run(args, sys.stdout)
        else:
            tmp = Path(args.out + ".tmp")
            with tmp.open("w", encoding="utf-8") as handle:
                _run(args, handle)
            tmp.replace(args.out)
    except (InputError, ValueError) as exc:
        if args.out != "-":
            Path(args.out + ".tmp").unlink(missing_ok=True)
        print(f"phi: error: {exc}", file=sys.stderr)
        return 2
    return 0
