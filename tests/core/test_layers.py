"""The library's layers, read from its source: vidgen_core never imports dagster or fastapi; its domain stands on its
own (no SQLAlchemy, adapters, persistence or pipeline); each package imports only the packages below it (domain <-
persistence, adapters <- pipeline); and no vidgen_core module imports itself through others."""

from __future__ import annotations

import ast
from pathlib import Path

import vidgen_core

CORE = Path(vidgen_core.__file__).parent
FORBIDDEN = ("dagster", "dagster_aws", "dagster_graphql", "fastapi", "vidgen_dagster", "api")
NOT_IN_DOMAIN = ("sqlalchemy", "vidgen_core.adapters", "vidgen_core.persistence", "vidgen_core.pipeline")
# What each package of vidgen_core may import of it (itself included); vidgen_core's own __init__ is open to all.
MAY_IMPORT = {
    "domain": {"domain"},
    "persistence": {"domain", "persistence"},
    "adapters": {"domain", "adapters", "settings"},
    "pipeline": {"domain", "persistence", "adapters", "settings", "pipeline"},
}


def _name(path: Path) -> str:
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(CORE.rglob("*.py"))}


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, at_run_time: bool = False) -> list[str]:
    """Every name a module imports (``from a import b`` gives ``a`` and ``a.b``), relative ones made absolute; with
    ``at_run_time``, without those under ``if TYPE_CHECKING:``, which only type checkers read."""
    module = _name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if at_run_time and isinstance(node, ast.If) and _type_checking(node.test):
            nodes: list[ast.AST] = list(node.orelse)
        elif isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
            return
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.extend([base, *(f"{base}.{a.name}" for a in node.names)])
            return
        else:
            nodes = list(ast.iter_child_nodes(node))
        for child in nodes:
            visit(child)

    visit(ast.parse(path.read_text()))
    return names


def _graph() -> dict[str, set[str]]:
    """Which vidgen_core modules each one imports when it runs (a name is the longest module it starts with)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        found = set()
        for name in _imports(path, at_run_time=True):
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
        graph[module] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path per import cycle a depth-first walk meets, from a module back to itself."""
    cycles: list[list[str]] = []
    done: set[str] = set()
    path: list[str] = []

    def walk(node: str) -> None:
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                walk(nxt)
        path.pop()
        done.add(node)

    for node in sorted(graph):
        if node not in done:
            walk(node)
    return cycles


def test_core_imports_neither_dagster_nor_fastapi() -> None:
    offenders = [
        f"{module}: {name}"
        for module, path in MODULES.items()
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert not offenders


def test_the_domain_needs_no_database_adapter_or_pipeline() -> None:
    offenders = [
        f"{module}: {name}"
        for module, path in MODULES.items()
        if module.startswith("vidgen_core.domain")
        for name in _imports(path)
        if any(name == layer or name.startswith(f"{layer}.") for layer in NOT_IN_DOMAIN)
    ]
    assert not offenders


def _package(name: str) -> str | None:
    """The vidgen_core package (or top module, e.g. ``settings``) a module name is in; None outside vidgen_core."""
    parts = name.split(".")
    return parts[1] if parts[0] == "vidgen_core" and len(parts) > 1 else None


def test_each_package_imports_only_the_layers_below_it() -> None:
    offenders = [
        f"{module}: {name}"
        for module, path in MODULES.items()
        if (layer := _package(module)) in MAY_IMPORT
        for name in _imports(path)
        if (used := _package(name)) is not None and used not in MAY_IMPORT[layer]
    ]
    assert not offenders, "imports against the layers:\n" + "\n".join(offenders)


def test_no_module_imports_itself_through_others() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_cycle_check_finds_a_cycle_and_its_path() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": {"d"}, "c": {"d"}, "d": set()}) == []
    assert "vidgen_core.adapters.storage.s3" in _graph()["vidgen_core.adapters.storage.store"]  # a lazy import counts
