"""Word lists shared by the scanners, de-identification and the corpus generator, read once from phi/data/."""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["DATA", "lines", "word_list", "words"]

DATA = Path(__file__).resolve().parent / "data"


@cache
def _sections(name: str, by_line: bool) -> dict[str, tuple[str, ...]]:
    """`[section]` headed lists in data/<name>; `#` starts a comment (unless by_line, where lines are entries)."""
    found: dict[str, list[str]] = {"": []}
    current = found[""]
    for raw in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip() if by_line else raw.split("#", 1)[0].strip()
        if not line or (by_line and line.startswith("#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = found.setdefault(line[1:-1], [])
        elif by_line:
            current.append(line)
        else:
            current.extend(line.split())
    return {key: tuple(value) for key, value in found.items()}


def word_list(section: str, name: str = "words.txt") -> tuple[str, ...]:
    """The words of one section, in file order, as written."""
    return _sections(name, False)[section]


def words(section: str, name: str = "words.txt") -> frozenset[str]:
    """The words of one section as a set."""
    return frozenset(word_list(section, name))


def lines(section: str, name: str = "corpus.txt") -> tuple[str, ...]:
    """One entry per line (templates that hold spaces)."""
    return _sections(name, True)[section]
