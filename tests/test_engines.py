"""The engine registry, and the three engines it ships -- memory, DuckDB, Spark -- giving the
same panel on one dataset."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import AS_OF

from rvq import inputs, scoring
from rvq.inputs.catalog import shipped_catalog
from rvq.pilot import open_pilot
from rvq.scoring import engines

HALF_LIFE = 3.0


def make_interactions(seed: int = 3, n: int = 3000) -> pd.DataFrame:
    """60 accounts, ~200 contacts (a few ids shared by two accounts), 30 months."""
    rng = np.random.default_rng(seed)
    codes = shipped_catalog()["interaction_code"].to_numpy()
    account = rng.integers(0, 60, n)
    contact = account * 3 + rng.integers(0, 4, n)  # ids 3a..3a+3: neighbours share one
    days = rng.integers(0, 910, n)
    cost = np.where(rng.random(n) < 0.1, rng.gamma(2.0, 20.0, n).round(2), np.nan)
    return pd.DataFrame(
        {
            "account_id": [f"ACC{a:03d}" for a in account],
            "contact_id": [f"C{c:04d}" for c in contact],
            "timestamp": pd.Timestamp("2022-03-01")
            + pd.to_timedelta(days, "D")
            + pd.to_timedelta(rng.integers(0, 86400, n), "s"),
            "interaction_code": codes[rng.integers(0, len(codes), n)],
            "cost": cost,
        }
    )


@pytest.fixture(scope="module")
def catalog() -> pd.DataFrame:
    return shipped_catalog()


@pytest.fixture(scope="module")
def interactions() -> pd.DataFrame:
    return make_interactions()


@pytest.fixture(scope="module")
def files(interactions, tmp_path_factory):
    folder = tmp_path_factory.mktemp("engines")
    parquet, csv = folder / "interactions.parquet", folder / "interactions.csv"
    interactions.to_parquet(parquet, index=False)
    interactions.to_csv(csv, index=False, date_format="%Y-%m-%dT%H:%M:%S")
    return {"parquet": parquet, "csv": csv, "folder": folder}


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    accounts = [f"ACC{a:03d}" for a in range(0, 64, 2)]  # ACC060.. have no interactions
    periods = pd.period_range("2022Q1", "2024Q4", freq="Q")
    grid = pd.MultiIndex.from_product([accounts, periods], names=["account_id", "period"])
    frame = grid.to_frame(index=False)
    frame["revenue"] = rng.gamma(2.0, 100.0, len(frame))
    frame["profit"] = rng.normal(10.0, 30.0, len(frame))
    return frame


def expected_panel(interactions, catalog, outcomes=None, level="account", **options):
    if level == "contact":
        return scoring.contact_period_panel(interactions, catalog, **options)
    return scoring.account_period_panel(interactions, catalog, outcomes, **options)


def engine_panel(source, catalog, engine, outcomes=None, level="account", **options):
    if level == "contact":
        return scoring.contact_period_panel(source, catalog, engine=engine, **options)
    return scoring.account_period_panel(source, catalog, outcomes, engine=engine, **options)


def assert_same_panel(actual: pd.DataFrame, expected: pd.DataFrame):
    assert len(expected) > 0
    pd.testing.assert_frame_equal(actual, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("form", "level", "half_life"),
    [
        ("parquet", "account", None),
        ("parquet", "account", HALF_LIFE),
        ("csv", "account", HALF_LIFE),
        ("frame", "account", None),
        ("parquet", "contact", HALF_LIFE),
    ],
)
def test_duckdb_equals_memory(interactions, catalog, outcomes, files, form, level, half_life):
    options = {"freq": "Q", "half_life": half_life}
    expected = expected_panel(interactions, catalog, outcomes, level, **options)
    source = interactions if form == "frame" else files[form]
    actual = engine_panel(source, catalog, "duckdb", outcomes, level, **options)
    assert_same_panel(actual, expected)
    assert (actual["breadth"] > 0).any() if level == "account" else True


def test_duckdb_monthly_with_a_window(interactions, catalog, files):
    options = {"freq": "M", "periods": ("2022-06", "2023-12"), "velocity_window": 2}
    expected = scoring.account_period_panel(interactions, catalog, **options)
    actual = scoring.account_period_panel(files["folder"], catalog, engine="duckdb", **options)
    assert_same_panel(actual, expected)


def test_duckdb_keeps_to_its_memory_limit_and_spill_folder(tmp_path):
    con = engines.duckdb_connection(memory_limit="256MB", temp_directory=tmp_path / "spill")
    limit = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    folder = con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]
    assert limit.replace(" ", "") in {"256.0MB", "244.1MiB", "256MB"}
    assert folder == str(tmp_path / "spill") and (tmp_path / "spill").is_dir()


def test_duckdb_refuses_unknown_interaction_codes(interactions, catalog):
    broken = interactions.head(50).copy()
    broken.loc[7, "interaction_code"] = "NOT_IN_CATALOG"
    with pytest.raises(ValueError, match="not in the catalog"):
        scoring.account_period_panel(broken, catalog, engine="duckdb")


class CountingEngine:
    """A client's engine, as a stand-in: the memory engine's sums, and a count of its calls."""

    def __init__(self):
        self.calls: list[dict] = []

    def flows(self, interactions, catalog, **options):
        self.calls.append(options)
        return engines.ENGINES.get("memory").flows(interactions, catalog, **options)


@pytest.fixture
def counting(monkeypatch):
    """A CountingEngine registered as "counting", for this test only."""
    monkeypatch.setattr(engines.ENGINES, "_engines", dict(engines.ENGINES._engines))
    engine = CountingEngine()
    engines.ENGINES.register("counting", engine)
    return engine


def test_the_shipped_engines_are_registered_alike():
    assert engines.ENGINES.names() == ["duckdb", "memory", "spark"]
    assert isinstance(engines.ENGINES.get("memory"), engines.MemoryEngine)
    assert isinstance(engines.ENGINES.get("duckdb"), engines.IbisEngine)


def test_a_registered_engine_scores_both_panels(interactions, catalog, outcomes, counting):
    options = {"freq": "M", "half_life": HALF_LIFE, "periods": ("2022-06", "2023-12")}
    panel = scoring.account_period_panel(
        interactions, catalog, outcomes, engine="counting", **options
    )
    assert_same_panel(panel, expected_panel(interactions, catalog, outcomes, **options))
    contacts = scoring.contact_period_panel(interactions, catalog, engine="counting", freq="Q")
    assert_same_panel(contacts, expected_panel(interactions, catalog, level="contact", freq="Q"))
    assert [(call["level"], call["freq"], call["half_life"]) for call in counting.calls] == [
        ("account", "M", HALF_LIFE),
        ("contact", "Q", None),
    ]
    assert counting.calls[0]["last"] == pd.Period("2023-12", "M").ordinal
    assert "counting" in engines.ENGINES.names()


def test_a_pilot_config_selects_a_registered_engine(dataset_dir, counting, tmp_path):
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump({"data": str(dataset_dir), "engine": "counting", "as_of": str(AS_OF)})
    )
    pilot = open_pilot(config, cache_dir=tmp_path / "cache")
    assert pilot.config.engine == "counting"
    assert len(counting.calls) == 1 and counting.calls[0]["level"] == "account"
    dataset = inputs.load_dataset(config, progress=False)  # the pilot keeps no rows but events
    memory = scoring.panel_from_dataset(dataset, engine="memory")
    assert_same_panel(pilot.panel, memory)


def test_an_unknown_engine_is_an_error_naming_the_registered_ones(interactions, catalog):
    message = "unknown engine 'abacus'; registered: duckdb, memory, spark"
    with pytest.raises(ValueError, match=message):
        scoring.account_period_panel(interactions, catalog, engine="abacus")


def test_the_memory_engine_takes_no_options(interactions, catalog):
    with pytest.raises(TypeError, match="memory_limit"):
        scoring.account_period_panel(interactions, catalog, engine_options={"memory_limit": "1GB"})


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None,
    reason="pyspark is not installed (it is in the `test` extra: pip install -e '.[test]')",
)
def test_spark_equals_memory(interactions, catalog, outcomes, files):
    options = {"freq": "Q", "half_life": HALF_LIFE}
    expected = expected_panel(interactions, catalog, outcomes, **options)
    actual = engine_panel(files["parquet"], catalog, "spark", outcomes, **options)
    assert_same_panel(actual, expected)
    expected_contacts = expected_panel(interactions, catalog, level="contact", freq="M")
    contacts = engine_panel(files["parquet"], catalog, "spark", level="contact", freq="M")
    assert_same_panel(contacts, expected_contacts)


@pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None,
    reason="pyspark is not installed (it is in the `test` extra: pip install -e '.[test]')",
)
def test_spark_scores_a_warehouse_table_where_it_lives(
    interactions, catalog, outcomes, files, tmp_path
):
    """The events already sit in a warehouse table (a Spark catalog's database): the panel is
    the memory engine's, and nothing but the sums leaves Spark."""
    session = engines.local_spark_session()
    session.sql("CREATE DATABASE IF NOT EXISTS crm")
    session.sql("DROP TABLE IF EXISTS crm.rvq_interactions")
    events = session.read.parquet(str(files["parquet"]))
    writer = events.write.mode("overwrite").option("path", str(tmp_path / "rvq_interactions"))
    writer.saveAsTable("crm.rvq_interactions")
    table = scoring.WarehouseTable("rvq_interactions", database="crm")
    options = {"freq": "Q", "half_life": HALF_LIFE}
    actual = engine_panel(table, catalog, "spark", outcomes, **options)
    assert_same_panel(actual, expected_panel(interactions, catalog, outcomes, **options))
    warehouse = Path(session.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
    assert warehouse.name == "rvq-spark-warehouse" and not Path("spark-warehouse").exists()


def test_duckdb_scores_a_table_of_a_database_file(interactions, catalog, outcomes, tmp_path):
    import duckdb

    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA crm")
        con.register("frame", interactions)
        con.execute("CREATE TABLE crm.events AS SELECT * FROM frame")
    table = scoring.WarehouseTable("events", database="crm")
    actual = scoring.account_period_panel(
        table, catalog, outcomes, engine="duckdb", engine_options={"database": database}
    )
    assert_same_panel(actual, expected_panel(interactions, catalog, outcomes))


def test_the_memory_engine_sends_a_warehouse_table_to_an_engine_that_reads_it(catalog):
    with pytest.raises(ValueError, match="crm.events is scored where it lives: use engine"):
        scoring.account_period_panel(scoring.WarehouseTable("events", "crm"), catalog)


def test_fading_alone_keeps_a_contact_in_the_breadth(catalog):
    """A contact met once, 4 years ago, under a 1-month half-life: faded, still positive."""
    positive = catalog.loc[catalog["rv"] > 0, "interaction_code"].iloc[0]
    interactions = pd.DataFrame(
        {
            "account_id": ["A", "A"],
            "contact_id": ["old", "new"],
            "timestamp": pd.to_datetime(["2020-01-15", "2024-01-15"]),
            "interaction_code": [positive, positive],
        }
    )
    options = {"freq": "M", "half_life": 1.0}
    memory = scoring.account_period_panel(interactions, catalog, **options)
    duck = scoring.account_period_panel(interactions, catalog, engine="duckdb", **options)
    assert memory["rv_cum"].iloc[-2] < 1e-12  # depth all but gone after 47 halvings
    assert memory["breadth"].iloc[-2] == 1 and memory["breadth"].iloc[-1] == 2
    assert_same_panel(duck, memory)
