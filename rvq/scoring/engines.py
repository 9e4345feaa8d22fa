"""The scoring engines, one registry: :data:`ENGINES` maps a name to an engine, and
``engine=name`` in the panels (:mod:`rvq.scoring.panels`) or ``engine:`` in a pilot config
picks one (papermill's engine registry pattern: ``ENGINES.register(name, engine)``,
``ENGINES.get(name)``, ``ENGINES.names()``).

An engine is any object with one method, ``flows(interactions, catalog, *, freq, level,
half_life, last, **options)``, returning the per-entity, per-period sums of the scored
interactions (:class:`rvq.scoring.flows.Flows`); the panel code finishes the panel from
them (depth, velocity, age, outcomes, VoC), so every engine gives the same panel.
Registered here:

``"memory"`` (:class:`MemoryEngine`)
    Vectorized numpy over integer-coded ids (:func:`rvq.scoring.flows.memory_flows`).
``"duckdb"``, ``"spark"`` (:class:`IbisEngine`)
    The same RV scoring on DuckDB (larger than memory) and Apache Spark (beyond one
    machine). One engine-neutral Ibis expression (:func:`flows_expression`) joins the
    interactions to the catalog, scores them and sums them per entity and period; Ibis
    compiles it to DuckDB SQL or to Spark SQL, so there is one copy of the logic, not two.
    They read Parquet or CSV files directly (or a frame); DuckDB runs under a memory limit
    and spills to a temporary directory, Spark runs on the session given or on a local one.
    What comes back is small -- one row per entity and active period -- and
    :func:`rvq.scoring.flows.flows_from_sparse` makes it dense. Any Ibis backend with window
    functions can be registered the same way: ``IbisEngine(connect)``.

Accounts also get ``n_contacts_active`` and ``breadth_delta``, the change in the number of
contacts whose depth is positive, from a narrow per-contact flow (a second query and
scan of the files, so each query has the whole memory limit): one window over each
contact's active periods gives its depth now and at its previous active period --
pure cumulative, or with a half-life ``h`` as ``scale_t^-1 * sum_{s<=t} flow_s * scale_s``
with ``scale_s = 2^((s - anchor) / h)``, the anchor being the first period in the data so
the weights stay finite (exact for histories shorter than about ``1000 * h`` periods).
As in :mod:`rvq.scoring.flows`, a contact's sign is taken after each interaction; fading
alone never changes it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from rvq.config import check_engines_with
from rvq.scoring.columns import BREADTH_TOLERANCE, FLOW_SUMS, SPLITS, Source, WarehouseTable
from rvq.scoring.events import read_source
from rvq.scoring.flows import Flows, flows_from_sparse, memory_flows

#: DuckDB's default memory limit here: leaves room for the returned rows and the panel
DUCKDB_MEMORY_LIMIT = "3GB"


class Engine(Protocol):
    """What the registry holds: one method that sums the scored interactions."""

    def flows(
        self,
        interactions: Source,
        catalog: pd.DataFrame,
        *,
        freq: str,
        level: str,
        half_life: float | None,
        last: int | None,
        **options: Any,
    ) -> Flows:
        """Per entity (``level``: account, or account-contact pair) and period at ``freq``
        the sums of :data:`rvq.scoring.columns.FLOW_SUMS` and the RV splits; for accounts
        also ``breadth`` (contacts with positive depth, under ``half_life``) and
        ``n_contacts_active``. Interactions after the period ordinal ``last`` leave the
        sums, their entities stay. ``options``: the engine's own settings."""
        ...


class EngineRegistry:
    """Scoring engines by name: ``engine=name`` in the panels, ``engine:`` in a config."""

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}

    def register(self, name: str, engine: Engine) -> None:
        """Make ``engine=name`` available (replacing an engine of that name)."""
        self._engines[name] = engine

    def get(self, name: str) -> Engine:
        """The engine registered as ``name``; ValueError listing the registered names."""
        if name not in self._engines:
            raise ValueError(f"unknown engine {name!r}; registered: {', '.join(self.names())}")
        return self._engines[name]

    def names(self) -> list[str]:
        """The registered engines' names, sorted."""
        return sorted(self._engines)


#: the registry every panel and config looks engines up in
ENGINES = EngineRegistry()
check_engines_with(ENGINES.get)  # the config (a layer below) checks `engine:` here


class MemoryEngine:
    """Scores in memory: the interactions as one frame (read whole from files),
    bincounts over integer-coded ids (:func:`rvq.scoring.flows.memory_flows`)."""

    def flows(
        self,
        interactions: Source,
        catalog: pd.DataFrame,
        *,
        freq: str,
        level: str,
        half_life: float | None,
        last: int | None,
        **options: Any,
    ) -> Flows:
        if options:
            raise TypeError(f"the memory engine takes no options, got {sorted(options)}")
        frame = read_source(interactions)
        return memory_flows(frame, catalog, freq=freq, level=level, half_life=half_life, last=last)


