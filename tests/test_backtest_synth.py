"""End to end through the real generator and scorer: generate_world -> account_period_panel
-> leading_indicator_summary, verdicts and lags checked against the planted truth."""

from __future__ import annotations

import pytest

synth = pytest.importorskip("rvq.synth")
score = pytest.importorskip("rvq.scoring.panels")

from rvq.inputs.catalog import shipped_catalog  # noqa: E402
from rvq.stats.backtest import leading_indicator_summary  # noqa: E402


def _panel(**spec):
    world = synth.generate_world(synth.WorldSpec(accounts=800, periods=12, seed=11, **spec))
    t = world.tables
    panel = score.account_period_panel(
        t["interactions"], shipped_catalog(), t["outcomes"], t.get("voc"), freq="Q"
    )
    return world, panel


@pytest.mark.parametrize("lag", [1, 3])
def test_planted_synth_world_is_leading_at_the_planted_lag(lag):
    world, panel = _panel(effect=0.4, lag=lag)
    res = leading_indicator_summary(panel, seed=1, n_boot=100, granger_boot=19)
    for outcome in ("profit", "share_of_wallet"):
        assert res[outcome]["verdict"] == "leading", (outcome, res[outcome]["reason"])
        assert res[outcome]["best_horizon"] == world.spec.lag[outcome] == lag


def test_null_and_reverse_synth_worlds_are_not_leading():
    for spec in ({"effect": 0.0}, {"reverse": True}):
        _, panel = _panel(**spec)
        res = leading_indicator_summary(panel, seed=1, n_boot=100, granger_boot=19)
        assert all(r["verdict"] != "leading" for r in res.values()), (spec, res)


@pytest.mark.filterwarnings("error")
def test_the_back_test_of_a_synth_world_raises_no_warning():
    """The notebooks' HTML shows every warning: the step-f calls on a demo-like world
    (surveys answered by some accounts only, first-period growth undefined) stay silent."""
    from rvq.stats.backtest import run_backtest

    world = synth.generate_world(synth.WorldSpec(accounts=300, periods=10, seed=5))
    t = world.tables
    panel = score.account_period_panel(
        t["interactions"], shipped_catalog(), t["outcomes"], t.get("voc"), freq="Q"
    )
    assert panel.groupby("account_id")["nps"].count().eq(0).any()  # the case that warned
    summary = run_backtest(panel, t["accounts"]).to_dict()  # lead-lag profile included
    assert set(summary) == {"leading_indicator", "segments", "do_vs_say"}
