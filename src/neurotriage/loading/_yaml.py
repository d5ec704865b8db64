"""YAML loading that remembers where every value came from.

Mappings and sequences load as :class:`LocatedDict` / :class:`LocatedList`,
which carry the line and column of themselves and of each of their items, so a
validation error on ``("rules", 3, "when")`` can be traced to a line. Duplicate
keys are an error (PyYAML would silently keep the last one).

Tags (``!!str``, ``!!map``, ``!name``) are refused: on a mapping or a list
the loader would silently ignore them, and on a value they change its type
behind the schema's back (``!!str 5`` is text, ``!!int "5"`` a number).

Aliases (``*name``) are refused: each use is a full copy of the anchored value
once loaded, so a few lines of nested aliases ("billion laughs") expand into
millions of values, and a self-referencing alias never ends. Nesting deeper
than :data:`MAX_DEPTH` is refused too, with its position, before Python's
recursion limit is reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "MAX_DEPTH",
    "LocatedDict",
    "LocatedList",
    "Mark",
    "YamlProblem",
    "load_located",
    "locate",
]

#: Mappings and lists nested deeper than this are refused (the rule schema needs 4).
MAX_DEPTH = 50

_TAGGED = (
    "YAML tags (such as !!str or !name) are not allowed in rule files; write the value plainly"
)


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column, and the scalar's quoting style (if a scalar)."""

    line: int
    column: int
    style: str | None = None


class LocatedDict(dict[str, Any]):
    """A mapping that knows its own mark and the mark of each key's value."""

    mark: Mark
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]


class LocatedList(list[Any]):
    """A sequence that knows its own mark and each item's mark."""

    mark: Mark
    item_marks: list[Mark]


@dataclass(frozen=True)
class YamlProblem(Exception):  # noqa: N818 - an internal signal, converted to RuleProblem
    """The YAML text itself is malformed."""

    message: str
    line: int | None
    column: int | None


def _mark(node: Node) -> Mark:
    # libyaml marks a plain scalar with style "", the pure-Python parser with None
    style = (node.style or None) if isinstance(node, ScalarNode) else None
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1, style)


class _Located:
    """Builds LocatedDict/LocatedList from composed nodes (mixed into a SafeLoader)."""

    flatten_mapping: Any
    construct_object: Any

    def construct_located(self, node: Node) -> Any:
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
            result = LocatedDict()
            result.mark, result.key_marks, result.value_marks = _mark(node), {}, {}
            for key_node, value_node in node.value:
                key = self.construct_located(key_node)
                if not isinstance(key, str):
                    raise YamlProblem(
                        f"keys must be text, not {key!r}",
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                    )
                if key in result:
                    first = result.key_marks[key]
                    raise YamlProblem(
                        f"duplicate key '{key}' (first at line {first.line})",
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                    )
                result.key_marks[key] = _mark(key_node)
                result.value_marks[key] = _mark(value_node)
                result[key] = self.construct_located(value_node)
            return result
        if isinstance(node, SequenceNode):
            items = LocatedList(self.construct_located(child) for child in node.value)
            items.mark, items.item_marks = _mark(node), [_mark(c) for c in node.value]
            return items
        return self.construct_object(node, deep=True)


def _tagged(event: Any) -> bool:
    """Whether a node's event carries a tag written in the text (``!``, ``!!str``...)."""
    return isinstance(event, ScalarEvent | MappingStartEvent | SequenceStartEvent) and (
        event.tag is not None
    )


class _Loader(_Located, yaml.SafeLoader):
    """The pure-Python loader: refuses aliases, tags and deep nesting while composing."""

    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if self.check_event(AliasEvent):
            raise ComposerError(
                None,
                None,
                "aliases (*name) are not allowed in rule files; write the value out",
                event.start_mark,
            )
        if _tagged(event):
            raise ComposerError(None, None, _TAGGED, event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise ComposerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_CLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):

    class _CLoader(_Located, yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's parser and composer: used only for text the pure-Python loader accepts."""


def _fast_node(text: str) -> tuple[Node | None, Any] | None:
    """Compose ``text`` with libyaml when it is available and the text is plain YAML.

    Loading a rule set is mostly YAML parsing, which libyaml does about 20 times
    faster. Anything unusual (an alias, a tag, deep nesting, any error) returns None,
    and the pure-Python loader handles it with its own checks and messages.
    """
    if _CLoader is None:
        return None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, AliasEvent) or _tagged(event):
                return None
            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return None
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                depth -= 1
        loader = _CLoader(text)
        return loader.get_single_node(), loader
    except yaml.YAMLError:
        return None


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    """The 1-based line and column of character ``position``, lines as str.splitlines."""
    before = text[:position].splitlines(keepends=True)
    if not before or before[-1].splitlines()[0] != before[-1]:  # at the start of a line
        return len(before) + 1, 1
    return len(before), len(before[-1]) + 1


def load_located(text: str) -> Any:
    """Parse one YAML document into located containers; raise YamlProblem."""
    fast = _fast_node(text)
    if fast is not None:
        node, c_loader = fast
        try:
            return None if node is None else c_loader.construct_located(node)
        except yaml.YAMLError:
            pass  # the pure-Python loader below words the problem
        finally:
            c_loader.dispose()
    try:
        loader = _Loader(text)  # checks every character at once
    except yaml.reader.ReaderError as err:
        line, column = _line_and_column(text, err.position)
        character = f"#x{err.character:04x}" if isinstance(err.character, int) else "a byte"
        raise YamlProblem(
            f"unacceptable character {character}: {err.reason}", line, column
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return loader.construct_located(node)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        message = " ".join(part for part in (err.context, err.problem) if part)
        raise YamlProblem(
            message or "invalid YAML",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as err:
        raise YamlProblem(f"invalid YAML: {err}", None, None) from None
    except RecursionError:  # a safety net: MAX_DEPTH stops nesting well before this
        raise YamlProblem("the YAML is nested too deeply", None, None) from None
    finally:
        loader.dispose()


def locate(data: Any, path: tuple[int | str, ...], *, key: bool = False) -> Mark | None:
    """The mark of the deepest element of ``path`` that can be found in ``data``.

    With ``key=True`` the last step's *key* is marked rather than its value.
    """
    best: Mark | None = getattr(data, "mark", None)
    current = data
    for index, step in enumerate(path):
        if isinstance(current, LocatedDict) and isinstance(step, str) and step in current:
            last = index == len(path) - 1
            best = current.key_marks[step] if key and last else current.value_marks[step]
            current = current[step]
        elif isinstance(current, LocatedDict) and isinstance(step, str):
            return best  # a missing key: the enclosing mapping is the place
        elif (
            isinstance(current, LocatedList) and isinstance(step, int) and 0 <= step < len(current)
        ):
            best = current.item_marks[step]
            current = current[step]
        else:
            return best
    return best
