"""Cues that make a word a name where the main name scanner (phi/names.py) stays quiet.

Each cue is a phrase no clinical word fits, so it may take a first name that is also an English word:

* a possessive before a contact word: GRACE'S CELL, Hope's number, Jordan's cell;
* a credential after a first name, with its middle initial: TINA M RN, REPORT TO HECTOR RN;
* a nickname in quotes after a name: RICHARD "RICK" CALLAHAN, Harold Jr. ("Skip");
* a first name between a relative and a verb: SON WILL CALLED, WIFE JOY VISITED;
* a census first name before a speech or visit verb: MARK SAYS, ART WILL DRIVE THEM;
* the name someone goes by: (goes by jen), prefers to be called Bud;
* a first name alone in brackets after a role or relative: SUPERVISOR (PAM), brother (Norm);
* a relative word and a capitalised word in mixed-case text: brother Norm, daughter Hope;
* initials that sign a note on their own line: --k.m., r.l.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from phi.lexicon import (
    CITY,
    CITY_AMBIG,
    CLINICAL,
    COMMON,
    ENGLISH,
    FIRST,
    LAST,
    NAME,
    RARE,
    REGION,
    RELATIVE,
    ROLE,
    TITLE,
    Lexicon,
)
from phi.scan import Doc, Hit

__all__ = ["find_name_cues", "widen_names"]

_CONTACT_AFTER = re.compile(r"'S[ \t]+(?:CELL|PHONE|NUMBER|NUM|#|HOME|WORK|PAGER|MOBILE|EMAIL|LANDLINE)\b")
_CREDENTIAL = re.compile(r"(?:[ \t]+([A-Z])\.?)?[ \t]+(?:RN|LPN|RRT|CRT|NP|MSW|LICSW|CNA|RT|RCP)\b(?![-/][A-Z])")
_NICKNAME = re.compile(r"[ \t]*\(?[\"“]([A-Z][A-Z'-]+)[\"”]\)?")
_GOES_BY_ANY = re.compile(r"\b(?:GOES[ \t]+BY|PREFERS[ \t]+TO[ \t]+BE[ \t]+CALLED|PREFERS|A\.?K\.?A\.?|NICKNAME)[ \t]+")
_VERBS_AFTER = frozenset({"LIVES", "SAYS", "SAID", "STATES", "STATED", "REPORTS", "REPORTED", "CALLED",
                          "VISITED", "ASKED", "WANTS", "AGREES", "AGREED", "CAME", "DROVE", "BROUGHT", "DROPPED",
                          "LEFT", "ARRIVED", "WILL"})  # fmt: skip
_NOT_A_SIGNER = re.compile(r"(?:OK|NO|RA|PO|IV|AM|PM|ED|OR|SP|BS)\Z")
_SIGNOFF = re.compile(
    r"^[ \t]*-{0,2}[ \t]*([A-Z]\.[ \t]?[A-Z]\.?|[A-Z]\.?[A-Z]\.)[ \t]*$|^[ \t]*-{1,2}[ \t]*([A-Z]{2,3})[ \t]*$",
    re.MULTILINE,
)
_SEEN_AFTER = frozenset({"RN", "RRT", "MD", "NP", "PA", "AWARE", "NOTIFIED", "PAGED", "CALLED", "UPDATED",
                         "INFORMED", "CONSULTED", "EVALUATED", "SAW", "SEEN", "IN", "AT", "CRT", "LPN"})  # fmt: skip
_NOT_POSSESSORS = frozenset({"PT", "PATIENT", "MD", "TEAM", "PCP", "HCP", "PTS"})
_NOT_CREDENTIALED = frozenset({"CHARGE", "PRIMARY", "NIGHT", "DAY", "FLOOR", "RESOURCE", "STAFF", "TRAVEL", "FLOAT",
                               "NEW", "ADMITTING", "RECEIVING", "ONCOMING", "CIRCULATING", "DAYS", "NIGHTS", "EVENING",
                               "THE", "TO", "BY", "PER", "WITH", "AND", "OR", "MY", "YOUR", "STUDENT", "OTHER",
                               "TEAM", "ICU", "CCU", "MICU", "SICU", "PACU", "ER", "ED", "UNIT", "HOSPICE", "VNA",
                               "PEDS", "NICU", "DIALYSIS", "IV", "CASE", "SENIOR", "NURSE"})  # fmt: skip


def _nameable(doc: Doc, lex: Lexicon, i: int, *, english_ok: bool) -> bool:
    """Token i may be a first name here: a census first name (even one that is a word: GRACE, WILL, MARK) or,
    with `english_ok`, any capitalised word that is no clinical shorthand, role or relative."""
    key = doc.keys[i]
    c = doc.classes[i]
    if c & (TITLE | ROLE | RELATIVE) or len(key) < 2:
        return False
    if key in lex.first_rank:
        return True
    if not english_ok or c & CLINICAL:
        return False
    return bool(c & (FIRST | LAST | NAME)) or not c & COMMON


def _written_as_name(doc: Doc, i: int) -> bool:
    return doc.caps or doc.titlecase(i)


def _possessive(doc: Doc, lex: Lexicon, i: int) -> bool:
    """GRACE'S CELL, Hope's number."""
    return (
        _CONTACT_AFTER.match(doc.up, doc.ends[i]) is not None
        and _written_as_name(doc, i)
        and doc.keys[i] not in _NOT_POSSESSORS
        and _nameable(doc, lex, i, english_ok=True)
    )


def _credentialed(doc: Doc, lex: Lexicon, i: int) -> int:
    """TINA M RN, Hector RN: where the name ends (after its initial), or 0."""
    credential = _CREDENTIAL.match(doc.up, doc.ends[i])
    key = doc.keys[i]
    if credential is None or key in _NOT_CREDENTIALED:
        return 0
    c = doc.classes[i]
    if c & CLINICAL:
        return 0
    signs = _line_end(doc, credential.end())  # the credential ends the note's line: a sign-off
    if not _written_as_name(doc, i) and not (signs and key in lex.first_rank):
        return 0  # a lower-case first name only as a sign-off: ray rrt
    titled_word = signs and not doc.caps and doc.titlecase(i)  # - Skip RT
    if key not in lex.first_rank and not (signs and (c & (LAST | NAME) or not c & (COMMON | ENGLISH) or titled_word)):
        return 0
    return credential.end(1) if credential.group(1) else doc.ends[i]


def _line_end(doc: Doc, at: int) -> bool:
    rest = doc.text[at : doc.text.find("\n", at) if "\n" in doc.text[at:] else len(doc.text)]
    return not rest.strip(" .,-/|")


def _nickname(doc: Doc, lex: Lexicon, i: int) -> bool:
    """RICHARD "RICK" CALLAHAN, Harold Jr. ("Skip"), HIS FRIEND "SKIP"."""
    if not i:
        return False
    before = doc.keys[i - 1]
    if not (before in lex.first_rank or before in ("JR", "SR") or doc.classes[i - 1] & (RELATIVE | ROLE)):
        return False
    if not doc.near(i, ' \t.("“'):
        return False
    after = doc.ends[i - 1]
    nick = _NICKNAME.match(doc.up, after + (1 if doc.up.startswith(".", after) else 0))
    return nick is not None and nick.start(1) == doc.starts[i]


def _before_verb(doc: Doc, lex: Lexicon, i: int) -> bool:
    """SON WILL CALLED, MARK SAYS: a census first name before a verb people do."""
    keys = doc.keys
    if i + 1 >= len(keys) or keys[i + 1] not in _VERBS_AFTER or doc.gap(i + 1) != " " or keys[i] not in lex.first_rank:
        return False
    kin = bool(i and doc.classes[i - 1] & RELATIVE and doc.gap(i) == " ")
    opens = (i == 0 or doc.sentence_start(i)) and keys[i + 1] != "WILL"
    plain = doc.classes[i] & (TITLE | ROLE | RELATIVE) or (doc.classes[i] & CLINICAL and not kin)
    return (kin or opens) and not plain and _written_as_name(doc, i)


def _bracketed(doc: Doc, lex: Lexicon, i: int) -> bool:
    """SUPERVISOR (PAM), brother (Norm): a first name alone in brackets after a role or a relative."""
    return bool(
        i
        and doc.classes[i - 1] & (ROLE | RELATIVE)
        and doc.gap(i).strip() == "("
        and doc.up.startswith(")", doc.ends[i])
        and _nameable(doc, lex, i, english_ok=False)
    )


def _after_relative(doc: Doc, lex: Lexicon, i: int) -> bool:
    """brother Norm, daughter Hope: a capitalised word after a relative in mixed-case text; SON ANSELM, stepson
    alaric: in any case, a name-shaped word no list knows or a census first name that is no plain word."""
    if not (i and doc.classes[i - 1] & RELATIVE and doc.gap(i) == " "):
        return False
    c = doc.classes[i]
    if not doc.caps and doc.titlecase(i):
        return not c & (CLINICAL | TITLE | ROLE | RELATIVE | REGION) and len(doc.keys[i]) > 2
    if _person_verb_after(doc, i) and doc.keys[i] not in _CONTACT_WORDS and not c & (TITLE | ROLE | RELATIVE):
        key = doc.keys[i]
        if key in lex.first_rank or key in lex.nouns or not c & (COMMON | CLINICAL):
            return not (c & CLINICAL and key not in lex.first_rank)  # SON WILL IS HCP, wife honor called
    c = doc.classes[i]
    if c & (CLINICAL | ENGLISH | TITLE | ROLE | RELATIVE | CITY | REGION) or not doc.shaped(i):
        return False
    return (doc.keys[i] in lex.first_rank and not c & COMMON) or not c & (COMMON | CITY_AMBIG) or bool(c & RARE)


_PERSON_VERBS = frozenset({"CALLED", "VISITED", "AWARE", "UPDATED", "STATES", "SAYS", "DROPPED", "BROUGHT", "LIVES",
                           "ARRIVED", "LEFT", "WANTS", "ASKED", "IS", "WAS", "WILL", "AT", "PRESENT", "HERE",
                           "VISITING", "CALLING", "SPOKE", "REQUESTS", "AGREES"})  # fmt: skip
_CONTACT_WORDS = frozenset({"CELL", "PHONE", "NUMBER", "HOME", "WORK", "PAGER", "MOBILE", "ALSO", "JUST", "STILL",
                            "THEN", "NOW", "FINALLY", "AGAIN", "TODAY", "TONIGHT"})  # fmt: skip


def _person_verb_after(doc: Doc, i: int) -> bool:
    """Token i is followed by what people do or are in a note (CALLED, VISITED, AWARE, AT BEDSIDE, IS HCP)."""
    k = i + 1
    if k >= len(doc.keys) or doc.gap(k) != " ":
        return False
    after = doc.keys[k]
    if after == "AT":
        return k + 1 < len(doc.keys) and doc.keys[k + 1] == "BEDSIDE"
    if after in ("IS", "WAS"):
        return k + 1 < len(doc.keys) and doc.keys[k + 1] in ("HCP", "HERE", "PRESENT", "AWARE", "VISITING")
    return after in _PERSON_VERBS


_PERSON_ROLES = frozenset({"RN", "NP", "MD", "PA", "SW", "CM", "RRT", "LPN", "CNA", "CHAPLAIN", "PCA", "INTERPRETER"})


def _named_by_role_or_kin(doc: Doc, lex: Lexicon, i: int) -> bool:
    """(ISOLDE, NIECE), bob (son), CALLED HAWTHORNE RN MAEVE: a word no list knows (or a rare noun, or a first name
    in lower case) right before a relative in brackets or after a comma, or right after a person's role."""
    keys, classes = doc.keys, doc.classes
    c = classes[i]
    if c & (CLINICAL | TITLE | ROLE | RELATIVE | REGION) or not doc.shaped(i):
        return False
    unlisted = not c & (COMMON | ENGLISH) or bool(c & RARE and not c & ENGLISH)
    given = keys[i] in lex.first_rank and not c & CLINICAL
    nxt = i + 1
    if nxt < len(keys) and classes[nxt] & RELATIVE and doc.gap(nxt) in (", ", " (", "(", ",") and (unlisted or given):
        return doc.gap(nxt) != ", " or "(" in doc.text[max(0, doc.starts[i] - 20) : doc.starts[i]]
    if not i or keys[i - 1] not in _PERSON_ROLES or doc.gap(i) != " ":
        return False
    glued = doc.starts[i - 1] > 0 and doc.text[doc.starts[i - 1] - 1].isdigit()  # -20CM SUX: a unit, not a role
    return unlisted and not glued and _written_as_name(doc, i)


