"""Step c, the lifecycle report: a planted component must rank first; outcomes by hand."""

import numpy as np
import pandas as pd
import pytest

from rvq.steps.lifecycle import (
    account_outcome,
    lifecycle_divergence,
    lifecycle_paths,
    lifecycle_rankings,
    outcome_groups,
)

COMPONENTS = [
    "rv_stage_acquisition",
    "rv_stage_closing",
    "rv_stage_retention",
    "rv_function_marketing",
    "rv_function_sales",
    "rv_function_customer_service",
]


def planted_panel(planted="rv_stage_closing", n_accounts=90, n_periods=6, seed=3):
    """Accounts whose profit follows a latent quality that only `planted` carries."""
    rng = np.random.default_rng(seed)
    ids = [f"A{i:03d}" for i in range(n_accounts)]
    periods = pd.period_range("2021Q1", periods=n_periods, freq="Q")
    panel = pd.DataFrame([(a, p) for a in ids for p in periods], columns=["account_id", "period"])
    quality = np.repeat(rng.normal(size=n_accounts), n_periods)
    for column in COMPONENTS:
        panel[column] = rng.normal(size=len(panel))
    if planted:
        panel[planted] += 1.5 * quality
    panel["profit"] = quality + 0.5 * rng.normal(size=len(panel))
    panel["revenue"] = 100.0
    return panel


def test_planted_component_ranks_first_and_noise_is_not_flagged():
    table = lifecycle_divergence(planted_panel(), "profit", n_boot=299, seed=1)
    first = table.iloc[0]
    assert first["component"] == "rv_stage_closing"
    assert (first["dimension"], first["level"]) == ("stage", "closing")
    assert first["needs_further_analysis"]
    assert first["effect"] > 1 and first["ci_low"] > 0 and first["auc"] > 0.8
    assert not table["needs_further_analysis"].iloc[1:].any()
    assert (table["n_good"] == 30).all() and (table["n_poor"] == 30).all()
    assert (table["p_adjusted"] >= table["p_value"]).all()


def test_a_backward_component_is_found_with_a_negative_effect():
    panel = planted_panel(planted=None)
    quality = panel.groupby("account_id")["profit"].transform("mean")
    panel["rv_function_customer_service"] -= 3 * quality
    table = lifecycle_divergence(panel, "profit", n_boot=199)
    assert table.iloc[0]["component"] == "rv_function_customer_service"
    assert table.iloc[0]["effect"] < 0 and table.iloc[0]["ci_high"] < 0


def test_divergence_is_reproducible_with_its_seed_and_handles_a_constant_component():
    panel = planted_panel().assign(rv_stage_retention=0.0)
    a = lifecycle_divergence(panel, n_boot=99, seed=5)
    b = lifecycle_divergence(panel, n_boot=99, seed=5)
    pd.testing.assert_frame_equal(a, b)
    flat = a.set_index("component").loc["rv_stage_retention"]
    assert np.isnan(flat["effect"]) and not flat["needs_further_analysis"]
    assert a.iloc[-1]["component"] == "rv_stage_retention"  # no separation ranks last


def test_hedges_g_matches_a_hand_computation():
    periods = pd.period_range("2021Q1", periods=1, freq="Q")
    values = {"G1": (1.0, 3), "G2": (3.0, 4), "M": (9.0, 2), "P1": (0.0, 1), "P2": (2.0, 0)}
    panel = pd.DataFrame(
        {
            "account_id": list(values),
            "period": periods[0],
            "rv_stage_closing": [v for v, _ in values.values()],
            "profit": [p for _, p in values.values()],
        }
    )
    table = lifecycle_divergence(panel, "profit", extreme=0.4, n_boot=99)
    # good = G1, G2 (mean 2, var 2); poor = P1, P2 (mean 1, var 2); pooled SD sqrt(2)
    correction = 1 - 3 / (4 * 4 - 9)
    assert table.loc[0, "effect"] == pytest.approx(correction * 1 / np.sqrt(2))
    assert table.loc[0, "mean_good"] == 2.0 and table.loc[0, "mean_poor"] == 1.0


def test_account_outcome_revenue_growth_compares_halves_by_hand():
    periods = pd.period_range("2021Q1", periods=4, freq="Q")
    panel = pd.DataFrame(
        {
            "account_id": ["A"] * 4 + ["B"] * 4 + ["C"] * 4,
            "period": list(periods) * 3,
            "revenue": [100, 100, 200, 200, 0, 0, 0, 0, 1, np.nan, 2, 3],
        }
    )
    growth = account_outcome(panel, "revenue_growth")
    assert growth["A"] == pytest.approx((200 - 100) / 150)
    assert np.isnan(growth["B"])  # zero revenue throughout: no growth defined
    # C has 3 known periods: early = [1], late = [3], the middle one left out
    assert growth["C"] == pytest.approx((3 - 1) / 2)
    assert account_outcome(panel, "revenue")["A"] == 150


def test_outcome_groups_take_the_top_and_bottom_share():
    values = pd.Series([5, 1, 9, 3, 7, np.nan, 2], index=list("abcdefg"))
    groups = outcome_groups(values, extreme=1 / 3)
    assert set(groups[groups == "good"].index) == {"c", "e"}
    assert set(groups[groups == "poor"].index) == {"b", "g"}
    assert pd.isna(groups["f"])


def test_lifecycle_paths_are_group_means_of_cumulative_rv():
    periods = pd.period_range("2021Q1", periods=2, freq="Q")
    panel = pd.DataFrame(
        {
            "account_id": ["G", "G", "P", "P", "M", "M"],
            "period": list(periods) * 3,
            "rv_stage_closing": [1.0, 2.0, -1.0, 0.0, 5.0, 5.0],
            "profit": [10, 10, -5, -5, 0, 0],
        }
    )
    paths = lifecycle_paths(panel, extreme=1 / 3)
    good = paths.loc[paths["group"] == "good", "rv_cum"].tolist()
    poor = paths.loc[paths["group"] == "poor", "rv_cum"].tolist()
    assert good == [1.0, 3.0] and poor == [-1.0, -1.0]
    assert set(paths["component"]) == {"rv_stage_closing"}


def test_too_few_accounts_is_a_clear_error():
    panel = planted_panel(n_accounts=4)
    with pytest.raises(ValueError, match="too few accounts"):
        lifecycle_divergence(panel)


def test_an_outcome_the_data_lacks_is_set_apart_and_the_others_are_ranked():
    panel = planted_panel().assign(share_of_wallet=np.nan)
    rankings, unranked = lifecycle_rankings(panel, ["profit", "share_of_wallet"], n_boot=99, seed=1)
    assert list(rankings) == ["profit"] and rankings["profit"].iloc[0]["needs_further_analysis"]
    assert list(unranked) == ["share_of_wallet"]
    assert "too few accounts with a known 'share_of_wallet'" in unranked["share_of_wallet"]
