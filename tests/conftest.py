"""Shared fixtures: a small valid pilot dataset built in code.

Five accounts, 60 interactions over the four quarters of 2024, one outcome row per
account and quarter, a few survey answers, and an eight-row catalog. Every value is
chosen so the dataset validates with no problem at all; tests that need a defect copy a
table, break one thing, and write it with `write_dataset`.

    def test_something(valid_tables, write_dataset, tmp_path):
        tables = valid_tables                      # fresh copies for each test
        tables["interactions"].loc[3, "cost"] = -1
        folder = write_dataset(tmp_path, tables)   # CSV files; fmt="parquet" also works
        ds = load_dataset(folder, as_of=AS_OF, progress=False)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# --------------------------------------------------------------------------- test kinds

#: every test module's kind, so a run can pick its layer: `unit` (small frames with
#: hand-computed answers, property tests), `statistical` (synthetic worlds with a planted
#: truth: found where planted, absent where not), `e2e` (whole pilots, the command line,
#: notebooks, the wheel, database servers). `pytest -m unit` is the quick loop while
#: coding; `make test` runs all three. End-to-end tests are also `slow`, like any test
#: marked so in its module; `pytest -m "not slow"` leaves them out.
TEST_KINDS = {
    "unit": (
        "test_bad_rows", "test_catalog", "test_cells", "test_config", "test_datamap", "test_engines",
        "test_fuzz", "test_gaps", "test_history", "test_io", "test_io_blocks", "test_one_line_errors",
        "test_hostile_strings", "test_layers", "test_lead_words", "test_lifecycle", "test_norms", "test_packaging",
        "test_plots_plain_text", "test_plots_steps", "test_report",
        "test_score", "test_secrets", "test_stats_speed_paths", "test_track_history", "test_track_inputs", "test_validate",
        "test_track_page",
    ),
    "statistical": (
        "test_backtest", "test_backtest_dovssay", "test_backtest_resample",
        "test_backtest_synth", "test_granger", "test_identification", "test_power",
        "test_segments", "test_synth", "test_synth_worlds", "test_demo_track",
        "test_track_campaigns", "test_track_teams", "test_track_upsell",
        "test_track_actions", "test_track_leads", "test_track_balance", "test_track_units",
    ),
    "e2e": (
        "test_cli", "test_client_mapping", "test_notebooks", "test_pipeline", "test_presets", "test_privacy",
        "test_privacy_leaks", "test_run_folder", "test_track_page_browser",
        "test_sql", "test_stream", "test_wheel", "test_golden", "test_small_books", "test_cache_store",
        "test_european", "test_footprint", "test_bounded_steps", "test_track_store", "test_track_run",
        "test_track_browser", "test_track_scale",
        "test_stream_parquet",
    ),
}  # fmt: skip
KIND_OF_MODULE = {module: kind for kind, modules in TEST_KINDS.items() for module in modules}


#: the order modules run in: longest first, so that two workers finish together
#: (`--dist loadfile` hands out whole modules in collection order)
KIND_ORDER = {"e2e": 0, "statistical": 1, "unit": 2}


def pytest_collection_modifyitems(config, items):
    """Mark each test with its module's kind (and e2e tests `slow`); end-to-end modules
    first, then statistical, then unit (stable within a kind)."""
    items.sort(key=lambda item: KIND_ORDER.get(KIND_OF_MODULE.get(Path(str(item.fspath)).stem), 3))
    for item in items:
        kind = KIND_OF_MODULE.get(Path(str(item.fspath)).stem)
        if kind is None:
            continue
        if not any(item.get_closest_marker(k) for k in TEST_KINDS):
            item.add_marker(getattr(pytest.mark, kind))
        if kind == "e2e":
            item.add_marker(pytest.mark.slow)


def pytest_runtest_setup(item):
    """A test in a module of no kind fails, saying so: every new module gets sorted."""
    module = Path(str(item.fspath)).stem
    if module not in KIND_OF_MODULE:
        pytest.fail(
            f"{module}.py is of no kind: add it to TEST_KINDS in tests/conftest.py "
            "(unit, statistical or e2e)"
        )


#: the as-of date for the fixture: every timestamp in 2024 is in the past
AS_OF = date(2025, 1, 1)

CATALOG_ROWS = [
    # code, name, kind, stage, function, channel, rv, cost, value_aspect
    ("WEB_VISIT", "Website visit", "major", "acquisition", "marketing", "web", 1.0, 0.5, "brand"),
    ("DEMO", "Product demo", "major", "acquisition", "sales", "meeting", 5.0, 120.0, "product"),
    ("PROPOSAL", "Proposal sent", "major", "closing", "sales", "email", 4.0, 80.0, "product"),
    ("ONBOARD", "Onboarding call", "major", "retention", "customer_service", "phone", 3.0, 40.0, "experience"),
    ("COMPLAINT_ESC", "Complaint escalated", "major", "retention", "customer_service", "phone", -6.0, 150.0, "experience"),
    ("BILLING_ERROR", "Billing error", "major", "retention", "inside_sales", "email", -4.0, 30.0, "experience"),
    ("REFERRAL", "Referred a customer", "major", "retention", "community", "event", 8.0, 10.0, "brand"),
    ("NPS_SURVEY", "NPS survey answered", "voc", "retention", "customer_service", "email", 1.0, 2.0, "experience"),
]  # fmt: skip
CATALOG_COLUMNS = [
    "interaction_code", "name", "kind", "stage", "function", "channel", "rv", "cost", "value_aspect",
]  # fmt: skip


def small_catalog() -> pd.DataFrame:
    """The fixture's catalog: eight interaction types, both signs of RV, both kinds."""
    return pd.DataFrame(CATALOG_ROWS, columns=CATALOG_COLUMNS)


