"""The name scanner: census names, title/relative/credential context and first+last pairs over word tokens."""

from __future__ import annotations

import re

from phi.lexicon import (
    AMBIG,
    CITY,
    CITY_AMBIG,
    CLINICAL,
    COMMON,
    ENGLISH,
    FIRST,
    LAST,
    NAME,
    NOTEWORD,
    POSTCRED,
    REGION,
    RELATIVE,
    ROLE,
    TITLE,
    VERB,
    Lexicon,
)
from phi.scan import Doc, Hit
from phi.words import words

__all__ = ["find_names"]

_NAMEY = FIRST | LAST
_TRIGGERS = TITLE | ROLE | RELATIVE
_MAYBE = NAME | AMBIG | FIRST | LAST
_PHRASE = 1 << 20  # a phrase that introduces a person (SEEN BY, SPOKE WITH, PATIENT:); beyond the lexicon's bits
_TALK = words("talk")
_BY = words("by")
_HANDOFF = frozenset({"GIVEN", "REPORT", "ENDORSED", "HANDED", "SIGNED", "TURNED"})  # REPORT GIVEN TO <NURSE>
_OPENERS = words("openers")
_ROLE_WORDS = words("role_descriptors")
_POSSESSORS = frozenset({"HIS", "HER", "THEIR", "PTS", "PATIENTS"})
_SIGN_OFF = re.compile(r"(?:thanks|thank you|regards|sincerely|best|cheers|love)[^\n]{0,12}$", re.IGNORECASE)
_M_D = re.compile(r"\s*,?\s*(?:M\.\s?D\.|R\.\s?N\.|N\.\s?P\.|D\.\s?O\.|P\.\s?A\.|PH\.?\s?D\.)", re.IGNORECASE)
_SPEECH = frozenset({"ASKED", "ASKING", "CALLED", "CALLING", "VISITED", "VISITING", "SAID", "STATED", "STATES",
                     "REQUESTS", "REQUESTED", "WANTS", "AGREES", "AGREED", "UPDATED", "NOTIFIED", "AWARE"})  # fmt: skip
_SERVICES = frozenset({"GI", "ID", "CARDS", "CARDIOLOGY", "RENAL", "NEURO", "NEUROLOGY", "SURGERY", "TEAM",
                       "ONC", "PULM", "ICU", "MICU", "SICU", "CCU", "EP", "ORTHO", "PSYCH", "TRANSPLANT"})  # fmt: skip
_PHONE_NEXT = re.compile(r"[ \t]*(?:[:@-]|AT)?[ \t]*\(?\d{3}\)?[ \t./-]{0,2}\d{3}[ \t./-]{0,2}\d{4}\b")
_DETERMINERS = frozenset({"A", "AN", "THE", "THIS", "SOME", "ANY", "EACH", "OUR", "YOUR", "GOOD"})
_MEDICAL_TITLES = frozenset({"MS", "MR"})  # also mental status, multiple sclerosis, mitral regurgitation
_BRACKET_ROLES = frozenset({"HO", "RN", "NP", "PA", "MD", "SW", "CM", "RT", "RRT", "PCP", "FELLOW", "RESIDENT",
                            "ATTENDING", "INTERN", "CHAPLAIN", "FRIEND", "NEIGHBOR", "HCP"})  # fmt: skip
_PERSON_ROLES = frozenset({"RN", "NP", "HO", "RRT", "LPN", "CNA", "NURSE", "RESIDENT", "INTERN", "FELLOW"})
_ABOUT = frozenset({"ABOUT", "RE", "REGARDING", "TO", "WITH"})
_GENERATION = frozenset({"JR", "SR", "II", "III", "IV"})
_VALUE_NEXT = re.compile(r"[ \t]*:?[ \t]*[<>=~]?[ \t]*\d")
_COMMON_FIRST_RANK = 600  # after a weak verb (PER, PAGED) an English-word name must be a common first name

# Scores by the evidence that made a token a name.
_S_TITLE = 0.95
_S_RELATIVE = 0.9
_S_CRED = 0.85
_S_VERB = 0.8
_S_PAIR = 0.75
_S_BARE = 0.6
_S_MIXED = 0.55


