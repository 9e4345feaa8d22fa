"""DO vs SAY: association and the out-of-time horse race, a fair race.

The race's worlds are small panels built here: a latent account signal x (AR(1) around the
account's level) drives profit `lag` periods later; RV, or the surveys, read x, the other
side is noise of the same kind. Equal information must tie, the carrier of x must win,
and the horizon must be chosen without the test periods.
"""

from __future__ import annotations

import json

import numpy as np
from stat_worlds import simulate_panel

from rvq.stats.dovssay import do_vs_say, horse_race, signal_features

N, PERIODS = 400, 12
#: the test target periods of a 12-period race (the last third, `holdout` = 1/3)
FIRST_TEST_PERIOD = 8


def _z(a: np.ndarray) -> np.ndarray:
    return (a - a.mean()) / a.std()


def _latent(rng: np.random.Generator) -> np.ndarray:
    """accounts x periods: the account's level plus AR(1) (0.5) noise."""
    u = np.zeros((N, PERIODS))
    for t in range(PERIODS):
        u[:, t] = (0.5 * u[:, t - 1] if t else 0) + rng.normal(0, 1, N)
    return rng.normal(0, 0.5, (N, 1)) + u


def race_world(carrier: str, *, seed: int = 0, lag: int = 1, effect: float = 0.6):
    """The panel of a race: `carrier` (``do``: RV, ``say``: NPS and CSAT) reads the latent
    x that drives profit `lag` periods later, the other side reads noise with the same
    structure. Surveys are answered in 60% of the account-periods."""
    panel = simulate_panel(N, PERIODS, seed=seed).panel.copy()
    rng = np.random.default_rng(seed + 100)
    x, other = _latent(rng), _latent(rng)
    profit = 2.0 + rng.normal(0, 1, (N, PERIODS))
    profit[:, lag:] += effect * x[:, :-lag]
    panel["profit"] = profit.ravel()
    do_reads, say_reads = (x, other) if carrier == "do" else (other, x)
    panel["rv_flow"] = (20 + 10 * (do_reads + 0.3 * rng.normal(0, 1, (N, PERIODS)))).ravel()
    panel["rv_cum"] = panel.groupby("account_id")["rv_flow"].cumsum()
    heard = _z(say_reads + 0.3 * rng.normal(0, 1, (N, PERIODS))).ravel()
    answered = rng.random(N * PERIODS) < 0.6
    panel["nps"] = np.where(answered, np.clip(np.round(7 + 1.5 * heard), 0, 10), np.nan)
    panel["csat"] = np.where(answered, np.clip(np.round(3.5 + 0.8 * heard), 1, 5), np.nan)
    return panel


def test_say_equal_to_do_is_a_tie():
    """Survey scores that are exact monotone transforms of RV carry RV's information and
    nothing else: every race is a tie (the old race, four RV features against one survey
    score at RV's own best horizon, had RV win 1.5-2x)."""
    panel = race_world("do", seed=1)
    z = _z(panel["rv_flow"].to_numpy())
    panel["nps"] = 10 / (1 + np.exp(-z))  # a logistic squash onto 0-10
    panel["csat"] = 1 + 4 * (z - z.min()) ** 3 / np.ptp(z) ** 3  # a cube onto 1-5
    res = do_vs_say(panel, outcomes=("profit",), horizons=(1, 2, 3, 4), n_boot=100)
    for survey in ("nps", "csat"):
        race = res.horse_race["profit"][survey]
        assert race["leads_better"] == "tie"
        assert race["gain_rv"] > 0.05  # RV (and so the survey) does forecast profit
        assert race["gain_say"] == race["gain_rv"]
        assert race["difference_ci_low"] <= 0 <= race["difference_ci_high"]
    assert res.verdict == "no_clear_leader"


def test_do_leads_when_rv_carries_the_signal_and_surveys_are_noise():
    res = do_vs_say(race_world("do", seed=2), outcomes=("profit",), n_boot=100)
    json.dumps(res.to_dict(), allow_nan=False)
    for survey in ("nps", "csat"):
        race = res.horse_race["profit"][survey]
        assert race["leads_better"] == "do", race
        assert race["horizon"] == 1
    assert res.verdict == "do_leads"


