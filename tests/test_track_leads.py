"""Priority leads: in a hand-made book where we know which prospects are deepest and which
have stalled, the ranking and the high-touch flags are exactly those."""

import pandas as pd
import pytest

from rvq.track.history import history_from_tables
from rvq.track.leads import priority_leads
from rvq.track.stages import stage_panel

QUARTERS = ("2024-01-15", "2024-04-15", "2024-07-15", "2024-10-15")


def _rows(account, code, when, times, contact="C1"):
    return [
        {
            "account_id": account,
            "contact_id": f"{account}-{contact}",
            "timestamp": pd.Timestamp(when) + pd.Timedelta(hours=i),
            "interaction_code": code,
            "rep_id": "R1",
            "team": "sales-north",
            "cost": float("nan"),
            "source_system": "crm",
        }
        for i in range(times)
    ]


@pytest.fixture(scope="module")
def book():
    """30 prospects P01..P30 from 2024Q1: P{i} opens i marketing emails (RV 1) a quarter,
    so depth grows with i. P29 and P30 also had five first meetings (RV 8) in each of the
    first two quarters and nothing since: the deepest, and stalled. P28 had them too and
    is still moving. P01 has been silent since Q1: stalled, but not a top prospect.
    C01 is a customer (retention interactions): not a lead."""
    rows = []
    for i in range(1, 31):
        account = f"P{i:02d}"
        stop = 1 if i in (1, 29, 30) else 4
        for when in QUARTERS[:stop]:
            rows += _rows(account, "MKT_EMAIL_OPEN", when, i)
        if i in (28, 29, 30):
            for when in QUARTERS[:2]:
                rows += _rows(account, "SLS_INTRO_MEETING", when, 5, contact="C2")
    for when in QUARTERS:
        rows += _rows("C01", "CS_HEALTH_CHECK", when, 2)
    interactions = pd.DataFrame(rows)
    interactions["event_id"] = [f"E{i:05d}" for i in range(len(interactions))]
    accounts = pd.DataFrame({"account_id": sorted(interactions["account_id"].unique())})
    history = history_from_tables({"interactions": interactions, "accounts": accounts})
    return priority_leads(history, top_share=0.25, stalled_periods=2)


def test_leads_are_the_acquisition_stage_accounts_ranked_by_depth(book):
    table = book.table
    assert book.name == "priority_leads"
    assert table.columns[-1] == "reason"
    assert "C01" not in set(table["account_id"])
    assert len(table) == 30
    assert list(table["rank"]) == list(range(1, 31))
    assert list(table["account_id"][:3]) == ["P28", "P30", "P29"]
    assert table["depth_percentile"].is_monotonic_decreasing
    # every lead is age 3 in 2024Q4: one norm, 30 peers
    assert table["norm_median"].notna().all()
    key = table.set_index("account_id")["key_contact_id"]
    assert (key["P30"], key["P28"]) == ("P30-C2", "P28-C1")  # 80 RV vs 30; 112 vs 80


def test_stalled_top_prospects_are_flagged_for_high_touch(book):
    table = book.table.set_index("account_id")
    assert set(table.index[table["high_touch"]]) == {"P29", "P30"}
    assert table.loc["P01", "periods_without_forward_movement"] == 3
    assert not table.loc["P01", "high_touch"]
    assert table.loc["P28", "periods_without_forward_movement"] == 0
    assert "high-touch campaign" in table.loc["P30", "reason"]
    assert "high-touch" not in table.loc["P28", "reason"]
    assert book.evidence["high_touch"] == 2
    assert "2 top prospects have stalled" in book.headline


def test_a_book_of_customers_only_has_no_leads():
    rows = [r for when in QUARTERS for r in _rows("C01", "CS_HEALTH_CHECK", when, 2)]
    interactions = pd.DataFrame(rows).assign(event_id=lambda f: [f"E{i}" for i in range(len(f))])
    history = history_from_tables(
        {"interactions": interactions, "accounts": pd.DataFrame({"account_id": ["C01"]})}
    )
    found = priority_leads(history)
    assert found.table.empty
    assert list(found.table.columns)[-1] == "reason"
    assert found.headline.startswith("0 acquisition-stage accounts")


def test_the_stage_reached_never_goes_back():
    """P01 had a closing interaction in Q2 and marketing emails after: closing, not
    acquisition; C01 is in retention from its first interaction."""
    rows = [r for when in QUARTERS for r in _rows("P01", "MKT_EMAIL_OPEN", when, 1)]
    rows += _rows("P01", "MKT_CASE_STUDY_VIEW", QUARTERS[1], 1)
    rows += [r for when in QUARTERS for r in _rows("C01", "CS_HEALTH_CHECK", when, 1)]
    interactions = pd.DataFrame(rows).assign(event_id=lambda f: [f"E{i}" for i in range(len(f))])
    accounts = pd.DataFrame({"account_id": ["C01", "P01"]})
    history = history_from_tables({"interactions": interactions, "accounts": accounts})
    panel = stage_panel(history)
    assert stage_panel(history) is not panel  # each caller its own copy of the one panel
    stages = panel.set_index(["account_id", panel["period"].astype(str)])["stage"]
    assert list(stages["P01"]) == ["acquisition", "closing", "closing", "closing"]
    assert list(stages["C01"]) == ["retention"] * 4
    assert priority_leads(history).table.empty