def _context(doc: Doc, i: int) -> int:
    """Which trigger precedes token i: a TITLE, ROLE, RELATIVE or VERB bit, or 0."""
    if not doc.near(i):
        return 0
    if doc.starts[i - 1] and doc.text[doc.starts[i - 1] - 1].isdigit():
        return 0  # 30CM MARK, -20CM SUX: a unit glued to a number is no role word
    keys = doc.keys
    prev = doc.classes[i - 1]
    key = keys[i - 1]
    gap = doc.gap(i)
    before = keys[i - 2] if i >= 2 else ""
    if prev & TITLE:
        return TITLE
    # Phrases that introduce a person return _PHRASE: what follows may still be a role or relative word.
    if ":" in gap and key in _OPENERS:
        return _PHRASE
    if "," in gap and _SIGN_OFF.search(doc.text, max(0, doc.starts[i] - 30), doc.starts[i] - len(gap) + 1):
        return _PHRASE
    if "." in gap:  # a sentence ended between the trigger word and this token
        return 0
    if key == "FOR" and before in ("ASKING", "ASKED", "ASKS", "CALLING", "LOOKING"):
        return _PHRASE  # PT ASKING FOR MILES ALL NIGHT
    if (key == "WITH" and before in _TALK) or (key == "BY" and before in _BY) or (key == "TO" and before in _HANDOFF):
        return _PHRASE
    if (key == "LAW" and before == "IN") or (key == "OTHER" and before == "SIGNIFICANT"):
        return RELATIVE
    if key in ("IS", "WAS") and before in ("NAME", "THIS"):
        return _PHRASE
    return prev & (ROLE | RELATIVE | VERB)


def _after(doc: Doc, i: int) -> bool:
    """A relative word follows token i in brackets or after a comma: SUSAN (DAUGHTER), PEARL, HIS WIFE."""
    n = len(doc.keys)
    j = i + 1
    if j >= n or not doc.near(j) or "\n" in doc.gap(j):
        return False
    first_gap = doc.gap(j)
    if "(" not in first_gap and "," not in first_gap:
        return False
    if doc.keys[j] in _POSSESSORS and j + 1 < n and doc.near(j + 1):
        j += 1
    return bool(doc.classes[j] & RELATIVE) or (doc.keys[j] in _BRACKET_ROLES and "(" in first_gap)


_UNIT_GLUE = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ/")  # 200cc/h. is a unit


def _initial(doc: Doc, j: int) -> bool:
    """Token j is a one-letter initial written with a dot (J. SMITH), not a letter glued to a number."""
    end, start = doc.ends[j], doc.starts[j]
    text = doc.text
    dotted = len(doc.keys[j]) == 1 and end < len(text) and text[end] == "."
    return dotted and (start == 0 or text[start - 1] not in _UNIT_GLUE)


def _open(doc: Doc, j: int) -> bool:
    """Token j could be a name nobody listed: not English, not clinical, name-shaped."""
    return not doc.classes[j] & (COMMON | CLINICAL | _NAMEY) and doc.shaped(j)


def _listed(c: int) -> bool:
    """A census name that is not a function word, plain clinical shorthand or an everyday note word."""
    return bool(c & NAME) or (bool(c & AMBIG) and not c & (CLINICAL | NOTEWORD))


def _kin(c: int) -> bool:
    """After a relative word any census name counts (WIFE ROSE, SON CHRISTIAN, SEEN BY MAX)."""
    return bool(c & NAME) or bool(c & AMBIG)


def _stop(c: int) -> bool:
    """Function words and plain clinical shorthand: never part of a name."""
    return bool(c & CLINICAL) and not c & AMBIG


def _cred_after(doc: Doc, i: int) -> bool:
    """A credential follows token i: JONES RN, J. SMITH, MD, SMITH M.D."""
    n = len(doc.keys)
    j = i + 1
    if j + 1 < n and _initial(doc, j) and doc.tight(j):
        j += 1  # ROSE M. RN
    if j < n:
        cred_ok = doc.caps or doc.word(j).isupper() or _sign_off_line(doc, i, j)
        if doc.classes[j] & POSTCRED and cred_ok and not doc.gap(j).strip(" ,") and len(doc.gap(j)) <= 3:
            return True
    return _M_D.match(doc.text, doc.ends[j - 1]) is not None


