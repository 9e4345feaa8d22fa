"""List 6, campaign effects: the difference in RV change between arms, with an interval.

A hand-built history checks the arithmetic; a planted world (rvq.synth.campaigns) checks
that the effective campaign's interval covers its planted effect and the null one's holds
zero (the >= 20-seed rates are in benchmarks/track_truths.py)."""

import numpy as np
import pandas as pd
import pytest

from rvq.synth import generate_world
from rvq.synth.campaigns import plant_campaigns
from rvq.synth.worlds import world_spec
from rvq.track.campaigns import campaign_effects
from rvq.track.history import TrackHistory, history_from_tables


def _history(campaigns, flows):
    """Four accounts over four quarters with the given RV flows (account -> 4 values)."""
    periods = pd.period_range("2024Q1", periods=4, freq="Q")
    panel = pd.DataFrame(
        [
            {"account_id": a, "period": p, "rv_flow": float(v)}
            for a, values in flows.items()
            for p, v in zip(periods, values, strict=True)
        ]
    )
    events = panel.rename(columns={"rv_flow": "rv"}).assign(contact_id=lambda d: d.account_id)
    accounts = pd.DataFrame({"account_id": list(flows)})
    return TrackHistory(events, panel, accounts, "Q", periods[-1], campaigns=campaigns)


def test_difference_in_differences_by_hand():
    flows = {
        "A1": [1, 1, 5, 7],  # change: 6 - 1 = 5
        "A2": [2, 4, 9, 9],  # 9 - 3 = 6
        "B1": [1, 3, 2, 4],  # 3 - 2 = 1
        "B2": [0, 0, 1, 1],  # 1 - 0 = 1
    }
    campaigns = pd.DataFrame(
        {
            "account_id": list(flows),
            "campaign": "spring",
            "arm": ["mail", "mail", "holdout", "holdout"],
            "start_date": "2024-07-01",
        }
    )
    result = campaign_effects(_history(campaigns, flows), pre_periods=2)
    row = result.table.iloc[0]
    assert (row["arm"], row["control_arm"], row["measure"]) == ("mail", "holdout", "rv_flow")
    assert row["change_arm"] == pytest.approx(5.5)
    assert row["change_control"] == pytest.approx(1.0)
    assert row["difference"] == pytest.approx(4.5)
    assert row["ci_low"] < 4.5 < row["ci_high"]
    assert "+4.5" in row["reason"] and "holdout" in row["reason"]
    assert result.table.columns[-1] == "reason"


def test_no_campaigns_table_says_what_to_add():
    flows = {"A1": [1, 2, 3, 4]}
    result = campaign_effects(_history(None, flows))
    assert result.table.empty
    assert "campaigns.csv" in result.headline


def test_a_campaign_after_as_of_is_skipped_with_a_reason():
    flows = {"A1": [1, 2, 3, 4], "B1": [1, 2, 3, 4]}
    campaigns = pd.DataFrame(
        {"account_id": ["A1", "B1"], "campaign": "later", "arm": ["x", "control"]}
    ).assign(start_date="2025-04-01")
    result = campaign_effects(_history(campaigns, flows))
    assert result.table.empty
    assert "after 2024Q4" in result.headline


@pytest.fixture(scope="module")
def planted():
    world = plant_campaigns(generate_world(world_spec("planted", accounts=500, seed=11)))
    return world, campaign_effects(history_from_tables(world.tables))


def test_planted_campaign_is_found_and_the_null_is_not(planted):
    world, result = planted
    rv = result.table[result.table["measure"] == "rv_flow"].set_index("campaign")
    effective, null = world.truth["campaigns"]
    truth = world.truth["campaigns"][effective]["effect"]
    assert rv.loc[effective, "ci_low"] <= truth <= rv.loc[effective, "ci_high"]
    assert rv.loc[effective, "verdict"] == "raised"
    assert rv.loc[null, "ci_low"] <= 0 <= rv.loc[null, "ci_high"]
    assert effective in result.headline
    assert np.isfinite(result.table["difference"]).all()


