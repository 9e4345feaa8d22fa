"""The lead test on `rvq.synth`'s confounder worlds (issue 11), through the product's path:
`generate_world` -> `account_period_panel` (shipped catalog) -> `lead_decisions`, each
verdict checked against the world's truth.json.

Small worlds (800 accounts x 12 quarters, 2 seeds) keep the module fast; the detection
rates at pilot size are `benchmarks/detection_rates.py`. The Dumitrescu-Hurlin bootstrap
is off (``granger_boot=0``) and the out-of-time bootstrap short: both are reported, never
deciding, with 12 quarters, so the verdicts are those of the defaults.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rvq.inputs.catalog import shipped_catalog
from rvq.scoring.panels import account_period_panel
from rvq.stats.identification import lead_decisions
from rvq.synth import OUTCOME_NAMES, WORLDS, WorldSpec, generate_world, world_spec

ACCOUNTS = 800
SEEDS = (1, 2)
#: rescue is tested at a larger book below: at 800 accounts it passes for want of power
NO_LEAD = ("null", "reverse", "trend", "rampup", "mechanical", "lagging")
LEADS = ("planted", "feedback")

_CACHE: dict[tuple[str, int], tuple[dict, dict]] = {}


def verdicts(name: str, seed: int, **changes) -> tuple[dict, dict]:
    """(truth.json's outcomes, the decisions) of the preset world `name` (cached)."""
    if (name, seed) not in _CACHE or changes:
        catalog = shipped_catalog()
        spec = world_spec(name, **{"accounts": ACCOUNTS, "seed": seed, **changes})
        world = generate_world(spec, catalog=catalog)
        t = world.tables
        panel = account_period_panel(t["interactions"], catalog, t["outcomes"], t["voc"], freq="Q")
        decisions = lead_decisions(panel, seed=seed, granger_boot=0, n_boot=20)
        if changes:
            return world.truth["outcomes"], decisions
        _CACHE[(name, seed)] = (world.truth["outcomes"], decisions)
    return _CACHE[(name, seed)]


# ------------------------------------------------------------------- the generator


def test_the_demo_world_has_no_confounder_and_every_preset_builds():
    truth = generate_world(WorldSpec(accounts=50, seed=3)).truth
    assert truth["confounders"]["on"] == []
    assert all(not truth["outcomes"][o]["feeds_back"] for o in OUTCOME_NAMES)
    assert {"planted", "null", "trend", "rampup", "rescue", "feedback", "mechanical"} <= set(WORLDS)
    for name in WORLDS:
        assert world_spec(name, accounts=50).accounts == 50
    with pytest.raises(ValueError, match="unknown world"):
        world_spec("nowhere")


def test_truth_records_leads_lags_feedback_and_confounders_per_outcome():
    truth = generate_world(world_spec("feedback", accounts=60, seed=1)).truth
    assert truth["confounders"]["on"] == ["feedback"]
    profit, share = truth["outcomes"]["profit"], truth["outcomes"]["share_of_wallet"]
    assert profit["leads"] and profit["lead_lag"] == 2 and profit["feeds_back"]
    assert profit["confounders"] == ["feedback"] and profit["expected_verdict"] == "leading"
    assert share["leads"] and not share["feeds_back"] and share["confounders"] == []
    rescue = generate_world(world_spec("rescue", accounts=60, seed=1)).truth["outcomes"]
    assert rescue["revenue_growth"]["feeds_back"] and not rescue["profit"]["feeds_back"]
    assert rescue["profit"]["expected_verdict"] == "not_leading"
    assert rescue["profit"]["lead_lag"] is None


def _slopes(frame: pd.DataFrame, column: str) -> pd.Series:
    """Each account's least-squares slope of `column` on the period index."""
    t = frame["t"] - frame.groupby("account_id")["t"].transform("mean")
    y = frame[column] - frame.groupby("account_id")[column].transform("mean")
    return (t * y).groupby(frame["account_id"]).sum() / (t * t).groupby(frame["account_id"]).sum()


def test_account_trends_move_rv_and_the_money_together():
    """Accounts whose RV grows have growing margins (profit over the account's mean
    revenue): the rank correlation of their slopes is clearly positive; in the null world
    it is within noise of 0 (profit in currency is heteroscedastic, hence ranks)."""
    corr = {}
    for name in ("trend", "null"):
        world = generate_world(world_spec(name, accounts=400, seed=5))
        lat = world.latent.rename(columns={"period_index": "t"})
        out = world.tables["outcomes"].merge(
            lat[["account_id", "period", "t", "rv_flow"]], on=["account_id", "period"]
        )
        out["margin"] = out["profit"] / out.groupby("account_id")["revenue"].transform("mean")
        corr[name] = _slopes(out, "rv_flow").corr(_slopes(out, "margin"), method="spearman")
    assert corr["trend"] > 0.3, corr
    assert abs(corr["null"]) < 3 / np.sqrt(400), corr


def test_churned_accounts_leave_and_new_accounts_ramp_up():
    """Churn: existing customers whose outcomes stop before the window ends (none
    without churn); their last interactions come no later than their last outcome row.
    Ramp-up: a new account's log revenue rises over its first periods."""
    ended = {}
    for name in ("rampup", "null"):
        world = generate_world(world_spec(name, accounts=400, seed=2))
        out = world.tables["outcomes"]
        last_period = world.spec.period_index.strftime("%Y-Q%q")[-1]
        first_period = world.spec.period_index.strftime("%Y-Q%q")[0]
        span = out.groupby("account_id")["period"].agg(["min", "max"])
        left = span[(span["min"] == first_period) & (span["max"] < last_period)]
        ended[name] = len(left)
        if name == "rampup":
            inter = world.tables["interactions"]
            q = inter["timestamp"].dt.to_period("Q").dt.strftime("%Y-Q%q")
            last_touch = q.groupby(inter["account_id"]).max()
            assert (last_touch.reindex(left.index) <= left["max"]).all()
            new = out[out["account_id"].isin(span.index[span["min"] > first_period])].copy()
            new["age"] = new.groupby("account_id").cumcount()
            by_age = np.log(new["revenue"]).groupby(new["age"]).mean()
            assert by_age.loc[4] - by_age.loc[0] > 0.1, by_age
    assert ended["null"] == 0
    assert 0.1 * 400 <= ended["rampup"] <= 0.25 * 400, ended


# --------------------------------------------------------- the lead test on them


@pytest.mark.parametrize("name", LEADS)
def test_real_leads_are_leading_at_their_planted_lag(name):
    for seed in SEEDS:
        truth, decisions = verdicts(name, seed)
        for o, d in decisions.items():
            assert truth[o]["leads"], o
            assert d.verdict == "leading", (name, seed, o, d.reason)
            assert d.best_horizon == truth[o]["lead_lag"], (name, seed, o, d.best_horizon)


@pytest.mark.parametrize("name", NO_LEAD)
def test_worlds_without_a_lead_are_not_called_leading(name):
    for seed in SEEDS:
        truth, decisions = verdicts(name, seed)
        for o, d in decisions.items():
            assert not truth[o]["leads"], o
            assert d.verdict == "not_leading", (name, seed, o, d.reason)


def test_rescue_effort_after_revenue_dips_is_not_a_lead_in_a_large_book():
    """Reps answer last period's revenue dip, which reverts on its own. Forward t 14-16 at
    8,000 accounts even with the revenue level controlled (the dip is transitory in a
    random-walk level, and reps see it): the rescue condition holds the verdict."""
    truth, decisions = verdicts("rescue", 6000, accounts=8000)
    assert truth["revenue_growth"]["feeds_back"] and decisions["revenue_growth"].feedback
    for o, d in decisions.items():
        assert d.verdict == "not_leading", (o, d.reason)


def test_a_lag_1_revenue_growth_lead_of_the_demo_size_is_found():
    """Seed 50511 was missed while the account-trend check was a Holm-adjusted test over
    24 (trend t 2.0); as a one-sided check at the best horizon it confirms."""
    changes = {"accounts": 2000, "effect": {"revenue_growth": 0.3}, "lag": 1}
    truth, decisions = verdicts("planted", 50511, **changes)
    d = decisions["revenue_growth"]
    assert truth["revenue_growth"]["lead_lag"] == 1
    assert d.verdict == "leading" and d.best_horizon == 1, d.reason


@pytest.mark.parametrize("name", ["reverse", "rescue", "feedback", "lagging"])
def test_feedback_is_flagged_where_the_money_moves_rv(name):
    for seed in SEEDS:
        truth, decisions = verdicts(name, seed)
        planted = [o for o in OUTCOME_NAMES if truth[o]["feeds_back"]]
        assert planted, name
        for o in planted:
            assert decisions[o].feedback is True, (name, seed, o, decisions[o].reason)


_MECHANICAL_FLAGGED = pytest.mark.xfail(
    strict=True,
    reason="mechanical world: interactions recording this period's revenue growth make "
    "growth Granger-predict the next period's RV (given RV now, high growth means a lower "
    "persistent propensity), reverse effect about -0.2 SD/SD with and without account "
    "trends, so `feedback` is true although the money never moves later RV "
    "(measured in benchmarks/detection_rates.py; the rule is the lead engineer's)",
)


@pytest.mark.parametrize(
    "name",
    [
        *(n for n in ("null", "planted", "trend", "rampup", "rescue", "feedback", "lagging")),
        pytest.param("mechanical", marks=_MECHANICAL_FLAGGED),
    ],
)
def test_no_feedback_is_flagged_where_none_is_planted(name):
    for seed in SEEDS:
        truth, decisions = verdicts(name, seed)
        for o in OUTCOME_NAMES:
            if not truth[o]["feeds_back"]:
                assert decisions[o].feedback is False, (name, seed, o, decisions[o].reason)
