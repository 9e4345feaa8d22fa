"""Step b, the data map: hand-built frames with hand-counted answers."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rvq.steps.datamap import (
    NOT_RECORDED,
    account_completeness,
    catalog_coverage,
    data_gaps,
    source_coverage,
    unmapped_codes,
)

CATALOG = pd.DataFrame(
    {
        "interaction_code": ["DEMO", "CALL", "ESC", "REF", "WEB"],
        "name": ["Product demo", "Sales call", "Complaint escalation", "Referral", "Web visit"],
        "kind": "major",
        "stage": ["acquisition", "closing", "retention", "retention", "acquisition"],
        "function": ["sales", "sales", "customer_service", "community", "marketing"],
        "channel": "x",
        "rv": [5.0, 3.0, -8.0, 10.0, 1.0],
        "cost": [200.0, 50.0, 500.0, 10.0, 1.0],
        "value_aspect": ["product", "product", "experience", "brand", "brand"],
    }
)


def scored(rows, freq="Q"):
    """Scored events from (account, date, code, source, team) tuples, attributes from CATALOG."""
    ev = pd.DataFrame(
        rows, columns=["account_id", "timestamp", "interaction_code", "source_system", "team"]
    )
    ev["timestamp"] = pd.to_datetime(ev["timestamp"])
    ev["contact_id"] = ev["account_id"] + "-c1"
    ev = ev.merge(CATALOG.drop(columns=["name", "channel"]), on="interaction_code", how="left")
    ev["period"] = ev["timestamp"].dt.to_period(freq)
    return ev


EVENTS = scored(
    [
        ("A", "2021-01-10", "DEMO", "crm", "east"),
        ("A", "2021-04-10", "CALL", "crm", "east"),
        ("A", "2021-11-03", "ESC", "helpdesk", "support"),
        ("B", "2021-02-01", "DEMO", "crm", "west"),
        ("B", "2021-12-20", "CALL", None, "west"),
    ]
)


def test_catalog_coverage_lists_missing_interactions_highest_rv_first():
    cov = catalog_coverage(EVENTS, CATALOG)
    assert list(cov["interaction_code"][:2]) == ["REF", "WEB"]  # |RV| 10 before 1
    assert not cov["observed"][:2].any() and cov["observed"][2:].all()
    assert list(cov["gap_weight"][:2]) == [10.0, 1.0]
    row = cov.set_index("interaction_code").loc["DEMO"]
    assert row["n_events"] == 2 and row["n_accounts"] == 2
    assert row["first_seen"] == pd.Timestamp("2021-01-10")
    assert row["last_seen"] == pd.Timestamp("2021-02-01")
    assert cov["share_of_events"].sum() == pytest.approx(1.0)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from(list(CATALOG["interaction_code"])), min_size=1, max_size=30))
def test_catalog_coverage_counts_every_event_once(codes):
    ev = scored([("A", "2021-01-01", c, "crm", "east") for c in codes])
    cov = catalog_coverage(ev, CATALOG)
    assert cov["n_events"].sum() == len(codes)
    assert set(cov.loc[~cov["observed"], "interaction_code"]) == set(
        CATALOG["interaction_code"]
    ) - set(codes)


SET_ASIDE = pd.DataFrame(
    {
        "account_id": ["A", "A", "B", "C", "A"],
        "timestamp": ["2021-01-01", "2021-03-01", "2021-02-01", "2021-05-05", "2021-01-10"],
        "interaction_code": ["ZZZ", "ZZZ", "ZZZ", "YYY", "DEMO"],
        "source_system": ["crm", "crm", "erp", "crm", "crm"],
        "reason": [
            "unknown_interaction_code",
            "unknown_interaction_code",
            "unknown_interaction_code",
            "unknown_interaction_code",
            "duplicate_event",
        ],
    }
)


def test_unmapped_codes_counts_unknown_codes_from_set_aside_rows():
    validation = SimpleNamespace(set_aside={"interactions": SET_ASIDE})
    out = unmapped_codes(validation)
    assert list(out["interaction_code"]) == ["ZZZ", "YYY"]
    assert list(out["n_events"]) == [3, 1]
    assert list(out["n_accounts"]) == [2, 1]
    assert out.loc[0, "first_seen"] == pd.Timestamp("2021-01-01")
    assert out.loc[0, "source_systems"] == "crm, erp"


def test_unmapped_codes_uses_the_catalog_when_the_reason_says_otherwise():
    rows = SET_ASIDE.assign(reason="unknown_account")
    assert unmapped_codes(rows).empty
    out = unmapped_codes(rows, catalog=CATALOG)
    assert dict(zip(out["interaction_code"], out["n_events"], strict=True)) == {"ZZZ": 3, "YYY": 1}


def test_unmapped_codes_without_set_aside_rows_is_empty():
    assert unmapped_codes(None).empty
    assert unmapped_codes(SimpleNamespace(set_aside={})).empty


def test_source_coverage_is_a_complete_source_by_period_matrix():
    m = source_coverage(EVENTS, by="source_system")
    assert list(m.columns.astype(str)) == ["2021Q1", "2021Q2", "2021Q3", "2021Q4"]
    assert m.loc["crm"].tolist() == [2, 1, 0, 0]
    assert m.loc["helpdesk"].tolist() == [0, 0, 0, 1]
    assert m.loc[NOT_RECORDED].tolist() == [0, 0, 0, 1]
    assert m.index[0] == "crm"  # busiest first
    monthly = source_coverage(EVENTS.drop(columns="period"), by="team", freq="M")
    assert monthly.shape == (3, 12) and monthly.to_numpy().sum() == len(EVENTS)


def panel_for_completeness():
    periods = pd.period_range("2021Q1", periods=4, freq="Q")
    p = pd.DataFrame([(a, q) for a in "AB" for q in periods], columns=["account_id", "period"])
    # A: interactions in periods 0, 1, 3; revenue in all but 2; one survey in period 0
    # B: nothing until period 2; then interactions in 2, revenue in 2 and 3, no survey
    p["n_interactions"] = [1, 2, 0, 1, 0, 0, 3, 0]
    p["revenue"] = [10, 10, np.nan, 10, np.nan, np.nan, 5, 5]
    p["profit"] = 1.0
    p["n_surveys"] = [1, 0, 0, 0, 0, 0, 0, 0]
    p["rv_stage_acquisition"] = [5, 0, 0, 0, 0, 0, 0, 0]
    p["rv_stage_closing"] = [0, 3, 0, 0, 0, 0, 3, 0]
    p["rv_stage_retention"] = [0, 0, 0, -8, 0, 0, 0, 0]
    p["rv_function_sales"] = [5, 3, 0, 0, 0, 0, 3, 0]
    p["rv_function_customer_service"] = [0, 0, 0, -8, 0, 0, 0, 0]
    return p


def test_account_completeness_counts_a_known_pattern_of_missing_periods():
    out = account_completeness(panel_for_completeness()).set_index("account_id")
    a, b = out.loc["A"], out.loc["B"]
    assert (a["periods"], a["periods_with_interactions"], a["periods_with_outcomes"]) == (4, 3, 3)
    assert a["periods_with_voc"] == 1
    assert (a["stages_present"], a["functions_present"]) == (3, 2)
    # B's window starts at its first record (period 2)
    assert (b["periods"], b["periods_with_interactions"], b["periods_with_outcomes"]) == (2, 1, 2)
    assert b["periods_with_voc"] == 0 and b["stages_present"] == 1
    expected_a = np.mean([3 / 4, 3 / 4, 1 / 4, 3 / 3, 2 / 5])
    assert a["completeness"] == pytest.approx(expected_a)
    assert out.index[0] == "B"  # least complete first (B: (0.5 + 1 + 0 + 1/3 + 1/5) / 5)


def test_account_completeness_takes_stage_reach_from_scored_events():
    out = account_completeness(panel_for_completeness(), EVENTS).set_index("account_id")
    assert out.loc["A", "stages_present"] == 3 and out.loc["A", "functions_present"] == 2
    assert out.loc["B", "stages_present"] == 2  # DEMO and CALL


def test_data_gaps_weighs_and_owns_each_gap():
    cov = catalog_coverage(EVENTS, CATALOG)
    validation = SimpleNamespace(set_aside={"interactions": SET_ASIDE})
    gaps = data_gaps(
        coverage=cov,
        unmapped=unmapped_codes(validation),
        sources=source_coverage(EVENTS, by="team"),
        completeness=account_completeness(panel_for_completeness()),
    )
    by_subject = gaps.set_index("subject")
    # the community / retention cell has no observed interaction at all
    assert by_subject.loc["retention / community", "weight"] == 1.0
    assert by_subject.loc["retention / community", "owner"] == "Communities"
    assert by_subject.loc["REF", "weight"] == pytest.approx(10 / 10)
    assert by_subject.loc["WEB", "weight"] == pytest.approx(1 / 10)
    assert by_subject.loc["WEB", "owner"] == "Marketing"
    # ZZZ: 3 of 5 used + 4 unmapped rows, far above the 5% material share
    assert by_subject.loc["ZZZ", "weight"] == 1.0
    # team east records in Q1 and Q2 only: no outage; west records Q1 and Q4: 2 of 4 silent
    assert "east" not in by_subject.index
    assert by_subject.loc["west", "weight"] == pytest.approx(2 / 4)
    assert by_subject.loc["west", "owner"] == "west"
    assert gaps["weight"].is_monotonic_decreasing
    voc = gaps.loc[gaps["gap_kind"] == "accounts_without_voc"]
    assert voc["weight"].tolist() == [0.5]
    # A: 1 of 4 periods without revenue, B: 0 of 2 → 1 of 6 account-periods
    money = gaps.loc[gaps["gap_kind"] == "account_periods_without_outcomes"]
    assert money["weight"].tolist() == [pytest.approx(1 / 6)]
    assert money["owner"].tolist() == ["Finance"]


def test_unmapped_codes_read_mixed_zoned_and_naive_raw_timestamps():
    """Set-aside rows keep their raw text; a client CSV may mix zoned and naive times."""
    from types import SimpleNamespace

    from rvq.steps.datamap import unmapped_codes

    rows = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A1"],
            "interaction_code": ["X_NEW", "X_NEW", "X_NEW"],
            "timestamp": ["2024-01-05T10:00:00+02:00", "2024-03-01", "2024-02-01 09:00"],
            "reason": ["unknown_interaction_code"] * 3,
        }
    )
    validation = SimpleNamespace(set_aside={"interactions": rows})
    out = unmapped_codes(validation)
    assert out.loc[0, "n_events"] == 3
    assert str(out.loc[0, "first_seen"]).startswith("2024-01-05 08:00")
