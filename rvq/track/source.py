"""The scored interactions of chosen periods, read again from a summed pilot's source.

A pilot of more than `rvq.scoring.cells.CELLS_ABOVE_ROWS` interactions (read whole, or
streamed: `rvq.scoring.stream`) keeps its events summed into cells, so `rvq track` cannot
take the store's rows from it. It reads them again, only for the periods the store lacks:
the interactions file is validated block by block exactly as a streamed pilot validates
it (`rvq.scoring.stream.streamed_validation`, with the pilot's config and so its
``as_of``: the rows the pilot set aside stay set aside, duplicates across blocks too),
its usable rows go to a Parquet file in a temporary folder, and each wanted period is
selected from it on DuckDB, in file order, pseudonymised as `rvq.privacy.protect_dataset`
does a whole read (with pseudonyms on) and scored (`rvq.scoring.score_events`): one period
in memory at a time. The temporary folder (raw identifiers) is removed before returning.
A source whose interactions are database tables (never streamed) is read whole instead.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rvq.inputs.dataset import locate_tables
from rvq.privacy import table_protection
from rvq.schema import TABLES
from rvq.scoring import score_events
from rvq.scoring.stream import duckdb_in, duckdb_memory_limit, sql_literal, streamed_validation


class SourceChangedError(RuntimeError):
    """The interactions read again are not the ones the pilot used: one line."""


@dataclass(frozen=True)
class PilotSource:
    """What reading a pilot's interactions again needs of it -- so that the pilot itself
    (its panel, cells and tables) can be let go before the re-read."""

    config: Any
    freq: str
    counts: dict
    catalog: pd.DataFrame

    @classmethod
    def of(cls, pilot: Any) -> PilotSource:
        return cls(pilot.config, pilot.freq, pilot.table_counts(), pilot.dataset.catalog)


#: the interaction columns a tracked event keeps (the canonical ones; the validation's
#: `line` and `row_hash` stay behind)
EVENT_COLUMNS = TABLES["interactions"].columns


def source_events(
    pilot: PilotSource, periods: list[pd.Period]
) -> Iterator[tuple[pd.Period, pd.DataFrame]]:
    """``(period, scored events)`` for each of ``periods`` in order (an empty frame for a
    period without interactions), read again from ``pilot``'s source (see the module doc).
    Raises `SourceChangedError` when the rows read again are not as many as the pilot used."""
    if not periods:
        return
    path = locate_tables(pilot.config).get("interactions")
    if not isinstance(path, Path):  # a database table: read whole, as the pilot read it
        yield from _whole_events(pilot, periods)
        return
    if not path.is_file():
        raise SourceChangedError(f"the interactions file {path} is gone since the pilot read it")
    work = Path(tempfile.mkdtemp(prefix="rvq-track-"))
    try:
        parquet = _usable_interactions(pilot, work)
        yield from _parquet_events(pilot, parquet, periods, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _usable_interactions(pilot: PilotSource, work: Path) -> Path:
    """The pilot's usable interactions as a Parquet file in ``work`` (canonical columns,
    ``line``), checked against the pilot's counts."""
    result = streamed_validation(pilot.config, work_dir=work)
    read = result.validation.counts.get("interactions", {})
    wanted = pilot.counts.get("interactions", {})
    if (read.get("read"), read.get("used")) != (wanted.get("read"), wanted.get("used")):
        raise SourceChangedError(
            f"the interactions read again ({read.get('used', 0):,} usable of "
            f"{read.get('read', 0):,} rows) are not the pilot's ({wanted.get('used', 0):,} of "
            f"{wanted.get('read', 0):,}): run `rvq track` with --refresh to score the pilot again"
        )
    return result.interactions


def _parquet_events(
    pilot: PilotSource, parquet: Path, periods: list[pd.Period], work: Path
) -> Iterator[tuple[pd.Period, pd.DataFrame]]:
    """Each period's rows of ``parquet`` in file order, protected and scored."""

    con = duckdb_in(duckdb_memory_limit(), work)
    protect = table_protection(pilot.config, "interactions")
    try:
        con.execute(f"CREATE VIEW usable AS SELECT * FROM read_parquet({sql_literal(parquet)})")
        source = "usable"
        names = [r[0] for r in con.execute("DESCRIBE usable").fetchall()]
        # an optional column the export lacks is stored empty in the Parquet file: left
        # out, as a whole read has no such column
        present = [c for c in EVENT_COLUMNS if c in names]
        counts = con.execute(
            "SELECT " + ", ".join(f"count({c})" for c in present) + f" FROM {source}"
        ).fetchall()[0]
        required = TABLES["interactions"].required
        columns = [c for c, n in zip(present, counts, strict=True) if n or c in required]
        listed = ", ".join(columns)
        for period in periods:
            start, end = period.start_time, (period + 1).start_time
            table = con.sql(
                f"SELECT {listed} FROM {source} WHERE timestamp >= ? AND timestamp < ? "
                "ORDER BY line",
                params=[start.to_pydatetime(), end.to_pydatetime()],
            ).to_arrow_table()
            rows = table.to_pandas()
            del table
            rows["timestamp"] = rows["timestamp"].astype("datetime64[ns]")
            yield period, _scored(pilot, protect(rows), period)
    finally:
        con.close()


def _whole_events(
    pilot: PilotSource, periods: list[pd.Period]
) -> Iterator[tuple[pd.Period, pd.DataFrame]]:
    """Each period's events from a whole read of the source (database tables)."""
    from rvq import inputs

    dataset = inputs.load_dataset(pilot.config, progress=False)
    rows = dataset.interactions
    wanted = pilot.counts.get("interactions", {}).get("used")
    if wanted is not None and len(rows) != wanted:
        raise SourceChangedError(
            f"the interactions read again ({len(rows):,} usable rows) are not the pilot's "
            f"({wanted:,}): run `rvq track` with --refresh to score the pilot again"
        )
    events = score_events(
        table_protection(pilot.config, "interactions")(rows), pilot.catalog, freq=pilot.freq
    )
    del dataset, rows
    by_period = dict(tuple(events.groupby("period", sort=False, observed=True)))
    for period in periods:
        yield period, by_period.get(period, events.iloc[:0]).reset_index(drop=True)


def _scored(pilot: PilotSource, rows: pd.DataFrame, period: pd.Period) -> pd.DataFrame:
    """One period's usable rows, protected, scored as the whole path scores them."""
    events = score_events(rows, pilot.catalog, freq=pilot.freq)
    outside = events["period"] != period
    if outside.any():  # the DuckDB bounds and the Periods must agree, or rows would move
        raise SourceChangedError(f"{int(outside.sum())} rows read for {period} fall outside it")
    return events
