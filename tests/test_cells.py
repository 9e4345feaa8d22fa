"""Event cells: the sums are right, and steps b, d and e answer the same from cells as from events."""

import numpy as np
import pandas as pd
import pytest

from rvq import inputs, scoring, synth
from rvq.scoring.cells import CELL_KEYS, event_cells, event_counts
from rvq.steps.datamap import account_completeness, catalog_coverage, source_coverage
from rvq.steps.gaps import process_gaps
from rvq.steps.history import (
    data_requests,
    duplicates_and_conflicts,
    priority_customers,
    record_completeness,
)


def hand_events() -> pd.DataFrame:
    """Six scored events: two cells of A/CALL in 2024Q1 split by team (one team empty)."""
    ev = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "A", "B", "A"],
            "contact_id": ["c1", "c2", "c1", "c3", "c9", "c1"],
            "event_id": ["e1", "e2", "e3", "e4", "e5", "e6"],
            "timestamp": pd.to_datetime(
                [
                    "2024-02-10",
                    "2024-01-05",
                    "2024-03-01",
                    "2024-01-20",
                    "2024-04-02",
                    "2024-05-05",
                ]
            ),
            "interaction_code": ["CALL", "CALL", "CALL", "CALL", "ESC", "CALL"],
            "source_system": "crm",
            "team": ["east", "east", None, None, "west", "east"],
            "cost": [10.0, np.nan, 4.0, 6.0, 50.0, 10.0],
            "rv": [2.0, 2.0, 2.0, 2.0, -8.0, 2.0],
            "stage": ["closing"] * 4 + ["retention", "closing"],
            "function": ["sales"] * 4 + ["customer_service", "sales"],
            "value_aspect": ["product"] * 4 + ["experience", "product"],
            "kind": "major",
        }
    )
    ev["period"] = ev["timestamp"].dt.to_period("Q")
    return ev


def test_event_cells_sum_counts_rv_and_cost_per_cell_with_first_and_last_time():
    cells = event_cells(hand_events())
    ts = pd.to_datetime
    expected = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "B"],
            "period": pd.PeriodIndex(["2024Q1", "2024Q1", "2024Q2", "2024Q2"], freq="Q"),
            "interaction_code": ["CALL", "CALL", "CALL", "ESC"],
            "source_system": "crm",
            "team": ["east", None, "east", "west"],
            "stage": ["closing", "closing", "closing", "retention"],
            "function": ["sales", "sales", "sales", "customer_service"],
            "value_aspect": ["product", "product", "product", "experience"],
            "kind": "major",
            "n_events": np.array([2, 2, 1, 1], dtype="int64"),
            "rv": [4.0, 4.0, 2.0, -8.0],
            "cost": [10.0, 10.0, 10.0, 50.0],  # the missing cost adds nothing
            "timestamp": ts(["2024-02-10", "2024-03-01", "2024-05-05", "2024-04-02"]),
            "first_timestamp": ts(["2024-01-05", "2024-01-20", "2024-05-05", "2024-04-02"]),
        }
    )
    expected = expected.astype({c: cells[c].dtype for c in expected})
    pd.testing.assert_frame_equal(cells, expected)
    assert not {"contact_id", "event_id"} & set(cells.columns)


def test_event_cells_ignore_row_order_and_combine_from_blocks():
    events = hand_events()
    cells = event_cells(events)
    pd.testing.assert_frame_equal(event_cells(events.sample(frac=1.0, random_state=1)), cells)
    blocks = pd.concat([event_cells(events.iloc[:3]), event_cells(events.iloc[3:])])
    pd.testing.assert_frame_equal(event_cells(blocks), cells)


def test_event_cells_group_only_by_the_labels_the_events_have():
    cells = event_cells(hand_events().drop(columns=["source_system", "team"]))
    assert [k for k in CELL_KEYS if k in cells] == ["account_id", "period", "interaction_code"]
    assert cells["n_events"].tolist() == [4, 1, 1]


def test_event_counts_weigh_cells_by_n_events_and_events_by_one():
    events = hand_events()
    assert event_counts(events).tolist() == [1] * 6
    counts = event_counts(event_cells(events))
    assert counts.dtype == "int64" and counts.tolist() == [2, 2, 1, 1]


# ----------------------------------------------------------------------------- equivalence
def pilot(tmp_path_factory, name: str, **spec):
    """A small synthetic pilot read and validated as a user's would be, its events scored;
    every 17th event loses its team, so the empty-label cells are exercised too."""
    world = synth.generate_world(synth.WorldSpec(accounts=80, periods=8, seed=3, **spec))
    ds = inputs.load_dataset(
        synth.write_world(world, tmp_path_factory.mktemp(name)), progress=False
    )
    events = scoring.score_events(ds.interactions, ds.catalog, freq=ds.config.freq)
    events.loc[events.index[::17], "team"] = None
    return ds, events


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """The default density: many events per cell, a few rows with their own cost."""
    ds, events = pilot(tmp_path_factory, "busy")
    assert (event_counts(event_cells(events)) > 1).mean() > 0.1
    assert ds.interactions["cost"].notna().any()
    return ds, events


@pytest.fixture(scope="module")
def sparse(tmp_path_factory):
    """Few interactions per contact: accounts go periods without a forward step (stalls).
    Each cost is the catalog's: a cell's last forward event costs the cell's mean."""
    ds, events = pilot(tmp_path_factory, "sparse", interactions_per_contact_per_period=0.3)
    events["cost"] = events["interaction_code"].map(
        ds.catalog.set_index("interaction_code")["cost"]
    )
    return ds, events


