"""Step e, the historical record: priority customers, completeness, conflicts, requests."""

import numpy as np
import pandas as pd
import pytest

from rvq.steps.history import (
    data_requests,
    duplicates_and_conflicts,
    priority_customers,
    record_completeness,
)

PERIODS = pd.period_range("2021Q1", periods=4, freq="Q")


def outcomes_frame():
    """Five accounts A0..A4 with revenue 10, 110, …, 410 per quarter; profit 5; wallet 1000."""
    o = pd.DataFrame(
        [(f"A{i}", p) for i in range(5) for p in PERIODS], columns=["account_id", "period"]
    )
    o["revenue"] = o["account_id"].str[1].astype(int) * 100.0 + 10
    o["profit"] = 5.0
    o["wallet"] = 1000.0
    return o


def events_frame():
    """One crm event per account and quarter, logged by team east, except a silent 2021Q3."""
    ev = pd.DataFrame(
        [(f"A{i}", p) for i in range(5) for p in PERIODS], columns=["account_id", "period"]
    )
    ev = ev.loc[ev["period"] != PERIODS[2]].reset_index(drop=True)
    ev["timestamp"] = ev["period"].dt.start_time
    ev["contact_id"] = ev["account_id"] + "-c"
    ev["interaction_code"] = "CALL"
    ev["source_system"] = "crm"
    ev["team"] = "east"
    ev["rep_id"] = "r-" + ev["account_id"]
    return ev


def test_priority_customers_are_the_top_n_by_revenue():
    top = priority_customers(outcomes_frame(), n=3)
    assert list(top["account_id"]) == ["A4", "A3", "A2"]
    assert list(top["rank"]) == [1, 2, 3]
    assert top.loc[0, "revenue"] == 4 * 410
    book = 4 * (10 + 110 + 210 + 310 + 410)
    assert top.loc[0, "share_of_revenue"] == pytest.approx(4 * 410 / book)
    assert top["cumulative_share"].iloc[-1] == pytest.approx(4 * (410 + 310 + 210) / book)


def test_priority_customers_respect_the_window_and_break_ties_by_id():
    o = outcomes_frame()
    o.loc[(o["account_id"] == "A0") & (o["period"] == PERIODS[3]), "revenue"] = 10_000.0
    assert priority_customers(o, n=1)["account_id"].tolist() == ["A0"]
    assert priority_customers(o, n=1, end="2021Q3")["account_id"].tolist() == ["A4"]
    tied = o.assign(revenue=1.0)
    assert priority_customers(tied, n=2)["account_id"].tolist() == ["A0", "A1"]


def test_record_completeness_counts_priority_accounts_per_source_and_period():
    o = outcomes_frame()
    o.loc[(o["account_id"] == "A4") & (o["period"] == PERIODS[1]), "revenue"] = np.nan
    voc = pd.DataFrame(
        {"account_id": ["A4", "A3", "A0"], "date": pd.to_datetime(["2021-02-01"] * 3)}
    )
    top = priority_customers(o, n=3)  # A4 (one revenue missing still ranks first), A3, A2
    out = record_completeness(top, events_frame(), o, voc, by=("source_system", "team"))
    crm = out.loc[out["dimension"] == "source_system"].set_index("period")
    assert crm["accounts_with_records"].tolist() == [3, 3, 0, 3]  # 2021Q3 present, as zero
    assert crm["share"].tolist() == [1.0, 1.0, 0.0, 1.0]
    revenue = out.loc[out["value"] == "revenue"].set_index("period")
    assert revenue["accounts_with_records"].tolist() == [3, 2, 3, 3]
    surveys = out.loc[out["dimension"] == "voc"].set_index("period")
    assert surveys["accounts_with_records"].tolist() == [2, 0, 0, 0]  # A0 is not a priority
    assert (out["n_priority"] == 3).all()
    assert list(dict.fromkeys(out["dimension"])) == ["source_system", "team", "outcomes", "voc"]


