"""Interaction files larger than memory: validated block by block, scored on DuckDB.

`rvq.inputs.dataset.load_dataset` reads the interactions whole. For a CSV or Parquet file bigger
than the memory at hand, `streamed_panel` never holds it: `rvq.inputs.readers.csv_blocks` hands a
CSV over in blocks (`block_size` bytes, read exactly as `rvq.inputs.readers.read_csv` reads a whole
file), `rvq.inputs.readers.parquet_blocks` a Parquet file (`block_size / TEXT_BYTES_PER_ROW`
rows, read as `rvq.inputs.readers.read_parquet` reads it whole); each block
goes through the same rules as a whole table (`rvq.inputs.validation.validate_tables`, against
the small validated accounts and catalog), its usable rows are appended to a Parquet
file and the rest are counted. The blocks' problems are merged as the whole file's
(`rvq.inputs.validation.merge_problems`); duplicates across blocks are found by DuckDB over the
Parquet file (by `event_id`, or the raw row's hash without one), and the account x
period panel, the event cells and step e's row digest are computed from it on DuckDB,
which spills to disk under its memory limit. Rows read = used + set aside, as for any
table.

What stays in memory: one block, the small tables (accounts, catalog, outcomes, VoC),
the counts, up to `MAX_EXAMPLES` example rows per rule and the set-aside rows counted
per reason, account, code and source. `streamed_interactions` says when a file is large
enough to need this path (`rvq.scoring.footprint`: the in-memory path's expected peak
against the available memory).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rvq.config import ConfigError, PilotConfig, load_config
from rvq.inputs.dataset import ReadTables, locate_tables, read_tables
from rvq.inputs.digest import REPEAT_KEYS, SINGLE_VALUED, RowDigest
from rvq.inputs.mappings import table_mapping
from rvq.inputs.presets import SlashOrderNote
from rvq.inputs.readers import RawTable, csv_blocks, parquet_blocks, read_parquet, reader_for
from rvq.inputs.validation import (
    MAX_EXAMPLES,
    OUTLYING_SHARE,
    TABLE_ORDER,
    Problem,
    ValidationResult,
    duplicate_rows_message,
    far_from_bulk,
    merge_problems,
    no_usable_rows,
    outlying_dates_message,
    validate_tables,
)
from rvq.inputs.validation.parse import as_text, isin, nanosecond_times
from rvq.scoring.cells import CELL_ATTRIBUTES
from rvq.scoring.footprint import available_memory, path_choice

#: bytes of CSV text per block (validation needs some 30 times a block at its peak)
BLOCK_SIZE = 16 << 20
#: bytes of CSV text per interaction row (the demo's: 1.8 GB for 13.6M rows), to size a
#: Parquet file's blocks in rows like a CSV's
TEXT_BYTES_PER_ROW = 128
#: optional interaction columns kept beside the canonical ones: the event cells group by them
CELL_LABELS = ("source_system", "team")
#: and those only step e's row checks read (`row_digest`)
ROW_ATTRIBUTES = ("rep_id",)
#: DuckDB's share of the available memory while a pilot is scored (the parent process runs
#: alone then), between 1 GB and 8 GB: at a million accounts its sorts and windows over
#: 136M rows spill far less than under 1 GB
DUCKDB_SHARE = 0.25
#: DuckDB's date_trunc unit of each panel frequency
_TRUNC = {"M": "month", "Q": "quarter"}


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for scoring a streamed pilot: `DUCKDB_SHARE` of the available
    memory (`rvq.scoring.footprint.available_memory`), between 1 GB and 8 GB."""
    gb = min(max(available_memory() * DUCKDB_SHARE / 1e9, 1.0), 8.0)
    return f"{gb:.1f}GB"


def streamed_interactions(config: PilotConfig, available: int | None = None) -> Path | None:
    """The interactions file (CSV or Parquet) a pilot must stream, or None to read it
    whole: the config's `stream` decides, `auto` from the in-memory path's expected
    footprint against `available` bytes (`rvq.scoring.footprint.path_choice`, which also
    says why). Database tables are never streamed here."""
    choice = path_choice(config, available)
    return None if choice is None else choice.streamed