def _initialled(doc: Doc, i: int) -> bool:
    """R. DELACROIX, k. ostrowski: one initial with its dot, then a surname no clinical or plain list knows."""
    if not i or len(doc.keys[i - 1]) != 1 or doc.gap(i) not in (". ", "."):
        return False
    if i >= 2 and doc.gap(i - 1).strip() not in ("", ",", "-", "--", "(", ":", ";"):
        return False  # not a unit's letter: 200cc/h. Net
    c = doc.classes[i]
    if c & (CLINICAL | ENGLISH | TITLE | ROLE | RELATIVE | REGION) or not doc.shaped(i):
        return False
    if c & COMMON and not (c & RARE and i + 1 < len(doc.keys) and doc.keys[i + 1] in _SEEN_AFTER):
        return False  # a rare noun is a surname only where a person is talked about: T. ABELARD AWARE
    return doc.caps or doc.titlecase(i)


_L = r"[^\W\d_]"  # a letter of any script
_W = r"(?:[^\W\d_]|['-])"  # a letter, an apostrophe or a hyphen inside a name
_LABELS = r"(?:MRN?|UNIT|ACCT|DOB|AGE|RM|ROOM|BED|ADM)"
_HEADER = re.compile(
    rf"^[ \t]*(?:PT|PATIENT|NAME|PT NAME|PATIENT NAME|ID)[ \t]*:?[ \t]*"
    rf"({_L}{_W}+,[ \t]*{_L}{_W}+(?:[ \t]+(?!{_LABELS}\b){_L}{_W}*\.?){{0,2}})"
    rf"(?=[ \t]*(?:[,(-]|\d|MR|MRN|UNIT|ACCT|DOB|$))",
    re.MULTILINE,
)
# Pt Abdirahman Warsame (goes by...), Pt Ángel Zamora (25 M): the patient's name opening the note, in mixed case.
_OPENING_NAME = re.compile(
    r"^[ \t]*(?:Pt|Patient)[ \t]+((?:[A-ZÀ-Þ][\w'-]+[ \t]+){0,2}[A-ZÀ-Þ][\w'-]+)(?=[ \t]*[,(])", re.MULTILINE
)


