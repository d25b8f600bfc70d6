"""The shape of the code: no import circles, core imports no area, no private name crosses modules.

Read from the source with ``ast``, so that a rule broken in a module no test imports is found too.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from caseflow import ROOT

PACKAGE = ROOT / "caseflow"
MAX_LINES = 600
# What caseflow/core/ may import besides itself: the application's base, never an area.
CORE_MAY_IMPORT = {"core", "db", "errors", "extensions", "config"}


@dataclass(frozen=True)
class Import:
    module: str  # the caseflow module imported ("caseflow.jobs.recovery")
    names: tuple[str, ...]  # the names taken from it (from … import names); () for ``import module``
    line: int
    module_level: bool  # run when the importing module is imported (not in a function, not for type checkers)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(name: str) -> list[Import]:
    """Every import of a caseflow module in module ``name``, at any level."""
    found: list[Import] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(alias.name, (), child.lineno, module_level) for alias in child.names
                             if alias.name.split(".")[0] == "caseflow")
            elif isinstance(child, ast.ImportFrom):
                source = _resolve(name, child)
                if source.split(".")[0] != "caseflow":
                    continue
                names = tuple(alias.name for alias in child.names)
                # ``from caseflow.jobs import recovery`` imports the module caseflow.jobs.recovery.
                submodules = [n for n in names if f"{source}.{n}" in MODULES]
                found.extend(Import(f"{source}.{n}", (), child.lineno, module_level) for n in submodules)
                others = tuple(n for n in names if n not in submodules)
                if others or not submodules:
                    found.append(Import(source, others, child.lineno, module_level))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, False)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                visit(child, False)
            else:
                visit(child, module_level)

    visit(ast.parse(MODULES[name].read_text(encoding="utf-8")), True)
    return found


IMPORTS = {name: imports_of(name) for name in MODULES}


def test_every_module_imports():
    for name in MODULES:
        importlib.import_module(name)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), and modules importing themselves."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_circles_at_module_level():
    graph = {name: {i.module for i in imports if i.module_level and i.module in MODULES}
             for name, imports in IMPORTS.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("name", [name for name in MODULES if _area(name) == "core"])
def test_core_imports_no_area(name):
    upward = [f"{i.module} (line {i.line})" for i in IMPORTS[name]
              if _area(i.module) not in CORE_MAY_IMPORT]
    assert upward == []


def test_no_private_name_is_imported_from_another_module():
    private = [f"{name}: from {i.module} import {n} (line {i.line})"
               for name, imports in IMPORTS.items() for i in imports for n in i.names
               if n.startswith("_") and not n.startswith("__") and i.module != name]
    assert private == []


def test_no_module_is_over_600_lines():
    long = {name: count for name, path in MODULES.items()
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
