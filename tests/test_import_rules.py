"""The import rules of docs/dev/architecture.md, read from the source with ``ast``: every import
counts, at module level or inside a function, so a cycle cannot hide in a function body."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("runs_app", "pipelines_app")


def _modules(package: str) -> dict[str, Path]:
    """Dotted name -> file of every module of ``package`` (migrations excluded)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Every module name ``path`` imports, anywhere in it (relative imports resolved)."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".")
                if not is_package:
                    package = package[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _graph(package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (a name imported from a package
    that is not a module of it counts as an import of the package)."""
    modules = _modules(package)
    graph = {}
    for name, path in modules.items():
        edges = set()
        for imported in _imports(name, path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and imported != package:
                edges.add(imported)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.mark.parametrize("package", APPS)
def test_no_module_of_an_app_imports_the_portal_package(package):
    offenders = [
        f"{path.relative_to(ROOT)} imports {imported}"
        for name, path in _modules(package).items()
        for imported in sorted(_imports(name, path))
        if imported == "portal" or imported.startswith("portal.")
    ]
    assert offenders == []


@pytest.mark.parametrize("package", APPS)
def test_the_modules_of_an_app_import_each_other_one_way(package):
    assert find_cycle(_graph(package)) is None


@pytest.mark.parametrize("package", (*APPS, "portal"))
def test_nothing_imports_the_celery_tasks_they_are_sent_by_name(package):
    offenders = [
        f"{path.relative_to(ROOT)} imports {imported}"
        for name, path in _modules(package).items()
        if name != "runs_app.tasks"
        for imported in sorted(_imports(name, path))
        if imported == "runs_app.tasks" or imported.startswith("runs_app.tasks.")
    ]
    assert offenders == []


@pytest.mark.parametrize("package", ("spark_runner", "config_repo"))
def test_the_engine_and_the_config_repository_import_no_django(package):
    offenders = [
        f"{path.relative_to(ROOT)} imports {imported}"
        for name, path in _modules(package).items()
        for imported in sorted(_imports(name, path))
        if imported.split(".")[0] in ("django", "rest_framework", "celery", "runs_app", "portal")
        or imported.startswith("pipelines_app")
    ]
    assert offenders == []


def test_a_cycle_through_a_function_body_import_is_found(tmp_path):
    # given two modules where one imports the other at the top and the other imports back late
    (tmp_path / "a.py").write_text("from pkg import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from pkg.a import thing\n")
    graph = {
        f"pkg.{p.stem}": {i for i in _imports(f"pkg.{p.stem}", p) if i.startswith("pkg.")}
        for p in tmp_path.glob("*.py")
    }
    graph = {k: {i if i in graph else i.rpartition(".")[0] for i in v} for k, v in graph.items()}

    # then the rule sees the cycle
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]