_INITIAL_ABOVE = re.compile(r"(?:^|[\s-])([A-Z]\.)[ \t]*\n[ \t]*\Z")


def widen_names(doc: Doc, hits: list[Hit]) -> list[Hit]:
    """A name takes the rest of a double-barrelled surname (ABERNATHY-SOLIS, mbeki-stone) and a middle
    initial after a given name; a record header (NAME: DESJARDINS, ODILE M.) is one name."""
    text = doc.text
    out: list[Hit] = []
    for start, end, kind, score in hits:
        if kind == "NAME":
            second = re.match(r"-([A-Za-z][a-z]+|[A-Z]{2,})\b", text[end : end + 30])
            if second:
                end += second.end()
            initial = re.match(r" [A-Z]\.(?!\w)", text[end : end + 4])
            if initial and "," in text[start:end]:
                end += initial.end()
            before = _INITIAL_ABOVE.search(text, max(0, start - 8), start)
            if before:  # a sign-off broken after its initial: "- T.\nBoone RRT"
                start = before.start(1)
            end = _surname_after_given(doc, end)
        out.append((start, end, kind, score))
    for m in _HEADER.finditer(doc.up):
        out.append((m.start(1), m.end(1), "NAME", 0.85))
    for m in _OPENING_NAME.finditer(doc.text):
        out.append((m.start(1), m.end(1), "NAME", 0.8))
    return out