class FatalInputError(ValueError):
    """The streamed dataset cannot be scored: `validation` holds why (its fatal problems)."""

    def __init__(self, validation: ValidationResult):
        first = next(p for p in validation.problems if p.severity == "fatal")
        super().__init__(f"{first}; run `rvq validate` for the full report")
        self.validation = validation


@dataclass
class StreamedPilot:
    """The panel of a streamed dataset, its validation, its event cells
    (`rvq.scoring.cells.event_cells`' contract, summed on DuckDB), the digest of step e's row
    checks (`row_digest`) and the Parquet file of the usable interactions (canonical
    columns), which other DuckDB queries can reuse."""

    panel: pd.DataFrame
    validation: ValidationResult
    interactions: Path
    frames: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    cells: pd.DataFrame | None = None
    config: PilotConfig | None = None
    digest: RowDigest | None = None
    #: (accounts whose events the cells hold, accounts of the panel) when the cells hold
    #: a sample (`account_sample`); None: every account's
    cell_sample: tuple[int, int] | None = None
    #: the ids of the sampled accounts (`account_sample`), with or without interactions
    cell_accounts: list[str] | None = None


#: above this many accounts in the panel, the event cells hold a fixed sample of this many:
#: a million accounts' cells (0.7 per event, 97M) do not fit a step kernel; 200,000
#: accounts' do (the 100,000-account scale table: 4.3 GB at step 04)
CELL_ACCOUNTS = 200_000
#: the key of the hash that picks the sample (16 bytes; fixed: the same accounts each run)
_SAMPLE_KEY = "rvq.cell.sample!"


def account_sample(accounts, n: int, keep=()) -> list[str] | None:
    """`n` of `accounts` (ids), sorted: every one of `keep` (e.g. the priority customers),
    then those of smallest hash of their id -- a fixed sample, whatever the order or the
    run. None when there are no more than `n`."""
    accounts = pd.Index(pd.unique(np.asarray(accounts, dtype=object)))
    if len(accounts) <= n:
        return None
    kept = accounts.isin(list(keep))
    rest = accounts[~kept]
    hashes = pd.util.hash_array(rest.to_numpy(dtype=object), hash_key=_SAMPLE_KEY)
    chosen = rest[np.argsort(hashes, kind="stable")[: max(n - int(kept.sum()), 0)]]
    return sorted([*accounts[kept], *chosen])


#: the keys set-aside rows are counted by in a streamed pilot (`_aside_cells`)
ASIDE_KEYS = ("reason", "account_id", "interaction_code", "source_system")


def _aside_cells(rows: pd.DataFrame) -> pd.DataFrame:
    """Set-aside rows counted per reason, account, code and source (`n_events`), with the
    first and last time seen and the first line: what steps b and e read of them
    (`rvq.steps.datamap.unmapped_codes`, `rvq.steps.history`), bounded by accounts x codes, not rows.
    Cells given again are summed again, so cells of blocks combine."""
    rows = rows.assign(**{k: rows.get(k) for k in ASIDE_KEYS})
    if "n_events" not in rows:
        time = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
        if "timestamp" in rows:  # raw text: zoned and naive may mix, so all as UTC, then naive
            time = pd.to_datetime(rows["timestamp"], errors="coerce", format="mixed", utc=True)
            time = nanosecond_times(time.dt.tz_localize(None))  # 2999-12-31 shows as NaT
        rows = rows.assign(n_events=1, timestamp=time, last_timestamp=time)
    for column in ("timestamp", "last_timestamp"):
        rows[column] = pd.to_datetime(rows[column]).astype("datetime64[ns]")
    if "line" not in rows:
        rows["line"] = np.nan
    keys = list(ASIDE_KEYS)
    rows = rows.assign(**{k: rows[k].astype(object).where(rows[k].notna(), None) for k in keys})
    cells = rows.groupby(keys, dropna=False, sort=True).agg(
        n_events=("n_events", "sum"),
        timestamp=("timestamp", "min"),
        last_timestamp=("last_timestamp", "max"),
        line=("line", "min"),
    )
    cells = cells.reset_index()
    cells["n_events"] = cells["n_events"].astype("int64")
    return cells


