"""The PHI engine: analyse text into entities, then detect, redact, reject or de-identify."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Literal

from phi.lexicon import load_lexicon
from phi.propagate import coordinated, propagated, streets
from phi.scan import Doc, Hit, SourcedHit, tokenize
from phi.tagger import WordTagger
from phi.types import ENTITY_TYPES, DeidContext, Entity, PHIRejected, Result, normalize_mode

__all__ = ["Backend", "Engine", "merge_hits", "redaction_label", "rewrite_spans"]

Backend = Literal["fast", "presidio"]

_Replacer = Callable[[Entity], str]
_PRIORITY = {kind: -i for i, kind in enumerate(ENTITY_TYPES)}  # ties go to the earlier type (NAME first)
_JOIN_GAPS = {"NAME": frozenset({" ", "  ", "-", ". ", ".", ", ", ","}), "LOCATION": frozenset({" ", "-"})}


def redaction_label(kind: str) -> str:
    """The placeholder that replaces an entity of this type in the `redact` mode."""
    return f"[REDACTED {kind}]"


def merge_hits(hits: Iterable[Hit | SourcedHit], text: str, min_score: float = 0.0) -> list[Entity]:
    """Resolve overlapping hits and join neighbouring name or place words into non-overlapping entities.

    Overlapping hits become one entity over their union (a partial overlap must not leak the rest), typed by
    the best hit (highest score, then longest).  Neighbouring NAME or LOCATION words separated by a space, a
    hyphen or an initial's dot become one entity, so "John Smith" is redacted as one name.
    """
    ordered = sorted((h for h in hits if h[3] >= min_score and h[1] > h[0]), key=lambda h: (h[0], -h[1]))
    clusters: list[list[Hit | SourcedHit]] = []
    end = -1
    for hit in ordered:
        if clusters and hit[0] < end:
            clusters[-1].append(hit)
            end = max(end, hit[1])
        else:
            clusters.append([hit])
            end = hit[1]
    merged: list[Entity] = []
    for cluster in clusters:
        best = max(cluster, key=lambda h: (h[3], h[1] - h[0], _PRIORITY.get(h[2], 0)))
        start = min(h[0] for h in cluster)
        stop = max(h[1] for h in cluster)
        source, evidence = (best[4], best[5]) if len(best) == 6 else ("", "")
        entity = Entity(start, stop, best[2], best[3], source, evidence)
        if merged:
            last = merged[-1]
            gap = text[last.end : start]
            if last.type == entity.type and gap in _JOIN_GAPS.get(entity.type, ()):
                top = last if last.score >= entity.score else entity
                merged[-1] = Entity(last.start, stop, last.type, top.score, top.recognizer, top.evidence)
                continue
        merged.append(entity)
    return merged


def _sourced(entity: Entity) -> SourcedHit:
    return (entity.start, entity.end, entity.type, entity.score, entity.recognizer, entity.evidence)


class Engine:
    """Detects the HIPAA Safe Harbor identifiers in clinical text and applies a handling mode.

    `backend="fast"` (the default) calls our presidio recognizers directly on one shared tokenisation;
    `backend="presidio"` runs the same recognizers inside a presidio AnalyzerEngine.  Both give the same
    entities.  `use_spacy=True` adds the packaged spaCy model's PERSON and place entities (slower; see
    docs/phi.md for what it buys).  An Engine is immutable after construction and safe to share between
    threads.
    """

    def __init__(
        self,
        *,
        backend: Backend = "fast",
        use_spacy: bool = False,
        min_score: float = 0.0,
        use_tagger: bool = False,
    ) -> None:
        from phi.recognizers import build_analyzer, default_recognizers

        self.backend: Backend = backend
        self.use_spacy = use_spacy
        self.min_score = min_score
        self.lexicon = load_lexicon()
        self.tagger = WordTagger.load() if use_tagger and WordTagger.available() else None
        self._recognizers = default_recognizers(use_spacy=use_spacy, lex=self.lexicon)
        self._analyzer = build_analyzer(use_spacy=use_spacy, lex=self.lexicon) if backend == "presidio" else None

    def hits(self, text: str, doc: Doc | None = None) -> list[SourcedHit]:
        """All raw detections, before overlaps are resolved, each with its recognizer and evidence."""
        if self._analyzer is not None:
            results = self._analyzer.analyze(text=text, language="en", entities=list(ENTITY_TYPES))
            by_name = {type(r).__name__: r for r in self._recognizers}
            out_presidio: list[SourcedHit] = []
            for r in results:
                name = (r.recognition_metadata or {}).get("recognizer_name", "")
                owner = by_name.get(name)
                evidence = owner.evidence(r.entity_type, r.score) if owner else ""
                out_presidio.append((r.start, r.end, r.entity_type, r.score, name, evidence))
            return out_presidio
        doc = doc if doc is not None else tokenize(text, self.lexicon)
        out: list[SourcedHit] = []
        for recognizer in self._recognizers:
            name = type(recognizer).__name__
            for start, end, kind, score in recognizer.find(text, doc):
                out.append((start, end, kind, score, name, recognizer.evidence(kind, score)))
        return out

    def analyze(self, text: str) -> list[Entity]:
        """The identifiers in `text`, sorted and non-overlapping, with offsets in Python characters."""
        if not text:
            return []
        doc = tokenize(text, self.lexicon)
        entities = merge_hits(self.hits(text, doc), text, self.min_score)
        if self.tagger is not None:
            extra = self.tagger.additions(doc, entities)
            if extra:
                entities = merge_hits([*(_sourced(e) for e in entities), *extra], text, self.min_score)
        again = propagated(doc, entities)
        if again:
            entities = merge_hits([*(_sourced(e) for e in entities), *again], text, self.min_score)
        for _round in range(3):  # a list grows one name per round: Marisa, Pilar, Ynez
            joined = coordinated(doc, entities, self.lexicon)
            if not joined:
                break
            entities = merge_hits([*(_sourced(e) for e in entities), *joined], text, self.min_score)
        addresses = streets(doc, entities)
        if not addresses:
            return entities
        return merge_hits([*(_sourced(e) for e in entities), *addresses], text, self.min_score)

    def process(
        self,
        text: str,
        mode: str,
        *,
        context: DeidContext | None = None,
        allowed_types: Sequence[str] = (),
    ) -> Result:
        """Apply a mode to `text`; entity types in `allowed_types` pass through untouched (minimum necessary).

        `detect` returns the text unchanged; `redact` replaces each entity with `[REDACTED <TYPE>]`;
        `reject` raises PHIRejected naming the types found; `deidentify` (needs `context`) replaces each
        entity with a consistent, realistic surrogate.
        """
        canon = normalize_mode(mode)
        allowed = {t.upper() for t in allowed_types}
        unknown = allowed - set(ENTITY_TYPES)
        if unknown:
            raise ValueError(f"unknown entity types in allowed_types: {', '.join(sorted(unknown))}")
        found = self.analyze(text)
        handled = tuple(e for e in found if e.type not in allowed)
        passed = tuple(e for e in found if e.type in allowed)
        same = tuple((e.start, e.end) for e in handled)  # the text is unchanged: output offsets are input offsets
        if canon == "detect":
            return Result(text, handled, canon, passed, same)
        if canon == "reject":
            if handled:
                raise PHIRejected(dict(Counter(e.type for e in handled)))
            return Result(text, handled, canon, passed, same)
        if canon == "redact":
            redacted, spans = rewrite_spans(text, handled, lambda e: redaction_label(e.type))
            return Result(redacted, handled, canon, passed, spans)
        if context is None:
            raise ValueError("the deidentify mode needs a DeidContext with the organisation's key")
        from phi.deid import Deidentifier

        deid = Deidentifier(context.key, self.lexicon)
        subject = context.subject
        rewritten, spans = rewrite_spans(
            text, handled, lambda e: deid.surrogate(e.type, text[e.start : e.end], subject)
        )
        return Result(rewritten, handled, canon, passed, spans)


def rewrite_spans(text: str, entities: Sequence[Entity], replace: _Replacer) -> tuple[str, tuple[tuple[int, int], ...]]:
    """`text` with each (sorted, non-overlapping) entity replaced, and where each replacement sits in the result
    (a console marks the `[REDACTED NAME]` or the surrogate that stands for an identifier)."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = out = 0
    for entity in entities:
        kept = text[pos : entity.start]
        replacement = replace(entity)
        parts += [kept, replacement]
        out += len(kept)
        spans.append((out, out + len(replacement)))
        out += len(replacement)
        pos = entity.end
    parts.append(text[pos:])
    return "".join(parts), tuple(spans)
