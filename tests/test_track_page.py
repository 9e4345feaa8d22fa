"""The managers' page tables (`rvq.track.page.page_view`): the columns a manager reads, each
list's figures formatted, the reason last; and `TrackList.empty`."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

from rvq.track import page
from rvq.track.history import TrackList

MODULES = {
    "next_best_actions": "actions",
    "priority_leads": "leads",
    "stage_balance": "balance",
    "upsell_readiness": "upsell",
    "team_performance": "teams",
    "campaign_effects": "campaigns",
    "unit_comparison": "units",
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_shown_column_is_a_column_of_its_list(name):
    """A renamed list column must not silently vanish from the page."""
    columns = set(importlib.import_module(f"rvq.track.{MODULES[name]}").COLUMNS)
    shown = page.PAGE_COLUMNS[name]
    needed = {s.column for s in shown if s.kind != "interval"}
    for s in shown:
        if s.kind == "interval":
            needed |= set(page._INTERVALS.get(s.column, ("ci_low", "ci_high")))
        if s.kind == "rank":
            needed.add("of")
    assert needed <= columns, needed - columns
    assert len(shown) + 1 <= 8  # with the reason: a laptop page's worth of columns


def test_the_page_view_formats_figures_and_keeps_the_reason_last():
    table = pd.DataFrame(
        {
            "level": ["rep", "rep"],
            "name": ["R-1", "R-2"],
            "function": ["customer_service", "sales"],
            "rank": [1, 2],
            "of": [37, 37],
            "rv_per_100_cost": [7.8183, 6.7],
            "ci_low": [6.64, 5.7],
            "ci_high": [9.0, 7.74],
            "n_accounts": [62.0, 59.0],
            "cost": [1.0, 2.0],
            "reason": ["first", "second"],
        }
    )
    view = page.page_view("team_performance", table)
    assert list(view.columns) == [s.header for s in page.PAGE_COLUMNS["team_performance"]] + [
        "reason"
    ]
    first = view.iloc[0]
    assert first["rank"] == "1 of 37" and first["interval"] == "6.6 to 9.0"
    assert first["RV per 100 of cost"] == "7.8" and first["accounts"] == "62"
    assert first["function"] == "customer service" and first["reason"] == "first"
    assert "cost" not in view  # the CSV keeps it; the page does not


def test_next_actions_show_the_recommended_first_with_wrappable_codes():
    table = pd.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "stage": ["acquisition", "retention"],
            "depth": [10.0, 2266.4],
            "depth_percentile": [98.4, 99.97],
            "recommended_action": [None, "CS_TICKET_RESOLVED"],
            "expected_forward_rv": [float("nan"), 8.338],
            "setback_action": [None, "MKT_PRODUCT_UPDATE_OPEN"],
            "reason": ["none", "some"],
        }
    )
    view = page.page_view("next_best_actions", table)
    assert list(view["account"]) == ["A2", "A1"]
    assert view.iloc[0]["next action"] == "CS_\u200bTICKET_\u200bRESOLVED"
    assert view.iloc[0]["depth"] == "2,266" and view.iloc[0]["forward RV expected"] == "8.3"
    assert view.iloc[1]["next action"] == "" and view.iloc[1]["forward RV expected"] == ""


def test_dates_yes_and_measures_read_as_words():
    plans = pd.DataFrame(
        {"account_id": ["A1"], "plan_date": [pd.Timestamp("2026-01-01")], "kind": ["upsell"],
         "rv_growth": [240.0], "norm_percentile": [94.2], "readiness": ["ready"], "reason": ["r"]}
    )  # fmt: skip
    assert page.page_view("upsell_readiness", plans).iloc[0]["due"] == "2026-01-01"
    leads = pd.DataFrame({"rank": [1, 2], "high_touch": [True, False], "reason": ["a", "b"]})
    assert list(page.page_view("priority_leads", leads)["high touch"]) == ["yes", ""]
    effects = pd.DataFrame(
        {"campaign": ["c"], "measure": ["rv_flow"], "difference": [0.5], "ci_low": [-0.1],
         "ci_high": [1.2], "reason": ["r"]}
    )  # fmt: skip
    view = page.page_view("campaign_effects", effects)
    assert view.iloc[0]["measure"] == "RV flow" and view.iloc[0]["interval"] == "-0.100 to 1.200"


def test_a_list_the_page_does_not_know_shows_every_column():
    table = pd.DataFrame({"account_id": ["A1"], "rv_flow": [3.0], "reason": ["r"]})
    assert list(page.page_view("hostile", table).columns) == ["account id", "rv flow", "reason"]


def test_an_empty_list_has_its_columns_no_rows_and_says_why():
    empty = TrackList.empty("campaign_effects", "Campaigns", "No campaigns table.", ["a", "reason"])
    assert (empty.name, empty.title, empty.headline) == (
        "campaign_effects", "Campaigns", "No campaigns table.",
    )  # fmt: skip
    assert list(empty.table.columns) == ["a", "reason"] and empty.table.empty
    assert all(d == "object" for d in empty.table.dtypes) and empty.evidence == {}
    assert TrackList.empty("x", "t", "h", ["a"], {"skipped": ["s"]}).evidence == {"skipped": ["s"]}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_row_suppressed_under_the_small_cell_floor_reads_as_words_on_the_page(name):
    """`rvq track` hands the page `shown_table`'s rows, whose figures under the floor are
    words: the page must show those words (it crashed formatting them as numbers)."""
    from rvq.privacy import ACCOUNT_COUNT_COLUMNS
    from rvq.track.run import shown_table

    kinds = {s.column: s.kind for s in page.PAGE_COLUMNS[name] if s.kind != "interval"}
    counts = set(ACCOUNT_COUNT_COLUMNS) | {"n_arm", "n_control"}

    def value(column):
        if column in counts:
            return [2, 50]
        if kinds.get(column) == "date":
            return ["2025-01-01"] * 2
        if kinds.get(column) in ("words", "code") or (column in kinds and kinds[column] is None):
            return ["a_b"] * 2
        return [3.25, 3.25]

    columns = importlib.import_module(f"rvq.track.{MODULES[name]}").COLUMNS
    table = pd.DataFrame({c: value(c) for c in columns if c != "reason"}).assign(
        reason=["3.25 over 2 accounts", "3.25 over 50 accounts"]
    )
    shown = shown_table(TrackList(name, "", table, {}, ""), 5)
    view = page.page_view(name, shown)  # must not raise
    suppressed = shown["reason"].str.startswith("Figures suppressed")
    if suppressed.any():
        row = view.loc[suppressed.to_numpy()].iloc[0]
        assert not any("3.25" in str(v) or "3.2" in str(v) for v in row), row
        assert any("suppressed" in str(v) for v in row.drop("reason"))


def test_a_stage_that_lost_rv_is_not_a_percentage_below_the_norm():
    import matplotlib

    matplotlib.use("Agg")
    frame = pd.DataFrame(
        {
            "stage": ["acquisition", "closing", "retention"],
            "rv_per_cost": [-0.0136, 0.05, 0.1],
            "norm_rv_per_cost": [0.036, 0.05, 0.08],
        }
    )
    ax = page.plot_stage_balance(frame, "2025Q3")
    texts = {t.get_text().strip() for t in ax.texts}
    assert "-0.0136: RV lost; the norm 0.036" in texts
    assert "0.1: 25% above the norm of 0.08" in texts and "0.05: at the norm of 0.05" in texts
    assert not any("138%" in t for t in texts)
