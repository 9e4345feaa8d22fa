"""The tracking store: the book's history, one period appended at a time (`rvq track`).

An embedded DuckDB file by default (``reports/<client>/track.duckdb``); any SQLAlchemy URL
(config ``store:``, e.g. PostgreSQL) for a team that shares one. Its tables, all named
``track_*`` so they can share a database with other things:

- ``track_periods``: one row per tracked period (when, from which input version, how many
  accounts and interactions): the store's answer to "which periods are tracked".
- ``track_panel``: the account x period panel rows of the tracked periods.
- ``track_events``: the scored interactions (one row per contact interaction) of the
  tracked periods, with ``seq``, their order within the period.
- ``track_accounts``, ``track_plans``, ``track_campaigns``: the latest copy of the accounts
  and the optional tables (replaced only when their content changed).
- ``track_meta``: the period length and whether ids are pseudonyms (a store never mixes two).

A period is appended in one transaction, rows and its ``track_periods`` row together, and
a period already tracked is never written again: re-running a period changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rvq.config import mask_url
from rvq.scoring.columns import OUTCOME_COLUMNS
from rvq.track.history import TrackHistory

PERIODS, PANEL, EVENTS, META = "track_periods", "track_panel", "track_events", "track_meta"
#: the tables kept as their latest copy, by the TrackHistory field they fill
SNAPSHOTS = {"accounts": "track_accounts", "plans": "track_plans", "campaigns": "track_campaigns"}
#: every table of the store
TABLES = (PERIODS, PANEL, EVENTS, *SNAPSHOTS.values(), META)
#: the event columns read back as categoricals (sorted categories, as
#: `rvq.inputs.dataset.dictionary_encoded` makes them): 13.6M events (100,000 accounts)
#: then take ~1 GB, not ~3 GB of text; ``event_id`` (one value per row) stays text
ENCODED_EVENT_COLUMNS = (
    "account_id",
    "contact_id",
    "interaction_code",
    "rep_id",
    "team",
    "source_system",
    "stage",
    "function",
    "value_aspect",
    "kind",
    "period",
)
#: DuckDB's memory for the store (its default, 80% of the machine, is not its to take: the
#: history read back and the lists share the process)
STORE_MEMORY_LIMIT = "1GB"
#: rows per Arrow batch when the events are read back
READ_BATCH_ROWS = 1 << 20


class StoreError(RuntimeError):
    """A store that cannot be opened or would mix two kinds of history: one line."""


# --------------------------------------------------------------------------- backends


class _DuckDB:
    """The embedded default: a DuckDB file, through duckdb's own API."""

    def __init__(self, path: Path):
        import duckdb

        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the tracking store {path}: {exc}") from None
        self.con.execute("SET enable_progress_bar = false")  # never a bar on a page's stderr
        self.con.execute(f"SET memory_limit = '{STORE_MEMORY_LIMIT}'")  # beside the lists'
        self.where = str(path)

    def tables(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}

    def read(self, sql: str, params: list | None = None) -> pd.DataFrame:
        # through Arrow: three times faster than `.df()` on millions of text cells
        return self.con.sql(sql, params=params or None).to_arrow_table().to_pandas()

    def columns(self, table: str) -> list[str]:
        return [r[0] for r in self.con.execute(f"DESCRIBE {table}").fetchall()]

    def read_encoded(
        self, sql: str, param_sets: list[list], encode: tuple[str, ...]
    ) -> pd.DataFrame:
        """The rows of ``sql`` run with each of ``param_sets`` in turn (e.g. one period at
        a time: DuckDB sorts one period, not the book), with the text columns of ``encode``
        as categoricals: dictionary-encoded batch by batch on Arrow, and every other column
        copied out of DuckDB's batch, so millions of rows never hold their text once per
        row, nor DuckDB's batches once read."""
        import pyarrow as pa
        import pyarrow.compute as pc

        def kept(column: pa.Array, field: pa.Field) -> pa.Array:
            if pa.types.is_dictionary(field.type):
                return pc.dictionary_encode(column)
            return pa.concat_arrays([column, column.slice(0, 0)])  # a copy of its own

        batches, schema = [], None
        for params in param_sets:
            reader = self.con.sql(sql, params=params or None).to_arrow_reader(READ_BATCH_ROWS)
            fields = [
                pa.field(f.name, pa.dictionary(pa.int32(), f.type))
                if f.name in encode
                and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
                else f
                for f in reader.schema
            ]
            schema = pa.schema(fields)
            for batch in reader:
                columns = [kept(c, f) for c, f in zip(batch.columns, fields, strict=True)]
                batches.append(pa.record_batch(columns, schema=schema))
            del reader
        table = pa.Table.from_batches(batches, schema=schema).unify_dictionaries()
        del batches
        return table.to_pandas(self_destruct=True)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_DuckDB]:
        self.con.begin()
        try:
            yield self
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    def write(self, table: str, frame: pd.DataFrame) -> None:
        self.con.register("_rvq_frame", frame)
        try:
            if table in self.tables():
                self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rvq_frame")
            else:
                self.con.execute(f"CREATE TABLE {table} AS SELECT * FROM _rvq_frame")
        finally:
            self.con.unregister("_rvq_frame")

    def execute(self, sql: str, params: list | None = None) -> None:
        self.con.execute(sql, params or [])

    def close(self) -> None:
        self.con.close()