class _Merged:
    """The blocks' validation results gathered: problems per block (merged at the end by
    `rvq.inputs.validation.merge_problems`), rows read and used, set-aside rows as `_aside_cells`."""

    def __init__(self) -> None:
        self.problems: list[list[Problem]] = []
        self.rows_per_block: list[int] = []
        self.zones: list[dict[str, dict[str, int]]] = []
        self.used = 0
        self.set_aside: list[pd.DataFrame] = []

    def add(self, result: ValidationResult) -> None:
        self.problems.append([p for p in result.problems if p.table == "interactions"])
        counts = result.counts.get("interactions", {"read": 0, "used": 0})
        self.rows_per_block.append(counts["read"])
        self.zones.append({k: z for k, z in result.zones.items() if k.startswith("interactions.")})
        self.used += counts["used"]
        aside = result.set_aside.get("interactions")
        if aside is not None and len(aside):
            self.set_aside.append(_aside_cells(aside))

    @property
    def read(self) -> int:
        return sum(self.rows_per_block)

    def merged_problems(self) -> list[Problem]:
        return merge_problems(self.problems, self.rows_per_block, self.zones)


def _row_hashes(block: RawTable, kept: np.ndarray, usable: pd.DataFrame) -> np.ndarray:
    """The raw row's hash of each usable row that has no `event_id` (duplicates are found
    by the id where there is one, by the whole row where not); 0 where it is not needed:
    hashing every row of every block is the slowest part of a block's bookkeeping."""
    hashes = np.zeros(len(usable), dtype=np.int64)
    no_id = (
        usable["event_id"].isna().to_numpy()
        if "event_id" in usable
        else np.ones(len(usable), dtype=bool)
    )
    if no_id.any():
        rows = block.frame[kept][no_id]
        hashes[no_id] = pd.util.hash_pandas_object(rows, index=False).to_numpy().view(np.int64)
    return hashes


def _text_array(s: pd.Series) -> pa.Array:
    """Text as an Arrow string array, without a detour through Python objects."""
    return pa.array(s, type=pa.string(), from_pandas=True)


def _canonical_arrow(frame: pd.DataFrame) -> pa.Table:
    """The usable rows with the columns the engines read, in fixed types."""
    return pa.table(
        {
            "account_id": _text_array(frame["account_id"]),
            "contact_id": _text_array(frame["contact_id"]),
            "timestamp": pa.array(frame["timestamp"].astype("datetime64[us]"), pa.timestamp("us")),
            "interaction_code": _text_array(frame["interaction_code"]),
            "cost": pa.array(frame["cost"].astype("float64"), pa.float64()),
            "event_id": _text_array(frame["event_id"]),
            "line": pa.array(frame["line"].astype("int64"), pa.int64()),
            # the raw row's hash: a whole read compares whole rows to find duplicates
            "row_hash": pa.array(frame["row_hash"].astype("int64"), pa.int64()),
            # the labels steps b and e count events by (all empty when the export has none)
            **{
                label: _text_array(frame[label])
                if label in frame
                else pa.nulls(len(frame), pa.string())
                for label in (*CELL_LABELS, *ROW_ATTRIBUTES)
            },
        }
    )


