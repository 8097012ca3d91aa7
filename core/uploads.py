"""Limits on what clients send (request bodies, uploads, prompts) and safe names for uploaded files.

The limits are settings read from the environment (README, configuration): `PAITIENT_MAX_REQUEST_BYTES` for a
JSON or form body, `PAITIENT_MAX_UPLOAD_BYTES` for an uploaded file, `PAITIENT_MAX_SCAN_BYTES` for a file to scan
for PHI and `PAITIENT_MAX_PROMPT_CHARS` for a prompt. Over a limit is a 413 problem response."""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings

from core.errors import TooLarge

_SEPARATORS = re.compile(r"[\\/]")
_NAME_LENGTH = 200


def size_text(limit: int) -> str:
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} bytes"


def request_limit() -> int:
    """Bytes of a JSON or form body (and of a multipart body's fields besides its files)."""
    return int(settings.PAITIENT_MAX_REQUEST_BYTES)


def upload_limit() -> int:
    """Bytes of one uploaded file (a signed BAA, checklist evidence)."""
    return int(settings.PAITIENT_MAX_UPLOAD_BYTES)


def scan_limit() -> int:
    """Bytes of a file to scan for PHI: scanning is CPU-bound, so this is the smaller of its limit and uploads'."""
    return min(int(settings.PAITIENT_MAX_SCAN_BYTES), upload_limit())


def check_size(field: str, content: bytes, limit: int, error: type[TooLarge] = TooLarge) -> None:
    if len(content) > limit:
        raise error(field, f"The file is {size_text(len(content))}; at most {size_text(limit)} is accepted.")


def safe_filename(name: str, default: str) -> str:
    """A client's file name made safe to keep and show: its last path component only (no `/`, `\\`, `..`), no
    control characters (NUL, CR, LF...) or quotes, at most 200 characters keeping the extension; `default` when
    nothing is left. The name is only ever shown: files are stored in the database and downloaded under ids."""
    base = _SEPARATORS.split(name)[-1]
    base = "".join(c for c in base if c != '"' and unicodedata.category(c)[0] != "C").strip(" .")
    if not base:
        return default
    if len(base) > _NAME_LENGTH:
        _stem, dot, extension = base.rpartition(".")
        extension = extension if dot and 0 < len(extension) <= 10 else ""
        base = base[: _NAME_LENGTH - len(extension) - 1] + "." + extension if extension else base[:_NAME_LENGTH]
    return base