def _surname_after_given(doc: Doc, end: int) -> int:
    """Patient Merle Orr: in mixed-case text a given name found takes the capitalised census surname right
    after it, even one that is also shorthand in capitals (ORR, COX, FOX): written Orr it is a name."""
    if doc.caps:
        return end
    i = bisect_left(doc.starts, end) - 1
    j = i + 1
    if i < 0 or j >= len(doc.keys) or doc.ends[i] != end or doc.gap(j) != " " or not doc.classes[i] & FIRST:
        return end
    c = doc.classes[j]
    if doc.titlecase(j) and len(doc.keys[j]) >= 2 and c & LAST and not c & (TITLE | ROLE | RELATIVE | REGION):
        return doc.ends[j]
    return end


_KIDS = re.compile(
    r"\b(?:KIDS|CHILDREN|SONS|DAUGHTERS|GRANDKIDS|GRANDCHILDREN|GRANDSONS|GRANDDAUGHTERS)\b[^\n(]{0,12}\(\Z"
)
_KID = re.compile(r"[ \t]*([A-Z][A-Za-z'-]+(?:[ \t]+JR)?)[ \t]+\d{1,2}[ \t]*[,)]")


def _kids(doc: Doc, hits: list[Hit]) -> None:
    """their 3 kids (Tiana 14, Marcus Jr 11, Aaliyah 6): names with ages in brackets after children."""
    up = doc.up
    for m in re.finditer(r"\(", up):
        if not _KIDS.search(up, max(0, m.start() - 40), m.end()):
            continue
        pos = m.end()
        while True:
            kid = _KID.match(up, pos)
            if kid is None:
                break
            hits.append((kid.start(1), kid.end(1), "NAME", 0.8))
            pos = kid.end()