def duckdb_connection(
    memory_limit: str = DUCKDB_MEMORY_LIMIT,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    database: str | Path | None = None,
) -> Any:
    """An in-process DuckDB that keeps to ``memory_limit`` and spills to ``temp_directory``.

    The spill directory defaults to ``<system temp>/rvq-duckdb-spill``. ``database``: a
    DuckDB file whose tables hold the interactions (:class:`WarehouseTable`), opened read-only.
    """
    import ibis

    spill = Path(temp_directory or Path(tempfile.gettempdir()) / "rvq-duckdb-spill")
    spill.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "memory_limit": memory_limit,
        "temp_directory": str(spill),
        "preserve_insertion_order": False,
    }
    if threads:
        config["threads"] = threads
    if database is not None:
        if not Path(database).exists():
            raise FileNotFoundError(f"no DuckDB database at {database}")
        con = ibis.duckdb.connect(str(database), read_only=True, **config)
    else:
        con = ibis.duckdb.connect(**config)
    con.raw_sql("SET enable_progress_bar = false")  # DuckDB draws it on stdout, even into a pipe
    return con


_QUIET_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


def java_available() -> bool:
    """Whether a Java runtime (which Spark needs) can be found."""
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and Path(home, "bin", "java").exists()))


@cache
def local_spark_session(cores: int = 2, shuffle_partitions: int = 4, driver_memory: str = "2g"):
    """A quiet local SparkSession: ``local[cores]``, few shuffle partitions, no UI, UTC.

    It binds to the loopback address only, and keeps its tables (``saveAsTable``) under
    ``<system temp>/rvq-spark-warehouse`` rather than the working directory. Created once
    per process and reused.
    """
    if not java_available():
        raise RuntimeError(
            "Spark needs a Java runtime (17): run .ci/setup-spark.sh, or "
            "`apt-get install -y openjdk-17-jre-headless`, or set JAVA_HOME"
        )
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    log_config = Path(tempfile.gettempdir()) / "rvq-spark-log4j2.properties"
    log_config.write_text(_QUIET_LOG4J)
    # the driver JVM reads its log configuration when it starts, before any builder config
    java_options = f"-Dlog4j2.configurationFile=file:{log_config}"
    os.environ.setdefault(
        "PYSPARK_SUBMIT_ARGS", f'--driver-java-options "{java_options}" pyspark-shell'
    )
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("rvq")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(cores))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.warehouse.dir", str(Path(tempfile.gettempdir()) / "rvq-spark-warehouse"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_connection(session: Any = None, **session_options: Any) -> Any:
    """An Ibis connection to ``session`` (a cluster's), or to :func:`local_spark_session`."""
    import ibis

    return ibis.pyspark.connect(session or local_spark_session(**session_options))


# --- reading -----------------------------------------------------------------------------


def _paths(source: str | Path | Sequence[str | Path]) -> list[Path]:
    paths = [source] if isinstance(source, str | Path) else list(source)
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("*.parquet")) or sorted(path.glob("*.csv*"))
            if not found:
                raise FileNotFoundError(f"no Parquet or CSV files in {path}")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise FileNotFoundError(path)
    return files


def _read(con: Any, source: Source) -> Any:
    """The interactions as an Ibis table on ``con``: a frame, Parquet / CSV files, or a
    :class:`WarehouseTable` of the connection's own catalog."""
    import ibis

    if isinstance(source, pd.DataFrame):
        return ibis.memtable(source)
    if isinstance(source, WarehouseTable):
        return con.table(source.name, database=source.database)
    files = _paths(source)
    parquet = [f for f in files if f.suffix == ".parquet"]
    csv = [f for f in files if f.suffix != ".parquet"]
    if parquet and csv:
        raise ValueError("interactions: give Parquet or CSV files, not both")
    strings = [str(f) for f in files]
    name = con.name
    if parquet:
        if name == "duckdb":
            return con.read_parquet(strings)
        tables = [con.read_parquet(f) for f in strings]
    elif name == "duckdb":  # every column as text: ids stay ids, dates are parsed below
        return con.read_csv(strings, all_varchar=True)
    else:
        tables = [con.read_csv(f, inferSchema=False) for f in strings]
    if len(tables) == 1:
        return tables[0]
    tables = [_canonical(t) for t in tables]
    return ibis.union(*tables)


