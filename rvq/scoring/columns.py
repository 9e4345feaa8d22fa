"""What the panels hold: their columns in order, the RV splits by stage, function and value
aspect, and the sums every scoring engine delivers (see `rvq.scoring.panels` for the
definitions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rvq.schema import FUNCTIONS, STAGES, VALUE_ASPECTS

FREQS = ("M", "Q")
#: depth above this many RV units counts a contact as positive in ``breadth``
BREADTH_TOLERANCE = 1e-9
#: default number of periods ``rv_velocity`` averages over
VELOCITY_WINDOW = 3

#: the catalog columns a split is taken over, the panel column prefix, and the values
SPLITS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("stage", "rv_stage_", STAGES),
    ("function", "rv_function_", FUNCTIONS),
    ("value_aspect", "rv_aspect_", VALUE_ASPECTS),
)
SPLIT_COLUMNS: tuple[str, ...] = tuple(
    prefix + value for _, prefix, values in SPLITS for value in values
)
#: sums every engine delivers per entity and period (before depth and the rest)
FLOW_SUMS: tuple[str, ...] = ("n_interactions", "rv_flow", "rv_pos", "rv_neg", "cost")
RV_COLUMNS: tuple[str, ...] = (
    "rv_flow",
    "rv_cum",
    "rv_velocity",
    "rv_pos",
    "rv_neg",
    "n_interactions",
    "cost",
    "rv_per_cost",
)
VOC_COLUMNS: tuple[str, ...] = ("nps", "csat", "n_surveys")
OUTCOME_COLUMNS: tuple[str, ...] = ("revenue", "profit", "wallet", "share_of_wallet")
#: the account x period panel's columns, in order (docs/design.md)
ACCOUNT_PANEL_COLUMNS: tuple[str, ...] = (
    ("account_id", "period", "period_index", "age")
    + RV_COLUMNS
    + ("breadth", "n_contacts_active")
    + SPLIT_COLUMNS
    + VOC_COLUMNS
    + OUTCOME_COLUMNS
)
#: the contact x period panel's columns, in order
CONTACT_PANEL_COLUMNS: tuple[str, ...] = (
    ("account_id", "contact_id", "period", "period_index", "age")
    + RV_COLUMNS
    + SPLIT_COLUMNS
    + VOC_COLUMNS
)


@dataclass(frozen=True)
class WarehouseTable:
    """Interactions that already live in a warehouse table, scored where they are.

    The Ibis engines read it on their connection (Spark: a table of the session's catalog,
    e.g. a Hive or Unity table; DuckDB: a table of the database file given as the engine
    option ``database``), so the rows never leave the warehouse; only the per-entity,
    per-period sums come back. Its columns are the canonical interactions columns.
    """

    name: str
    database: str | None = None

    def __str__(self) -> str:
        return f"{self.database}.{self.name}" if self.database else self.name


Source = pd.DataFrame | str | Path | Sequence[str | Path] | WarehouseTable