def _first_and_surname(doc: Doc, lex: Lexicon, i: int) -> bool:
    """TASHA BELL, Marcus Bell: a census first name that is no word, then a census surname even if it is one."""
    if i + 1 >= len(doc.keys) or doc.gap(i + 1) != " ":
        return False
    c, d = doc.classes[i], doc.classes[i + 1]
    if not c & FIRST or c & (ENGLISH | CLINICAL | COMMON | TITLE | ROLE | RELATIVE) or not d & LAST:
        return False
    if d & (CLINICAL | TITLE | ROLE | RELATIVE | REGION) or len(doc.keys[i + 1]) < 3:
        return False
    return (doc.caps and not doc.lowered) or (doc.titlecase(i) and doc.titlecase(i + 1))


_BOSSES = frozenset({"SUPERVISOR", "BOSS", "MANAGER", "COWORKER", "LANDLORD", "PASTOR", "PRIEST", "RABBI", "IMAM",
                     "LAWYER", "ATTORNEY", "GUARDIAN", "COUNSELOR", "CASEWORKER", "SPONSOR", "EMPLOYER"})  # fmt: skip


def _capitalised_name(doc: Doc, i: int) -> bool:
    return not doc.caps and doc.titlecase(i) and not doc.classes[i] & (CLINICAL | TITLE | ROLE | RELATIVE)


_CUE_MARKS = re.compile(r"[\"“(]|'(?=[Ss]\b)")
_CREDENTIALS = frozenset({"RN", "LPN", "RRT", "CRT", "NP", "MSW", "LICSW", "CNA", "RT", "RCP"})