def _sign_off_line(doc: Doc, i: int, j: int) -> bool:
    """`name rn` alone on a line: a signature, whatever its case (jess rn, m. delgado rn)."""
    text = doc.text
    line_start = text.rfind("\n", 0, doc.starts[i]) + 1
    line_end = text.find("\n", doc.ends[j])
    tail = text[doc.ends[j] : line_end if line_end >= 0 else len(text)]
    head = text[line_start : doc.starts[i]]
    return not tail.strip(" .,-/") and len(head.strip(" -|*")) <= 3


def _named_noun(doc: Doc, i: int) -> bool:
    """A noun that is no census name and no note word (WordNet holds SEGNI): a name before a credential."""
    c = doc.classes[i]
    return bool(c & COMMON) and not c & (ENGLISH | CLINICAL | NOTEWORD | _MAYBE) and doc.shaped(i)


def _evidence(doc: Doc, lex: Lexicon, i: int, ctx: int) -> float:
    """The score token i earns from its context and its own class (0.0: not a name)."""
    c = doc.classes[i]
    key = doc.keys[i]
    if c & REGION and not ctx & (TITLE | RELATIVE | ROLE | _PHRASE):
        return 0.0  # FLORIDA, Vermont: a state or country is no name, whatever the census says
    shown = not doc.caps and doc.titlecase(i) and bool(c & _NAMEY)  # "Dr. May", "NP King" in mixed case
    if ctx & TITLE:
        if doc.keys[i - 1] in _MEDICAL_TITLES and c & ENGLISH and (doc.word(i - 1).isupper() or not shown):
            return 0.0  # ALTERED MS. FOUND DOWN, functional MR. Small effusion: shorthand, not a title
        if c & (NAME | AMBIG) or shown or (not c & (ENGLISH | CLINICAL) and key.isalpha() and len(key) >= 2):
            return _S_TITLE
        return 0.0
    if c & _TRIGGERS:
        return 0.0
    plain = not doc.caps and doc.titlecase(i) and not c & (ENGLISH | CLINICAL)  # "her husband Sky"
    if ctx & RELATIVE and ((_kin(c) and not _stop(c) and c & (NAME | FIRST)) or _open(doc, i) or shown or plain):
        return _S_RELATIVE  # WIFE ROSE, SON BOB; not HCP FORM, DAUGHTER STATES
    after_initial = i > 0 and doc.tight(i) and _initial(doc, i - 1)  # J. WHITE, MARY A. WHITE
    worded = bool(c & ENGLISH) and not doc.caps and doc.lower(i)  # "gay", "said", "dose" in mixed-case text
    if c & (NAME | FIRST | LAST) and not _stop(c) and not worded and _after(doc, i):
        return _S_RELATIVE  # CHRISTIAN (DAUGHTER), WATERS (HO): a relative or role in brackets after it
    person_role = doc.keys[i - 1] in _PERSON_ROLES if i else False  # not PA (line), PCA (pump), MD (units)
    if ctx & ROLE and person_role and c & LAST and not _stop(c) and not c & VERB and not worded and doc.gap(i) == " ":
        return _S_RELATIVE  # RN SNOW, NP YOUNG: right after a role, a surname even when it is a word
    common_first = doc.caps and lex.first_rank.get(key, 10**9) <= 300
    if c & ENGLISH and not c & (NAME | REGION) and not (shown or common_first or after_initial):
        return 0.0  # an English verb or adjective (SAID, FOUND, manual, gay) needs a relative, title or capital
    if ctx & (ROLE | _PHRASE) and (_listed(c) or _open(doc, i) or (shown and not _stop(c))):
        return _S_RELATIVE
    if ctx & _PHRASE and c & FIRST and not _stop(c):
        return _S_RELATIVE  # CARE ENDORSED TO APRIL
    if doc.eponym(i):
        return 0.0
    common_first = lex.first_rank.get(key, 10**9) <= _COMMON_FIRST_RANK
    if ctx & VERB and c & AMBIG and c & FIRST and _listed(c) and (common_first or (not doc.caps and doc.titlecase(i))):
        return _S_VERB
    if ctx & VERB and _open(doc, i) and not doc.caps and doc.titlecase(i):
        return _S_VERB
    if ctx & VERB and _open(doc, i) and i + 1 < len(doc.keys) and doc.keys[i + 1] in _ABOUT:
        return _S_VERB  # CALLED MARVER ABOUT PLAN
    if ctx & VERB and c & NAME and not c & (CLINICAL | CITY | CITY_AMBIG) and doc.keys[i - 1] != "BY":
        return _S_VERB  # called lisa about plan (not BY BOSTON EMS)
    speaker = not c & CLINICAL and (doc.titlecase(i) if c & ENGLISH or not doc.caps else True)
    if c & FIRST and speaker and _speaks(doc, i):
        return _S_VERB  # MARK ASKED ABOUT RECORDS, Joy called
    if c & (FIRST | NAME) and not _stop(c) and not c & ENGLISH and _PHONE_NEXT.match(doc.text, doc.ends[i]):
        return _S_VERB  # a contact list: kerri 617-555-8080, REGGIE 617-555-0957
    candidate = (_listed(c) or _open(doc, i)) and not c & VERB
    if ((_kin(c) and not _stop(c) and c & (NAME | FIRST)) or _open(doc, i)) and _after(doc, i):
        return _S_RELATIVE
    credited = candidate or _named_noun(doc, i) or (c & _MAYBE and not _stop(c) and key not in _ROLE_WORDS)
    if c & COMMON and not c & (NAME | FIRST) and not shown:
        credited = False  # DIABETES EDUCATION, SW | WOUND RN: a noun before a credential is a service
    if credited and not c & VERB and _cred_after(doc, i):
        return _S_CRED
    if i and c & LAST and not _stop(c) and doc.tight(i) and _initial(doc, i - 1):
        return _S_PAIR  # J. WHITE
    if c & NAME and not c & CLINICAL:
        if not doc.caps and doc.lower(i):
            return 0.0  # a lower-case word in mixed-case text, with nothing around it that speaks of a person
        if i and doc.keys[i - 1] in _DETERMINERS and doc.near(i) and not _initial(doc, i - 1):
            return 0.0  # A DEAN, A GOOD COLLEGE, THE "KING" COMMENT: a word, not a person
        return 0.0 if _VALUE_NEXT.match(doc.text, doc.ends[i]) else _S_BARE  # AVA 0.55, UNA <10: lab shorthand
    if (
        not doc.caps
        and _listed(c)
        and doc.titlecase(i)
        and i
        and doc.near(i)
        and not doc.titlecase(i - 1)
        and not doc.sentence_start(i)
    ):
        return _S_MIXED
    return 0.0