def make_valid_tables() -> dict[str, pd.DataFrame]:
    """The valid dataset as canonical frames with natural dtypes (timestamps, floats)."""
    rng = np.random.default_rng(20240101)
    accounts = pd.DataFrame(
        {
            "account_id": [f"A{i}" for i in range(1, 6)],
            "name": ["Acme", "Borealis", "Cobalt", "Dune", "Ember"],
            "industry": ["manufacturing", "retail", "retail", "finance", "manufacturing"],
            "territory": ["north", "south", "north", "east", "west"],
            "team": ["T1", "T1", "T2", "T2", "T1"],
            "contact_source": ["event", "web", "referral", "web", "event"],
            "company_revenue": [5.0e6, 1.2e7, 8.0e5, 3.3e7, 2.1e6],
            "community_role": ["leader", "doer", "watcher", "none", "doer"],
        }
    )
    n = 60
    account = np.repeat(accounts["account_id"].to_numpy(), n // 5)
    seconds = np.sort(rng.integers(0, 365 * 24 * 3600, size=n))
    timestamps = pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s")
    codes = [row[0] for row in CATALOG_ROWS]
    cost = np.where(np.arange(n) % 7 == 0, 55.0, np.nan)  # some rows override the catalog cost
    interactions = pd.DataFrame(
        {
            "account_id": account,
            "contact_id": [f"{a}-C{k % 3 + 1}" for k, a in enumerate(account)],
            "timestamp": timestamps,
            "interaction_code": np.array(codes)[rng.integers(0, len(codes), size=n)],
            "rep_id": [f"R{k % 4 + 1}" for k in range(n)],
            "team": ["T1" if k % 2 else "T2" for k in range(n)],
            "cost": cost,
            "source_system": "crm",
            "event_id": [f"E{k:04d}" for k in range(1, n + 1)],
        }
    )
    # the first interaction of every account is in January, so no outcome precedes RV history
    firsts = interactions.groupby("account_id").head(1).index
    interactions.loc[firsts, "timestamp"] = pd.Timestamp("2024-01-02 09:30:00") + pd.to_timedelta(
        np.arange(len(firsts)), unit="h"
    )
    interactions = interactions.sort_values(["account_id", "timestamp"], ignore_index=True)
    interactions["event_id"] = [f"E{k:04d}" for k in range(1, n + 1)]

    periods = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    outcomes = pd.DataFrame(
        {
            "account_id": np.repeat(accounts["account_id"].to_numpy(), 4),
            "period": periods * 5,
        }
    )
    outcomes["revenue"] = np.round(rng.uniform(10_000, 50_000, size=len(outcomes)), 2)
    outcomes["profit"] = np.round(
        outcomes["revenue"] * rng.uniform(-0.2, 0.3, size=len(outcomes)), 2
    )
    outcomes["wallet"] = np.round(outcomes["revenue"] * 2.5, 2)
    outcomes["share_of_wallet"] = 0.4

    voc = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2", "A3", "A3", "A4", "A5", "A5"],
            "contact_id": ["A1-C1", "A1-C2", "A2-C1", "A3-C1", "A3-C3", "A4-C2", "A5-C1", "A5-C2"],
            "date": pd.to_datetime(
                [
                    "2024-02-01",
                    "2024-06-15",
                    "2024-03-03",
                    "2024-04-20",
                    "2024-09-09",
                    "2024-05-05",
                    "2024-07-07",
                    "2024-11-30",
                ]
            ),  # fmt: skip
            "nps": [9.0, 7.0, 3.0, 10.0, np.nan, 0.0, 8.0, 6.0],
            "csat": [5.0, 4.0, 2.0, np.nan, 3.0, 1.0, 4.0, 3.0],
        }
    )
    return {
        "accounts": accounts,
        "interactions": interactions,
        "outcomes": outcomes,
        "voc": voc,
        "catalog": small_catalog(),
    }


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], fmt: str = "csv") -> Path:
    """Write `tables` into `folder` as <table>.csv (or .parquet / .csv.gz); returns folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{name}.{fmt}", index=False)
    return folder


@pytest.fixture
def valid_tables() -> dict[str, pd.DataFrame]:
    """Fresh copies of the valid dataset's frames (safe to modify)."""
    return make_valid_tables()