def test_reasons_write_money_as_managers_read_it(planted):
    _, result = planted
    revenue = result.table[result.table["measure"] == "revenue"]
    assert len(revenue) and not revenue["reason"].str.contains(r"\de[+-]\d").any()
    assert revenue["reason"].str.contains(r"[+-]?\d{1,3}(?:,\d{3})+").all()  # thousands separated


def test_contact_level_campaign_uses_the_contacts_own_flow(planted):
    world, _ = planted
    history = history_from_tables(world.tables)
    events = history.events
    one = events.drop_duplicates("account_id").head(200)
    campaigns = one[["account_id", "contact_id"]].assign(
        campaign="contacts", arm=np.resize(["control", "call"], len(one)), start_date="2025-01-01"
    )
    history = TrackHistory(**{**history.__dict__, "campaigns": campaigns})
    result = campaign_effects(history)
    assert list(result.table["measure"]) == ["rv_flow"]  # no outcomes per contact
    assert "contacts in 'call'" in result.table["reason"].iloc[0]


def test_contacts_starting_later_are_averaged_over_their_own_post_periods():
    flows = {"A1": [0, 2, 5, 9], "A2": [1, 1, 1, 1], "B1": [0, 0, 4, 4], "B2": [3, 3, 3, 3]}
    campaigns = pd.DataFrame(
        {
            "account_id": list(flows),
            "contact_id": list(flows),  # the hand-built events carry contact = account
            "campaign": "waves",
            "arm": ["call", "call", "control", "control"],
            "start_date": ["2024-10-01", "2024-07-01", "2024-07-01", "2024-07-01"],
        }
    )
    row = campaign_effects(_history(campaigns, flows), pre_periods=1).table.iloc[0]
    # A1 starts in Q4: 9 - 5 = 4; A2: 1 - 1 = 0; B1: 4 - 0 = 4; B2: 3 - 3 = 0
    assert row["change_arm"] == pytest.approx(2.0)
    assert row["change_control"] == pytest.approx(2.0)
    assert row["difference"] == pytest.approx(0.0)


def _history_with_outcomes(profit_shift: float, arm_size: int = 20):
    """40 accounts, two arms; profit moves by `profit_shift` in the mail arm from 2024Q3,
    revenue and share of wallet by noise alone (fixed seed)."""
    rng = np.random.default_rng(5)
    noise = {m: rng.normal(size=2 * arm_size) for m in ("profit", "revenue", "share_of_wallet")}
    ids = [f"A{i}" for i in range(2 * arm_size)]
    flows = {a: [1, 1, 2, 2] for a in ids}
    campaigns = pd.DataFrame(
        {
            "account_id": ids,
            "campaign": "spring",
            "arm": ["mail"] * arm_size + ["holdout"] * arm_size,
            "start_date": "2024-07-01",
        }
    )
    history = _history(campaigns, flows)
    panel = history.panel.copy()
    index = panel["account_id"].str[1:].astype(int).to_numpy()
    after = (panel["period"] >= pd.Period("2024Q3", "Q")).to_numpy()
    for measure, values in noise.items():
        shift = profit_shift * (index < arm_size) if measure == "profit" else 0.0
        panel[measure] = np.where(after, values[index] + shift, 0.0)
    return TrackHistory(
        history.events, panel, history.accounts, "Q", history.as_of, campaigns=campaigns
    )


def test_an_outcome_is_called_moved_only_after_holm_across_the_lists_outcomes():
    # raw p 0.029 (its interval excludes zero), Holm across the 3 outcomes 0.088
    table = campaign_effects(_history_with_outcomes(0.34), pre_periods=2).table
    profit = table.set_index("measure").loc["profit"]
    assert profit["ci_low"] > 0 and profit["p_value"] < 0.05 < profit["p_adjusted"]
    assert profit["verdict"] == "no clear difference"
    assert "after allowing for the 3 outcome comparisons" in profit["reason"]
    # a clear effect survives the adjustment; RV keeps its own interval's verdict
    table = campaign_effects(_history_with_outcomes(0.6), pre_periods=2).table.set_index("measure")
    assert table.loc["profit", "verdict"] == "raised" and table.loc["profit", "p_adjusted"] < 0.05
    assert table.loc["rv_flow", "p_adjusted"] == table.loc["rv_flow", "p_value"]
