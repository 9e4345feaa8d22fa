"""Questions 1-5: effect sizes by hand, and extremes in simulated worlds."""

from __future__ import annotations

import numpy as np
import pytest
from stat_worlds import simulate_panel

from rvq.stats.segments import cliffs_delta, cohens_d, segment_comparisons


def test_effect_sizes_by_hand():
    a, b = np.array([2.0, 4.0, 6.0]), np.array([1.0, 3.0, 5.0])
    # means 4 and 3, both variances 4: d = 1 / 2
    assert cohens_d(a, b) == pytest.approx(0.5)
    # pairs a>b: 2>1; 4>1,3; 6>1,3,5 -> 6 of 9; a<b: 2<3,5; 4<5 -> 3 of 9
    assert cliffs_delta(a, b) == pytest.approx((6 - 3) / 9)
    assert cliffs_delta(b, a) == pytest.approx(-(6 - 3) / 9)


@pytest.fixture(scope="module")
def planted():
    w = simulate_panel(800, 12, effect=0.5, lag=2, seed=21)
    # company size bands as a segment too (not among the config's default segments)
    segments = ("industry", "territory", "team", "contact_source", "company_revenue")
    return w, segment_comparisons(w.panel, w.accounts, segments=segments, n_boot=100, seed=1)


def test_planted_share_of_wallet_groups_differ_in_rv_before_they_diverge(planted):
    _, seg = planted
    q = seg["share_of_wallet"]
    assert q["verdict"] == "differs_before"
    assert q["before_divergence"]["rv_flow_mean"]["cohens_d"] > 0
    assert 0 < q["divergence_index"] <= 11
    assert q["periods_early"]["rv_flow"] >= 1


def test_all_questions_present_and_json_safe(planted):
    import json

    _, seg = planted
    assert {
        "profit_extremes",
        "revenue_growth",
        "share_of_wallet",
        "community",
        "segment:industry",
        "segment:company_revenue",
    } <= set(seg)
    json.dumps(seg, allow_nan=False)
    assert set(seg["community"]["roles"]) == {"leader", "doer", "watcher", "any"}


def test_null_world_shows_no_rv_difference_for_share_of_wallet():
    w = simulate_panel(800, 12, effect=0.0, seed=22)
    q = segment_comparisons(w.panel, w.accounts, n_boot=100, seed=1)["share_of_wallet"]
    assert (
        q.get("verdict") != "differs_before"
        or abs(q["before_divergence"]["rv_flow_mean"]["cohens_d"]) < 0.15
    )


def test_without_share_of_wallet_the_question_is_insufficient_data():
    w = simulate_panel(100, 10, seed=2, with_wallet=False)
    q = segment_comparisons(w.panel, w.accounts, n_boot=20)["share_of_wallet"]
    assert q["verdict"] == "insufficient_data" and "wallet" in q["reason"]
