"""The CLI contract: JSON lines in, JSON lines out, offsets in Python characters, bad lines are exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from phi import Engine
from phi.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOTES: list[dict[str, Any]] = [
    {"id": "n1", "text": "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."},
    {"id": 2, "text": "DAUGHTER SUSAN CALLED 617-555-1234 ON 7/22. NPO, BP 120/80.", "subject": "p-2"},
    {"id": "n3", "text": "Ünïcode first — SEEN BY DR. KOWALSKI"},
    {"id": "n4", "text": ""},
]


@pytest.fixture
def notes_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps(n, ensure_ascii=False) + "\n" for n in NOTES), encoding="utf-8")
    return path


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_detect_round_trips_a_sample_file(engine: Engine, notes_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "entities.jsonl"
    assert main(["detect", "--in", str(notes_file), "--out", str(out)]) == 0
    written = rows(out)
    assert [r["id"] for r in written] == ["n1", 2, "n3", "n4"]
    for note, row in zip(NOTES, written, strict=True):
        assert row["entities"] == [e.to_dict() for e in engine.analyze(note["text"])]
        assert set(row) == {"id", "entities"}
    first = written[0]["entities"]
    assert isinstance(first, list)
    assert [NOTES[0]["text"][e["start"] : e["end"]] for e in first] == ["John Smith", "01/15/1965"]
    third = written[2]["entities"]
    assert isinstance(third, list)
    assert [NOTES[2]["text"][e["start"] : e["end"]] for e in third] == ["KOWALSKI"]  # Python character offsets


def test_redact_writes_id_and_text(notes_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "redacted.jsonl"
    assert main(["redact", "--in", str(notes_file), "--out", str(out)]) == 0
    written = rows(out)
    assert written[0] == {
        "id": "n1",
        "text": "Patient [REDACTED NAME] (DOB: [REDACTED DATE]) has been diagnosed with type 2 diabetes.",
    }
    assert written[1]["text"] == "DAUGHTER [REDACTED NAME] CALLED [REDACTED PHONE] ON [REDACTED DATE]. NPO, BP 120/80."


def test_redact_can_let_types_through(notes_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "redacted.jsonl"
    assert main(["redact", "--in", str(notes_file), "--out", str(out), "--allow", "DATE,PHONE"]) == 0
    assert rows(out)[1]["text"] == "DAUGHTER [REDACTED NAME] CALLED 617-555-1234 ON 7/22. NPO, BP 120/80."


def test_deidentify_with_the_key_from_the_environment(
    notes_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHI_DEID_KEY", "acme-health-phi-key-0123456789")
    out = tmp_path / "deid.jsonl"
    assert main(["deidentify", "--in", str(notes_file), "--out", str(out)]) == 0
    text = rows(out)[0]["text"]
    assert isinstance(text, str)
    assert "John Smith" not in text and "01/15/1965" not in text
    assert text.endswith(") has been diagnosed with type 2 diabetes.")


def test_deidentify_with_a_key_file_is_consistent(notes_file: Path, tmp_path: Path) -> None:
    key = tmp_path / "phi.key"
    key.write_bytes(b"acme-health-phi-key-0123456789\n")
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert main(["deidentify", "--in", str(notes_file), "--out", str(first), "--key-file", str(key)]) == 0
    assert main(["deidentify", "--in", str(notes_file), "--out", str(second), "--key-file", str(key)]) == 0
    assert rows(first) == rows(second)


def test_deidentify_without_a_key_is_exit_2(
    notes_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PHI_DEID_KEY", raising=False)
    assert main(["deidentify", "--in", str(notes_file), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "PHI_DEID_KEY" in capsys.readouterr().err


def test_malformed_json_on_line_3_is_exit_2_naming_line_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n{"id": 3, "text": \n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["detect", "--in", str(bad), "--out", str(out)]) == 2
    assert "line 3" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("line", "problem"),
    [('["not", "an", "object"]', "JSON object"), ('{"text": "no id"}', '"id"'), ('{"id": 1, "text": 5}', '"text"')],
)
def test_other_bad_lines_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, problem: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\n' + line + "\n", encoding="utf-8")
    assert main(["detect", "--in", str(bad), "--out", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and problem in err


def test_python_dash_m_phi_end_to_end(notes_file: Path, tmp_path: Path) -> None:
    """The real entry point in a fresh interpreter: a good file, then a bad one."""
    out = tmp_path / "entities.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "phi", "detect", "--in", str(notes_file), "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert len(rows(out)) == 4
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "a"}\n\n{oops\n', encoding="utf-8")
    failed = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "phi", "detect", "--in", str(bad), "--out", str(tmp_path / "o.jsonl")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 2
    assert "line 3" in failed.stderr
