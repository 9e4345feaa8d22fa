"""The same RV scoring on DuckDB (larger than memory) and Apache Spark (beyond one machine).

One engine-neutral Ibis expression (:func:`flows_expression`) joins the interactions to
the catalog, scores them and sums them per entity and period; Ibis compiles it to
DuckDB SQL or to Spark SQL, so there is one copy of the logic, not two. The engines read
Parquet or CSV files directly (or a frame); DuckDB runs under a memory limit and spills
to a temporary directory, Spark runs on the session given or on a local one.

What comes back is small -- one row per entity and active period -- and
:mod:`rvq.scoring.flows` and :mod:`rvq.scoring.panels` finish the panel from it (depth,
velocity, age, outcomes, VoC) with the code the in-memory engine uses, so the three
engines give the same panel.

Accounts also get ``n_contacts_active`` and ``breadth_delta``, the change in the number of
contacts whose depth is positive, from a narrow per-contact flow (a second query and
scan of the files, so each query has the whole memory limit): one window over each
contact's active periods gives its depth now and at its previous active period --
pure cumulative, or with a half-life ``h`` as ``scale_t^-1 * sum_{s<=t} flow_s * scale_s``
with ``scale_s = 2^((s - anchor) / h)``, the anchor being the first period in the data so
the weights stay finite (exact for histories shorter than about ``1000 * h`` periods).
As in :mod:`rvq.scoring.flows`, a contact's sign is taken after each interaction; fading alone
never changes it.

Engines are a registry (:data:`BACKENDS`): a name and a function that returns an Ibis
connection; :func:`register_backend` adds one (any Ibis backend with window functions).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from rvq.scoring.columns import BREADTH_TOLERANCE, FLOW_SUMS, SPLITS, Source

#: backend name -> function(**options) returning an Ibis connection
BACKENDS: dict[str, Callable[..., Any]] = {}
#: backends whose connection is closed after each run (frees DuckDB's buffer pool)
_CLOSE_AFTER_RUN: set[str] = set()

#: DuckDB's default memory limit here: leaves room for the returned rows and the panel
DUCKDB_MEMORY_LIMIT = "3GB"


def register_backend(name: str, connect: Callable[..., Any], *, close: bool = False) -> None:
    """Make ``engine=name`` available; ``connect(**options)`` returns an Ibis connection.

    ``close``: disconnect after each run (for in-process engines whose memory should go
    back before the panel is built; not for a shared Spark session).
    """
    BACKENDS[name] = connect
    if close:
        _CLOSE_AFTER_RUN.add(name)
    else:
        _CLOSE_AFTER_RUN.discard(name)


def duckdb_connection(
    memory_limit: str = DUCKDB_MEMORY_LIMIT,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
) -> Any:
    """An in-process DuckDB that keeps to ``memory_limit`` and spills to ``temp_directory``.

    The spill directory defaults to ``<system temp>/rvq-duckdb-spill``.
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

    It binds to the loopback address only. Created once per process and reused.
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
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_connection(session: Any = None, **session_options: Any) -> Any:
    """An Ibis connection to ``session`` (a cluster's), or to :func:`local_spark_session`."""
    import ibis

    return ibis.pyspark.connect(session or local_spark_session(**session_options))


register_backend("duckdb", duckdb_connection, close=True)
register_backend("spark", spark_connection)


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
    """The interactions as an Ibis table on ``con``: a frame, or Parquet / CSV files."""
    import ibis

    if isinstance(source, pd.DataFrame):
        return ibis.memtable(source)
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
    :data:`rvq.scoring.panels.FLOW_SUMS` and split columns. Breadth is :func:`breadth_expression`.
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


def _run(engine: str, options: Mapping[str, Any], build: Callable[[Any], Any]) -> pd.DataFrame:
    """Build an expression on a connection to ``engine``, run it, return a pandas frame."""
    con = BACKENDS[engine](**options)
    try:
        table = con.to_pyarrow(build(con))
    finally:
        if engine in _CLOSE_AFTER_RUN:
            con.disconnect()
    return table.to_pandas()


def sparse_flows(
    interactions: Source,
    catalog: pd.DataFrame,
    *,
    freq: str,
    level: str = "account",
    half_life: float | None = None,
    engine: str = "duckdb",
    **options: Any,
) -> pd.DataFrame:
    """Run :func:`flows_expression` on ``engine`` and return its rows as a pandas frame.

    ``options`` go to the backend's connect function, e.g. ``memory_limit``,
    ``temp_directory``, ``threads`` (DuckDB) or ``session`` (Spark). Interactions whose
    code is not in the catalog are an error (validate the dataset first).
    """
    if engine not in BACKENDS:
        raise ValueError(f"unknown engine {engine!r}; registered: {sorted(BACKENDS)}")
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
        frame = _run(engine, options, sums)
        if level == "account":
            frame = frame.merge(
                _run(engine, options, breadth), on=["account_id", "period_ordinal"], how="left"
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
