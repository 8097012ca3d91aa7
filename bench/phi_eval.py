"""PHI engine evaluation: per-type recall/precision/F1 and single-core throughput, next to Presidio's default.

    .venv/bin/python bench/phi_eval.py [--notes 300] [--seed 2024] [--gold notes.jsonl]

Scores our engine (fast path, without and with the spaCy model) and the plain Presidio default pipeline
(AnalyzerEngine, its predefined recognizers, the packaged spaCy model) on the same notes in the same run.
By default the notes come from phi.corpus (synthetic, gold spans known); --gold reads JSON lines
{"id", "text", "spans": [{"start", "end", "type"}]} instead, e.g. a real annotated corpus.
Metrics are over alphanumeric tokens: recall is the share of PHI tokens covered by some predicted span,
precision the share of covered tokens that are PHI (see phi/metrics.py).  Targets (issue 7): recall >= 0.98,
precision >= 0.90, throughput >= 25x the Presidio default.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")  # presidio's tldextract: no network

from phi import Engine
from phi.corpus import Note, generate, read_jsonl
from phi.metrics import Report, Span, score
from phi.recognizers import presidio_default_analyzer

# Presidio's entity names, mapped to ours so that per-type precision compares like with like.
PRESIDIO_TYPES = {
    "PERSON": "NAME",
    "DATE_TIME": "DATE",
    "LOCATION": "LOCATION",
    "ORGANIZATION": "LOCATION",
    "NRP": "LOCATION",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "URL": "URL",
    "IP_ADDRESS": "IP",
    "US_SSN": "SSN",
    "US_ITIN": "SSN",
    "MEDICAL_LICENSE": "LICENSE",
    "US_DRIVER_LICENSE": "LICENSE",
    "US_BANK_NUMBER": "ACCOUNT",
    "CREDIT_CARD": "ACCOUNT",
    "IBAN_CODE": "ACCOUNT",
    "US_PASSPORT": "ID",
    "CRYPTO": "ID",
    "UK_NHS": "ID",
}

Predictor = Callable[[str], list[Span]]


def timed(predict: Predictor, notes: Sequence[Note], repeats: int) -> tuple[list[list[Span]], float]:
    """Predictions and the best wall time of `repeats` single-threaded passes (after one warm-up note)."""
    predict(notes[0].text)
    best = float("inf")
    predictions: list[list[Span]] = []
    for _ in range(repeats):
        start = time.perf_counter()
        predictions = [predict(note.text) for note in notes]
        best = min(best, time.perf_counter() - start)
    return predictions, best


def evaluate(notes: Sequence[Note], predictions: Sequence[list[Span]]) -> Report:
    gold = ([(s.start, s.end, s.type) for s in note.spans] for note in notes)
    return score((note.text, g, p) for note, g, p in zip(notes, gold, predictions, strict=True))


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=300, help="synthetic notes to generate")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--gold", type=Path, help="JSON lines with gold spans instead of the generator")
    args = parser.parse_args()
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

    notes = read_jsonl(args.gold) if args.gold else generate(args.notes, seed=args.seed)
    size_kb = sum(len(n.text.encode("utf-8")) for n in notes) / 1000
    fast, with_spacy, default = Engine(), Engine(use_spacy=True), presidio_default_analyzer()

    def ours(engine: Engine) -> Predictor:
        return lambda text: [(e.start, e.end, e.type) for e in engine.analyze(text)]

    def presidio(text: str) -> list[Span]:
        results = default.analyze(text=text, language="en")
        return [(r.start, r.end, PRESIDIO_TYPES.get(r.entity_type, r.entity_type)) for r in results]

    systems = [("ours", ours(fast), 3), ("ours+spaCy", ours(with_spacy), 1), ("presidio", presidio, 1)]
    reports: dict[str, Report] = {}
    speeds: dict[str, float] = {}
    for name, predict, repeats in systems:
        predictions, seconds = timed(predict, notes, repeats)
        reports[name] = evaluate(notes, predictions)
        speeds[name] = size_kb / seconds

    source = str(args.gold) if args.gold else f"{len(notes)} synthetic notes (phi.corpus, seed {args.seed})"
    total_gold = sum(reports["ours"].gold.values())
    print(f"PHI evaluation: {source}, {size_kb:.1f} KB, {total_gold} PHI tokens")
    print(f"{'':14}{'':>7}  " + "  ".join(f"{name:^20}" for name, _p, _r in systems))
    print(f"{'type':14}{'tokens':>7}  " + "  ".join(f"{'R':>6}{'P':>7}{'F1':>7}" for _ in systems))
    kinds = sorted(set().union(*(set(r.gold) | set(r.predicted) for r in reports.values())))
    for kind in kinds:
        cells = []
        for name, _p, _r in systems:
            report = reports[name]
            recall = f"{report.recall(kind):6.3f}" if report.gold[kind] else f"{'-':>6}"
            precision = f"{report.precision(kind):7.3f}" if report.predicted[kind] else f"{'-':>7}"
            both = report.gold[kind] and report.predicted[kind]
            score_f1 = f"{f1(report.precision(kind), report.recall(kind)):7.3f}" if both else f"{'-':>7}"
            cells.append(recall + precision + score_f1)
        print(f"{kind:14}{reports['ours'].gold[kind]:7d}  " + "  ".join(cells))
    print(f"{'overall':14}{total_gold:7d}  " + "  ".join(
        f"{r.recall():6.3f}{r.precision():7.3f}{r.f1():7.3f}" for r in reports.values()
    ))  # fmt: skip
    print()
    print("throughput, one core: " + ", ".join(f"{name} {speeds[name]:,.1f} KB/s" for name, _p, _r in systems))
    ratio = speeds["ours"] / speeds["presidio"]
    spacy_ratio = speeds["ours+spaCy"] / speeds["presidio"]
    print(f"speed-up vs the Presidio default pipeline: ours {ratio:.0f}x, ours+spaCy {spacy_ratio:.1f}x")
    styles = sorted({n.style for n in notes if n.style})
    for style in styles:
        subset = [i for i, n in enumerate(notes) if n.style == style]
        report = evaluate([notes[i] for i in subset], [ours(fast)(notes[i].text) for i in subset])
        print(f"  ours on {style:14} R {report.recall():.3f}  P {report.precision():.3f}  ({len(subset)} notes)")
    met = reports["ours"].recall() >= 0.98 and reports["ours"].precision() >= 0.90 and ratio >= 25
    print(f"targets (R >= 0.98, P >= 0.90, >= 25x): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
