"""The four modes (detect, redact, reject, deidentify) and minimum-necessary pass-through."""

from __future__ import annotations

import pytest

import phi
from phi import DeidContext, Engine, PHIRejected

SEED = "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."
KEY = b"acme-health-phi-key-0123456789"
NOTE = "SEEN BY DR. SMITH ON 7/22. WIFE MARY CALLED 617-555-1234. MRN 1234567. LIVES IN QUINCY. 92 YO."


def test_detect_leaves_the_text_unchanged(engine: Engine) -> None:
    result = engine.process(SEED, "detect")
    assert result.text == SEED
    assert result.mode == "detect"
    assert [e.type for e in result.entities] == ["NAME", "DATE"]


def test_redact_the_seed_example_exactly(engine: Engine) -> None:
    result = engine.process(SEED, "redact")
    assert result.text == "Patient [REDACTED NAME] (DOB: [REDACTED DATE]) has been diagnosed with type 2 diabetes."


def test_module_level_process_uses_the_default_engine() -> None:
    assert phi.process(SEED, "redact").text.startswith("Patient [REDACTED NAME] (DOB: [REDACTED DATE])")


def test_redact_uses_one_label_per_type(engine: Engine) -> None:
    text = engine.process(NOTE, "redact").text
    assert text == (
        "SEEN BY DR. [REDACTED NAME] ON [REDACTED DATE]. WIFE [REDACTED NAME] CALLED [REDACTED PHONE]. "
        "MRN [REDACTED MRN]. LIVES IN [REDACTED LOCATION]. [REDACTED AGE] YO."
    )


def test_reject_raises_with_types_and_counts(engine: Engine) -> None:
    with pytest.raises(PHIRejected) as caught:
        engine.process(NOTE, "reject")
    assert caught.value.types == ("AGE", "DATE", "LOCATION", "MRN", "NAME", "PHONE")
    assert caught.value.counts["NAME"] == 2


def test_reject_never_exposes_values(engine: Engine) -> None:
    with pytest.raises(PHIRejected) as caught:
        engine.process(NOTE, "reject")
    exposed = " ".join([str(caught.value), repr(caught.value), *map(str, caught.value.args)])
    for value in ("SMITH", "7/22", "MARY", "617-555-1234", "1234567", "QUINCY", "92"):
        assert value not in exposed
    assert "NAME" in str(caught.value)


def test_reject_passes_text_without_phi(engine: Engine) -> None:
    result = engine.process("BP 120/80, HR 88, LS CLEAR. PLAN: CONT LASIX.", "reject")
    assert result.entities == ()


def test_allowed_types_pass_through_and_the_rest_is_handled(engine: Engine) -> None:
    result = engine.process(SEED, "redact", allowed_types=["DATE"])
    assert result.text == "Patient [REDACTED NAME] (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."
    assert [e.type for e in result.allowed] == ["DATE"]
    assert [e.type for e in result.entities] == ["NAME"]


def test_reject_ignores_allowed_types(engine: Engine) -> None:
    assert engine.process("ADMITTED 7/22", "reject", allowed_types=["DATE"]).allowed[0].type == "DATE"


def test_unknown_allowed_type_is_an_error(engine: Engine) -> None:
    with pytest.raises(ValueError, match="BLOOD_TYPE"):
        engine.process(SEED, "redact", allowed_types=["BLOOD_TYPE"])


@pytest.mark.parametrize("mode", ["de-identify", "Deidentify", "DEIDENTIFY"])
def test_mode_spellings(engine: Engine, mode: str) -> None:
    assert engine.process(SEED, mode, context=DeidContext(KEY)).mode == "deidentify"


def test_unknown_mode(engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown PHI mode"):
        engine.process(SEED, "obfuscate")


def test_deidentify_needs_a_key(engine: Engine) -> None:
    with pytest.raises(ValueError, match="DeidContext"):
        engine.process(SEED, "deidentify")
    with pytest.raises(ValueError, match="16 bytes"):
        DeidContext(b"short")


def test_deidentify_the_seed_example(engine: Engine) -> None:
    text = engine.process(SEED, "deidentify", context=DeidContext(KEY)).text
    prefix, rest = text.split(" (DOB: ")
    new_date, tail = rest.split(")", 1)
    assert prefix.startswith("Patient ") and prefix != "Patient John Smith"
    assert len(prefix.split()) == 3 and all(w[0].isupper() and w[1:].islower() for w in prefix.split()[1:])
    assert new_date != "01/15/1965" and len(new_date) == 10 and new_date[2] == new_date[5] == "/"
    assert tail == " has been diagnosed with type 2 diabetes."


def test_result_counts_are_types_and_numbers_only(engine: Engine) -> None:
    assert engine.process(NOTE, "detect").counts() == {
        "AGE": 1,
        "DATE": 1,
        "LOCATION": 1,
        "MRN": 1,
        "NAME": 2,
        "PHONE": 1,
    }
