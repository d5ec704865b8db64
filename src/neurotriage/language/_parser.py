"""Parse condition text into the typed AST, checking it against a pack's fields.

Python's own ``tokenize`` and ``ast`` modules are the tokenizer and precedence
parser. Every token is first checked against the language's own lexical rules
(``_lexical``: ASCII names, plain decimal integers, plain quoted text), then
only a small whitelist of ``ast`` nodes is accepted and each is translated into
our own nodes. Nothing is ever evaluated: a call, an attribute, a subscript,
a tuple or any other Python construct is rejected with its column. The grammar
is in docs/rule-language.md; each method below notes the rule it reads.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

from neurotriage._errors import NeurotriageError
from neurotriage._names import normalise_name
from neurotriage.fields import FieldSpec
from neurotriage.language._lexical import character_column, lexical_problems
from neurotriage.language._nodes import (
    Always,
    And,
    Compare,
    CompareOp,
    Condition,
    Contains,
    Empty,
    InSet,
    Known,
    Literal_,
    Not,
    Or,
)
from neurotriage.language._semantics import to_nnf

__all__ = [
    "MAX_ALTERNATIVES",
    "ConditionError",
    "ParseProblem",
    "alternatives",
    "parse_condition",
]

_OPS: dict[type[ast.cmpop], CompareOp] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
}
_MIRRORED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.Eq,
    ast.NotEq: ast.NotEq,
    ast.Lt: ast.Gt,
    ast.LtE: ast.GtE,
    ast.Gt: ast.Lt,
    ast.GtE: ast.LtE,
}
_ORDERING = frozenset({"<", "<=", ">", ">="})
_BOOL_WORDS = {"true": True, "false": False}


@dataclass(frozen=True)
class ParseProblem:
    """One problem in a condition; ``column`` is a 0-based offset into the text."""

    message: str
    column: int


class ConditionError(NeurotriageError, ValueError):
    """A condition could not be parsed or type-checked; lists every problem."""

    def __init__(self, problems: list[ParseProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"col {p.column}: {p.message}" for p in problems))


class _Translator:
    def __init__(self, fields: Mapping[str, FieldSpec]) -> None:
        self.fields = fields
        self.problems: list[ParseProblem] = []

    def fail(self, node: ast.AST, message: str) -> Always:
        self.problems.append(ParseProblem(message, getattr(node, "col_offset", 0)))
        return Always()  # placeholder so translation can go on and find more problems

    # --- boolean structure -------------------------------------------------
    def condition(self, node: ast.expr) -> Condition:
        """condition = disjunction ; disjunction = conjunction { "or" conjunction } ;
        conjunction = negation { "and" negation } ; negation = "not" negation | atom ;
        atom = "(" condition ")" | "always" | test   (``ast`` does the precedence)."""
        if isinstance(node, ast.BoolOp):
            items = tuple(self.condition(v) for v in node.values)
            return And(items) if isinstance(node.op, ast.And) else Or(items)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Not(self.condition(node.operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Name):
            return self.bare_name(node)
        return self.fail(node, f"expected a condition, found {_describe(node)}")

    def bare_name(self, node: ast.Name) -> Condition:
        """atom = "always" | FIELD   (a yes/no field, meaning FIELD == true)."""
        if node.id == "always":
            return Always()
        if node.id in _BOOL_WORDS:
            return self.fail(node, f"'{node.id}' alone is not a condition; write 'always'")
        spec = self.field(node)
        if spec is None:
            return Always()
        if spec.kind != "bool":
            return self.fail(
                node,
                f"'{spec.name}' is not a yes/no field; compare it "
                f"(for example '{spec.name} is known')",
            )
        return Compare(spec.name, "==", True)

    def field(self, node: ast.expr) -> FieldSpec | None:
        if not isinstance(node, ast.Name):
            self.fail(node, f"expected a field name, found {_describe(node)}")
            return None
        spec = self.fields.get(node.id)
        if spec is None:
            self.fail(node, f"unknown field '{node.id}'{_suggest(node.id, self.fields)}")
        return spec

    # --- comparisons -------------------------------------------------------
    def compare(self, node: ast.Compare) -> Condition:
        """test = FIELD compare_op literal | literal compare_op FIELD | membership | is-test
        (one operator: a chain such as ``0 <= a <= 3`` is refused)."""
        if len(node.ops) != 1:
            return self.fail(node, "chained comparisons are not supported; join them with 'and'")
        op, right = node.ops[0], node.comparators[0]
        if isinstance(op, ast.Is | ast.IsNot):
            return self.is_test(node.left, right, negated=isinstance(op, ast.IsNot))
        if isinstance(op, ast.In | ast.NotIn):
            result = self.membership(node.left, right)
            return Not(result) if isinstance(op, ast.NotIn) else result
        left_is_value = not isinstance(node.left, ast.Name) or node.left.id in _BOOL_WORDS
        if isinstance(right, ast.Name) and right.id not in _BOOL_WORDS and left_is_value:
            # "7 <= pain_level": the same test written from the other side
            mirrored = ast.Compare(left=right, ops=[_MIRRORED[type(op)]()], comparators=[node.left])
            return self.compare(ast.copy_location(mirrored, node))
        spec = self.field(node.left)
        value = self.literal(right)
        if spec is None or value is None:
            return Always()
        symbol = _OPS[type(op)]
        if spec.kind == "list":
            return self.fail(
                node,
                f"'{spec.name}' is a list; use 'is empty', 'is not empty' "
                f"or '\"name\" in {spec.name}'",
            )
        self.check_value(spec, value, right)
        if symbol in _ORDERING and spec.kind == "bool":
            return self.fail(node, f"'{spec.name}' is yes/no; '{symbol}' does not apply to it")
        return Compare(spec.name, symbol, value)

    def is_test(self, left: ast.expr, right: ast.expr, *, negated: bool) -> Condition:
        """FIELD "is" ( "known" | "unknown" ) | FIELD "is" [ "not" ] "empty"."""
        spec = self.field(left)
        word = right.id if isinstance(right, ast.Name) else None
        if word not in ("known", "unknown", "empty"):
            return self.fail(right, "expected 'known', 'unknown' or 'empty' after 'is'")
        if spec is None:
            return Always()
        if word == "empty":
            if spec.kind != "list":
                return self.fail(
                    right, f"'is empty' applies to list fields; '{spec.name}' is not one"
                )
            return Empty(spec.name, empty=not negated)
        if negated:
            return self.fail(
                right, f"write '{spec.name} is {'unknown' if word == 'known' else 'known'}'"
            )
        if not spec.nullable:
            return self.fail(
                left,
                f"'{spec.name}' always has a value (default {spec.default!r}); it is never unknown",
            )
        return Known(spec.name, known=word == "known")

    def membership(self, left: ast.expr, right: ast.expr) -> Condition:
        """FIELD [ "not" ] "in" "[" literal { "," literal } [ "," ] "]"
        | text [ "not" ] "in" FIELD   (the text is a condition name, normalised)."""
        if isinstance(right, ast.Tuple):
            listed = ast.unparse(ast.List(elts=right.elts))
            return self.fail(right, f"write the values in square brackets: 'in {listed}'")
        if isinstance(right, ast.List):
            spec = self.field(left)
            values = [self.literal(item) for item in right.elts]
            if spec is None or any(v is None for v in values):
                return Always()
            if spec.kind == "list":
                return self.fail(left, f"'{spec.name}' is a list; write '\"name\" in {spec.name}'")
            if not values:
                return self.fail(right, "the list after 'in' is empty")
            checked = tuple(v for v in values if v is not None)
            for item, value in zip(right.elts, checked, strict=True):
                self.check_value(spec, value, item)
            return InSet(spec.name, checked)
        spec = self.field(right)
        item_value = self.literal(left)
        if spec is None or item_value is None:
            return Always()
        if spec.kind != "list":
            return self.fail(
                right, f"'in {spec.name}' needs a list field; '{spec.name}' is not one"
            )
        if not isinstance(item_value, str):
            return self.fail(left, f"items of '{spec.name}' are text; quote the name")
        try:
            name = normalise_name(item_value)
        except ValueError as err:  # a name no profile can hold
            return self.fail(left, str(err))
        return Contains(spec.name, name)

    # --- literals and their types ------------------------------------------
    def literal(self, node: ast.expr) -> Literal_ | None:
        """literal = "true" | "false" | [ "-" ] integer | text   (tokens checked in _lexical)."""
        if isinstance(node, ast.Name) and node.id in _BOOL_WORDS:
            return _BOOL_WORDS[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | str):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = node.operand
            if isinstance(inner, ast.Constant) and type(inner.value) is int:
                return -inner.value
        if isinstance(node, ast.Constant) and node.value is None:
            self.fail(node, "None is not a value; write 'FIELD is unknown'")
            return None
        if isinstance(node, ast.Name):
            self.fail(node, f"expected a value, found the name '{node.id}' (quote text values)")
            return None
        self.fail(
            node,
            f"expected a value (true, false, a number or quoted text), found {_describe(node)}",
        )
        return None

    def check_value(self, spec: FieldSpec, value: Literal_, node: ast.expr) -> None:
        if spec.kind == "bool":
            if type(value) is not bool:
                self.fail(
                    node,
                    f"'{spec.name}' is yes/no; compare it with true or false, not {_shown(value)}",
                )
        elif spec.kind == "int":
            if type(value) is not int:
                self.fail(
                    node,
                    f"'{spec.name}' is a number from {spec.low} to {spec.high}, "
                    f"not {_shown(value)}",
                )
            elif (
                spec.low is not None
                and spec.high is not None
                and not spec.low <= value <= spec.high
            ):
                self.fail(node, f"{value} is outside '{spec.name}' ({spec.low} to {spec.high})")
        elif spec.kind == "enum" and value not in spec.values:
            allowed = ", ".join(repr(v) for v in spec.values)
            self.fail(node, f"{_shown(value)} is not a value of '{spec.name}' (one of {allowed})")


def _shown(value: Literal_) -> str:
    """A literal as the rule language writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _describe(node: ast.AST) -> str:
    names = {
        ast.Call: "a function call",
        ast.Attribute: "an attribute access",
        ast.Subscript: "a subscript",
        ast.Lambda: "a lambda",
        ast.BinOp: "arithmetic",
        ast.Constant: "a bare value",
    }
    return names.get(
        type(node), f"'{type(node).__name__}' syntax, which is not part of the language"
    )