def sql_literal(path: str | os.PathLike) -> str:
    """A path as a DuckDB string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def duckdb_in(memory_limit: str, work: Path):
    """A DuckDB connection under `memory_limit` that spills into `work` (removed with it)."""
    import duckdb

    con = duckdb.connect(
        config={
            "memory_limit": memory_limit,
            "preserve_insertion_order": False,
            "temp_directory": str(work / "duckdb-spill"),
        }
    )
    con.execute("SET enable_progress_bar = false")  # DuckDB draws it on stdout, even into a pipe
    return con


def _drop_cross_block_duplicates(
    parquet: Path, memory_limit: str
) -> tuple[Path, int, list[dict], pd.DataFrame]:
    """Rows repeating an earlier row of another block, removed by DuckDB as a whole read
    removes them (`rvq.inputs.validation`: the same event_id, or without one the same raw row, by
    `row_hash`). Returns the new file, how many, example rows and their `_aside_cells`."""
    out = parquet.with_name(parquet.stem + "-unique.parquet")
    con = duckdb_in(memory_limit, parquet.parent)
    source = f"read_parquet({sql_literal(parquet)})"

    def key(row: str) -> str:
        return f"coalesce({row}.event_id, CAST({row}.row_hash AS VARCHAR))"

    try:
        # the keys seen twice or more, and each one's first line: one aggregate over the
        # keys (a window over whole rows, sorted per key, took far longer at 136M rows)
        con.execute(
            f"CREATE TEMP TABLE repeated AS SELECT {key('s')} AS k, min(s.line) AS first_line "
            f"FROM {source} s GROUP BY k HAVING count(*) > 1"
        )
        joined = f"FROM {source} s LEFT JOIN repeated r ON {key('s')} = r.k"
        con.execute(
            f"COPY (SELECT s.* {joined} WHERE r.k IS NULL OR s.line = r.first_line) "
            f"TO {sql_literal(out)} (FORMAT parquet)"
        )
        con.execute(
            f"CREATE TEMP TABLE dropped AS SELECT s.* {joined} "
            "WHERE r.k IS NOT NULL AND s.line > r.first_line"
        )
        dropped = con.execute("SELECT count(*) FROM dropped").fetchone()[0]
        examples = con.execute(
            f"SELECT * EXCLUDE (row_hash) FROM dropped ORDER BY line LIMIT {MAX_EXAMPLES}"
        ).df()
        keys = ", ".join(k for k in ASIDE_KEYS if k != "reason")
        cells = con.execute(
            f"SELECT 'duplicate_event' AS reason, {keys}, count(*) AS n_events, "
            "min(timestamp) AS timestamp, max(timestamp) AS last_timestamp, min(line) AS line "
            f"FROM dropped GROUP BY ALL"
        ).df()
    finally:
        con.close()
    parquet.unlink()
    return out, int(dropped), _json_rows(examples), cells


def _json_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-safe dicts (text timestamps, None for missing), as validation's examples."""
    out = frame.astype(object).where(frame.notna(), None)
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            out[column] = [None if v is None else str(v) for v in out[column]]
    return out.to_dict(orient="records")


#: warnings that compare the interactions with the other tables (`rvq.inputs.validation`)
COVERAGE_RULES = ("account_without_interactions", "outcomes_before_first_interaction")