class _SqlAlchemy:
    """Any database SQLAlchemy reaches (PostgreSQL with psycopg 3 for a shared store)."""

    def __init__(self, url: str, config: Any = None):
        from sqlalchemy import create_engine

        from rvq.inputs.sql import _sqlalchemy_url, config_sql_source

        try:  # refuses a URL holding a password; the password comes as for `tables:`
            source = config_sql_source(url, "track", config)
            self.engine = create_engine(_sqlalchemy_url(source, source.password()))
        except Exception as exc:
            raise StoreError(f"cannot open the tracking store {mask_url(url)}: {exc}") from None
        self.where = mask_url(url)
        self.conn = None

    def tables(self) -> set[str]:
        from sqlalchemy import inspect

        return set(inspect(self.conn or self.engine).get_table_names())

    def columns(self, table: str) -> list[str]:
        from sqlalchemy import inspect

        return [c["name"] for c in inspect(self.conn or self.engine).get_columns(table)]

    def read_encoded(
        self, sql: str, param_sets: list[list], encode: tuple[str, ...]
    ) -> pd.DataFrame:
        """The rows of ``sql`` run with each of ``param_sets`` in turn, with the text
        columns of ``encode`` as categoricals."""
        parts = [self.read(sql, params) for params in param_sets]
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        return frame.assign(**{c: frame[c].astype("category") for c in encode if c in frame})

    def read(self, sql: str, params: list | None = None) -> pd.DataFrame:
        from sqlalchemy import text

        named, values = _named(sql, params or [])
        if self.conn is not None:
            return pd.read_sql(text(named), self.conn, params=values)
        with self.engine.connect() as conn:
            return pd.read_sql(text(named), conn, params=values)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_SqlAlchemy]:
        with self.engine.begin() as conn:
            self.conn = conn
            try:
                yield self
            finally:
                self.conn = None

    def write(self, table: str, frame: pd.DataFrame) -> None:
        frame.to_sql(table, self.conn, if_exists="append", index=False, chunksize=10_000)

    def execute(self, sql: str, params: list | None = None) -> None:
        from sqlalchemy import text

        named, values = _named(sql, params or [])
        self.conn.execute(text(named), values)

    def close(self) -> None:
        self.engine.dispose()


def _named(sql: str, params: list) -> tuple[str, dict[str, Any]]:
    """A `?`-placeholder statement as SQLAlchemy's named parameters (`:p0`, `:p1`...)."""
    parts = sql.split("?")
    named = parts[0] + "".join(f":p{i}{rest}" for i, rest in enumerate(parts[1:]))
    return named, {f"p{i}": v for i, v in enumerate(params)}


# --------------------------------------------------------------------------- the store


def store_location(config: Any, client_dir: Path) -> str:
    """Where a client's store is: the config's ``store:`` (a SQLAlchemy URL or a DuckDB
    file path), else ``<client_dir>/track.duckdb``."""
    store = getattr(config, "store", None)
    return str(store) if store else str(client_dir / "track.duckdb")


def open_store(location: str | os.PathLike, config: Any = None) -> TrackStore:
    """The store at ``location``: a DuckDB file (a path, or ``duckdb:///path``) or any
    other SQLAlchemy URL, whose password comes from the config's ``sql.password_env`` or
    ``secrets:`` as for the input tables."""
    text = str(location)
    if text.startswith("duckdb://"):
        return TrackStore(_DuckDB(Path(text.removeprefix("duckdb:///"))))
    if "://" in text:
        return TrackStore(_SqlAlchemy(text, config))
    return TrackStore(_DuckDB(Path(text).expanduser()))


