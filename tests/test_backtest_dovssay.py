"""DO vs SAY: association and the out-of-time horse race."""

from __future__ import annotations

import json

import numpy as np
from stat_worlds import simulate_panel

from rvq.stats.dovssay import do_vs_say


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
