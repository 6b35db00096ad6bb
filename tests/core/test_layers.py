"""The library stays below the wiring: vidgen_core never imports dagster or fastapi."""

from __future__ import annotations

import ast
from pathlib import Path

import vidgen_core

FORBIDDEN = ("dagster", "dagster_aws", "dagster_graphql", "fastapi", "vidgen_dagster", "api")


def test_core_imports_neither_dagster_nor_fastapi() -> None:
    offenders = []
    for path in Path(vidgen_core.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not offenders
