"""The fast forms of the back-test's building blocks against their plain definitions:
weighted AUC vs scikit-learn, vectorized rolling means vs pandas, bootstrap effect sizes
vs resampling one replicate at a time, and the out-of-time AUC on planted worlds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from stat_worlds import simulate_panel

from rvq.scoring.outcomes import derive_outcomes
from rvq.stats.oot import _rolling_mean, out_of_time_gain
from rvq.stats.resample import percentile_interval, weighted_auc
from rvq.stats.segments import cliffs_delta, cohens_d, effect_sizes


def test_weighted_auc_by_hand_and_as_sklearn():
    # positives 0.8, 0.4 (tie with a negative); negatives 0.4, 0.1:
    # pairs (0.8>0.4, 0.8>0.1, 0.4=0.4 half, 0.4>0.1) -> 3.5 / 4
    assert weighted_auc([0.8, 0.4, 0.4, 0.1], [1, 1, 0, 0], np.ones(4)) == 0.875
    rng = np.random.default_rng(0)
    scores = np.round(rng.normal(size=300), 1)  # many ties
    labels = rng.random(300) < 0.3
    weights = rng.integers(0, 4, size=(3, 300)).astype(float)
    got = weighted_auc(scores, labels, weights)
    ref = [roc_auc_score(labels, scores, sample_weight=w) for w in weights]
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert np.isnan(weighted_auc([1.0, 2.0], [1, 1], np.ones(2)))  # one class only


def test_rolling_mean_equals_pandas_grouped_rolling():
    rng = np.random.default_rng(1)
    groups = pd.Series(rng.choice(["a", "b", "c", "d"], 200))  # groups interleaved
    values = pd.Series(rng.normal(size=200))
    values[rng.random(200) < 0.3] = np.nan
    for window in (1, 3, 4):
        ref = (
            values.groupby(groups, sort=False)
            .rolling(window, min_periods=1)
            .mean()
            .reset_index(level=0, drop=True)
            .reindex(values.index)
        )
        np.testing.assert_allclose(_rolling_mean(values, groups, window), ref, rtol=1e-12)


def test_bootstrap_effect_sizes_equal_resampling_one_replicate_at_a_time():
    rng = np.random.default_rng(2)
    a = np.round(rng.normal(1.0, 1.0, 40), 1)
    b = np.round(rng.normal(0.5, 1.0, 25), 1)  # rounded: ties within and across groups
    got = effect_sizes(a, b, n_boot=60, seed=5)
    draws = np.random.default_rng(5)
    d, delta = [], []
    for _ in range(60):
        ra = a[draws.integers(0, len(a), len(a))]
        rb = b[draws.integers(0, len(b), len(b))]
        d.append(cohens_d(ra, rb))
        delta.append(cliffs_delta(ra, rb))
    assert (got["d_ci_low"], got["d_ci_high"]) == pytest.approx(percentile_interval(d), rel=1e-10)
    assert (got["delta_ci_low"], got["delta_ci_high"]) == pytest.approx(
        percentile_interval(delta), rel=1e-10
    )


@pytest.mark.parametrize("outcome", ["revenue_growth", "share_of_wallet"])
def test_out_of_time_auc_sees_the_planted_effect_and_not_the_null(outcome):
    """Grows vs shrinks at t+1: with RV planted at lag 1 the AUC gain's interval is above
    0; in the null world it covers 0."""
    for effect in (0.5, 0.0):
        w = simulate_panel(600, 12, effect=effect, lag=1, seed=3, with_voc=False)
        res = out_of_time_gain(derive_outcomes(w.panel), outcome, 1, n_boot=200, seed=0)
        assert 0.5 < res["auc_baseline"] < 1 and res["auc_n_test"] > 1000
        assert res["auc_gain"] == pytest.approx(res["auc_with_rv"] - res["auc_baseline"])
        if effect:
            assert res["auc_ci_low"] > 0, res
        else:
            assert res["auc_ci_low"] < 0 < res["auc_ci_high"], res


def test_profit_has_no_growth_auc():
    w = simulate_panel(200, 10, effect=0.5, lag=1, seed=3, with_voc=False)
    res = out_of_time_gain(derive_outcomes(w.panel), "profit", 1, n_boot=20)
    assert np.isfinite(res["gain"]) and np.isnan(res["auc_gain"]) and res["auc_n_test"] == 0