def _cue_at(doc: Doc, lex: Lexicon, i: int, goes_by: set[int]) -> Hit | None:
    """The strongest cue at token i, tested cheapest first (this runs for every word of every note)."""
    keys, classes = doc.keys, doc.classes
    n = len(keys)
    start, end = doc.starts[i], doc.ends[i]
    nxt = keys[i + 1] if i + 1 < n else ""
    if nxt in _CREDENTIALS or (len(nxt) == 1 and i + 2 < n and keys[i + 2] in _CREDENTIALS):
        signed = _credentialed(doc, lex, i)
        if signed:
            return (start, signed, "NAME", 0.8)
    gap = doc.text[doc.ends[i - 1] : start] if i else ""
    if (
        (doc.up.startswith("'S", end) and _possessive(doc, lex, i))
        or (('"' in gap or "“" in gap) and _nickname(doc, lex, i))
        or ("(" in gap and _bracketed(doc, lex, i))
        or (i in goes_by and _nameable(doc, lex, i, english_ok=True))
    ):
        return (start, end, "NAME", 0.8)
    if (nxt in _VERBS_AFTER and _before_verb(doc, lex, i)) or (
        i and classes[i - 1] & RELATIVE and _after_relative(doc, lex, i)
    ):
        return (start, end, "NAME", 0.75)
    boss = bool(i and keys[i - 1] in _BOSSES and doc.gap(i) == " ")
    if boss and _person_verb_after(doc, i) and (keys[i] in lex.first_rank or _capitalised_name(doc, i)):
        return (start, end, "NAME", 0.75)  # his supervisor rick called
    kin_after = bool(nxt and classes[i + 1] & RELATIVE)
    role_before = bool(i and keys[i - 1] in _PERSON_ROLES)
    if (kin_after or role_before) and _named_by_role_or_kin(doc, lex, i):
        return (start, end, "NAME", 0.75)
    if i and len(keys[i - 1]) == 1 and _initialled(doc, i):
        return (doc.starts[i - 1], end, "NAME", 0.75)
    return None


def _candidates(doc: Doc) -> list[int]:
    """Tokens some cue could fire on, found with set lookups instead of testing every cue on every word."""
    keys, classes, text = doc.keys, doc.classes, doc.text
    found: set[int] = set()
    for i, key in enumerate(keys):
        if key in _CREDENTIALS:
            found.update((i - 1, i - 2))
        elif key in _VERBS_AFTER:
            found.add(i - 1)
        if classes[i] & RELATIVE or len(key) == 1 or key in _BOSSES or key in _PERSON_ROLES:
            found.add(i + 1)
        if classes[i] & RELATIVE:
            found.add(i - 1)
    for m in _CUE_MARKS.finditer(text):
        found.add(bisect_left(doc.starts, m.end()) if m.group() != "'" else bisect_left(doc.starts, m.start()) - 1)
    n = len(keys)
    return sorted(i for i in found if 0 <= i < n)


def find_name_cues(doc: Doc, lex: Lexicon) -> list[Hit]:
    hits: list[Hit] = []
    up = doc.up
    goes_by = {bisect_left(doc.starts, m.end()) for m in _GOES_BY_ANY.finditer(up)}
    for i in sorted(set(_candidates(doc)) | goes_by):
        if i >= len(doc.keys):
            continue
        cue = _cue_at(doc, lex, i, goes_by)
        if cue is not None:
            hits.append(cue)
    for i in [i for i, c in enumerate(doc.classes) if c & FIRST]:
        if _first_and_surname(doc, lex, i):
            hits.append((doc.starts[i], doc.ends[i + 1], "NAME", 0.75))
    if "(" in up:
        _kids(doc, hits)
    for m in _SIGNOFF.finditer(up):
        group = 1 if m.group(1) else 2
        letters = m.group(group).replace(".", "").replace(" ", "")
        if group == 2 and (_NOT_A_SIGNER.match(letters) or lex.classes.get(letters, 0) & CLINICAL):
            continue
        hits.append((m.start(group), m.end(group), "NAME", 0.7))
    return hits
