"""The input contract of `rvq track`: the optional plans and campaigns tables and the
accounts' partner / business_unit / contract_end columns, validated, loaded and
pseudonymised like the rest; and the period a run tracks by default."""

from __future__ import annotations

from datetime import date

import pandas as pd
from conftest import load

from rvq.config import config_from_mapping
from rvq.privacy import protect_dataset
from rvq.track.history import last_complete_period


def plans() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A4", "ZZ"],
            "date": ["2026-03-31", "2024-06-30", "31/12/2024", "2024-09-30", "2025-01-01"],
            "kind": ["Renewal", "up-sell", "upsell", "merger", "renewal"],
            "won": ["", "yes", "maybe", "0", ""],
        }
    )


def campaigns() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3", "A3", "A4"],
            "contact_id": ["A1-C1", "", "A3-C1", "A3-C1", "A4-C2"],
            "campaign": ["spring", "spring", "spring", "spring", "spring"],
            "arm": ["treatment", "control", "treatment", "control", ""],
            "start_date": ["2024-04-01", "2024-04-01", "2024-04-01", "2024-04-02", "2024-04-01"],
        }
    )


def test_plans_keep_future_dates_and_set_aside_what_cannot_be_used(tmp_path, valid_tables):
    ds = load(tmp_path, {**valid_tables, "plans": plans()})
    frame = ds.plans
    assert list(frame["account_id"]) == ["A1", "A2"]  # A3: date, A4: kind, ZZ: unknown
    assert frame["date"].iloc[0] == pd.Timestamp("2026-03-31")  # after as_of: kept
    assert list(frame["kind"]) == ["renewal", "upsell"]
    assert frame["won"].isna().iloc[0] and bool(frame["won"].iloc[1]) is True
    rules = {p.rule for p in ds.validation.problems if p.table == "plans"}
    assert {"unparseable_timestamp", "unknown_plan_kind", "unknown_account"} <= rules
    assert "unreadable_won" not in rules  # "maybe" was on a row set aside for its date
    assert ds.validation.counts["plans"] == {"read": 5, "used": 2, "set_aside": 3}


def test_a_numeric_won_column_with_a_blank_reads_as_won_and_lost(tmp_path, valid_tables):
    """Parquet, SQL and Excel give 0/1 outcomes with a blank as floats (1.0, 0.0, NaN)."""
    table = plans().iloc[:2].assign(won=[1.0, float("nan")])
    table = pd.concat([table, table.iloc[[1]].assign(won=0.0)], ignore_index=True)
    ds = load(tmp_path, {**valid_tables, "plans": table}, fmt="parquet")
    assert ds.plans["won"].tolist()[0] is True and ds.plans["won"].tolist()[2] is False
    assert "unreadable_won" not in {p.rule for p in ds.validation.problems}


def test_campaigns_keep_one_assignment_per_contact_and_campaign(tmp_path, valid_tables):
    ds = load(tmp_path, {**valid_tables, "campaigns": campaigns()})
    frame = ds.campaigns
    assert list(frame["arm"]) == ["treatment", "control", "treatment"]
    assert frame["contact_id"].isna().iloc[1]  # an account-level assignment
    rules = {p.rule for p in ds.validation.problems if p.table == "campaigns"}
    assert {"duplicate_assignment", "missing_value"} <= rules


def test_accounts_keep_the_tracking_columns_only_when_given(tmp_path, valid_tables):
    plain = load(tmp_path / "a", valid_tables)
    assert not {"partner", "business_unit", "contract_end"} & set(plain.accounts.columns)
    accounts = valid_tables["accounts"].assign(
        partner=["P1", "P1", "P2", "P2", "P2"],
        contract_end=["2025-06-30", "not a date", "", "2026-01-31", "2025-12-31"],
    )
    ds = load(tmp_path / "b", {**valid_tables, "accounts": accounts})
    assert list(ds.accounts["partner"]) == ["P1", "P1", "P2", "P2", "P2"]
    ends = ds.accounts["contract_end"]
    assert ends.iloc[0] == pd.Timestamp("2025-06-30") and ends.iloc[1:3].isna().all()
    assert any(p.rule == "unparseable_date" for p in ds.validation.problems)


def test_pseudonyms_reach_plans_and_campaigns_and_partners_stay(
    tmp_path, valid_tables, monkeypatch
):
    monkeypatch.setenv("RVQ_PSEUDONYM_KEY", "k" * 32)
    accounts = valid_tables["accounts"].assign(business_unit="north", email="a@b.example")
    tables = {**valid_tables, "accounts": accounts, "plans": plans(), "campaigns": campaigns()}
    ds = load(tmp_path, tables)
    config = config_from_mapping(
        {"data": str(tmp_path / "pilot"), "privacy": {"pseudonymize": True}}
    )
    protected = protect_dataset(type(ds)(**{**vars(ds), "config": config}))
    for frame in (protected.plans, protected.campaigns, protected.accounts):
        assert frame["account_id"].str.startswith("acct_").all()
    assert protected.campaigns["contact_id"].dropna().str.startswith("ct_").all()
    assert set(protected.accounts["business_unit"]) == {"north"}
    assert "email" not in protected.accounts


def test_the_default_period_is_the_last_complete_one():
    periods = pd.Series(pd.period_range("2024Q1", "2025Q2", freq="Q"))
    assert last_complete_period(periods, date(2025, 6, 30), "Q") == pd.Period("2025Q2")
    assert last_complete_period(periods, date(2025, 6, 29), "Q") == pd.Period("2025Q1")
    assert last_complete_period(periods, date(2020, 1, 1), "Q") == pd.Period("2025Q2")
