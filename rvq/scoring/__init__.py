"""Scoring: RV and cost per interaction (`events`), summed per account or contact and
period (`flows`) by one of the registered engines (`engines`) into the panels (`panels`,
`columns`), or streamed through DuckDB for files too large to read whole (`stream`,
`cells`)."""

from __future__ import annotations

from rvq.scoring.columns import (
    ACCOUNT_PANEL_COLUMNS,
    BREADTH_TOLERANCE,
    CONTACT_PANEL_COLUMNS,
    FLOW_SUMS,
    FREQS,
    OUTCOME_COLUMNS,
    RV_COLUMNS,
    SPLIT_COLUMNS,
    SPLITS,
    VELOCITY_WINDOW,
    VOC_COLUMNS,
    Source,
    WarehouseTable,
)
from rvq.scoring.engines import ENGINES, Engine, IbisEngine, MemoryEngine
from rvq.scoring.events import periods_to_ordinals, score_events
from rvq.scoring.flows import Flows, flows_from_sparse, memory_flows
from rvq.scoring.panels import account_period_panel, contact_period_panel, panel_from_dataset