def _canonical(table: Any) -> Any:
    """The columns scoring needs, with canonical types (ids text, cost float, timestamp)."""
    import ibis

    if "row_cost" in table.columns:  # already canonical
        return table
    timestamp = table.timestamp
    if not timestamp.type().is_timestamp():
        timestamp = timestamp.cast("timestamp")
    cost = table.cost.cast("float64") if "cost" in table.columns else ibis.null("float64")
    return table.select(
        account_id=table.account_id.cast("string"),
        contact_id=table.contact_id.cast("string"),
        timestamp=timestamp,
        interaction_code=table.interaction_code.cast("string"),
        row_cost=cost,
    )


# --- the expression -----------------------------------------------------------------------


def _catalog_table(catalog: pd.DataFrame) -> Any:
    import ibis

    columns = {
        "cat_code": catalog["interaction_code"].astype(str).to_numpy(dtype=object),
        "cat_rv": catalog["rv"].to_numpy(dtype="float64"),
        "cat_cost": catalog["cost"].to_numpy(dtype="float64"),
    }
    for column, _, _ in SPLITS:
        values = catalog[column] if column in catalog.columns else pd.Series([None] * len(catalog))
        columns[f"cat_{column}"] = values.astype(object).where(values.notna(), None).to_numpy()
    frame = pd.DataFrame(columns)
    schema = {
        "cat_code": "string",
        "cat_rv": "float64",
        "cat_cost": "float64",
        **{f"cat_{column}": "string" for column, _, _ in SPLITS},
    }
    return ibis.memtable(frame, schema=schema)


def _scored(table: Any, catalog: Any, freq: str) -> Any:
    """Interactions joined to the catalog, with their period ordinal at ``freq``."""
    events = _canonical(table)
    ts = events.timestamp
    if freq == "M":
        ordinal = (ts.year() - 1970) * 12 + ts.month() - 1
    else:
        ordinal = (ts.year() - 1970) * 4 + ts.quarter() - 1
    events = events.mutate(period_ordinal=ordinal.cast("int64"))
    return events.left_join(catalog, events.interaction_code == catalog.cat_code)


def flows_expression(
    table: Any,
    catalog: Any,
    *,
    freq: str,
    level: str,
) -> Any:
    """Ibis expression: the sums per entity and active period (see the module doc).

    ``table`` holds the interactions, ``catalog`` the catalog as an Ibis table (see
    ``_catalog_table``). Columns: the entity ids, ``period_ordinal`` (pandas Period ordinal
    at ``freq``), ``n_unscored`` (interactions whose code is not in the catalog), the
    :data:`rvq.scoring.columns.FLOW_SUMS` and split columns. Breadth is :func:`breadth_expression`.
    """
    import ibis

    joined = _scored(table, catalog, freq)
    rv = joined.cat_rv.fill_null(0.0)
    metrics = {
        "n_interactions": joined.count(),
        "n_unscored": joined.cat_rv.isnull().cast("int64").sum(),
        "rv_flow": rv.sum(),
        "rv_pos": ibis.ifelse(rv > 0, rv, 0.0).sum(),
        "rv_neg": ibis.ifelse(rv < 0, rv, 0.0).sum(),
        "cost": ibis.coalesce(joined.row_cost, joined.cat_cost, 0.0).sum(),
    }
    for column, prefix, values in SPLITS:
        for value in values:
            metrics[prefix + value] = ibis.ifelse(joined[f"cat_{column}"] == value, rv, 0.0).sum()
    keys = ["account_id", "contact_id", "period_ordinal"]
    if level == "contact":
        return joined.group_by(keys).aggregate(**metrics)
    if level != "account":
        raise ValueError(f"level must be 'account' or 'contact', got {level!r}")

    return joined.group_by(["account_id", "period_ordinal"]).aggregate(**metrics)


