"""The architecture as code: layers that only point down, no import circles, and one
composition root (docs/architecture.md draws the same picture).

Layers, lowest first: ``models`` (inference) ← the service core (``service`` without its
``api`` and ``cli`` packages) ← ``evaluation`` (including the bench) ← ``service.api`` ←
``service.cli``. Every import is read from the source (``ast``), including the ones inside
functions, so a lazy import cannot hide a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "service", "evaluation")

#: Modules that start a process (``python -m evaluation``): above every layer by nature.
ENTRY_POINTS = {"evaluation.__main__"}

#: What only service/container.py may construct.
BUILT_BY_THE_CONTAINER = {
    "Embedder",
    "NliModel",
    "EmbeddedRedis",
    "RedisCache",
    "PairCache",
    "CorpusStore",
    "FactChecker",
    "CheckService",
}


def layer(module: str) -> tuple[int, str]:
    """Rank and name of a module's layer; a module may import only ranks at or below its own."""
    if module.startswith("models"):
        return 0, "models"
    if module == "service.cli" or module.startswith("service.cli."):
        return 4, "the CLI"
    if module == "service.api" or module.startswith("service.api."):
        return 3, "the API"
    if module.startswith("evaluation"):
        return 2, "evaluation"
    return 1, "the service core"


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


MODULES = project_modules()


def imports_of(module: str) -> set[str]:
    """The project modules that ``module`` imports, at any depth of its code."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in MODULES
                else node.module
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            # ``import a.b.c`` of a module that does not exist still names its package
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def test_the_walk_sees_the_packages():
    assert {"models.nli", "service.engine", "service.container", "evaluation.runner"} <= set(GRAPH)
    assert "service.checks" in GRAPH["service.api.routes.checks"] | GRAPH["service.api.deps"]


@pytest.mark.parametrize("module", sorted(set(MODULES) - ENTRY_POINTS))
def test_imports_only_point_down(module):
    rank, name = layer(module)
    upward = sorted(
        f"{target} ({layer(target)[1]})" for target in GRAPH[module] if layer(target)[0] > rank
    )
    assert not upward, f"{module} ({name}) imports a layer above it: {', '.join(upward)}"


def test_no_import_circles():
    """Tarjan's strongly connected components of the import graph: each must be one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in GRAPH[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert not circles, f"import circles: {circles}"


def test_only_the_container_builds_the_shared_resources():
    """Models, stores, caches and the engine are constructed in service/container.py only:
    everything else asks a Services object for them."""
    offenders = []
    for module, path in MODULES.items():
        if module == "service.container" or module.startswith("models"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in BUILT_BY_THE_CONTAINER:
                    offenders.append(f"{module}:{node.lineno} {name}(...)")
    assert not offenders, "built outside service/container.py: " + ", ".join(offenders)
