"""The leading-indicator back-test: hand-computed pieces, the verdict rule, and simulated
pilots with a known answer (planted, null, reverse)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS
from stat_worlds import simulate_panel
from statsmodels.stats.multitest import multipletests

from rvq.multiplicity import holm_adjust
from rvq.scoring.outcomes import derive_outcomes, symmetric_growth
from rvq.stats.backtest import (
    TEST_TABLES,
    LeadingIndicatorResults,
    leading_indicator_results,
    leading_indicator_summary,
)
from rvq.stats.identification import decide_lead, lead_evidence
from rvq.stats.leadlag import lead_lag_profile
from rvq.stats.panelfe import two_way_fe

FAST = {"n_boot": 100, "granger_boot": 19}


def test_derive_outcomes_by_hand():
    panel = pd.DataFrame(
        {
            "account_id": ["a", "a", "a", "b", "b", "b"],
            "period_index": [0, 1, 2, 0, 1, 2],
            "rv_flow": 0.0,
            "revenue": [100.0, 150.0, 0.0, 0.0, 0.0, 10.0],
            "profit": [1.0, -2.0, 3.0, 0.0, 0.0, 1.0],
            "wallet": [400.0, 300.0, 100.0, np.nan, 0.0, 20.0],
        }
    ).sample(frac=1, random_state=1)  # row order must not matter
    out = derive_outcomes(panel)
    assert list(out["account_id"]) == ["a", "a", "a", "b", "b", "b"]
    # (150-100)/125 = 0.4; (0-150)/75 = -2; b: both zero -> NaN; 0 -> 10 = +2
    np.testing.assert_allclose(out["revenue_growth"], [np.nan, 0.4, -2.0, np.nan, np.nan, 2.0])
    np.testing.assert_allclose(out["share_of_wallet"], [0.25, 0.5, 0.0, np.nan, np.nan, 0.5])
    np.testing.assert_allclose(
        out["share_of_wallet_change"], [np.nan, 0.25, -0.5, np.nan, np.nan, np.nan]
    )
    np.testing.assert_allclose(out["profit"], [1.0, -2.0, 3.0, 0.0, 0.0, 1.0])


def test_symmetric_growth_is_bounded_and_symmetric():
    rng = np.random.default_rng(0)
    a = pd.Series(rng.exponential(100, 1000) * (rng.random(1000) > 0.2))
    b = pd.Series(rng.exponential(100, 1000) * (rng.random(1000) > 0.2))
    g = symmetric_growth(a, b)
    assert g.dropna().between(-2, 2).all()
    np.testing.assert_allclose(g, -symmetric_growth(b, a))
    assert g[(a == 0) & (b == 0)].isna().all()


def test_holm_by_hand_and_as_statsmodels():
    # sorted 0.01, 0.03, 0.04 -> 0.03, 0.06, max(0.06, 0.04)
    np.testing.assert_allclose(holm_adjust([0.01, 0.04, 0.03, np.nan]), [0.03, 0.06, 0.06, np.nan])
    p = np.random.default_rng(3).random(40) ** 3
    np.testing.assert_allclose(holm_adjust(p), multipletests(p, method="holm")[1])


def test_the_result_carries_the_decision_its_numbers_and_feedback():
    """The pilot's result is the lead test's decision: verdict, horizon, reason, feedback
    and every condition, the forward numbers at the best horizon, and back from JSON."""
    w = simulate_panel(400, 12, effect={"profit": 0.5}, lag=2, seed=21)
    results = leading_indicator_results(w.panel, outcomes=("profit",), lead_lag=False, **FAST)
    evidence = lead_evidence(w.panel, outcomes=("profit",), n_boot=100, granger_boot=19)
    decision = decide_lead(evidence["profit"])
    got = results.outcomes["profit"]
    assert (got.verdict, got.best_horizon, got.reason, got.feedback) == (
        decision.verdict,
        decision.best_horizon,
        decision.reason,
        decision.feedback,
    )
    assert [c["name"] for c in got.conditions] == [c.name for c in decision.conditions]
    forward = decision.condition("forward").numbers
    assert (got.effect, got.p_adjusted, got.coef) == (
        forward["effect"],
        forward["p_adjusted"],
        forward["coef"],
    )
    again = LeadingIndicatorResults.from_dict(json.loads(json.dumps(results.to_dict())))
    assert again.to_dict() == results.to_dict()
    assert again.family_size == results.family_size == 4  # 1 outcome x 4 horizons


def test_two_way_fe_equals_linearmodels_panelols_on_an_unbalanced_panel():
    w = simulate_panel(150, 10, effect=0.3, lag=1, seed=9).panel
    w = w.sample(frac=0.85, random_state=2)  # unbalanced
    data = w.set_index(["account_id", "period_index"])[["profit", "rv_flow", "revenue"]]
    ref = PanelOLS(
        data["profit"], data[["rv_flow", "revenue"]], entity_effects=True, time_effects=True
    ).fit(cov_type="clustered", cluster_entity=True)
    fit = two_way_fe(
        data["profit"].to_numpy(),
        data[["rv_flow", "revenue"]].to_numpy(),
        data.index.get_level_values(0),
        data.index.get_level_values(1),
    )
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-7)
    np.testing.assert_allclose(fit.std_errors, ref.std_errors, rtol=1e-6)
    np.testing.assert_allclose(fit.pvalues, ref.pvalues, rtol=1e-5)


def test_missing_share_of_wallet_is_insufficient_data_with_the_reason():
    w = simulate_panel(120, 10, effect=0.5, lag=1, seed=1, with_wallet=False)
    res = leading_indicator_summary(w.panel, horizons=(1, 2), **FAST)
    assert res["share_of_wallet"]["verdict"] == "insufficient_data"
    assert "wallet" in res["share_of_wallet"]["reason"]
    assert res["profit"]["verdict"] in ("leading", "not_leading")


@pytest.mark.parametrize("lag", [1, 2, 3])
def test_planted_effect_is_found_at_its_lag(lag):
    """Detection rate and lag recovery over seeds (effect 0.4, 600 accounts x 12 periods)."""
    verdicts, lags = [], []
    for seed in range(3):
        w = simulate_panel(600, 12, effect={"profit": 0.4}, lag=lag, seed=100 * lag + seed)
        res = leading_indicator_summary(w.panel, outcomes=("profit",), seed=seed, **FAST)
        verdicts.append(res["profit"]["verdict"])
        lags.append(res["profit"]["best_horizon"])
    assert verdicts.count("leading") >= 2, verdicts
    assert lags.count(lag) >= 2, lags


def test_null_worlds_are_called_leading_at_most_at_the_nominal_rate():
    """100 small null pilots (no outcome depends on RV): the share of `leading` verdicts
    must be within sampling error of 5% or below (at most 9 of 100: the 95th percentile
    of Binomial(100, 0.05))."""
    calls = []
    for seed in range(100):
        w = simulate_panel(60, 10, effect=0.0, seed=10_000 + seed, with_voc=False)
        res = leading_indicator_summary(
            w.panel, outcomes=("profit",), horizons=(1, 2, 3), seed=seed, n_boot=50, granger_boot=9
        )
        calls.append(res["profit"]["verdict"] == "leading")
    assert sum(calls) <= 9, sum(calls)


def test_reverse_world_is_not_called_leading():
    w = simulate_panel(1000, 12, reverse=0.8, seed=5)
    res = leading_indicator_results(w.panel, outcomes=("profit",), lead_lag=False, **FAST)
    profit = res.outcomes["profit"]
    assert profit.verdict != "leading"
    assert profit.tests["reverse_fixed_effects"]["t"].max() > 5  # the money leads RV
    assert profit.feedback and profit.condition("reverse")["passed"]


def test_summary_has_the_contract_keys():
    w = simulate_panel(200, 10, effect=0.4, lag=1, seed=3)
    res = leading_indicator_summary(w.panel, horizons=(1, 2), **FAST)
    for out in ("profit", "revenue_growth", "share_of_wallet"):
        assert {
            "verdict",
            "best_horizon",
            "effect",
            "ci_low",
            "ci_high",
            "p_value",
            "p_adjusted",
            "reverse_p_value",
            "feedback",
            "reason",
            "conditions",
        } <= set(res[out])
        assert set(res[out]["tests"]) == set(TEST_TABLES)
    # out of time: the R² gain for every outcome, the grows-vs-shrinks AUC where defined
    oot = res["revenue_growth"]["tests"]["out_of_time"][0]
    assert oot["gain"] is not None and oot["auc_gain"] is not None
    assert oot["auc_ci_low"] <= oot["auc_gain"] <= oot["auc_ci_high"]
    assert res["profit"]["tests"]["out_of_time"][0]["auc_gain"] is None


def test_lead_lag_ignores_accounts_without_any_outcome_and_does_not_warn():
    """An account that never answered a survey (all-NaN outcome) has no mean to remove:
    it adds no pairs, the correlation is the one without it, and nothing warns."""
    w = simulate_panel(80, 8, effect=0.5, lag=1, seed=2, with_voc=False).panel
    silent = w.assign(profit=w["profit"].where(w["account_id"] != "A00000"))
    without = w[w["account_id"] != "A00000"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = lead_lag_profile(silent, "profit", max_lag=2, n_boot=20)
    ref = lead_lag_profile(without, "profit", max_lag=2, n_boot=20)
    np.testing.assert_allclose(got["corr"], ref["corr"], rtol=1e-12)
    np.testing.assert_array_equal(got["n_pairs"], ref["n_pairs"])


def test_a_config_testing_one_outcome_still_answers_the_contract():
    """`outcomes: [profit]` is a valid config; summary.json must still answer every
    outcome of contract 3 (the others: insufficient data, saying why), not fail it."""
    from rvq.config import PilotConfig
    from rvq.report import check_summary, summary_document
    from rvq.stats.backtest import run_backtest

    world = simulate_panel(200, 10, effect=0.6, lag=1, seed=4)
    config = PilotConfig(outcomes=["profit"], horizons=[1, 2])
    result = run_backtest(world.panel, world.accounts, config, lead_lag=False).to_dict()
    leading = result["leading_indicator"]
    assert leading["profit"]["verdict"] == "leading"
    for outcome in ("revenue_growth", "share_of_wallet"):
        assert leading[outcome]["verdict"] == "insufficient_data"
        assert "not among the outcomes" in leading[outcome]["reason"]
    data = {"events_read": 1, "events_used": 1, "events_set_aside": 0, "accounts": 200,
            "periods": 10, "first_period": "2021Q1", "last_period": "2023Q2"}  # fmt: skip
    document = summary_document(client="c", run_id="r", data=data, **result)
    assert check_summary(document) == []