def breadth_expression(
    table: Any, catalog: Any, *, freq: str, half_life: float | None = None, anchor: int = 0
) -> Any:
    """Ibis expression: per account and active period, ``n_contacts_active`` and ``breadth_delta``.

    From a narrow per-contact flow: one window over each contact's active periods gives
    its depth now and at its previous active period (see the module doc). ``anchor`` (a
    period ordinal at or before the first interaction) keeps the fading weights small.
    """
    import ibis

    scored = _scored(table, catalog, freq)
    keys = ["account_id", "contact_id", "period_ordinal"]
    flow = scored.group_by(keys).aggregate(rv_flow=scored.cat_rv.fill_null(0.0).sum())
    # depth_t = scale_t^-1 * sum_{s<=t} flow_s * scale_s, scale_s = 2^((s - anchor) / h)
    if half_life is None:
        scale = ibis.literal(1.0)
    else:
        scale = 2.0 ** ((flow.period_ordinal - anchor).cast("float64") / half_life)
    contact = [flow.account_id, flow.contact_id]
    order = flow.period_ordinal
    running = ibis.window(group_by=contact, order_by=order, rows=(None, 0))
    before = ibis.window(group_by=contact, order_by=order, rows=(None, -1))
    weighted = flow.rv_flow * scale
    depths = flow.mutate(
        scaled=weighted.sum().over(running),
        scaled_before=weighted.sum().over(before),
        ordinal_before=order.lag().over(ibis.window(group_by=contact, order_by=order)),
        scale=scale,
    )
    if half_life is None:
        scale_before = ibis.literal(1.0)
    else:
        scale_before = 2.0 ** ((depths.ordinal_before - anchor).cast("float64") / half_life)
    now = (depths.scaled / depths.scale > BREADTH_TOLERANCE).cast("int64")
    then = (depths.scaled_before / scale_before > BREADTH_TOLERANCE).fill_null(False)
    delta = depths.select("account_id", "period_ordinal", breadth_delta=now - then.cast("int64"))
    return delta.group_by(["account_id", "period_ordinal"]).aggregate(
        n_contacts_active=delta.count(), breadth_delta=delta.breadth_delta.sum()
    )


def _first_ordinal(con: Any, table: Any, freq: str) -> int:
    """Period ordinal of the earliest interaction (Parquet statistics make this cheap)."""
    first = con.execute(_canonical(table).timestamp.min())
    return pd.Timestamp(first).to_period(freq).ordinal if pd.notna(first) else 0


@dataclass(frozen=True)
class IbisEngine:
    """Scores on an Ibis backend: ``connect(**options)`` returns a connection, on which
    :func:`flows_expression` and :func:`breadth_expression` run; ``close``: disconnect after
    each query (in-process engines whose memory should go back before the panel is built;
    not a shared Spark session)."""

    connect: Callable[..., Any]
    close: bool = False

    def flows(
        self,
        interactions: Source,
        catalog: pd.DataFrame,
        *,
        freq: str,
        level: str,
        half_life: float | None,
        last: int | None,
        **options: Any,
    ) -> Flows:
        """``options`` go to ``connect``, e.g. ``memory_limit``, ``temp_directory``,
        ``threads`` (DuckDB) or ``session`` (Spark). Interactions whose code is not in the
        catalog are an error (validate the dataset first)."""
        sparse = self._sparse_flows(interactions, catalog, freq, level, half_life, options)
        return flows_from_sparse(sparse, freq=freq, level=level, last=last)

    def _run(self, options: Mapping[str, Any], build: Callable[[Any], Any]) -> pd.DataFrame:
        """Build an expression on a fresh connection, run it, return a pandas frame."""
        con = self.connect(**options)
        try:
            table = con.to_pyarrow(build(con))
        finally:
            if self.close:
                con.disconnect()
        return table.to_pandas()

    def _sparse_flows(
        self,
        interactions: Source,
        catalog: pd.DataFrame,
        freq: str,
        level: str,
        half_life: float | None,
        options: Mapping[str, Any],
    ) -> pd.DataFrame:
        """:func:`flows_expression`'s rows (and for accounts the breadth's) as a pandas frame."""
        with warnings.catch_warnings():
            # the backends' own deprecation notices about pandas 3 are not the caller's concern
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            cat = _catalog_table(catalog)

            def sums(con):
                return flows_expression(_read(con, interactions), cat, freq=freq, level=level)

            def breadth(con):
                table = _read(con, interactions)
                anchor = 0 if half_life is None else _first_ordinal(con, table, freq)
                return breadth_expression(table, cat, freq=freq, half_life=half_life, anchor=anchor)

            # two queries, one after the other (DuckDB: each on a fresh connection), so each
            # has the whole memory limit
            frame = self._run(options, sums)
            if level == "account":
                frame = frame.merge(
                    self._run(options, breadth), on=["account_id", "period_ordinal"], how="left"
                )
        unscored = int(frame["n_unscored"].sum()) if len(frame) else 0
        if unscored:
            raise ValueError(
                f"interactions: {unscored} rows with interaction codes not in the catalog "
                "(run `rvq validate` to see them)"
            )
        numeric = [*FLOW_SUMS, *(prefix + v for _, prefix, values in SPLITS for v in values)]
        if level == "account":
            numeric += ["n_contacts_active", "breadth_delta"]
        frame[numeric] = frame[numeric].fillna(0)
        return frame.drop(columns="n_unscored")


ENGINES.register("memory", MemoryEngine())
ENGINES.register("duckdb", IbisEngine(duckdb_connection, close=True))
ENGINES.register("spark", IbisEngine(spark_connection))
