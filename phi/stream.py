"""The streaming hold-back window: a model's answer arrives in chunks, and PHI split across them must still be
caught before any of it is shown.

`HoldBack.feed(chunk)` returns the text that is safe to release now, already redacted or de-identified;
`finish()` returns the rest. Text is released only up to a *cut*:

* at least `hold` characters behind the newest text, so an identifier still arriving (``555-12`` of a phone
  number, ``John`` before ``Smith``) sits in the window, never in what was shown;
* just after whitespace and never within `gap` characters of a detected entity, so a name is not cut from the
  word that joins it, and nothing is released from inside an identifier;
* after the engine analysed the text around it: everything not yet released plus up to `context` characters
  already released (title cues like ``Dr.``, ``DOB:`` on the left), and the `hold` characters on the right.

Each released segment is rewritten with the same replacements as `Engine.process` (redaction labels, or the
keyed surrogates, which depend only on the key, the type and the value), so the concatenated stream equals the
whole answer processed at once whenever the engine decides the same on the window as on the whole text. What it
cannot promise: an identifier recognised only from evidence more than `hold` characters later (a bare surname
confirmed by a full name further on) was already released. `finish()` analyses the whole text once more and
counts such late entities in `late`, so the audit event can say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from phi.deid import Deidentifier
from phi.engine import Engine, redaction_label, rewrite_spans
from phi.inert import inert_prefix
from phi.types import DeidContext, Entity, normalize_mode

__all__ = ["HOLD_CHARS", "HoldBack"]

HOLD_CHARS = 48  # longer than the identifiers the engine finds in one piece (a phone, a full date, an MRN line)
CONTEXT_CHARS = 256  # released text the engine sees again on the left (cues such as "Dr." or "DOB:")
GAP_CHARS = 2  # never cut this close to an entity: ". " or ", " may still join it to the next word
STEP_CHARS = 16  # analyse again only once this much new text waits beyond the hold


class HoldBack:
    """Releases streamed text in PHI-safe pieces for one mode: `redact` or `deidentify` rewrite, `detect` and
    `off` pass text through as it comes (nothing is rewritten, so nothing needs holding) and count at the end."""

    def __init__(
        self, engine: Engine, mode: str, *, context: DeidContext | None = None, hold: int = HOLD_CHARS,
        left_context: int = CONTEXT_CHARS, step: int = STEP_CHARS,
    ) -> None:  # fmt: skip
        self.mode = "off" if mode == "off" else normalize_mode(mode)
        if self.mode == "reject":
            raise ValueError("a stream is redacted, de-identified or detected, never rejected part-way")
        if self.mode == "deidentify" and context is None:
            raise ValueError("the deidentify mode needs a DeidContext with the organisation's key")
        self.engine, self.context = engine, context
        self.hold, self.left_context, self.step = hold, left_context, step
        self.text = ""
        self.released = 0  # characters of `text` already handled and released
        self.entities: list[Entity] = []  # what was rewritten, in offsets of `text`
        self.spans: list[tuple[int, int]] = []  # where each of `entities` sits in the released text
        self.output_chars = 0  # characters released so far (after rewriting)
        self.late = 0  # entities the final analysis found overlapping text released before they were seen
        self._opening = True  # until the window first releases: the opening words may leave at once (none is PHI)
        self._deid = (
            Deidentifier(context.key, engine.lexicon) if context is not None and self.mode == "deidentify" else None
        )

    @property
    def rewrites(self) -> bool:
        return self.mode in ("redact", "deidentify")

    def feed(self, chunk: str) -> str:
        """Take the next piece of the answer; return what may be shown now (possibly nothing)."""
        self.text += chunk
        if not self.rewrites:
            self.released = self.output_chars = len(self.text)
            return chunk
        if len(self.text) - self.released < self.hold + self.step:
            return self._opening_words() if self._opening else ""
        return self._release(final=False)

    def _opening_words(self) -> str:
        """Before the first window is full, release the answer's opening words as they complete, as long as
        each is a plain word no identifier can contain (The patient was seen...): the time to the first token
        stays the runtime's own. The first word that might be PHI (a capital mid-sentence, a digit, a name or a
        town, anything unknown) ends this for the rest of the answer; from there on only the window releases."""
        lexicon = self.engine.lexicon
        cut = inert_prefix(self.text, self.released, lexicon)
        if cut <= self.released:  # Patient Earnest Hewitt (: the opener may leave once the name after it is closed
            starts = {e.start for e in self.engine.analyze(self.text) if _closed(self.text, e.end)}
            cut = inert_prefix(self.text, self.released, lexicon, starts) if starts else cut
        if cut <= self.released:
            return ""
        out = self.text[self.released : cut]
        self.released = cut
        self.output_chars += len(out)  # released unchanged: no entity inside
        return out

    def finish(self) -> str:
        """The answer is complete: release the rest, and settle the entity list for the audit counts."""
        if not self.rewrites:
            self.entities = self.engine.analyze(self.text) if self.mode == "detect" else []
            self.spans = [(e.start, e.end) for e in self.entities]  # released unchanged
            return ""
        out = self._release(final=True)
        whole = self.engine.analyze(self.text)
        self.late = sum(1 for e in whole if not any(e.start < s.end and s.start < e.end for s in self.entities))
        return out

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(e.type for e in self.entities).items()))

    def _release(self, *, final: bool) -> str:
        base = _word_start(self.text, max(0, self.released - self.left_context))
        found = [Entity(e.start + base, e.end + base, e.type, e.score, e.recognizer, e.evidence)
                 for e in self.engine.analyze(self.text[base:])]  # fmt: skip
        cut = len(self.text) if final else _safe_cut(self.text, self.released, len(self.text) - self.hold, found)
        if cut <= self.released:
            return ""
        segment: list[Entity] = []
        for e in found:
            if e.end <= self.released or e.start >= cut:
                continue
            # An entity reaching back into released text was seen too late for that part; rewrite the rest.
            start = max(e.start, self.released)
            segment.append(Entity(start, e.end, e.type, e.score, e.recognizer, e.evidence))
        self._opening = False
        out, spans = rewrite_spans(self.text[self.released : cut], _shifted(segment, -self.released), self._replacement)
        self.entities.extend(segment)
        self.spans.extend((start + self.output_chars, end + self.output_chars) for start, end in spans)
        self.output_chars += len(out)
        self.released = cut
        return out

    def _replacement(self, entity: Entity) -> str:
        if self._deid is None:
            return redaction_label(entity.type)
        value = self.text[entity.start + self.released : entity.end + self.released]
        return self._deid.surrogate(entity.type, value, self.context.subject if self.context else None)


def _closed(text: str, end: int) -> bool:
    """Punctuation or a line break follows the entity ending at `end`: the engine saw it whole, so where it starts
    was decided with all of it in view (Discharged St. Mary's Hospital may take in the opener; only the whole
    name shows whether it does)."""
    after = text[end:].lstrip(" \t")
    return bool(after) and after[0] in "(),.;:[\n"


def _shifted(entities: Iterable[Entity], by: int) -> list[Entity]:
    return [Entity(e.start + by, e.end + by, e.type, e.score, e.recognizer, e.evidence) for e in entities]


def _word_start(text: str, at: int) -> int:
    """`at`, moved left to the start of the word it falls in (the engine must not see half a word)."""
    while at > 0 and not text[at - 1].isspace():
        at -= 1
    return at


def _safe_cut(text: str, released: int, limit: int, entities: Sequence[Entity]) -> int:
    """The furthest position in (released, limit] just after whitespace and clear of every entity by GAP_CHARS;
    `released` when there is none."""
    blocked = [(e.start - GAP_CHARS, e.end + GAP_CHARS) for e in entities if e.end + GAP_CHARS >= released]
    for cut in range(min(limit, len(text)), released, -1):
        if text[cut - 1].isspace() and not any(lo <= cut <= hi for lo, hi in blocked):
            return cut
    return released