def _speaks(doc: Doc, i: int) -> bool:
    """Token i is the subject of a verb people do in notes (MARK ASKED, JOY CALLED, BOB VISITED TODAY)."""
    j = i + 1
    return j < len(doc.keys) and doc.keys[j] in _SPEECH and doc.gap(j) == " " and not doc.eponym(i)


def _first_pass(doc: Doc, lex: Lexicon, score: list[float]) -> None:
    keys = doc.keys
    classes = doc.classes
    carry = 0  # a title or relative before an initial carries over to the word after it (DR. J. WHITE)
    for i in range(len(keys)):
        c = classes[i]
        if not carry and not c & _MAYBE and len(keys[i]) > 1:
            if c & (ENGLISH | CLINICAL):
                continue  # plain English or shorthand: never a name
            if c & COMMON and not (i and classes[i - 1] & (TITLE | RELATIVE)) and not _cred_after(doc, i):
                continue  # a noun with no title, relative word or credential around it
        ctx = _context(doc, i) if i else 0
        if carry and doc.near(i):
            ctx = carry
        carry = 0
        before = classes[i - 2] if i >= 2 else 0
        named = before & (NAME | AMBIG) and not before & (VERB | CLINICAL) and keys[i - 2] not in _ROLE_WORDS
        closed = i >= 2 and (score[i - 2] or _initial(doc, i - 2) or named)
        if ctx & ROLE and closed and classes[i - 1] & POSTCRED:
            ctx = 0  # RYAN W. RN | STRENGTH 4/5: the RN closed a name, it does not open one
        if ctx & (TITLE | ROLE | RELATIVE | _PHRASE | VERB) and len(keys[i]) == 1 and _initial(doc, i):
            score[i] = _S_TITLE if ctx & TITLE else _S_RELATIVE
            carry = ctx
            continue
        score[i] = _evidence(doc, lex, i, ctx)


