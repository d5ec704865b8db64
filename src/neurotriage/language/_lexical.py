"""The token rules of the condition language, checked before parsing.

Python's parser reads more than the language has, and forgets how it was
written: it folds a fullwidth field name (U+FF50 for its "p") into
``pain_level``, joins ``"a" "b"`` into ``"ab"``, reads ``0x7`` as ``7`` and
``"\\N{BULLET}"`` as a bullet. Python's tokenizer still sees the characters as
written (and counts columns in characters), so each token is checked here
against the lexical grammar::

    name    = ASCII letter or "_" , { ASCII letter | digit | "_" } ;
    integer = "0" | nonzero digit , { digit } ;   (* not 07, 0x7, 1_000, 7.0, 1e3 *)
    text    = '"' , { character - ( '"' | "\\" ) } , '"'
            | "'" , { character - ( "'" | "\\" ) } , "'" ;
              (* no prefix such as r or f, no escapes, no triple quotes *)

Two texts may not stand side by side (Python would join them), ``True``
and ``False`` are refused (the language writes ``true`` and ``false``), and
so is a ``#`` comment (the lines of a condition are joined, so it would hide
the rest).
"""

from __future__ import annotations

import io
import re
import tokenize
import unicodedata
from collections.abc import Iterator

__all__ = ["character_column", "lexical_problems"]

_INTEGER = re.compile(r"0|[1-9][0-9]*")
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_COMMENT = "'#' comments are not allowed inside a condition; put them above 'when:'"
_SIDE_BY_SIDE = "two quoted texts side by side are not joined; write them as one quoted text"
_BACKSLASH = (
    "a backslash is not allowed in quoted text: there are no escapes (such as \\n "
    "or \\N{...}); to put a quote in a name, quote it with the other kind"
)
_SKIPPED = frozenset(
    {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
)


def lexical_problems(text: str) -> list[tuple[str, int]]:
    """Every token of ``text`` outside the grammar, as (message, 0-based column).

    A ``#`` comment is the only problem reported when there is one. Text the
    tokenizer cannot split is left to the parser, which words the syntax
    error; only the problems found before that point are returned.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # Python's parser would raise this, not SyntaxError
        message = f"U+{ord(text[err.start]):04X} is half of a surrogate pair, not a character"
        return [(message, err.start)]
    problems: list[tuple[str, int]] = []
    previous: tokenize.TokenInfo | None = None
    for token in _tokens(text):
        if token.type == tokenize.COMMENT:
            # After joining lines a comment would silently swallow the rest of
            # the condition, so '#' is refused rather than guessed at.
            return [(_COMMENT, token.start[1])]
        problems.extend(_token_problems(token, previous))
        previous = token
    return problems


def _tokens(text: str) -> Iterator[tokenize.TokenInfo]:
    """The tokens of ``text`` that matter, an f-string (3.12+) as its start and end only."""
    depth = 0  # of nested f-strings
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in _SKIPPED:
                continue
            if token.type == _FSTRING_START:
                depth += 1
                if depth == 1:
                    yield token
            elif token.type == _FSTRING_END:
                depth -= 1
                if depth == 0:
                    yield token
            elif depth == 0:
                yield token
    except (tokenize.TokenError, SyntaxError):
        return  # the parser reports the real problem


def _token_problems(
    token: tokenize.TokenInfo, previous: tokenize.TokenInfo | None
) -> list[tuple[str, int]]:
    column = token.start[1]
    if token.type == _FSTRING_START:
        return [(_prefix_message(token.string.rstrip("'\"")), column)]
    if token.type == tokenize.NAME:
        return _name_problems(token)
    if token.type == tokenize.NUMBER:
        if (
            previous is not None
            and previous.type == tokenize.NUMBER
            and previous.end == token.start
        ):
            # Python 3.11 splits "07" into "0" and "7"
            return [(_number_message(previous.string + token.string), previous.start[1])]
        return [] if _INTEGER.fullmatch(token.string) else [(_number_message(token.string), column)]
    if token.type == tokenize.STRING:
        side_by_side = previous is not None and previous.type in (tokenize.STRING, _FSTRING_END)
        return [(_SIDE_BY_SIDE, column)] * side_by_side + _string_problems(token)
    return []


def character_column(source: str, offset: int) -> int:
    """The character column of ``ast``'s ``col_offset`` in ``source``: it counts UTF-8 bytes."""
    if source.isascii():
        return offset
    return len(source.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))


def _name_problems(token: tokenize.TokenInfo) -> list[tuple[str, int]]:
    name, column = token.string, token.start[1]
    if name in ("True", "False"):
        return [(f"write '{name.lower()}', not '{name}': values are lower case", column)]
    if name.isascii() or not name.isidentifier():
        return []  # an ASCII name is checked by the parser; a stray symbol is a syntax error
    folded = unicodedata.normalize("NFKC", name)
    hint = f" (did you mean '{folded}'?)" if folded.isascii() else ""
    return [
        (
            f"'{name}' has non-ASCII characters; field names and keywords are ASCII{hint}",
            column,
        )
    ]


def _number_message(written: str) -> str:
    value: float | int | None
    try:
        value = int(written.replace("_", ""), 0)
    except ValueError:
        try:
            value = int(written.lstrip("0") or "0") if written.isdigit() else float(written)
        except ValueError:
            value = None  # a complex number such as 7j
    if isinstance(value, float):
        value = int(value) if value.is_integer() else None
    if value is None:
        return f"numbers are whole and written in decimal digits; '{written}' is not one"
    return f"write numbers in plain decimal digits: {value}, not '{written}'"


def _prefix_message(prefix: str) -> str:
    return (
        f"'{prefix}' before a quote is not part of the language (no r, b, u or f strings); "
        "write plain quoted text"
    )


def _string_problems(token: tokenize.TokenInfo) -> list[tuple[str, int]]:
    written, column = token.string, token.start[1]
    quote_at = min(i for i in (written.find('"'), written.find("'")) if i >= 0)
    if quote_at:
        return [(_prefix_message(written[:quote_at]), column)]
    if written[:3] in ('"""', "'''"):
        return [("triple quotes are not part of the language; quote text with \" or '", column)]
    backslash = written.find("\\")
    if backslash >= 0:
        return [(_BACKSLASH, column + backslash)]
    return []