class TrackStore:
    """The tracked history of one book (see the module doc). Open with :func:`open_store`."""

    def __init__(self, backend: _DuckDB | _SqlAlchemy):
        self.backend = backend

    @property
    def where(self) -> str:
        """The store's file or URL, with any password masked."""
        return self.backend.where

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> TrackStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tracked_periods(self, freq: str) -> list[pd.Period]:
        """The periods already in the store, oldest first."""
        if PERIODS not in self.backend.tables():
            return []
        done = self.backend.read(f"SELECT period FROM {PERIODS}")["period"]
        return sorted(pd.Period(p, freq=freq) for p in done)

    def meta(self) -> dict[str, str]:
        if META not in self.backend.tables():
            return {}
        rows = self.backend.read(f"SELECT key, value FROM {META}")
        return dict(zip(rows["key"], rows["value"], strict=True))

    def append(
        self,
        history: TrackHistory,
        *,
        ids: str = "raw",
        input_version: str = "",
        events: Callable[[list[pd.Period]], Iterable[tuple[pd.Period, pd.DataFrame]]] | None = None,
    ) -> list[pd.Period]:
        """Append every period of ``history`` (up to its ``as_of``) the store lacks, each in
        its own transaction; refresh the accounts, plans and campaigns when they changed.
        ``ids`` says whether the ids are ``"pseudonyms"`` or ``"raw"``: a store refuses to
        mix the two, or two period lengths. ``events``, for a history that does not hold
        its events (a summed pilot's: `rvq.track.source.source_events`), gives the scored
        events of the periods asked for, one ``(period, frame)`` at a time in their order;
        by default they are ``history.events``'. Returns the periods appended (none on a
        re-run)."""
        self._check_meta(history.freq, ids)
        done = set(self.tracked_periods(history.freq))
        periods = sorted(set(history.panel["period"].unique()) - done)
        new = history.panel[history.panel["period"].isin(periods)]
        panel_by_period = dict(tuple(new.groupby("period", sort=False, observed=True)))
        if events is None:
            supply = _events_by_period(history, periods)
        else:  # asked only for periods to append: a re-run never reads the source
            supply = events(periods) if periods else iter(())
        expected = iter(periods)
        supplied = iter(supply)
        try:
            for period, frame in supplied:
                if period != next(expected, None):
                    raise StoreError(
                        f"the events supplied for the tracking store came for {period}, not "
                        f"for the next period it lacks: nothing of {period} was written"
                    )
                self._append_period(period, frame, panel_by_period[period], input_version)
                del frame
        finally:  # a generator's temporary files (raw ids) go now, not when collected
            if hasattr(supplied, "close"):
                supplied.close()
        missing = [str(p) for p in expected]
        if missing:
            raise StoreError(f"no events were supplied for {', '.join(missing)}: not tracked")
        self._refresh_snapshots(history)
        return periods

    def _append_period(
        self, period: pd.Period, frame: pd.DataFrame, panel: pd.DataFrame, input_version: str
    ) -> None:
        """One period's events and panel rows, and its line in the periods table, as one
        transaction."""
        with self.backend.transaction() as db:
            self._write_rows(db, EVENTS, _stored(frame.assign(seq=range(len(frame)))))
            self._write_rows(db, PANEL, _stored(panel))
            db.write(
                PERIODS,
                pd.DataFrame(
                    {
                        "period": [str(period)],
                        "input_version": [input_version],
                        "tracked_at": [dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")],
                        "accounts": [int(panel["account_id"].nunique())],
                        "interactions": [len(frame)],
                    }
                ),
            )

    def history(self, as_of: Any, freq: str) -> TrackHistory:
        """The tracked history up to and including ``as_of``, as every list reads it."""
        as_of = pd.Period(as_of, freq=freq)
        periods = [str(p) for p in self.tracked_periods(freq) if p <= as_of]
        if not periods:
            raise StoreError(f"the tracking store {self.where} holds no period up to {as_of}")
        marks = ", ".join("?" for _ in periods)
        events = self.backend.read_encoded(  # period by period: one sorted at a time
            f"SELECT * FROM {EVENTS} WHERE period = ? ORDER BY seq",
            [[period] for period in periods],
            ENCODED_EVENT_COLUMNS,
        )
        panel = self.backend.read(
            f"SELECT * FROM {PANEL} WHERE period IN ({marks}) ORDER BY account_id, period",
            periods,
        )
        snapshots = {name: self.snapshot(name) for name in SNAPSHOTS}
        return TrackHistory(
            events=_sorted_categories(_loaded(events.drop(columns="seq", errors="ignore"), freq)),
            panel=complete_grid(_loaded(panel, freq)),
            accounts=snapshots["accounts"],
            freq=freq,
            as_of=as_of,
            plans=snapshots["plans"],
            campaigns=snapshots["campaigns"],
        )

    def snapshot(self, name: str) -> pd.DataFrame | None:
        """The latest copy of ``accounts``, ``plans`` or ``campaigns`` (None when never given)."""
        table = SNAPSHOTS[name]
        if table not in self.backend.tables():
            return None
        frame = self.backend.read(f"SELECT * FROM {table} ORDER BY seq").drop(columns="seq")
        return frame if len(frame) or name == "accounts" else None

    def table(self, name: str) -> pd.DataFrame:
        """One table of the store whole, in a stable row order (tests compare runs by it)."""
        frame = self.backend.read(f"SELECT * FROM {name}")
        keys = [c for c in ("period", "account_id", "seq", "key") if c in frame.columns]
        return frame.sort_values(keys or list(frame.columns), ignore_index=True)

    # -- internals

    def _check_meta(self, freq: str, ids: str) -> None:
        meta = self.meta()
        wanted = {"freq": freq, "ids": ids}
        for key, value in wanted.items():
            if key in meta and meta[key] != value:
                raise StoreError(
                    f"the tracking store {self.where} holds {key} = {meta[key]!r} and this "
                    f"pilot has {value!r}: use another store (config `store:`) or the same "
                    f"settings, so that one history never mixes the two"
                )
        fresh = {k: v for k, v in wanted.items() if k not in meta}
        if fresh:
            with self.backend.transaction() as db:
                db.write(META, pd.DataFrame({"key": list(fresh), "value": list(fresh.values())}))

    @staticmethod
    def _write_rows(db: _DuckDB | _SqlAlchemy, table: str, frame: pd.DataFrame) -> None:
        """Append ``frame`` to ``table`` in the columns the table was made with: a column
        the export gained later is left out, one it lost is stored as missing."""
        if table in db.tables():
            frame = frame.reindex(columns=db.columns(table))
        db.write(table, frame)

    def _refresh_snapshots(self, history: TrackHistory) -> None:
        """Replace a snapshot table whose content changed (its fingerprint is in META)."""
        meta = self.meta()
        for name, table in SNAPSHOTS.items():
            frame = getattr(history, name)
            if frame is None:
                continue
            frame = _stored(frame.reset_index(drop=True))
            fingerprint = hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
            if meta.get(f"{table}.sha256") == fingerprint:
                continue
            with self.backend.transaction() as db:
                if table in db.tables():  # made again: its columns may have changed
                    db.execute(f"DROP TABLE {table}")
                db.write(table, frame.assign(seq=range(len(frame))))
                key = f"{table}.sha256"
                if key in meta:
                    db.execute(f"DELETE FROM {META} WHERE key = ?", [key])
                db.write(META, pd.DataFrame({"key": [key], "value": [fingerprint]}))


def _events_by_period(
    history: TrackHistory, periods: list[pd.Period]
) -> Iterator[tuple[pd.Period, pd.DataFrame]]:
    """``history.events`` of each of ``periods`` (empty where it has none)."""
    new = history.events[history.events["period"].isin(periods)]
    by_period = dict(tuple(new.groupby("period", sort=False, observed=True)))
    for period in periods:
        yield period, by_period.get(period, history.events.iloc[:0])


def _stored(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as the store holds it: periods and categories as text."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if isinstance(dtype, pd.PeriodDtype | pd.CategoricalDtype):
            out[column] = out[column].astype(str).astype(object)
    return out


#: panel columns that are missing, not zero, before an account's first interaction
_MISSING_BEFORE_FIRST = frozenset(("age", "rv_per_cost", "nps", "csat") + OUTCOME_COLUMNS)


def complete_grid(panel: pd.DataFrame) -> pd.DataFrame:
    """The stored panel as a complete account x period grid, sorted by account and period.

    A tracked period is never rewritten, so an account that first appears in a later period
    has no rows in the earlier ones; they are added as the panel has them before an
    account's first interaction (flows and counts 0, age, outcomes and VoC scores missing).
    """
    accounts = pd.unique(panel["account_id"])
    periods = pd.PeriodIndex(pd.unique(panel["period"])).sort_values()
    if len(panel) == len(accounts) * len(periods):
        return panel
    grid = pd.MultiIndex.from_product([sorted(accounts), periods], names=["account_id", "period"])
    full = panel.set_index(["account_id", "period"]).reindex(grid).reset_index()
    added = full["period_index"].isna() if "period_index" in full else None
    for column in full.columns.difference(["account_id", "period", *_MISSING_BEFORE_FIRST]):
        if pd.api.types.is_numeric_dtype(full[column]):
            full[column] = full[column].fillna(0).astype(panel[column].dtype)
    if added is not None:
        full.loc[added, "period_index"] = periods.get_indexer(full.loc[added, "period"])
    return full[panel.columns]


def _sorted_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the categories of its categorical columns sorted (as
    `rvq.inputs.dataset.dictionary_encoded` makes them: sorting and grouping by a column
    give what they give on the text)."""
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            ordered = values.cat.categories.sort_values()
            if not ordered.equals(values.cat.categories):
                frame[column] = values.cat.reorder_categories(ordered)
    return frame


def _loaded(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    """A frame read back from the store: ``period`` as Periods again (each distinct text
    parsed once)."""
    frame = frame.reset_index(drop=True)
    if "period" in frame.columns:
        codes, texts = pd.factorize(frame["period"])
        frame["period"] = pd.PeriodIndex([str(t) for t in texts], freq=freq).take(codes)
    return frame
