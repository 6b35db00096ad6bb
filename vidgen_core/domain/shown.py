"""What a phase shows about its output, in neutral values the wiring turns into its UI's own (Dagster metadata).

Numbers stay numbers (so they can be plotted), tables keep typed columns, and files are named by storage key: the
UI links to them instead of carrying their bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from vidgen_core.domain.catalog import LOCAL_MODELS, LOCAL_PROVIDER, Kind
from vidgen_core.domain.models import CostLine


@dataclass(frozen=True)
class Column:
    name: str
    type: type  # int, float, str or bool


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: list[tuple[object, ...]]


@dataclass(frozen=True)
class Stored:
    """A file in the store (its path locally, its ``s3://`` URI on S3)."""

    key: str


@dataclass(frozen=True)
class Preview:
    """A small image in the store that shows the output at a glance."""

    key: str


Shown = int | float | str | bool | dict | Table | Stored | Preview

COST_COLUMNS = (
    Column("item", str),
    Column("provider", str),
    Column("model", str),
    Column("quantity", float),
    Column("unit", str),
    Column("usd", float),
)


def cost_table(costs: list[CostLine]) -> Table:
    """One row per priced unit of work."""
    return Table(COST_COLUMNS, [(c.item, c.provider, c.model, c.quantity, c.unit, c.usd) for c in costs])


def model_that_ran(kind: Kind, provider: str, asked: str) -> str:
    """The model that made an output: the local renderer's own when local adapters ran, else the catalog's."""
    return LOCAL_MODELS[kind] if provider == LOCAL_PROVIDER else asked
