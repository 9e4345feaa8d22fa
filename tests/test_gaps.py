"""Step d, process gaps: planted backward, stalled and costly processes must be found."""

import numpy as np
import pandas as pd
import pytest

from rvq.steps.gaps import improvement_roadmap, process_gaps

CATALOG = pd.DataFrame(
    {
        "interaction_code": ["DEMO", "CALL", "ESC", "BILL", "REF", "WEB", "TRIAL"],
        "name": [
            "Product demo",
            "Sales call",
            "Complaint escalation",
            "Billing error",
            "Referral",
            "Web visit",
            "Free trial",
        ],
        "kind": "major",
        "stage": [
            "acquisition",
            "closing",
            "retention",
            "retention",
            "retention",
            "acquisition",
            "closing",
        ],
        "function": [
            "sales",
            "sales",
            "customer_service",
            "customer_service",
            "community",
            "marketing",
            "inside_sales",
        ],
        "channel": "x",
        "rv": [5.0, 3.0, -8.0, -1.0, 10.0, 1.0, 2.0],
        # forward interactions cost 10 per RV unit, except the free trial (200 per RV unit)
        "cost": [50.0, 30.0, 500.0, 20.0, 100.0, 10.0, 400.0],
        "value_aspect": [
            "product",
            "product",
            "experience",
            "experience",
            "brand",
            "brand",
            "product",
        ],
    }
)


def scored(rows):
    """Scored events from (account, date, code) rows, with catalog RV, cost and attributes."""
    ev = pd.DataFrame(rows, columns=["account_id", "timestamp", "interaction_code"])
    ev["timestamp"] = pd.to_datetime(ev["timestamp"])
    ev["contact_id"] = "c"
    ev = ev.merge(CATALOG.drop(columns=["name", "channel"]), on="interaction_code", how="left")
    ev["period"] = ev["timestamp"].dt.to_period("Q")
    return ev