def test_duplicates_and_conflicts_are_each_detected():
    ev = events_frame()
    ev.loc[0, "team"] = "west"  # rep r-A0 logged under two teams
    ev = pd.concat([ev, ev.iloc[[1]]], ignore_index=True)  # one repeated row
    o = outcomes_frame()
    o.loc[0, "profit"] = 50.0  # A0 2021Q1: profit 50 > revenue 10
    o.loc[1, "wallet"] = 5.0  # A0 2021Q2: wallet 5 < revenue 10
    o["share_of_wallet"] = o["revenue"] / o["wallet"]
    o.loc[2, "share_of_wallet"] = 0.9  # A0 2021Q3: 0.9 but 10 / 1000
    accounts = pd.DataFrame({"account_id": ["A0", "A0", "A1"], "team": ["east", "north", "east"]})
    validation = {
        "interactions": pd.DataFrame(
            {"account_id": ["A3", "A3", "A1"], "reason": ["duplicate_event"] * 2 + ["bad_date"]}
        )
    }
    found = duplicates_and_conflicts(ev, validation, o, accounts)
    checks = found.set_index("check")
    assert checks.loc["duplicate_set_aside", "key_value"] == "A3"
    assert checks.loc["duplicate_set_aside", "n_rows"] == 2
    assert checks.loc["possible_duplicate", "key_value"] == "A0"
    teams = found.loc[found["check"] == "conflicting_team"].set_index("table")
    assert teams.loc["interactions", "key_value"] == "r-A0"
    assert teams.loc["interactions", "detail"] == "2 different team values: east, west"
    assert teams.loc["accounts", "key_value"] == "A0"
    assert checks.loc["profit_above_revenue", "period"] == "2021Q1"
    assert checks.loc["wallet_below_revenue", "period"] == "2021Q2"
    mismatch = found.loc[found["check"] == "share_of_wallet_mismatch"]
    assert mismatch["period"].tolist() == ["2021Q3"]
    assert len(found) == 7


def test_a_clean_record_has_no_conflicts():
    assert duplicates_and_conflicts(events_frame(), None, outcomes_frame()).empty


def test_data_requests_ask_each_team_for_its_missing_data():
    o = outcomes_frame()
    o.loc[(o["account_id"] == "A3") & (o["period"].isin(PERIODS[1:3])), "revenue"] = np.nan
    voc = pd.DataFrame({"account_id": ["A4"], "date": pd.to_datetime(["2021-02-01"])})
    top = priority_customers(o.fillna({"revenue": 1000.0}), n=3)
    conflicts = duplicates_and_conflicts(
        events_frame(),
        {"interactions": pd.DataFrame({"account_id": ["A4"], "reason": ["duplicate_event"]})},
    )
    requests = data_requests(
        top, events_frame(), o, voc, conflicts, source_owners={"crm": "Sales operations"}
    )
    by_team = requests.set_index("team")
    crm = by_team.loc["Sales operations"]
    assert crm["periods"] == "2021Q3" and crm["n_accounts"] == 3
    assert crm["accounts"] == "A2, A3, A4"
    east = by_team.loc["east"]
    assert east["periods"] == "2021Q3"
    finance = requests.loc[requests["request"].str.contains("revenue")].iloc[0]
    assert finance["team"] == "Finance"
    assert finance["accounts"] == "A3" and finance["periods"] == "2021Q2–2021Q3"
    voc_row = requests.loc[requests["team"].str.contains("VoC")].iloc[0]
    assert voc_row["accounts"] == "A2, A3" and voc_row["n_accounts"] == 2
    dup = requests.loc[requests["request"].str.contains("duplicate")].iloc[0]
    assert dup["team"] == "BI / data engineering" and "A4" in dup["accounts"]
    assert requests["why"].str.len().gt(30).all()


def test_data_requests_list_at_most_max_ids_accounts():
    o = outcomes_frame().assign(revenue=np.nan)
    requests = data_requests(["A0", "A1", "A2", "A3", "A4"], events_frame(), o, max_ids=2)
    finance = requests.loc[requests["request"].str.contains("revenue")].iloc[0]
    assert finance["accounts"] == "A0, A1 and 3 more"
    assert finance["periods"] == "2021Q1–2021Q4"
