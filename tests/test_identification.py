"""The lead test's identification design (`rvq.stats.identification`): estimators checked
against linearmodels / statsmodels, the decision rule on the measured cases of issue 11,
and confounder worlds with a known answer (`stat_worlds.simulate_world`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lead_fixtures import evidence, horizon_tests
from linearmodels import PanelOLS
from stat_worlds import simulate_world
from statsmodels.stats.multitest import multipletests

from rvq.scoring.outcomes import derive_outcomes
from rvq.stats.granger import dumitrescu_hurlin_panel
from rvq.stats.identification import (
    FEEDBACK_MIN_EFFECT,
    MIN_HELD_OUT,
    RULE,
    Check,
    Evidence,
    HorizonTest,
    decide_lead,
    evidence_table,
    lead_decisions,
    lead_evidence,
)
from rvq.stats.trendfe import two_way_fe_trends

# ------------------------------------------------------------------------- estimators


# the dummies span the constant and the common linear trend twice: statsmodels says so
@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
def test_account_trend_fe_equals_ols_with_explicit_dummies_on_an_unbalanced_panel():
    """Coefficients equal OLS on account, account x t and period dummies; clustered SEs
    equal statsmodels' (no small-sample correction) times sqrt(n / (n - rank)), the
    linearmodels convention `rvq.stats.panelfe` follows."""
    rng = np.random.default_rng(0)
    n_acc, n_per = 40, 7
    e = np.repeat(np.arange(n_acc), n_per)
    t = np.tile(np.arange(n_per), n_acc)
    keep = rng.random(e.size) > 0.2
    e, t = e[keep], t[keep]
    X = rng.normal(size=(e.size, 2)) + 0.1 * t[:, None]
    y = (
        X @ [0.5, -0.2]
        + rng.normal(size=n_acc)[e] * (1 + t)  # account levels and trends
        + 0.3 * t**1.5  # a common, non-linear path: the period effects
        + rng.normal(size=e.size)
    )
    fit = two_way_fe_trends(y, X, e, t)
    acc = pd.get_dummies(e).to_numpy(float)
    per = pd.get_dummies(t, drop_first=True).to_numpy(float)
    Z = np.column_stack([X, acc, acc * t[:, None], per])
    ref = sm.OLS(y, Z).fit(
        cov_type="cluster",
        cov_kwds={"groups": e, "use_correction": False, "df_correction": False},
    )
    np.testing.assert_allclose(fit.params, ref.params[:2], rtol=1e-8)
    scale = np.sqrt(len(y) / (len(y) - np.linalg.matrix_rank(Z)))
    np.testing.assert_allclose(fit.std_errors, ref.bse[:2] * scale, rtol=1e-8)


def test_horizon_regression_equals_linearmodels_on_frames_built_with_shifts():
    """The wide-array horizon regression (outcome at t+2 on RV at t, the outcome's history,
    revenue level, RV at t-1) equals PanelOLS with two-way effects and account clusters on
    the same rows built the long way: groupby shifts on the full account x period grid."""
    w = simulate_world("planted", 200, 10, seed=4)
    panel = w.panel.sample(frac=0.9, random_state=1)  # gaps: an unbalanced panel
    got = lead_evidence(panel, outcomes=("profit",), granger_boot=0)["profit"].forward[1]
    assert got.horizon == 2

    data = derive_outcomes(panel)
    floor = 0.01 * data["revenue"].median()
    grid = (
        data.set_index(["account_id", "period_index"])
        .reindex(pd.MultiIndex.from_product([data["account_id"].unique(), range(10)]))
        .rename_axis(["account_id", "period_index"])
        .reset_index()
    )
    g = grid.groupby("account_id")
    frame = (
        pd.DataFrame(
            {
                "account_id": grid["account_id"],
                "period_index": grid["period_index"],
                "lead": g["profit"].shift(-2),
                "x": grid["rv_flow"],
                "y0": grid["profit"],
                "y1": g["profit"].shift(1),
                "rv1": g["rv_flow"].shift(1),
                "level": np.log(grid["revenue"] + floor),
            }
        )
        .dropna()
        .set_index(["account_id", "period_index"])
    )
    ref = PanelOLS(
        frame["lead"],
        frame[["x", "y0", "y1", "rv1", "level"]],
        entity_effects=True,
        time_effects=True,
    ).fit(cov_type="clustered", cluster_entity=True)
    assert got.n_obs == len(frame)
    assert got.coef == pytest.approx(ref.params["x"], rel=1e-7)
    assert got.se == pytest.approx(ref.std_errors["x"], rel=1e-6)
    assert got.p_value == pytest.approx(ref.pvalues["x"], rel=1e-5, abs=1e-12)


def test_forward_tests_are_holm_adjusted_over_the_searched_family_and_trends_are_not():
    """The best horizon is searched among outcomes x horizons: Holm over the forward
    tests (and the reverse ones over theirs); the account-trend versions are checks at the
    one horizon the rule reads, so they carry no adjustment."""
    w = simulate_world("planted", 300, 10, seed=2)
    ev = lead_evidence(w.panel, horizons=(1, 2), granger_boot=0)
    for spec in ("forward", "reverse"):
        tests = [t for e in ev.values() for t in getattr(e, spec)]
        assert len(tests) == 3 * 2  # outcomes x horizons
        want = multipletests([t.p_value for t in tests], method="holm")[1]
        np.testing.assert_allclose([t.p_adjusted for t in tests], want, rtol=1e-12)
    assert all(np.isnan(t.p_adjusted) for e in ev.values() for t in (*e.trends, *e.reverse_trends))


def test_the_account_trend_check_is_one_sided_at_the_best_horizon_without_adjustment():
    """t = 2.0 with account trends (one-sided p 0.023) confirms a forward lead; t = 1.5
    (p 0.067) or the wrong sign does not (measured: a lag-1 revenue-growth lead of the
    demo's size has trend t 1.8-2.7, which Holm over 24 tests threw away)."""
    assert decide_lead(_evidence(trends=_tests({1: 0.5, 2: 2.0, 3: 1.0}))).verdict == "leading"
    assert decide_lead(_evidence(trends=_tests({1: 0.5, 2: 1.5}))).verdict == "not_leading"
    assert decide_lead(_evidence(trends=_tests({1: 0.5, 2: -3.0}))).verdict == "not_leading"


def test_rv_that_answers_the_outcomes_dips_is_not_a_lead_even_with_a_clean_placebo():
    """Rescue effort: the outcome pushes RV the opposite way (RV rises after it falls,
    reverse effect -0.4 with and without trends) and the forward effect is strong. The
    rebound after a dip follows RV whatever RV does: not_leading, feedback reported.
    Positive feedback of the same strength leaves a lead a lead."""
    rescue = _tests({1: -20.0, 2: -6.0}, effect=-0.4)
    d = decide_lead(_evidence(reverse=rescue, reverse_trends=rescue))
    assert d.verdict == "not_leading" and d.feedback
    assert d.condition("rescue").passed is False
    assert "dips" in d.reason
    helping = _tests({1: 20.0, 2: 6.0}, effect=0.4)
    d = decide_lead(_evidence(reverse=helping, reverse_trends=helping))
    assert d.verdict == "leading" and d.condition("rescue").passed is True


# ------------------------------------------------------------------- the decision rule


_tests = horizon_tests
NO_POWER = evidence().out_of_time


def _evidence(**changes) -> Evidence:
    """A clean lead at horizon 2, no feedback, placebo clean; `changes` override fields."""
    return replace(evidence(), **changes)


def test_a_clean_lead_is_leading_at_its_horizon_and_every_condition_is_listed():
    d = decide_lead(_evidence())
    assert d.verdict == "leading" and d.best_horizon == 2 and d.feedback is False
    assert [c.name for c in d.conditions] == list(RULE)
    assert {c.name: c.passed for c in d.conditions} == {
        "forward": True,
        "account_trends": True,
        "placebo": True,
        "rescue": True,
        "out_of_time": None,  # no power: reported, does not veto
        "granger": True,
        "reverse": False,
    }
    assert d.condition("forward").numbers["t"] == 12.0


def test_rescue_case_forward_20_reverse_minus_40_failing_placebo_is_not_leading():
    """Issue 11's measured rescue world: forward t = 20, reverse t = -40 (RV follows the
    dip), and RV after the outcome 'predicts' it (t = 10). Negative feedback cannot
    explain a positive placebo, so the placebo fails: not_leading; the reverse is
    reported as feedback, not compared with the forward t."""
    ev = _evidence(
        forward=_tests({1: 20.0, 2: 9.0}),
        trends=_tests({1: 15.0, 2: 5.0}),
        reverse=_tests({1: -40.0, 2: -12.0}, effect=-0.5),
        reverse_trends=_tests({1: -30.0, 2: -9.0}, effect=-0.5),
        placebo=_tests({1: 10.0})[0],
    )
    d = decide_lead(ev)
    assert d.verdict == "not_leading"
    assert d.condition("placebo").passed is False
    assert d.feedback is True
    assert "after the outcome" in d.reason


def test_a_real_lead_with_feedback_is_leading_with_feedback_true():
    """A lead at 2 and strong positive feedback: future RV moves with the outcome
    (placebo t = 40) because the outcome moves RV, so the placebo does not apply; the
    verdict is leading and feedback is reported. (The old rule vetoed this lead by
    comparing the reverse t with the forward t.)"""
    ev = _evidence(
        reverse=_tests({1: 45.0, 2: 8.0}, effect=0.55),
        reverse_trends=_tests({1: 30.0, 2: 5.0}, effect=0.5),
        placebo=_tests({2: 40.0})[0],
    )
    d = decide_lead(ev)
    assert d.verdict == "leading" and d.feedback is True
    assert d.condition("placebo").passed is None
    assert "feeds back" in d.reason
    assert d.to_dict()["feedback"] is True


def test_feedback_needs_a_material_effect_that_survives_account_trends():
    weak = _tests({1: 6.0}, effect=FEEDBACK_MIN_EFFECT / 2)  # significant, not material
    assert decide_lead(_evidence(reverse=weak, reverse_trends=weak)).feedback is False
    strong = _tests({1: 20.0}, effect=0.4)
    gone = _tests({1: 0.5}, effect=0.4)  # vanishes with account trends: moving together
    assert decide_lead(_evidence(reverse=strong, reverse_trends=gone)).feedback is False
    assert decide_lead(_evidence(reverse=strong, reverse_trends=strong)).feedback is True


def test_a_lead_that_disappears_with_account_trends_is_not_leading():
    d = decide_lead(_evidence(trends=_tests({1: 0.3, 2: 0.8, 3: -0.2})))
    assert d.verdict == "not_leading"
    assert "own trend" in d.reason


def test_rv_that_only_follows_the_outcome_is_not_leading_and_says_so():
    ev = _evidence(
        forward=_tests({1: 1.5, 2: 0.4}),
        reverse=_tests({1: 50.0}, effect=0.6),
        reverse_trends=_tests({1: 40.0}, effect=0.6),
        placebo=_tests({1: 45.0})[0],
    )
    d = decide_lead(ev)
    assert d.verdict == "not_leading" and d.feedback is True
    assert "RV follows the outcome" in d.reason


def test_too_few_held_out_periods_do_not_veto_but_a_powered_failure_does():
    assert decide_lead(_evidence(out_of_time=NO_POWER)).verdict == "leading"
    powered_fail = Check(True, False, {"held_out_periods": 6, "r2_gain": -0.001})
    d = decide_lead(_evidence(out_of_time=powered_fail))
    assert d.verdict == "not_leading" and "out-of-time" in d.reason


def test_out_of_time_has_power_only_with_enough_held_out_periods():
    """12 quarters leave 2-3 held-out periods: reported as without power. 24 leave more
    than `MIN_HELD_OUT`: the check is run and decides."""
    for periods, applies in ((12, False), (24, True)):
        w = simulate_world("planted", 120, periods, seed=1)
        ev = lead_evidence(w.panel, outcomes=("profit",), granger_boot=0, n_boot=20)
        check = ev["profit"].out_of_time
        assert check.applicable is applies, check
        if applies:
            assert check.numbers["held_out_periods"] >= MIN_HELD_OUT
        else:
            assert "not enough held-out periods" in check.note


def test_granger_without_bootstrap_uses_the_fixed_t_statistic():
    w = simulate_world("planted", 300, 12, seed=6, effect={"revenue_growth": 0.0})
    ev = lead_evidence(w.panel, outcomes=("profit",), granger_boot=0)["profit"]
    assert ev.granger.applicable and ev.granger.numbers["bootstrap"] == 0
    assert np.isfinite(ev.granger.numbers["z"]) and ev.granger.passed is not None


def test_the_granger_check_is_reported_and_never_vetoes():
    disagree = Check(True, False, {"order": 2, "z": 0.3, "p_value": 0.38})
    d = decide_lead(_evidence(granger=disagree))
    assert d.verdict == "leading" and d.condition("granger").passed is False


def test_missing_data_and_no_estimable_horizon_are_insufficient_data():
    d = decide_lead(Evidence("share_of_wallet", missing="no wallet or share_of_wallet"))
    assert d.verdict == "insufficient_data" and "wallet" in d.reason
    empty = Evidence("profit", forward=(HorizonTest(1), HorizonTest(2)))
    assert decide_lead(empty).verdict == "insufficient_data"


def test_the_summary_entry_has_the_contract_keys_and_prints_the_rule_from_itself():
    d = decide_lead(_evidence())
    entry = d.to_dict()
    contract = {"verdict", "best_horizon", "effect", "ci_low", "ci_high", "p_value"}
    assert contract | {"p_adjusted", "reverse_p_value", "feedback", "conditions"} <= set(entry)
    assert [c["name"] for c in entry["conditions"]] == list(RULE)
    lines = d.rule_lines()
    assert len(lines) == len(RULE) and lines[0].startswith("[pass] (required)")
    assert "t=12" in lines[0]


def test_the_evidence_table_has_every_regression_behind_the_rule():
    w = simulate_world("planted", 200, 10, seed=5)
    ev = lead_evidence(w.panel, horizons=(1, 2, 3), granger_boot=0, n_boot=20)
    table = evidence_table(ev)
    per_outcome = table.groupby(["outcome", "spec"]).size().unstack()
    assert set(per_outcome.index) == set(ev)
    assert (per_outcome[["forward", "trends", "reverse", "reverse_trends"]] == 3).all().all()
    assert (per_outcome["placebo"] == 1).all()
    profit = table[(table["outcome"] == "profit") & (table["spec"] == "forward")]
    assert list(profit["t"]) == [t.t for t in ev["profit"].forward]


def test_one_sided_placebo_p_follows_the_sign():
    t = _tests({1: 3.0})[0]
    assert t.one_sided_p(1) == pytest.approx(t.p_value / 2)
    assert t.one_sided_p(-1) == pytest.approx(1 - t.p_value / 2)


# ----------------------------------------------------------------------------- worlds


def test_a_lag_2_lead_is_confirmed_by_granger_at_order_2_where_order_1_sees_nothing():
    """The old rule asked DH at order 1, which cannot see a lag-2 effect. The new
    evidence uses order = best horizon where the panel allows it (T > 5 + 3h)."""
    w = simulate_world("planted", 1500, 12, seed=3, effect={"revenue_growth": 0.0})
    ev = lead_evidence(w.panel, outcomes=("profit",), granger_boot=29, seed=3)["profit"]
    assert ev.granger.applicable and ev.granger.numbers["order"] == 2
    assert ev.granger.passed, ev.granger
    data = derive_outcomes(w.panel)
    order_1 = dumitrescu_hurlin_panel(data, "profit", "rv_flow", demean=True, n_boot=29, seed=3)
    assert order_1.p_bootstrap > 0.05
    assert decide_lead(ev).verdict == "leading"


@pytest.mark.parametrize("kind", ["planted", "feedback", "modest"])
def test_real_leads_are_found_at_their_planted_lag(kind):
    w = simulate_world(kind, 1000, 12, seed=11)
    decisions = lead_decisions(w.panel, seed=1, granger_boot=9, n_boot=20)
    for outcome, d in decisions.items():
        truth = w.truth[outcome]
        assert d.verdict == "leading", (outcome, d.reason)
        assert d.best_horizon == truth["lag"], (outcome, d.best_horizon)
    if kind == "feedback":
        assert decisions["profit"].feedback is True
        assert decisions["share_of_wallet"].feedback is False


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        ("null", {}),
        ("trend", {}),
        ("trend", {"money_trend": 1.0}),  # the money trends as much as RV
        ("rescue", {}),
        ("mechanical", {}),
        ("lagging", {}),
        ("rampup", {}),  # new accounts ramp up, others decline and leave
    ],
)
def test_worlds_without_a_lead_are_not_called_leading(kind, changes):
    for seed in (21, 22):
        w = simulate_world(kind, 1000, 12, seed=seed, **changes)
        decisions = lead_decisions(w.panel, seed=seed, granger_boot=9, n_boot=20)
        for outcome, d in decisions.items():
            assert d.verdict == "not_leading", (kind, outcome, d.reason)
            assert d.feedback == w.truth[outcome]["feedback"], (kind, outcome, d.conditions)