def test_say_leads_when_the_surveys_carry_the_signal():
    res = do_vs_say(race_world("say", seed=3), outcomes=("profit",), n_boot=100)
    for survey in ("nps", "csat"):
        race = res.horse_race["profit"][survey]
        assert race["leads_better"] == "say", race
        assert race["horizon"] == 1
    assert res.verdict == "say_leads"


def test_the_horizon_is_chosen_without_the_test_periods():
    """Profit follows RV one period later; in the test periods it is rewritten to follow
    RV three periods later, strongly. A race that looked at the test periods to choose
    would choose 3 (and its bootstrap would too); this one must not notice the change."""
    panel = race_world("do", seed=4)
    data = panel.assign(account_id=panel["account_id"].factorize()[0])
    honest = horse_race(data, "profit", (1, 2, 3, 4), "nps", n_boot=100)
    rv = data["rv_flow"].to_numpy().reshape(N, PERIODS)
    profit = data["profit"].to_numpy().reshape(N, PERIODS).copy()
    profit[:, FIRST_TEST_PERIOD:] = 5 * _z(rv[:, FIRST_TEST_PERIOD - 3 : PERIODS - 3])
    rewritten = horse_race(
        data.assign(profit=profit.ravel()), "profit", (1, 2, 3, 4), "nps", n_boot=100
    )
    assert honest["horizon"] == rewritten["horizon"] == 1
    assert honest["horizon_share"] == rewritten["horizon_share"]
    assert honest["horizon_share"]["1"] > 0.9
    judged = {
        h: horse_race(data.assign(profit=profit.ravel()), "profit", (h,), "nps", n_boot=20)
        for h in (1, 3)
    }
    assert judged[3]["gain_rv"] > judged[1]["gain_rv"]  # the test periods do favour 3


def test_signals_enter_as_the_same_transformations_of_themselves():
    """RV and a survey become the same four features; a monotone rescaling changes none."""
    panel = race_world("do", seed=5)
    rv = signal_features(panel, "rv_flow")
    rescaled = signal_features(panel.assign(nps=np.exp(panel["rv_flow"] / 10)), "nps")
    assert list(rv.columns) == ["now", "lag1", "lag2", "mean4"]
    np.testing.assert_allclose(rv.to_numpy(), rescaled.to_numpy())
    # a survey answered now and then is carried forward, its lags from what was known then
    nps = signal_features(panel, "nps")
    assert nps["now"].notna().mean() > 0.9 and nps[["lag1", "lag2"]].notna().all().all()


def test_horizons_fixed_in_advance_or_one_per_outcome():
    panel = race_world("do", seed=6)
    fixed = do_vs_say(panel, outcomes=("profit",), horizons=(2,), n_boot=20)
    by_outcome = do_vs_say(panel, outcomes=("profit",), horizons={"profit": 2}, n_boot=20)
    for res in (fixed, by_outcome):
        race = res.horse_race["profit"]["nps"]
        assert race["horizon"] == 2 and race["candidate_horizons"] == [2]
        assert race["horizon_share"] == {"2": 1.0}


def test_do_leads_say_when_surveys_are_noise():
    w = simulate_panel(1000, 12, effect=0.5, lag=1, seed=4)
    panel = w.panel.copy()
    rng = np.random.default_rng(0)
    panel["nps"] = np.where(panel["nps"].notna(), rng.integers(0, 11, len(panel)), np.nan)
    res = do_vs_say(panel, outcomes=("profit",), n_boot=100)
    json.dumps(res.to_dict(), allow_nan=False)
    race = res.horse_race["profit"]["nps"]
    assert race["leads_better"] == "do"
    assert race["difference_ci_low"] > 0
    assoc = res.association["nps"]["rv_flow"]
    assert assoc["within_ci_low"] < 0 < assoc["within_ci_high"]  # noise NPS: no association
    # CSAT in the simulated world reads the latent strength: associated with RV
    assert res.association["csat"]["rv_flow"]["between_ci_low"] > 0
    assert res.verdict in ("do_leads", "mixed")  # RV wins on NPS; CSAT may win too


def test_without_surveys_it_says_insufficient_data():
    w = simulate_panel(100, 10, seed=4, with_voc=False)
    res = do_vs_say(w.panel, outcomes=("profit",), n_boot=20)
    assert res.association["nps"]["verdict"] == "insufficient_data"
    assert res.verdict == "insufficient_data"