def same(from_events: pd.DataFrame, from_cells: pd.DataFrame, keys=None, **options) -> None:
    """Equal frames, rows put in the order of `keys` first (ties may fall either way)."""
    if keys is not None:
        from_events = from_events.sort_values(keys, ignore_index=True)
        from_cells = from_cells.sort_values(keys, ignore_index=True)
    assert not from_events.empty
    pd.testing.assert_frame_equal(from_events, from_cells, **options)


def test_data_map_is_the_same_from_cells(busy):
    ds, events = busy
    cells = event_cells(events)
    assert len(cells) < len(events)
    same(catalog_coverage(events, ds.catalog), catalog_coverage(cells, ds.catalog))
    for by in ("source_system", "team"):
        matrix = source_coverage(events, by)
        assert "(not recorded)" in matrix.index or by == "source_system"
        same(matrix, source_coverage(cells, by))
    panel = scoring.account_period_panel(
        ds.interactions, ds.catalog, ds.outcomes, ds.voc, freq=ds.config.freq
    )
    same(account_completeness(panel, events), account_completeness(panel, cells))


def test_record_is_the_same_from_cells(busy):
    ds, events = busy
    cells = event_cells(events)
    priority = priority_customers(ds.outcomes, 30)
    same(
        record_completeness(priority, events, ds.outcomes, ds.voc),
        record_completeness(priority, cells, ds.outcomes, ds.voc),
    )
    conflicts = duplicates_and_conflicts(None, ds.validation, ds.outcomes, ds.accounts)
    requests = data_requests(priority, events, ds.outcomes, ds.voc, conflicts, min_share=0.9)
    assert requests["request"].str.contains("Interaction records").any()
    same(requests, data_requests(priority, cells, ds.outcomes, ds.voc, conflicts, min_share=0.9))


def same_gaps(events: pd.DataFrame, catalog: pd.DataFrame, **options):
    from_events = process_gaps(events, catalog=catalog, **options)
    from_cells = process_gaps(event_cells(events), catalog=catalog, **options)
    same(from_events.summary, from_cells.summary)
    same(
        from_events.interactions,
        from_cells.interactions,
        ["gap_id", "role", "interaction_code"],
    )
    same(from_events.aspects, from_cells.aspects)
    same(from_events.candidates, from_cells.candidates, ["kind", "stage", "function"])
    return from_events


def test_backward_and_costly_gaps_are_the_same_from_cells(busy):
    ds, events = busy
    gaps = same_gaps(events, ds.catalog, n=6, kinds=("backward", "costly"))
    assert set(gaps.summary["kind"]) == {"backward", "costly"}


def test_stalls_are_the_same_from_cells(sparse):
    ds, events = sparse
    gaps = same_gaps(events, ds.catalog, n=6, min_stall=2)
    assert (gaps.candidates["kind"] == "stall").sum() >= 2
    assert (gaps.summary["kind"] == "stall").any()


def test_a_stall_from_cells_expects_the_median_forward_event_not_the_median_cell():
    """Stage closing: cells of 3 events of RV 1 and two single events of RV 5. The median
    forward event has RV 1; the median cell would say 5."""
    rows = [
        ("A", "2021-01-05", "SMALL", 1.0),
        ("A", "2021-02-05", "SMALL", 1.0),
        ("A", "2021-03-05", "SMALL", 1.0),
        ("B", "2021-01-07", "BIG", 5.0),
        ("C", "2021-01-09", "BIG", 5.0),
        ("C", "2021-12-01", "LATE", 0.5),  # the window runs to 2021Q4: all three stall
    ]
    events = pd.DataFrame(rows, columns=["account_id", "timestamp", "interaction_code", "rv"])
    events["timestamp"] = pd.to_datetime(events["timestamp"])
    events["period"] = events["timestamp"].dt.to_period("Q")
    events = events.assign(
        cost=10.0, stage="closing", function="sales", value_aspect="product", kind="major"
    )
    events.loc[events["interaction_code"] == "LATE", "stage"] = "retention"
    gaps = same_gaps(events, None, n=3, min_stall=2, kinds=("stall",))
    closing = gaps.candidates.set_index("stage").loc["closing"]
    assert closing["episodes"] == 3 and closing["events"] == 3
    assert closing["expected_rv_effect"] == pytest.approx(0.5 * 3 * 1.0)


def test_conflicts_without_interaction_rows_skip_only_their_checks(valid_tables):
    tables = valid_tables
    interactions = pd.concat([tables["interactions"], tables["interactions"].iloc[:2]])
    outcomes = tables["outcomes"].copy()
    outcomes["period"] = pd.PeriodIndex(outcomes["period"], freq="Q")
    outcomes.loc[0, "profit"] = outcomes.loc[0, "revenue"] * 2
    full = duplicates_and_conflicts(interactions, outcomes=outcomes)
    assert {"possible_duplicate", "profit_above_revenue"} <= set(full["check"])
    without = duplicates_and_conflicts(None, outcomes=outcomes)
    assert "possible_duplicate" not in set(without["check"])
    # the period column is text either way; mixed with the rows' None it is of object dtype
    same(full.loc[full["table"] == "outcomes"].reset_index(drop=True), without, check_dtype=False)