def _grow_right(doc: Doc, score: list[float], i: int) -> bool:
    classes, keys = doc.classes, doc.keys
    j = i + 1
    if j >= len(keys) or score[j]:
        return False
    ci, cj = classes[i], classes[j]
    sure = score[i] >= _S_RELATIVE
    if not doc.tight(j):
        # SMITH, JOHN after a strong opener (Patient: Roche, Katevor)
        comma = sure and doc.gap(j) in (", ", ",") and len(keys[j]) > 1 and (doc.caps or doc.titlecase(j))
        return comma and bool((cj & FIRST and not _stop(cj)) or _open(doc, j))
    if len(keys[j]) == 1:
        follows = j + 1 < len(keys) and doc.tight(j + 1) and (score[j + 1] or classes[j + 1] & _NAMEY)
        return _initial(doc, j) and bool(follows or (ci & FIRST and len(keys[i]) > 1))
    worded = cj & ENGLISH and not cj & NAME and (doc.caps or not doc.titlecase(j)) and not _initial(doc, i)
    if doc.eponym(j) or cj & VERB or worded:
        return False  # WIFE SUSAN GIVEN HANDOUT, Loretta home: a word, not a surname
    if cj & LAST and (cj & NAME or (ci & FIRST and _listed(cj)) or ((sure or _cred_after(doc, j)) and not _stop(cj))):
        return True
    if sure and ci & FIRST and _named_noun(doc, j) and (doc.caps or doc.titlecase(j)):
        return True  # DR. JOHN STRADIVARI
    if _initial(doc, i) and _open(doc, j) and (doc.caps or doc.titlecase(j)):
        return True  # AND S. MUSIOLIK: an initial that is part of a name takes the unlisted surname after it
    return bool((ci & FIRST or sure) and len(keys[i]) > 1 and _open(doc, j) and (doc.caps or doc.titlecase(j)))


def _grow_left(doc: Doc, score: list[float], i: int) -> bool:
    classes, keys = doc.classes, doc.keys
    j = i - 1
    if j < 0 or score[j] or not doc.tight(i) or classes[j] & (VERB | TITLE | ROLE | RELATIVE):
        return False
    ci, cj = classes[i], classes[j]
    if len(keys[j]) == 1:
        return _initial(doc, j)
    if ci & LAST and cj & FIRST and (_listed(cj) or (ci & NAME and not _stop(cj))):
        return True
    named = ci & NAME or score[i] >= _S_CRED
    return bool(ci & LAST and named and _open(doc, j) and (doc.caps or doc.titlecase(j)))


def _list_member(doc: Doc, j: int, bracketed: bool = False) -> bool:
    """Token j can continue a list of names: a surname or first name that is no shorthand or English verb
    (inside brackets an English-word surname counts too: (WHITE/BROWN))."""
    c = doc.classes[j]
    if len(doc.keys[j]) < 2 or _stop(c) or c & (VERB | _TRIGGERS) or doc.eponym(j):
        return False
    if c & ENGLISH and not (bracketed and c & LAST):
        return False
    return bool(c & (NAME | LAST | FIRST)) or _open(doc, j)


def _next_in_list(doc: Doc, score: list[float], i: int) -> int:
    """The index of the next name in a list after a name (DR. AMES AND KOWALSKI, GI (WHITE/BROWN)), or -1."""
    keys = doc.keys
    j = i + 1
    if j < len(keys) and keys[j] == "AND" and doc.gap(j) == " " and j + 1 < len(keys) and doc.gap(j + 1) == " ":
        j += 1
    elif not (j < len(keys) and doc.gap(j) in ("/", " / ", ", ", ",", " & ", "&")):
        return -1
    if score[j] or not (doc.caps or doc.titlecase(j) or not doc.titlecase(i)):
        return -1
    if j + 1 < len(keys) and _initial(doc, j) and doc.tight(j + 1):
        return j  # J. GIBSON AND S. MUSIOLIK: the initial opens the next name
    return j if _list_member(doc, j, _listed_after_plural_title(doc, i)) else -1


