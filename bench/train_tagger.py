"""Train the word tagger (phi/tagger.py) on our own notes and measure whether it earns its cost over rules alone.

    .venv/bin/python bench/train_tagger.py [--notes 1500] [--epochs 5] [--test d] [--save]

Trains on the generator's notes plus every hand-written set but one (bench/data/phi_dev_hand_*.jsonl), then
scores, on the set left out (`--test`, default the newest, never trained on) and on the PHI-free notes: rules
alone, and rules plus the tagger's extra words.  Prints recall, precision, false positives per 1,000 tokens and
throughput for both, in the same run.  `--save` writes phi/data/tagger.json.gz.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from phi import Engine
from phi.corpus import Note, generate, read_jsonl
from phi.metrics import Span, score
from phi.scan import tokenize
from phi.tagger import WEIGHTS, Perceptron, WordTagger, features, ruled_words, word_labels

DATA = Path(__file__).resolve().parent / "data"
TOKEN = re.compile(r"[A-Za-z0-9]+")


def rules_only(engine: Engine, text: str) -> tuple[list[str], list[tuple[int, int, str]]]:
    entities = engine.analyze(text)
    doc = tokenize(text, engine.lexicon)
    return ruled_words(doc, entities), [(e.start, e.end, e.type) for e in entities]


def predict(engine: Engine, tagger: WordTagger | None, text: str) -> list[Span]:
    entities = engine.analyze(text)
    spans: list[Span] = [(e.start, e.end, e.type) for e in entities]
    if tagger is not None:
        spans += [(s, e, k) for s, e, k, _sc, _r, _ev in tagger.additions(tokenize(text, engine.lexicon), entities)]
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=1500)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--save", action="store_true")
    hand = {p.stem.removeprefix("phi_dev_hand_"): p for p in sorted(DATA.glob("phi_dev_hand_*.jsonl"))}
    parser.add_argument("--test", default=max(hand), choices=sorted(hand), help="the hand-written set held out")
    args = parser.parse_args()
    engine = Engine(use_tagger=False)  # the tagger learns on top of the rules' own decisions
    train: list[Note] = generate(args.notes, seed=7)
    for name, path in hand.items():
        if name != args.test:
            train += read_jsonl(path)
    test = read_jsonl(hand[args.test])
    held_out = f"hand_{args.test}"
    free = [Note(id=str(i), style="", text=line, spans=()) for i, line in enumerate(_free_texts())]

    rows: list[tuple[list[str], bool]] = []
    for note in train:
        doc = tokenize(note.text, engine.lexicon)
        ruled, _entities = rules_only(engine, note.text)
        labels = word_labels(doc, [(s.start, s.end, s.type) for s in note.spans])
        rows.extend((features(doc, i, ruled), labels[i]) for i in range(len(doc.keys)))
    model = Perceptron()
    rng = random.Random(13)
    for _epoch in range(args.epochs):
        rng.shuffle(rows)
        for feats, truth in rows:
            model.update(feats, truth)
    model.average()
    print(f"trained on {len(train)} notes, {len(rows)} words, {len(model.weights)} weights")

    for name, chosen in (("rules alone", None), ("rules + tagger", WordTagger(model))):
        start = time.perf_counter()
        predicted = [predict(engine, chosen, n.text) for n in test]
        seconds = time.perf_counter() - start
        kb = sum(len(n.text.encode()) for n in test) / 1000
        report = score(
            (n.text, [(s.start, s.end, s.type) for s in n.spans], p) for n, p in zip(test, predicted, strict=True)
        )
        flagged = sum(len(TOKEN.findall(n.text[s:e])) for n in free for s, e, _k in predict(engine, chosen, n.text))
        tokens = sum(len(TOKEN.findall(n.text)) for n in free)
        print(f"{name:16} on {held_out}: R {report.recall():.3f}  P {report.precision():.3f}  "
              f"PHI-free FP {1000 * flagged / tokens:.2f}/1k tokens  {kb / seconds:,.0f} KB/s")  # fmt: skip
    if args.save:
        model.save(WEIGHTS)
        print(f"saved {WEIGHTS}")


def _free_texts() -> list[str]:
    import json

    path = DATA / "phi_free_notes.jsonl"
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


if __name__ == "__main__":
    main()