def busy_book(n_accounts=20, seed=0):
    """Accounts that move forward every quarter of 2021, with planted costly escalations.

    Each account: DEMO, CALL, WEB and REF every quarter; every account gets 2 ESC (RV -8,
    cost 500) and 1 BILL (RV -1, cost 20).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_accounts):
        a = f"A{i:02d}"
        for month in ("01", "04", "07", "10"):
            for code in ("DEMO", "CALL", "WEB", "REF"):
                rows.append((a, f"2021-{month}-{rng.integers(1, 28):02d}", code))
        rows += [(a, "2021-05-05", "ESC"), (a, "2021-08-08", "ESC"), (a, "2021-09-09", "BILL")]
    return scored(rows)


def test_a_planted_costly_backward_interaction_is_the_top_gap():
    events = busy_book()
    gaps = process_gaps(events, None, CATALOG, n=3)
    top = gaps.summary.iloc[0]
    assert (top["kind"], top["stage"], top["function"]) == (
        "backward",
        "retention",
        "customer_service",
    )
    # 20 accounts × (2 ESC × -8 + 1 BILL × -1) RV, 20 × (2 × 500 + 20) cost
    assert top["total_rv"] == -340 and top["severity"] == 340
    assert top["total_cost"] == 20 * 1020 and top["accounts_affected"] == 20
    assert gaps.summary["kind"].tolist() == ["backward"]  # forward cells are all at 10 per RV
    assert top["events"] == 60
    assert "Complaint escalation" in top["evidence"]
    mapped = gaps.interactions.loc[gaps.interactions["gap_id"] == 1]
    assert list(mapped["interaction_code"]) == ["ESC", "BILL"]
    assert set(mapped["role"]) == {"goes backward"}
    assert top["expected_rv_effect"] == pytest.approx(0.5 * 340)


def test_costly_gap_is_the_cell_paying_most_above_the_books_rate():
    # DEMO: RV 5 for 50; CALL: RV 3 for 30 (10 per RV); TRIAL: RV 2 for 400 (200 per RV)
    rows = [(f"A{i}", "2021-02-01", c) for i in range(4) for c in ("DEMO", "TRIAL", "CALL")]
    gaps = process_gaps(scored(rows), None, CATALOG, n=3, kinds=("costly",))
    assert len(gaps.summary) == 1
    top = gaps.summary.iloc[0]
    assert (top["stage"], top["function"]) == ("closing", "inside_sales")
    # forward cells together: cost 4 × 480 for RV 4 × 10 → 48 per RV unit
    book_rate = 480 / 10
    assert top["severity"] == pytest.approx(4 * 400 - 4 * 2 * book_rate)
    assert top["expected_rv_effect"] == pytest.approx(0.5 * top["severity"] / book_rate)
    candidates = gaps.candidates.set_index(["stage", "function"])
    assert candidates.loc[("closing", "inside_sales"), "book_cost_per_rv"] == pytest.approx(48)
    assert ("acquisition", "sales") not in candidates.index  # 10 per RV: below the book's rate


def test_stalls_are_measured_in_periods_without_forward_interactions():
    events = scored(
        [
            # A: forward in 2020Q1, an escalation in Q3, forward again only in 2021Q4 → 6 quiet
            ("A", "2020-01-15", "DEMO"),
            ("A", "2020-07-10", "ESC"),
            ("A", "2021-10-01", "CALL"),
            # B: forward every quarter: never stalls
            *[("B", f"{y}-{m}-15", "CALL") for y in (2020, 2021) for m in ("01", "04", "07", "10")],
            # C: one call in 2020Q3, then nothing to the window's end (2021Q4): 5 quiet
            ("C", "2020-07-15", "CALL"),
        ]
    )
    gaps = process_gaps(events, None, CATALOG, n=3, kinds=("stall",), min_stall=2)
    summary = gaps.summary.set_index("stage")
    assert list(summary.index) == ["acquisition", "closing"]  # most stalled periods first
    assert summary.loc["acquisition", "severity"] == 6
    assert summary.loc["closing", "severity"] == 5
    assert summary.loc["closing", "accounts_affected"] == 1
    assert "1 still stalled" in summary.loc["closing", "evidence"]
    assert "0 still stalled" in summary.loc["acquisition", "evidence"]
    stall_a = gaps.interactions.loc[
        gaps.interactions["gap_id"] == summary.loc["acquisition", "gap_id"]
    ]
    roles = dict(zip(stall_a["interaction_code"], stall_a["role"], strict=True))
    assert roles == {"DEMO": "last step before stall", "ESC": "during stall"}
    assert summary.loc["acquisition", "total_cost"] == 50 + 500
    assert summary.loc["acquisition", "total_rv"] == 5 - 8
    # a longer threshold keeps only A's stall
    longer = process_gaps(events, None, CATALOG, kinds=("stall",), min_stall=6)
    assert list(longer.summary["stage"]) == ["acquisition"]


def test_panel_window_extends_an_open_stall():
    events = scored([("C", "2020-04-15", "CALL"), ("D", "2020-04-15", "CALL")])
    periods = pd.period_range("2020Q1", "2021Q4", freq="Q")
    panel = pd.DataFrame({"account_id": "C", "period": periods})
    without = process_gaps(events, None, CATALOG, kinds=("stall",), min_stall=1)
    with_panel = process_gaps(events, panel, CATALOG, kinds=("stall",), min_stall=1)
    assert without.summary.empty  # the events alone end in 2020Q2: nothing quiet yet
    assert with_panel.summary.loc[0, "severity"] == 2 * 6


def mixed_book():
    """busy_book plus two stalled accounts and a costly, partly backward closing cell."""
    extra = scored(
        [("S1", "2021-01-05", "DEMO"), ("S2", "2021-01-06", "DEMO")]  # stall to the end
        + [(f"A{i:02d}", "2021-03-03", "TRIAL") for i in range(10)]  # 200 per RV unit
        + [(f"A{i:02d}", "2021-03-04", "BILL") for i in range(10)]  # also backward: closing
    )
    extra.loc[extra["interaction_code"] == "BILL", "stage"] = "closing"
    extra.loc[extra["interaction_code"] == "BILL", "function"] = "inside_sales"
    return pd.concat([busy_book(), extra], ignore_index=True)


def test_one_gap_per_kind_first_ordered_by_rv_at_stake_and_no_cell_twice():
    gaps = process_gaps(mixed_book(), None, CATALOG, n=4)
    kinds = gaps.summary["kind"].tolist()
    assert set(kinds[:3]) == {"backward", "stall", "costly"}
    assert gaps.summary["expected_rv_effect"].iloc[:3].is_monotonic_decreasing
    # closing / inside sales is both backward (BILL) and costly (TRIAL): chosen once only
    cells = gaps.summary.loc[gaps.summary["kind"] != "stall", ["stage", "function"]]
    assert not cells.duplicated().any()
    assert list(gaps.summary["gap_id"]) == list(range(1, len(gaps.summary) + 1))
    cells = gaps.summary.loc[gaps.summary["kind"] != "stall", ["stage", "function"]]
    assert not cells.duplicated().any()
    assert list(gaps.summary["gap_id"]) == [1, 2, 3]


def test_aspects_reconcile_with_the_mapped_interactions():
    gaps = process_gaps(busy_book(), None, CATALOG, n=3)
    by_gap = gaps.interactions.groupby("gap_id")[["cost", "rv", "events"]].sum()
    aspects = gaps.aspects.groupby("gap_id")[["cost", "rv", "events"]].sum()
    pd.testing.assert_frame_equal(by_gap, aspects)
    assert set(gaps.aspects.loc[gaps.aspects["gap_id"] == 1, "value_aspect"]) == {"experience"}


def test_roadmap_has_one_row_per_gap_with_owner_and_action():
    gaps = process_gaps(mixed_book(), None, CATALOG, n=3)
    roadmap = improvement_roadmap(gaps).set_index("gap_id")
    assert len(roadmap) == len(gaps.summary) == 3
    kind = gaps.summary.set_index("gap_id")["kind"]
    backward = roadmap.loc[kind[kind == "backward"].index[0]]
    assert backward["owner_function"] == "Customer Service"
    assert "Complaint escalation" in backward["suggested_action"]
    assert backward["value_aspects"] == "experience 100% (of RV lost)"
    assert backward["expected_rv_effect"] == 170.0
    costly = roadmap.loc[kind[kind == "costly"].index[0]]
    assert costly["owner_function"] == "Inside Sales"
    assert "Free trial" in costly["suggested_action"]
    stall = roadmap.loc[kind[kind == "stall"].index[0]]
    assert stall["owner_function"] == "Sales"  # the demo before the silence
    assert roadmap["evidence"].str.len().gt(20).all()


def test_no_gaps_gives_empty_frames():
    events = scored([("A", "2021-01-01", "DEMO")])
    gaps = process_gaps(events, None, CATALOG)
    assert gaps.summary.empty and gaps.interactions.empty
    assert improvement_roadmap(gaps).empty


def test_gap_axis_labels_stay_short():
    from rvq.plots.steps import compact_number

    assert [compact_number(v) for v in (42, 2500, 1_500_000, 2_000_000, 0)] == [
        "42",
        "2.5k",
        "1.5M",
        "2M",
        "0",
    ]
