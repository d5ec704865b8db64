"""The house: the package's own imports have no cycle, and no private reach across packages;
the tests take shared code from helper modules, never from another test module.

Read from the source with ``ast`` (nothing is imported), so a test failure
names the modules and the import that ties them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "neurotriage"
TESTS = ROOT / "tests"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module of the package -> the package modules it imports (at any depth of code)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            found.update(t for t in targets if t in modules and t != name)
        graph[name] = found
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph``, as the list of modules on it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycle_between_modules():
    """No module of neurotriage imports, directly or not, a module that imports it."""
    # A package's __init__ that only re-exports its own modules is not a cycle of
    # its modules: drop the edge from a submodule to its own package's __init__.
    graph = _imports()
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not module.startswith(t + ".")}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle():
    """The check can fail: a made-up graph with a cycle is caught."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_module_is_imported_from_another_package():
    """A subpackage's private modules are imported only inside it; others use its public face."""
    offences = []
    for module, targets in _imports().items():
        for target in targets:
            parts = target.split(".")
            private = next((i for i, p in enumerate(parts) if p.startswith("_")), None)
            if private is None or private < 2:
                continue  # neurotriage._errors and the like: the package's own shared base
            owner = ".".join(parts[:private])
            if not (module == owner or module.startswith(owner + ".")):
                offences.append(f"{module} imports {target}")
    assert offences == []


def _test_module_imports(source: str, package: tuple[str, ...]) -> list[str]:
    """What ``source``, a module of ``package``, imports from the tests' ``test_*`` modules.

    Relative imports are resolved against ``package``; an imported name counts as
    well as a module (``from tests.unit import test_cli``).
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            targets = [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [
            target
            for target in targets
            if target.split(".")[0] == "tests"
            and any(part.startswith("test_") for part in target.split("."))
        ]
    return found


def test_no_test_module_imports_another_test_module():
    """Shared test code lives in helper modules (rulefiles, clitools, ...), not in test_* files.

    Importing a test module runs its module-level code in the importer, ties the two
    modules' names together, and a test function imported by name is collected twice.
    """
    offences = []
    for path in sorted(TESTS.rglob("*.py")):
        name, package = path.relative_to(ROOT), path.relative_to(ROOT).parent.parts
        found = _test_module_imports(path.read_text(encoding="utf-8"), package)
        offences += [f"{name} imports {target}" for target in found]
    assert offences == []


def test_the_test_import_finder_finds_test_imports():
    """The check can fail: each way of importing a test module is caught, helpers are not."""
    source = (
        "import tests.unit.test_cli\n"
        "from tests.unit.test_loader import with_catalogue\n"
        "from tests.unit import test_pytest_plugin\n"
        "from .test_diff import variant\n"
        "from . import test_lint\n"
        "from ..properties.test_hypothesis import PROFILES\n"
        "from tests.rulefiles import write\n"
        "from tests.properties import safety\n"
        "import pytest, test_elsewhere\n"
    )
    assert _test_module_imports(source, ("tests", "unit")) == [
        "tests.unit.test_cli",
        "tests.unit.test_loader.with_catalogue",
        "tests.unit.test_pytest_plugin",
        "tests.unit.test_diff.variant",
        "tests.unit.test_lint",
        "tests.properties.test_hypothesis.PROFILES",
    ]