def _suggest(name: str, fields: Mapping[str, FieldSpec]) -> str:
    import difflib  # noqa: PLC0415 - only needed on the error path

    close = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


#: Deeper nesting is refused: no sensible rule needs it, and it would strain
#: the recursive compilers of both backends.
MAX_DEPTH = 100
_TOO_DEEP = f"the condition is nested more than {MAX_DEPTH} levels deep"


#: A condition may expand to at most this many alternatives (conjunctions of
#: tests, once negations are pushed to the leaves and every ``and`` of ``or``s
#: is multiplied out). A limit of the language, not of a backend: it applies
#: to invariants too, and it bounds the work of one evaluation, since
#: durable-rules fires a rule once per alternative that holds. durable-rules'
#: own capacity limits are in ``neurotriage.engines.durable``. Note that a
#: negated test on a nullable field is two alternatives ("unknown, or the
#: opposite test"), so ``not a and not b and ...`` doubles.
MAX_ALTERNATIVES = 256


def alternatives(node: Condition) -> int:
    """How many alternatives ``node`` (in negation normal form) expands to, capped.

    The count stops growing past MAX_ALTERNATIVES, so it stays a small number.
    """
    cap = MAX_ALTERNATIVES + 1
    if isinstance(node, Or):
        return min(cap, sum(alternatives(item) for item in node.items))
    if isinstance(node, And):
        total = 1
        for item in node.items:
            total = min(cap, total * alternatives(item))
        return total
    if isinstance(node, InSet):
        return min(cap, max(1, len(node.values)))
    return 1


