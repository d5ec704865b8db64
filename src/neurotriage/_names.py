"""One normal form for condition names, shared by profiles and rules.

A rule on ``"kidney disease" in other_conditions`` must fire for every way a
person (or a form, or a copy-paste) can write that name, and must not be
dodged by characters nobody can see. So both a profile's ``other_conditions``
and a rule's ``"name" in other_conditions`` go through :func:`normalise_name`:

1. Unicode NFKC: fullwidth letters (U+FF4B "k") are ASCII ("k"), a ligature
   (U+FB01) is "fi", a no-break space is a space.
2. Format characters (category Cf: zero-width space and joiners, soft hyphen,
   byte order mark, direction marks) and control characters (Cc, such as NUL
   or escape) are removed; those that are white space (tab, newline) are spaces.
3. Typographic apostrophes (U+2019 and its kin) become "'" and every dash
   (category Pd, such as U+2013 en dash) and the minus sign become "-", so a
   phone's "Crohn<U+2019>s" is "crohn's" and "type<U+2013>2" is "type-2".
4. Case folding (``str.casefold``: "Strasse" and "Stra<U+00DF>e" are one),
   then NFKC again (folding can undo a composition).
5. Runs of white space become one space; punctuation and spaces around the
   name (categories P* and Z*) are trimmed: "Kidney disease." is
   "kidney disease". Punctuation inside is kept ("type-2", "crohn's"), and so
   is a bracket that pairs with one inside ("type 2 diabetes (t2d)").

The result must not be blank and must have at most
:data:`MAX_CONDITION_LENGTH` characters. A word (a run of letters) whose
letters come from more than one script is refused: "kidney" written with a
Cyrillic U+0435 for its "e" looks the same but would never match. A name
written wholly in one script (Cyrillic, Greek, Han and Kana, ...) is fine.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_CONDITION_LENGTH", "normalise_name"]

#: A condition name has at most this many characters, in a profile (as given
#: and once normalised) and in a rule (once normalised).
MAX_CONDITION_LENGTH = 200

#: left and right single quotation marks, reversed-9 quotation mark, prime, and
#: modifier letter apostrophe: what keyboards and phones type for "'".
_APOSTROPHES = "\u2018\u2019\u201b\u2032\u02bc"
_MINUS_SIGN = "\u2212"
_TO_ASCII = {ord(c): "'" for c in _APOSTROPHES} | {ord(_MINUS_SIGN): "-"}
#: Control characters (category Cc) that are not white space: removed.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")

#: Han, Hiragana and Katakana (and the marks written with them) form one group:
#: Japanese mixes them within one word.
_HAN_KANA = frozenset(
    {
        "CJK",
        "HIRAGANA",
        "KATAKANA",
        "KATAKANA-HIRAGANA",
        "HENTAIGANA",
        "IDEOGRAPHIC",
        "VERTICAL",
        "MASU",
    }
)
#: Letters whose name does not start with a script: they belong to none.
_NO_SCRIPT = frozenset({"", "MODIFIER", "CARON", "TURNED", "VEDIC"})


def _script(char: str) -> str:
    """The script of a letter, approximated by the first word of its Unicode name.

    ``unicodedata`` has no script property; the first word of a letter's name
    ("LATIN SMALL LETTER E", "CYRILLIC SMALL LETTER IE") is the script for every
    script that has look-alikes of Latin letters, which is what matters here.
    Scripts with a two-word name ("OLD ITALIC", "OLD PERSIAN") share a group,
    which only makes the check more lenient between them.
    """
    word = unicodedata.name(char, "").split(" ", 1)[0]
    if word in _HAN_KANA:
        return "Han/Kana"
    if word in _NO_SCRIPT:
        return ""
    return word.title()


def _mixed_script(name: str) -> str | None:
    """A description of the first word mixing scripts, if any."""
    for word in _words(name):
        scripts: dict[str, list[str]] = {}
        for char in word:
            if unicodedata.category(char).startswith("L"):
                script = _script(char)
                if script:
                    scripts.setdefault(script, []).append(char)
        if len(scripts) > 1:
            ordered = sorted(scripts, key=lambda s: -len(scripts[s]))  # most letters first
            odd = scripts[ordered[-1]][0]
            return (
                f"mixes {' and '.join(ordered)} letters in the word '{word}' "
                f"({ordered[-1]} '{odd}', U+{ord(odd):04X}): a look-alike letter? "
                "Write each word in one alphabet"
            )
    return None


def _words(name: str) -> list[str]:
    """Runs of letters (with the marks on them) in ``name``."""
    words, current = [], ""
    for char in name:
        if unicodedata.category(char)[0] in "LM":
            current += char
        elif current:
            words.append(current)
            current = ""
    if current:
        words.append(current)
    return words


def _fold(text: str) -> str:
    """Steps 1 to 4 of the normal form (not yet collapsed or trimmed)."""
    if text.isascii():  # the common case: NFKC, Cf and the dashes change nothing
        return (text if text.isprintable() else _CONTROLS.sub("", text)).lower()
    name = _CONTROLS.sub("", unicodedata.normalize("NFKC", text))
    name = "".join(
        "-" if category == "Pd" else char
        for char in name
        if (category := unicodedata.category(char)) != "Cf"
    ).translate(_TO_ASCII)
    return unicodedata.normalize("NFKC", name.casefold())


def _partners(name: str) -> dict[int, int]:
    """Each bracket (category Ps or Pe) that pairs up, mapped to its partner's index."""
    partners: dict[int, int] = {}
    opened: list[int] = []
    for index, char in enumerate(name):
        category = unicodedata.category(char)
        if category == "Ps":
            opened.append(index)
        elif category == "Pe" and opened:
            partners[index] = opened.pop()
            partners[partners[index]] = index
    return partners


def _trimmed(name: str) -> str:
    """``name`` without punctuation and spaces (categories P* and Z*) around it.

    A bracket that pairs up with one inside the name is kept: ``type 2
    diabetes (t2d).`` keeps its ``)``, while ``(kidney disease)`` loses both.
    """
    if name[:1].isalnum() and name[-1:].isalnum():  # the common case: nothing to trim
        return name
    partners: dict[int, int] | None = None  # computed only if a bracket is at an end
    start, end = 0, len(name)
    while start < end:
        first, last = unicodedata.category(name[start]), unicodedata.category(name[end - 1])
        if partners is None and (first == "Ps" or last == "Pe"):
            partners = _partners(name)
        paired = partners or {}
        if first[0] in "PZ" and start not in paired:
            start += 1
        elif last[0] in "PZ" and end - 1 not in paired:
            end -= 1
        elif paired.get(start) == end - 1:  # one pair around the whole name
            start, end = start + 1, end - 1
        else:
            break
    return name[start:end]


def normalise_name(text: str, *, subject: str = "the name") -> str:
    """The normal form of a condition name; ValueError if there is none.

    The error message starts with ``subject`` (for example ``"item 3"``), so
    callers can say which name is meant. Applying the function to its own
    result gives the same result.
    """
    name = _trimmed(" ".join(_fold(text).split()))
    if not name:
        raise ValueError(f"{subject} is blank; name the condition or leave it out")
    if len(name) > MAX_CONDITION_LENGTH:
        once = " once normalised" if len(text) <= MAX_CONDITION_LENGTH else ""
        raise ValueError(f"{subject} is longer than {MAX_CONDITION_LENGTH} characters{once}")
    if not name.isascii():
        mixed = _mixed_script(name)
        if mixed is not None:
            raise ValueError(f"{subject} {mixed}")
    return name