def _listed_after_plural_title(doc: Doc, i: int) -> bool:
    """A list opened by DRS. (DRS. LONG, HALL AND INGRAM): its members are surnames even when they are words."""
    return any(doc.keys[k] in ("DRS", "DOCTORS") for k in range(max(0, i - 8), i))


def _bracketed_team(doc: Doc, score: list[float]) -> None:
    """Surnames in brackets after a service or before AWARE: GI (WHITE/BROWN) AWARE, team (Gupta/Chen)."""
    text = doc.text
    for i in range(len(doc.keys)):
        if score[i] or not doc.gap(i).endswith("(") or not _list_member(doc, i, True):
            continue
        j = i
        while j + 1 < len(doc.keys) and doc.gap(j + 1) in ("/", ", ", " / ") and _list_member(doc, j + 1, True):
            j += 1
        close = text.find(")", doc.ends[j])
        if close != doc.ends[j]:
            continue
        before = doc.keys[i - 1] if i else ""
        after = doc.keys[j + 1] if j + 1 < len(doc.keys) else ""
        listed = all(doc.classes[k] & (FIRST | LAST | NAME) for k in range(i, j + 1))
        if listed and ((after in _SPEECH and j > i) or before in _SERVICES):
            for k in range(i, j + 1):
                score[k] = _S_PAIR


def _suffixes_and_nicknames(doc: Doc, score: list[float]) -> None:
    """After a name: a generational suffix (FRANCIS JR., MARCUS JR) and a nickname in quotes or brackets
    (Francis Jr. ("Frannie"), Raymond "Ray" Tuttle, beverly (bev))."""
    keys, text = doc.keys, doc.text
    for i in range(len(keys) - 1):
        if not score[i] or score[i + 1]:
            continue
        j = i + 1
        gap = doc.gap(j)
        if keys[j] in _GENERATION and gap in (" ", ", "):
            score[j] = _S_PAIR
            continue
        quoted = gap.rstrip().endswith(("(", '"', '("', "'", "(")) and len(gap) <= 4 and "\n" not in gap
        closes = text[doc.ends[j] : doc.ends[j] + 1] in ('"', ")", "'")
        c = doc.classes[j]
        plain = quoted and closes and len(keys[j]) >= 2 and not _stop(c) and not c & (VERB | _TRIGGERS | ENGLISH)
        shorthand = doc.word(j).isupper() and not doc.caps  # DR. O'CONNELL (NSGY): a service, not a nickname
        if plain and not shorthand and (c & (FIRST | NAME) or (_open(doc, j) and not doc.caps)):
            score[j] = _S_PAIR


def _expand(doc: Doc, score: list[float]) -> None:
    """Grow names into neighbouring initials, first names and surnames (MARY A. WHITE, J. SMITH, DR. JO BELL)."""
    _bracketed_team(doc, score)
    _suffixes_and_nicknames(doc, score)
    for _round in range(3):
        changed = False
        for i in range(len(score)):
            if not score[i]:
                continue
            if score[i] >= _S_CRED:
                nxt = _next_in_list(doc, score, i)
                if nxt > 0:
                    score[nxt], changed = _S_PAIR, True
            if _grow_right(doc, score, i):
                score[i + 1], changed = _S_PAIR, True
            if _grow_left(doc, score, i):
                score[i - 1], changed = _S_PAIR, True
        if not changed:
            break


def find_names(doc: Doc, lex: Lexicon) -> list[Hit]:
    """NAME hits, one per word token (the engine joins neighbours into one span)."""
    score = [0.0] * len(doc)
    _first_pass(doc, lex, score)
    _expand(doc, score)
    starts, ends = doc.starts, doc.ends
    return [(starts[i], ends[i], "NAME", s) for i, s in enumerate(score) if s]