@pytest.fixture
def catalog_frame() -> pd.DataFrame:
    return small_catalog()


@pytest.fixture
def write_dataset():
    """The `write_tables(folder, tables, fmt="csv")` helper, as a fixture."""
    return write_tables


@pytest.fixture
def dataset_dir(tmp_path, valid_tables) -> Path:
    """A folder holding the valid dataset as CSV files (catalog included)."""
    return write_tables(tmp_path / "pilot", valid_tables)


def load(tmp_path, tables, fmt="csv", **kw):
    """The tables written to a pilot folder and loaded; rows read = used + set aside."""
    from rvq.inputs.dataset import load_dataset

    folder = write_tables(tmp_path / "pilot", tables, fmt)
    ds = load_dataset(folder, as_of=kw.pop("as_of", AS_OF), progress=False, **kw)
    assert_counts_balance(ds.validation)
    return ds


def assert_counts_balance(result) -> None:
    """Per table: rows read = used + set aside, and the set-aside frame holds them all."""
    for table, c in result.counts.items():
        assert c["read"] == c["used"] + c["set_aside"], table
        aside = result.set_aside.get(table)
        assert c["set_aside"] == (0 if aside is None else len(aside)), table


# --------------------------------------------------------------------------- streamed vs whole

#: bytes per streamed block in the stream tests: a few hundred rows, so a small world has many
STREAM_TEST_BLOCKS = 1 << 14


def config_file(folder: Path, data: Path, mode: str, **extra) -> Path:
    """A pilot config reading `data` with `stream: mode` (and `extra` settings)."""
    import yaml

    path = folder / f"pilot-{mode}.yaml"
    path.write_text(yaml.safe_dump({"data": str(data), "stream": mode, **extra}))
    return path


@pytest.fixture(scope="module")
def pilots(world_dir, tmp_path_factory):
    """The module's `world_dir` opened read whole (`stream: never`) and streamed (`always`,
    in blocks of `STREAM_TEST_BLOCKS` bytes)."""
    from rvq import pilot as pilot_cache
    from rvq.scoring import stream

    folder = tmp_path_factory.mktemp("configs")
    small_blocks = pytest.MonkeyPatch()
    small_blocks.setattr(stream, "BLOCK_SIZE", STREAM_TEST_BLOCKS)
    try:
        opened = {
            mode: pilot_cache.open_pilot(
                config_file(folder, world_dir, mode), cache_dir=folder / "cache"
            )
            for mode in ("never", "always")
        }
    finally:
        small_blocks.undo()
    return opened["never"], opened["always"]