def _depth(node: ast.AST) -> int:
    depth, frontier = 0, [node]
    while frontier:
        depth += 1
        if depth > MAX_DEPTH:
            break
        frontier = [
            child
            for item in frontier
            for child in ast.iter_child_nodes(item)
            if isinstance(child, ast.expr)
        ]
    return depth


def parse_condition(text: str, fields: Mapping[str, FieldSpec]) -> Condition:
    """Parse and type-check ``text``; raise ConditionError listing every problem."""
    if not text.strip():
        raise ConditionError([ParseProblem("the condition is empty", 0)])
    flat = " ".join(text.split("\n"))  # YAML folded text: newlines are plain spaces
    indent = len(flat) - len(flat.lstrip())
    lexical = lexical_problems(flat)  # a '#' comment, or tokens outside the grammar
    if lexical:
        raise ConditionError([ParseProblem(message, column) for message, column in lexical])
    source = flat.strip()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a safety net: _lexical refuses escapes
            tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        column = max((err.offset or 1) - 1, 0) + indent
        detail = "" if err.msg == "invalid syntax" else f": {err.msg}"
        raise ConditionError([ParseProblem(f"invalid syntax{detail}", column)]) from None
    except Warning as err:
        raise ConditionError([ParseProblem(f"invalid condition: {err}", indent)]) from None
    except (RecursionError, MemoryError):
        raise ConditionError([ParseProblem(_TOO_DEEP, indent)]) from None
    if _depth(tree.body) > MAX_DEPTH:
        raise ConditionError([ParseProblem(_TOO_DEEP, indent)])
    translator = _Translator(fields)
    result = translator.condition(tree.body)
    if translator.problems:
        shifted = [
            ParseProblem(p.message, character_column(source, p.column) + indent)
            for p in translator.problems
        ]
        raise ConditionError(shifted)
    if alternatives(to_nnf(result)) > MAX_ALTERNATIVES:
        message = (
            f"the condition has more than {MAX_ALTERNATIVES} alternatives once expanded "
            "(each 'or', 'in [...]' and negated test multiplies those of an 'and'); "
            "split it into several rules"
        )
        raise ConditionError([ParseProblem(message, indent)])
    return result