def _coverage_problems(
    tables: ReadTables,
    code: str,
    config: PilotConfig,
    parquet: Path,
    memory_limit: str,
) -> list[Problem]:
    """The cross-table warnings a whole read gives (accounts without interactions, outcomes
    before the first interaction), from the usable interactions' accounts and first times:
    the small tables are validated again beside one stand-in interaction per account at
    its first time (`code`, a valid interaction code), and only those warnings are kept."""
    con = duckdb_in(memory_limit, parquet.parent)
    try:
        firsts = con.execute(
            "SELECT account_id, min(timestamp) AS timestamp "
            f"FROM read_parquet({sql_literal(parquet)}) GROUP BY account_id"
        ).df()
    finally:
        con.close()
    stand_in = pd.DataFrame(
        {
            "account_id": firsts["account_id"].astype(object),
            "contact_id": "stand-in",
            "timestamp": firsts["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "interaction_code": code,
        }
    )
    raw = {**tables.raw, "interactions": RawTable(stand_in, "<usable interactions>")}
    _, result = replace(tables, raw=raw).validate(config)
    return [p for p in result.problems if p.rule in COVERAGE_RULES]


def _outlying_dates(parquet: Path, file: str, memory_limit: str) -> list[Problem]:
    """The warning `outlying_date` a whole read gives, from the usable interactions'
    timestamps (the blocks' own are dropped: a block's bulk is not the table's)."""
    con = duckdb_in(memory_limit, parquet.parent)
    source = f"read_parquet({sql_literal(parquet)})"
    try:
        n, low, high, first, last = con.execute(
            f"SELECT count(timestamp), quantile_cont(timestamp, {OUTLYING_SHARE}), "
            f"quantile_cont(timestamp, {1 - OUTLYING_SHARE}), min(timestamp), max(timestamp) "
            f"FROM {source}"
        ).fetchone()
        if n < 2:
            return []
        low, high = pd.Timestamp(low), pd.Timestamp(high)
        start, end = far_from_bulk(low, high)
        where = f"timestamp < TIMESTAMP '{start}' OR timestamp > TIMESTAMP '{end}'"
        (far,) = con.execute(f"SELECT count(*) FROM {source} WHERE {where}").fetchone()
        if not far or far > OUTLYING_SHARE * n:
            return []
        examples = con.execute(
            f"SELECT line, strftime(timestamp, '%Y-%m-%dT%H:%M:%S') AS timestamp, account_id, "
            f"contact_id, interaction_code FROM {source} WHERE {where} "
            f"ORDER BY line LIMIT {MAX_EXAMPLES}"
        ).df()
    finally:
        con.close()
    message = outlying_dates_message(int(far), low, high, pd.Timestamp(first), pd.Timestamp(last))
    return [
        Problem(
            "interactions", file, "timestamp", "outlying_date", "warning", message, int(far),
            _json_rows(examples),
        )
    ]  # fmt: skip


def streamed_validation(
    source: str | os.PathLike | PilotConfig,
    *,
    work_dir: str | os.PathLike | None = None,
    block_size: int | None = None,
    memory_limit: str | None = None,
) -> StreamedPilot:
    """Validate, block by block, a dataset whose interactions file (CSV or Parquet) is
    larger than memory.

    `source` is a dataset folder, a YAML config or a PilotConfig (its `as_of`, `freq`,
    mapping and catalog apply as in `rvq.inputs.dataset.load_dataset`). The usable interactions go to
    `<work_dir>/interactions.parquet` (default: a new temporary folder); DuckDB works
    under `memory_limit` (default `duckdb_memory_limit()`). Data problems never raise: they are in the result's
    `validation` (its `panel` is empty; `streamed_panel` scores).
    """
    config = source if isinstance(source, PilotConfig) else load_config(source)
    block_size = block_size or BLOCK_SIZE
    memory_limit = memory_limit or duckdb_memory_limit()
    config = config.model_copy(update={"as_of": config.resolved_as_of()})
    tables = read_tables(config, skip=("interactions",))
    path = locate_tables(config).get("interactions")
    if path is None or not path.exists():
        raise FileNotFoundError(f"no interactions file for {config.data or config.tables}")
    frames, small = tables.validate(config)
    small.problems[:] = [p for p in small.problems if p.table != "interactions"]
    small.counts.pop("interactions", None)
    accounts = frames["accounts"]
    catalog = frames["catalog"]

    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="rvq-stream-"))
    work.mkdir(parents=True, exist_ok=True)
    parquet = work / "interactions-blocks.parquet"
    merged = _Merged()
    mapping = table_mapping(config, "interactions")
    dates = config.table_format("interactions").dates
    assumed = None  # a CRM preset's note that its slash dates were read month first, unproven
    writer, columns = None, set()
    blocks = interaction_blocks(path, block_size)
    try:
        while True:
            try:
                block = next(blocks, None)
                if block is not None and mapping is not None:
                    block = mapping.apply(block, dates)
                    dates, assumed = _slash_order_so_far(block.notes, dates, assumed)
            except ConfigError:
                raise
            except Exception as exc:  # unreadable, or a preset that cannot convert it
                _, failed = tables.validate(
                    config, interactions=f"{path}: {type(exc).__name__}: {exc}"
                )
                return StreamedPilot(pd.DataFrame(), failed, parquet, frames, config=config)
            if block is None:
                break
            columns.update(block.frame.columns)
            pair = {"interactions": block}
            if accounts is not None:
                pair["accounts"] = _accounts_named(block, accounts)
            usable, result = validate_tables(
                pair, catalog, freq=config.freq, as_of=config.as_of, formats=config.formats
            )
            merged.add(result)
            frame = usable["interactions"]
            if frame is None or not len(frame):
                continue
            kept = _used_mask(result, block)
            table = _canonical_arrow(
                frame.assign(line=block.lines[kept], row_hash=_row_hashes(block, kept, frame))
            )
            if writer is None:
                writer = pq.ParquetWriter(parquet, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()

    validation = small
    used = merged.used
    if writer is not None:
        parquet, dropped, examples, cells = _drop_cross_block_duplicates(parquet, memory_limit)
        if dropped:
            used -= dropped
            event_ids = "event_id" in columns
            what = duplicate_rows_message(event_ids)
            merged.problems.append(
                [
                    Problem(
                        "interactions", str(path), "event_id" if event_ids else None,
                        "duplicate_event", "set_aside", f"{dropped:,} rows {what}: set aside",
                        dropped, examples,
                    )
                ]
            )  # fmt: skip
            merged.set_aside.append(cells)
        final = work / "interactions.parquet"
        os.replace(parquet, final)
    else:
        final = parquet
    read = merged.read
    validation.problems[:0] = merged.merged_problems()
    validation.counts["interactions"] = {"read": read, "used": used, "set_aside": read - used}
    order = {table: i for i, table in enumerate(TABLE_ORDER)}  # as when read whole
    validation.counts = dict(sorted(validation.counts.items(), key=lambda kv: order.get(kv[0], 99)))
    validation.files["interactions"] = str(path)
    if merged.set_aside:
        validation.set_aside["interactions"] = _aside_cells(
            pd.concat(merged.set_aside, ignore_index=True)
        )
    if used:
        code = str(frames["catalog"]["interaction_code"].iloc[0])
        validation.problems += _outlying_dates(final, str(path), memory_limit)
        validation.problems += _coverage_problems(tables, code, config, final, memory_limit)
    if assumed is not None and dates == "day_first":
        validation.problems.append(_slash_order_changed(str(path)))
    unusable = any(p.table == "interactions" and p.severity == "fatal" for p in validation.problems)
    if used == 0 and not unusable:
        found = no_usable_rows("interactions", str(path), read, validation.problems)
        validation.problems.append(found)
    return StreamedPilot(
        panel=pd.DataFrame(),
        validation=validation,
        interactions=final,
        frames=frames,
        config=config,
    )


def interaction_blocks(path: Path, block_size: int):
    """The interactions file in blocks of about `block_size` bytes of CSV text, each read
    as the file's reader reads it whole: a Parquet file's in rows (`TEXT_BYTES_PER_ROW`)."""
    if reader_for(path) is read_parquet:
        return parquet_blocks(path, max(block_size // TEXT_BYTES_PER_ROW, 1))
    return csv_blocks(path, block_size)


def _slash_order_so_far(
    notes: list[str], dates: str, assumed: SlashOrderNote | None
) -> tuple[str, SlashOrderNote | None]:
    """The `dates` setting for the next blocks of a CRM export and the first note of an
    assumed order: once a block's values prove (or contradict) the order of its slash
    dates, every later block reads them so, as a whole read does."""
    for note in notes:
        if isinstance(note, SlashOrderNote):
            if note.proven:
                return note.order, assumed
            assumed = assumed or note
    return dates, assumed


def _slash_order_changed(file: str) -> Problem:
    """Fatal: the first blocks' slash dates were read month first (nothing showed the
    order), and a later block's prove them day first."""
    message = (
        "the first blocks' timestamps written with slashes were read month/day/year (no "
        "value there showed the order), and later values prove day/month/year: set "
        "`formats: {interactions: {dates: day_first}}` in the config"
    )
    return Problem("interactions", file, "timestamp", "format_option_needed", "fatal", message)


def streamed_panel(
    source: str | os.PathLike | PilotConfig,
    *,
    work_dir: str | os.PathLike | None = None,
    block_size: int | None = None,
    memory_limit: str | None = None,
    keep=None,
) -> StreamedPilot:
    """Validate and score a dataset whose interactions file is larger than memory: the
    account x period panel and the event cells, both from DuckDB over the Parquet file of
    `streamed_validation` (same arguments; `memory_limit` by default
    `duckdb_memory_limit()`). A panel of more than `CELL_ACCOUNTS` accounts keeps the cells
    of `CELL_ACCOUNTS` of them (`account_sample`; `keep(frames)` names accounts the
    sample must hold: the priority customers), said in `cell_sample`. FatalInputError
    (a ValueError) when the validation is fatal."""
    from rvq import scoring

    memory_limit = memory_limit or duckdb_memory_limit()

    result = streamed_validation(
        source, work_dir=work_dir, block_size=block_size, memory_limit=memory_limit
    )
    validation, config, frames = result.validation, result.config, result.frames
    if validation.fatal:
        raise FatalInputError(validation)
    result.panel = scoring.account_period_panel(
        [result.interactions],
        frames["catalog"],
        frames["outcomes"],
        frames["voc"],
        freq=config.freq,
        half_life=config.half_life,
        engine="duckdb",
        engine_options={"memory_limit": memory_limit},
    )
    accounts = result.panel["account_id"].unique()
    sample = account_sample(accounts, CELL_ACCOUNTS, keep(frames) if keep else ())
    if sample is not None:
        result.cell_sample = (len(sample), len(accounts))
        result.cell_accounts = sample
    result.cells = streamed_cells(
        result.interactions,
        frames["catalog"],
        freq=config.freq,
        memory_limit=memory_limit,
        accounts=sample,
    )
    result.digest = row_digest(result.interactions, memory_limit=memory_limit)
    return result


def row_digest(parquet: str | os.PathLike, *, memory_limit: str | None = None) -> RowDigest:
    """Step e's row checks of a Parquet file of usable interactions, on DuckDB
    (`rvq.inputs.digest.RowDigest`): the extra rows per account repeating account, contact,
    timestamp and code, and the value pairs of the `SINGLE_VALUED` interaction attributes."""
    con = duckdb_in(memory_limit or duckdb_memory_limit(), Path(parquet).parent)
    source = f"read_parquet({sql_literal(parquet)})"
    try:
        repeats = con.execute(
            f"""
            SELECT account_id, sum(n - 1) AS n_rows FROM (
                SELECT account_id, count(*) AS n FROM {source}
                GROUP BY {", ".join(REPEAT_KEYS)}
            ) WHERE n > 1 GROUP BY account_id
            """
        ).df()
        pairs = {}
        for table, key, attribute in SINGLE_VALUED:
            if table == "interactions":
                pairs[(key, attribute)] = con.execute(
                    f"""
                    SELECT CAST({key} AS VARCHAR) AS {key},
                           CAST({attribute} AS VARCHAR) AS {attribute}, count(*) AS n_rows
                    FROM {source} WHERE {key} IS NOT NULL AND {attribute} IS NOT NULL
                    GROUP BY ALL
                    """
                ).df()
    finally:
        con.close()
    repeats["n_rows"] = repeats["n_rows"].astype("int64")
    for frame in pairs.values():
        frame["n_rows"] = frame["n_rows"].astype("int64")
    return RowDigest(repeats=repeats, pairs=pairs)


def streamed_cells(
    parquet: str | os.PathLike,
    catalog: pd.DataFrame,
    *,
    freq: str,
    labels: tuple[str, ...] = CELL_LABELS,
    memory_limit: str | None = None,
    accounts: list[str] | None = None,
) -> pd.DataFrame:
    """The scored events of a Parquet file of usable interactions (of `accounts` only,
    when given), summed per account,
    period, interaction and source/team label on DuckDB: `rvq.scoring.cells.event_cells`' result
    without holding the events. RV and cost as `rvq.scoring.events.score_events` gives them (the
    row's own cost where given, else the catalog's). `labels`: the label columns (an
    export without one has it empty, as a whole read has)."""
    lookup = catalog.drop_duplicates("interaction_code")
    rates = pd.DataFrame(
        {
            "interaction_code": lookup["interaction_code"].astype(str),
            "rv": pd.to_numeric(lookup["rv"]).astype("float64"),
            "cost": pd.to_numeric(lookup["cost"]).astype("float64"),
        }
    )
    keys = ["account_id", "period_start", "interaction_code", *labels]
    texts = ["account_id", "interaction_code", *labels]
    source = f"read_parquet({sql_literal(parquet)})"
    con = duckdb_in(memory_limit or duckdb_memory_limit(), Path(parquet).parent)
    try:
        con.register("rates", rates)
        if accounts is not None:
            con.register("sample", pd.DataFrame({"account_id": pd.Series(accounts, dtype=str)}))
            source = f"(SELECT * FROM {source} WHERE account_id IN (SELECT account_id FROM sample))"
        for column in texts:  # text as an ENUM of its sorted values: Arrow dictionaries
            con.execute(
                f"CREATE TYPE {column}_values AS ENUM (SELECT DISTINCT {column} FROM {source} "
                f"WHERE {column} IS NOT NULL ORDER BY 1)"
            )
        as_enum = {c: f"CAST(e.{c} AS {c}_values) AS {c}" for c in texts}
        label_sql = "".join(f", {as_enum[c]}" for c in labels)
        relation = con.sql(
            f"""
            SELECT {as_enum["account_id"]},
                   date_trunc('{_TRUNC[freq]}', e.timestamp) AS period_start,
                   {as_enum["interaction_code"]}{label_sql},
                   count(*) AS n_events,
                   sum(r.rv) AS rv,
                   coalesce(sum(coalesce(e.cost, r.cost)), 0) AS cost,
                   max(e.timestamp) AS timestamp,
                   min(e.timestamp) AS first_timestamp
            FROM {source} e
            JOIN rates r USING (interaction_code)
            GROUP BY ALL
            ORDER BY {", ".join(keys)}
            """
        )
        table = (
            relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()
        )
    finally:
        con.close()
    # tens of millions of cells: their text as categories, from DuckDB's ENUMs (Arrow
    # dictionaries: the text is never materialized per cell), in sorted order (DuckDB's
    # code-point order, as pandas sorts text)
    cells = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    for column in texts:
        values = cells[column].astype("category")
        cells[column] = values.cat.reorder_categories(sorted(values.cat.categories))
    cells["period"] = pd.PeriodIndex(cells.pop("period_start"), freq=freq)
    attributes = [c for c in CELL_ATTRIBUTES if c in lookup]
    per_code = lookup.assign(interaction_code=lookup["interaction_code"].astype(str))
    per_code = per_code.set_index("interaction_code")
    for column in attributes:  # constant per code: mapped on the codes' categories
        cells[column] = cells["interaction_code"].map(per_code[column]).astype("category")
    cells["n_events"] = cells["n_events"].astype("int64")
    for column in ("timestamp", "first_timestamp"):  # DuckDB gives microseconds, pandas ns
        cells[column] = cells[column].astype("datetime64[ns]")
    sums = ["n_events", "rv", "cost", "timestamp", "first_timestamp"]
    keys = ["account_id", "period", "interaction_code", *labels]
    return cells[keys + attributes + sums]


def _accounts_named(block: RawTable, accounts: pd.DataFrame) -> RawTable:
    """The validated accounts a block's rows name (at least one): all its unknown-account
    rule needs, the same verdicts as every account gives, without validating every account
    again per block (a million accounts: 15 times the block's own work)."""
    named = np.zeros(len(accounts), dtype=bool)
    if "account_id" in block.frame:
        named = np.array(isin(accounts["account_id"], as_text(block.frame["account_id"])))
    named[: 1 if not named.any() else 0] = True  # never an empty table (a fatal problem)
    return RawTable(accounts.loc[named].reset_index(drop=True), "<validated accounts>")


def _used_mask(result: ValidationResult, block: RawTable) -> np.ndarray:
    """Which rows of the block validation kept (the set-aside rows carry their line)."""
    aside = result.set_aside.get("interactions")
    if aside is None or not len(aside):
        return np.ones(len(block.frame), dtype=bool)
    return ~np.isin(block.lines, aside["line"].dropna().astype("int64").to_numpy())
