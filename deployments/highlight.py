"""Detected PHI marked in the playground's text: each identifier (or the label or stand-in that replaced it) in a
`<mark>` with a class per type, and its type and the recognizer that found it shown on hover and keyboard focus.
The marks carry no offsets and nothing of them leaves the page (no URL, log or audit detail)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from phi import Entity

_WORDS = re.compile(r"(?<=[a-z])(?=[A-Z])")


def recognizer_name(entity: Entity) -> str:
    """`TitleNameRecognizer` as "title name recognizer"; "the PHI engine" when the engine did not say."""
    if not entity.recognizer:
        return "the PHI engine"
    return _WORDS.sub(" ", entity.recognizer).lower()


def describe(entity: Entity) -> str:
    """What the hover or focus says about one mark: type, recognizer, and why (never the value)."""
    text = f"{entity.type}, found by {recognizer_name(entity)}"
    return f"{text}: {entity.evidence}" if entity.evidence else text


def marked(text: str, entities: Sequence[Entity], spans: Sequence[tuple[int, int]] | None = None) -> SafeString:
    """`text`, escaped, with each entity marked. `spans` are where the entities sit in `text` when it is not the
    analysed text (a redacted or de-identified rewrite); by default the entities' own offsets."""
    places = list(spans) if spans is not None else [(e.start, e.end) for e in entities]
    if len(places) != len(entities):  # a mismatch would mark the wrong words: show the text plain instead
        return escape(text)
    pieces: list[str] = []
    position = 0
    for (start, end), entity in sorted(zip(places, entities, strict=True), key=lambda pair: pair[0]):
        if start < position or end > len(text) or start >= end:
            continue
        pieces.append(escape(text[position:start]))
        kind = entity.type.lower().replace("_", "-")
        pieces.append(
            format_html(
                '<mark class="phi phi-{}" tabindex="0" data-phi-type="{}">{}<span class="phi-tip">{}</span></mark>',
                kind,
                entity.type,
                text[start:end],
                describe(entity),
            )
        )
        position = end
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped above
