"""The streaming hold-back window: PHI split across chunks never reaches the client, not even its first
characters, and the concatenated stream equals the whole answer processed at once."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phi import DeidContext, get_engine
from phi.inert import inert_prefix
from phi.stream import HOLD_CHARS, STEP_CHARS, HoldBack

CONTEXT = DeidContext(b"stream-test-key-0123456789abcdef", "subject-7")
NAMES = ("John Smith", "Maria Garcia", "Kimberly Ostrowski", "Earl Whitfield", "Rosa Delgado")
DATES = ("01/15/1965", "03/04/2024", "12/31/2019", "07/08/1951")
PHONES = ("617-555-0143", "(508) 555-0199", "413-555-0127")
MRNS = ("4827361", "90817264", "5512093")
# Sentences without digits or capitalised words of their own, so any identifier prefix in the output is a leak.
TEMPLATES = (
    ("Patient {name} was seen today for follow up of diabetes. ", "name"),
    ("Date of birth: {date}. ", "date"),
    ("call the clinic at {phone} with readings over the target. ", "phone"),
    ("MRN: {mrn}. ", "mrn"),
    ("daughter {name} will drive the patient to appointments. ", "name"),
    ("labs were drawn on {date} and reviewed with the family. ", "date"),
    ("no changes to the plan, continue the current dose and diet. ", None),
    # The model repeating the gateway's own labels from a redacted prompt, PHI right after one.
    ("Patient [REDACTED NAME] was seen on {date} at [REDACTED LOCATION]. ", "date"),
    ("[REDACTED NAME] (phone [REDACTED PHONE]) and son {name} agree. ", "name"),
)
VALUES = {"name": NAMES, "date": DATES, "phone": PHONES, "mrn": MRNS}


def note(picks: list[tuple[int, int]]) -> tuple[str, list[str]]:
    """Text from (template, value) index pairs, and the identifiers planted in it."""
    parts, planted = [], []
    for template_index, value_index in picks:
        template, kind = TEMPLATES[template_index % len(TEMPLATES)]
        if kind is None:
            parts.append(template)
            continue
        value = VALUES[kind][value_index % len(VALUES[kind])]
        planted.append(value)
        parts.append(template.format(**{kind: value}))
    return "".join(parts).strip(), planted


def stream(text: str, sizes: list[int], mode: str) -> tuple[list[str], HoldBack]:
    """Feed `text` in chunks of the given sizes (cycled); returns what the client saw after each chunk."""
    window = HoldBack(get_engine(), mode, context=CONTEXT)
    views, shown, at, turn = [], "", 0, 0
    while at < len(text):
        size = sizes[turn % len(sizes)]
        shown += window.feed(text[at : at + size])
        views.append(shown)
        at, turn = at + size, turn + 1
    shown += window.finish()
    views.append(shown)
    return views, window


def assert_never_leaks(text: str, planted: list[str], sizes: list[int], mode: str) -> None:
    whole = get_engine().process(text, mode, context=CONTEXT)
    for value in planted:
        assert value not in whole.text, f"the engine itself missed {value!r}"
    views, window = stream(text, sizes, mode)
    assert views[-1] == whole.text  # the concatenated stream is the non-streamed result
    assert window.counts() == whole.counts()  # and the audit counts match
    for view in views:
        assert whole.text.startswith(view)  # nothing shown that the whole answer would not show
        if mode == "redact":  # no surrogate can look like an identifier here: check prefixes literally
            for value in planted:
                for k in range(2, len(value) + 1):
                    assert value[:k] not in view, f"{value[:k]!r} of {value!r} reached the client"


@settings(max_examples=120, deadline=None)
@given(
    picks=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=8),
    sizes=st.lists(st.integers(1, 20), min_size=1, max_size=30),
    mode=st.sampled_from(["redact", "deidentify"]),
)
def test_no_identifier_prefix_reaches_the_client_at_any_chunking(picks, sizes, mode):
    text, planted = note(picks)
    assert_never_leaks(text, planted, sizes, mode)


@pytest.mark.parametrize("mode", ["redact", "deidentify"])
def test_many_seeds_of_random_chunk_boundaries(mode):
    text, planted = note([(i, i * 7 + 3) for i in range(14)])
    for seed in range(40):
        rng = random.Random(seed)
        assert_never_leaks(text, planted, [rng.randint(1, 20) for _ in range(200)], mode)


def test_a_phone_number_sent_one_character_at_a_time_is_held_until_it_is_whole():
    text = "For results call 617-555-0143 after five in the evening on weekdays please."
    views, window = stream(text, [1], "redact")
    assert views[-1] == "For results call [REDACTED PHONE] after five in the evening on weekdays please."
    assert all("6" not in view for view in views)
    assert window.counts() == {"PHONE": 1}


def test_text_shorter_than_the_window_comes_out_only_at_the_end_and_processed():
    views, _ = stream("Seen by Dr. Maria Garcia.", [4], "redact")
    assert set(views[:-1]) <= {"", "Seen ", "Seen by "}  # plain opening words leave at once; nothing after them
    assert views[-1] == "Seen by Dr. [REDACTED NAME]."


def test_the_opening_plain_words_are_released_as_soon_as_each_is_complete():
    text = "The patient was seen today and Maria Garcia will drive her home after the visit."
    views, window = stream(text, [3], "redact")
    first = next(i for i, view in enumerate(views) if view)
    assert views[first] == "The patient " and first <= 4  # out once the word after "The" is whole, long before a window
    early = [view for view in views[:-1] if view]
    assert early and all(not view.endswith(("Maria ", "Garcia ")) and "Mar" not in view for view in early)
    assert views[-1] == "The patient was seen today and [REDACTED NAME] will drive her home after the visit."
    assert window.counts() == {"NAME": 1}


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("The Dalles is where her son lives now and she visits him in the summer months.", "The"),
        ("daughter grace will visit tomorrow with the grandchildren after school ends.", "grace"),
        ("labs were drawn on may 5 and reviewed with the family at the bedside today.", "may"),
        ("Seen by Mercy General for follow up of his diabetes and blood pressure on the ward.", "Mercy"),
    ],
)
def test_a_word_that_could_be_part_of_an_identifier_ends_the_fast_release(text, held):
    views, _ = stream(text, [2], "redact")
    assert views[-1] == get_engine().process(text, "redact", context=CONTEXT).text
    opening = text[: inert_prefix(text, 0, get_engine().lexicon)]
    assert held not in opening.split()
    first_window = (HOLD_CHARS + STEP_CHARS) // 2  # the chunk after which the window may first release
    assert all(view == "" or opening.startswith(view) for view in views[: first_window - 1])


def test_the_gateways_own_labels_leave_with_the_opening_words():
    text = "Patient [REDACTED NAME] (phone [REDACTED PHONE]) was seen on 03/04/2024 by Maria Garcia at the clinic."
    views, window = stream(text, [2], "redact")
    first = next(i for i, view in enumerate(views) if view)
    assert views[first] == "Patient [REDACTED NAME] " and first < len("Patient [REDACTED NAME] (") // 2 + 1
    early = [view for view in views[:-1] if view]
    assert all("03/" not in view and "Mar" not in view for view in early)
    assert "Patient [REDACTED NAME] (phone [REDACTED PHONE]) was seen on " in early
    assert views[-1] == (
        "Patient [REDACTED NAME] (phone [REDACTED PHONE]) was seen on [REDACTED DATE] by [REDACTED NAME] at the clinic."
    )
    assert window.counts() == {"DATE": 1, "NAME": 1}


@pytest.mark.parametrize("mode", ["redact", "deidentify"])
def test_an_opener_leaves_once_the_engine_starts_an_entity_after_it_and_nothing_of_the_entity_does(mode):
    text = "Patient John Smith (DOB: 03/04/2024) was seen today for follow up of his diabetes and blood pressure."
    views, window = stream(text, [2], mode)
    whole = get_engine().process(text, mode, context=CONTEXT)
    assert views[-1] == whole.text and window.counts() == whole.counts()
    first = next(i for i, view in enumerate(views) if view)
    # Out once the name is closed by the bracket after it, long before a window: the engine saw the whole name.
    assert views[first] == "Patient " and first == len("Patient John Smith (") // 2 - 1
    first_window = (HOLD_CHARS + STEP_CHARS) // 2
    assert all(view in ("", "Patient ") for view in views[: first_window - 1])  # then only the window releases
    assert all("Jo" not in view and "Smi" not in view and "03/" not in view for view in views)


@pytest.mark.parametrize(
    "text",
    [  # the engine takes the opener into these names and places: it must not have left before they were whole
        "Discharged St. Mary's Hospital (DOB: 04/21/2023, MRN 9724026) reports fatigue and polyuria today.",
        "Husband Temecula General Hospital (DOB: 04/21/2023, MRN 9724026) reports fatigue and polyuria today.",
        "Contact St. Mary's Hospital and the family agree with the plan of care going forward.",
        "Daughter Temecula General Hospital and the family agree with the plan of care going forward.",
    ],
)
@pytest.mark.parametrize("mode", ["redact", "deidentify"])
def test_an_opener_the_whole_entity_takes_in_never_leaves_early(text, mode):
    whole = get_engine().process(text, mode, context=CONTEXT).text
    for size in (1, 2, 3, 5, 8):
        views, _ = stream(text, [size], mode)
        assert views[-1] == whole
        assert all(whole.startswith(view) for view in views)


@pytest.mark.parametrize(
    "text",
    [
        "Patient [REDACTED NAME]Smith was seen today for follow up of his diabetes and blood pressure.",
        "Patient [REDACTED SPECIES] Smith was seen today for follow up of his diabetes and pressure.",
        "Patient [REDACTED NAME",
    ],
)
def test_only_a_whole_label_of_ours_is_inert(text):
    assert inert_prefix(text, 0, get_engine().lexicon) == 0


def test_text_is_released_while_the_answer_is_still_coming():
    text = "the plan is unchanged and the patient agrees with it. " * 6
    views, _ = stream(text, [5], "redact")
    first = next(i for i, view in enumerate(views) if view)
    assert first * 5 <= HOLD_CHARS + 40  # the first words leave after about one window, not at the end
    assert views[-1] == text.strip() or views[-1] == text


def test_detect_passes_text_through_as_it_comes_and_counts_at_the_end():
    text = "Patient John Smith called from 617-555-0143."
    window = HoldBack(get_engine(), "detect")
    assert [window.feed(text[i : i + 7]) for i in range(0, len(text), 7)] == [
        text[i : i + 7] for i in range(0, len(text), 7)
    ]
    assert window.finish() == ""
    assert window.counts() == {"NAME": 1, "PHONE": 1}


def test_reject_is_not_a_streaming_mode_and_deidentify_needs_a_key():
    with pytest.raises(ValueError, match="never rejected"):
        HoldBack(get_engine(), "reject")
    with pytest.raises(ValueError, match="DeidContext"):
        HoldBack(get_engine(), "deidentify")
