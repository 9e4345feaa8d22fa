"""Event cells: scored events summed per account, period, interaction and source/team.

A pilot whose interactions do not fit in memory (`rvq.scoring.stream`) cannot hold one row per
event, yet steps b, d and e (data map, process gaps, record) need the events. They get
cells instead: one row per (account, period, interaction code, source, team) with the
number of events, their summed RV and cost, and the first and last timestamp. The cells
of a book are bounded by accounts × periods × codes × labels, not by its events.

Consumers weigh each row by `event_counts`: a cell counts as its `n_events` events, an
event-level frame (no `n_events` column) as one event per row, so the same code serves
both and gives the same answers.
"""

from __future__ import annotations

import pandas as pd

#: the group keys of a cell, in sort order (source_system and team only when present)
CELL_KEYS = ("account_id", "period", "interaction_code", "source_system", "team")
#: catalog attributes constant per interaction code, carried by each cell
CELL_ATTRIBUTES = ("stage", "function", "value_aspect", "kind")
#: a pilot read whole keeps event cells instead of its scored events above this many
#: interaction rows (`rvq.pilot.bounded_events`), as a streamed pilot always does: the
#: step kernels then hold the cells, which grow with accounts x periods x codes, not with
#: the events. Below it, the events themselves (the steps give the same results either way)
CELLS_ABOVE_ROWS = 1_000_000


def is_cells(events: pd.DataFrame) -> bool:
    """Whether `events` are event cells (one row per cell) rather than one row per event."""
    return "n_events" in events


def event_counts(events: pd.DataFrame) -> pd.Series:
    """How many events each row stands for: `n_events` of a cell, else 1 (int64)."""
    if is_cells(events):
        return events["n_events"].astype("int64")
    return pd.Series(1, index=events.index, dtype="int64")


def event_cells(scored_events: pd.DataFrame) -> pd.DataFrame:
    """The scored events (`rvq.scoring.events.score_events`) summed per cell, sorted by the keys.

    Columns: the `CELL_KEYS` present (empty source or team values form their own cell),
    the `CELL_ATTRIBUTES` present, `n_events`, `rv` and `cost` (sums; a missing cost adds
    0), `timestamp` (the last event's) and `first_timestamp` (the first event's); text
    as categories (`as_text` decodes it). Cells given again are summed again, so cells of
    blocks combine into cells of the whole.
    """
    keys = [k for k in CELL_KEYS if k in scored_events]
    attributes = [c for c in CELL_ATTRIBUTES if c in scored_events]
    first = "first_timestamp" if "first_timestamp" in scored_events else "timestamp"
    counted = ["n_events"] if is_cells(scored_events) else []
    summed = dict.fromkeys([*keys, *attributes, "rv", "cost", "timestamp", first, *counted])
    events = scored_events[list(summed)]  # not the ids and free text of the events
    events = events.assign(n_events=event_counts(events), _first_timestamp=events[first])
    cells = events.groupby(keys, dropna=False, observed=True, sort=True).agg(
        **{column: (column, "first") for column in attributes},
        n_events=("n_events", "sum"),
        rv=("rv", "sum"),
        cost=("cost", "sum"),
        timestamp=("timestamp", "max"),
        first_timestamp=("_first_timestamp", "min"),
    )
    cells = cells.reset_index()
    cells["n_events"] = cells["n_events"].astype("int64")
    for column in [*keys, *attributes]:  # text as categories, as streamed cells keep it
        if pd.api.types.is_string_dtype(cells[column].dtype):
            cells[column] = cells[column].astype("category")
    return cells


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its categorical columns as plain text. Streamed cells keep their text
    as categories (tens of millions of rows); results built from them are small and go to
    tables and plots, which would otherwise show every category, seen or not."""
    decoded = {
        column: values.astype(values.cat.categories.dtype)
        for column, values in frame.items()
        if isinstance(values.dtype, pd.CategoricalDtype)
    }
    return frame.assign(**decoded) if decoded else frame
