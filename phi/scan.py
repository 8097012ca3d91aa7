"""One tokenisation per text, shared by the name and place scanners: word offsets, lookup keys, case."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

from phi.lexicon import CLINICAL, COMMON, ENGLISH, Lexicon
from phi.words import words

__all__ = ["Doc", "Hit", "tokenize"]

# Words with inner apostrophes (O'BRIEN); a possessive 's is consumed but left out of the word (SMITH'S -> SMITH).
_WORD = re.compile(r"([^\W\d_]+(?:'(?![Ss]\b)[^\W\d_]+)*)(?:'[Ss]\b)?")  # letters of any script: Nguyễn
_EPONYM_NEXT = words("eponym_next")
_CONTRACTED = frozenset({"M", "LL", "VE", "RE", "D", "T"})
_GLUED = re.compile(r"\d[A-Z]|[A-Z]\d")
_DROP_LOWER = str.maketrans("", "", "abcdefghijklmnopqrstuvwxyz")
_DROP_UPPER = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_VOWEL = re.compile(r"[AEIOUY]")
_TITLED = re.compile(r"\b[A-Z][a-z]+\b")
_LOWER_WORD = re.compile(r"\b[a-z]+\b")

Hit = tuple[int, int, str, float]
"""A detection before merging: (start, end, type, score)."""
SourcedHit = tuple[int, int, str, float, str, str]
"""A hit with the recognizer that found it and its evidence."""


@dataclass(slots=True)
class Doc:
    """A text split into word tokens, with each token's lexicon class."""

    text: str
    starts: list[int]
    ends: list[int]
    keys: list[str]
    classes: list[int]
    caps: bool  # the text is (almost) all upper case or all lower case: letter case carries no signal
    up: str  # an upper-case copy with the same offsets, for the regex scanners
    lowered: bool = False  # blind because typed all in lower case (a message): no word is written like a name
    gaps: list[str] = field(default_factory=list)  # gaps[i]: the characters between token i-1 and token i
    _positions: dict[str, list[int]] | None = None

    def positions(self) -> dict[str, list[int]]:
        """Each key's token indexes (index 0 left out: the rules that ask look at the word before), built once."""
        if self._positions is None:
            index: dict[str, list[int]] = {}
            for i in range(1, len(self.keys)):
                index.setdefault(self.keys[i], []).append(i)
            self._positions = index
        return self._positions

    def __len__(self) -> int:
        return len(self.keys)

    def gap(self, i: int) -> str:
        """The characters between token i-1 and token i."""
        return self.gaps[i] if i > 0 else ""

    def near(self, i: int, allowed: str = " \t.,:;-()/'\"") -> bool:
        """Token i-1 is close to token i: a short gap of spaces and light punctuation, on one line."""
        if i <= 0:
            return False
        gap = self.gaps[i]
        return len(gap) <= 4 and not gap.strip(allowed)

    def tight(self, i: int) -> bool:
        """Token i-1 and token i form one phrase: only spaces, a hyphen or an initial's dot between them."""
        if i <= 0:
            return False
        gap = self.gaps[i]
        if not 0 < len(gap) <= 3 or gap.strip(" .-") or "\n" in gap:
            return False
        return "." not in gap or len(self.keys[i - 1]) == 1

    def word(self, i: int) -> str:
        """The token as written."""
        return self.text[self.starts[i] : self.ends[i]]

    def shaped(self, i: int) -> bool:
        """An unknown token that could be a name: letters only, three or more, with a vowel."""
        key = self.keys[i]
        return len(key) >= 3 and key.isalpha() and _VOWEL.search(key) is not None

    def eponym(self, i: int) -> bool:
        """Token i names a disease, sign or device (PARKINSON'S DISEASE, FOLEY CATHETER, GRAVES DISEASE)."""
        j = i + 1
        if j >= len(self.keys) or "\n" in self.gap(j):
            return False
        if self.gap(j) == "-" and j + 1 < len(self.keys) and "\n" not in self.gap(j + 1):
            j += 1  # a double-barrelled eponym: PASSY-MUIR VALVE, BURCH-WARTOFSKY SCORE, GREY-TURNER SIGN
        return self.keys[j] in _EPONYM_NEXT

    def titlecase(self, i: int) -> bool:
        word = self.word(i)
        return word[:1].isupper() and (len(word) == 1 or word[1:].islower())

    def lower(self, i: int) -> bool:
        return self.word(i).islower()

    def sentence_start(self, i: int) -> bool:
        """Token i opens a sentence, a line or a field (after '.', ':', a newline or a bullet)."""
        if i == 0:
            return True
        gap = self.text[self.ends[i - 1] : self.starts[i]]
        return any(ch in gap for ch in ".:!?\n*-•")


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")


def tokenize(text: str, lex: Lexicon) -> Doc:
    """Split `text` into word tokens with lookup keys and lexicon classes."""
    up = text.upper()
    if len(up) != len(text):
        up = "".join(ch.upper() if len(ch.upper()) == 1 else ch for ch in text)
    spans = [m.span(1) for m in _WORD.finditer(up)]
    starts = [s for s, _e in spans]
    ends = [e for _s, e in spans]
    keys = [up[s:e] for s, e in spans]
    if not up.isascii():  # look accented names up by their plain letters: CASTAÑEDA -> CASTANEDA
        keys = [k if k.isascii() else (_fold(k) or k) for k in keys]
    contractions: list[int] = []
    if "'" in up:
        contractions = [i for i, k in enumerate(keys) if "'" in k and k.rsplit("'", 1)[1] in _CONTRACTED]
        keys = [k.replace("'", "") if "'" in k else k for k in keys]
    get = lex.classes.get
    classes = [get(k, -1) for k in keys]
    for i in contractions:  # I'M, WE'LL, DON'T: English, never a name
        classes[i] = COMMON | ENGLISH | CLINICAL
    for i, c in enumerate(classes):
        if c < 0:
            classes[i] = lex.cls(keys[i])
    for m in _GLUED.finditer(up):  # a word glued to a number (X3, Q4H, 30CC, H2O) is shorthand, not a name
        letter = m.start() + 1 if m.group()[0].isdigit() else m.start()
        i = bisect_right(starts, letter) - 1
        if i >= 0 and letter < ends[i]:
            classes[i] |= CLINICAL
    lowers = len(text) - len(text.translate(_DROP_LOWER))
    uppers = len(text) - len(text.translate(_DROP_UPPER))
    blind = lowers < 0.2 * uppers or uppers < 0.03 * lowers  # ALL CAPS, or all lower case (a typed message)
    lowered = blind and uppers < 0.03 * lowers
    if not blind and uppers < 0.12 * lowers:
        # lower case with shorthand in capitals (tPA, L MCA, ICU): no word is written like a name either
        lowered = blind = len(_TITLED.findall(text)) <= 0.01 * len(_LOWER_WORD.findall(text))
    gaps = [""]
    gaps.extend(text[e:s] for e, s in zip(ends, starts[1:], strict=False))
    return Doc(text, starts, ends, keys, classes, caps=blind, up=up, lowered=lowered, gaps=gaps)
