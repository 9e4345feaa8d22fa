"""Scoring: RV and cost per interaction (`catalog`), summed per account or contact and
period into the panels (`panels`, `columns`) on one of the registered engines (`engines`),
or streamed through DuckDB for files too large to read whole (`stream`, `cells`)."""

from __future__ import annotations

from rvq.scoring.columns import (
    ACCOUNT_PANEL_COLUMNS,
    BREADTH_TOLERANCE,
    CONTACT_PANEL_COLUMNS,
    ENGINES,
    FLOW_SUMS,
    FREQS,
    OUTCOME_COLUMNS,
    RV_COLUMNS,
    SPLIT_COLUMNS,
    SPLITS,
    VELOCITY_WINDOW,
    VOC_COLUMNS,
    Source,
)
from rvq.scoring.panels import (
    Flows,
    account_period_panel,
    contact_period_panel,
    flows_from_sparse,
    memory_flows,
    panel_from_dataset,
    periods_to_ordinals,
    score_events,
)
