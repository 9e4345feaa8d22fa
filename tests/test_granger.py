"""Dumitrescu–Hurlin panel Granger test: published reference, hand checks, size."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.datasets import grunfeld

from rvq.stats.granger import dumitrescu_hurlin, dumitrescu_hurlin_panel


@pytest.fixture(scope="module")
def grunfeld_ten_firms():
    data = grunfeld.load_pandas().data
    # plm's Grunfeld has the first ten firms of Grunfeld's data (no American Steel)
    return data[data["firm"] != "American Steel"]


@pytest.mark.parametrize(
    ("order", "ztilde", "p_ztilde", "zbar", "p_zbar"),
    [(1, 3.2896, 0.001003, None, None), (2, 1.6832, 0.09234, 2.9657, 0.00302)],
)
def test_reproduces_plm_pgrangertest_on_grunfeld(
    grunfeld_ten_firms, order, ztilde, p_ztilde, zbar, p_zbar
):
    """Reference: R package plm, `pgrangertest(inv ~ value, data = Grunfeld)` with
    order 1 and 2 (default Ztilde, and test = "Zbar"), as recorded in plm's regression
    test output tests/test_pgrangertest.Rout.save (plm by Croissant & Millo; the test
    implements Dumitrescu & Hurlin 2012 following Lopez & Weber 2017, Stata Journal 17(4)):

        order 1: Ztilde = 3.2896, p-value = 0.001003
        order 2: Ztilde = 1.6832, p-value = 0.09234
        order 2: Zbar   = 2.9657, p-value = 0.00302

    The panel here is statsmodels' Grunfeld data (Kleiber & Zeileis 2008) without
    American Steel: the same ten firms x 20 years as plm's Grunfeld.
    """
    res = dumitrescu_hurlin_panel(
        grunfeld_ten_firms, "invest", "value", order=order, entity="firm", time="year"
    )
    assert res.n_accounts == 10 and res.n_dropped == 0
    assert res.ztilde == pytest.approx(ztilde, abs=5e-5)
    assert res.p_value == pytest.approx(p_ztilde, rel=5e-4)
    if zbar is not None:
        assert res.zbar == pytest.approx(zbar, abs=5e-5)
        assert res.p_value_zbar == pytest.approx(p_zbar, rel=2e-3)


def test_individual_wald_is_k_times_the_ols_f_test():
    """Wbar of one account equals K x the F statistic of the x lags in its own OLS."""
    rng = np.random.default_rng(4)
    T, K = 15, 2
    x = rng.normal(size=T)
    y = rng.normal(size=T)
    rows = np.arange(K, T)
    design = np.column_stack(
        [np.ones(T - K)] + [y[rows - k] for k in (1, 2)] + [x[rows - k] for k in (1, 2)]
    )
    fit = sm.OLS(y[rows], design).fit()
    f = fit.f_test(np.eye(5)[3:]).fvalue
    res = dumitrescu_hurlin(y[None, :], x[None, :], order=K)
    assert res.wbar == pytest.approx(K * float(np.squeeze(f)), rel=1e-8)


def test_unbalanced_account_uses_its_own_length_and_rank_deficient_ones_are_dropped():
    rng = np.random.default_rng(5)
    y = rng.normal(size=(3, 14))
    x = rng.normal(size=(3, 14))
    x[1] = 0.0  # no variation in x: rank-deficient, dropped
    y[2, :3] = np.nan  # shorter series: kept with T_i = 11
    res = dumitrescu_hurlin(y, x, order=1)
    assert res.n_accounts == 2 and res.n_dropped == 1
    alone = dumitrescu_hurlin(y[[0]], x[[0]], order=1)
    short = dumitrescu_hurlin(y[[2], 3:], x[[2], 3:], order=1)
    assert res.wbar == pytest.approx((alone.wbar + short.wbar) / 2)


def test_bootstrap_fixes_the_size_where_the_normal_ztilde_over_rejects():
    """Persistent series, short T, many accounts, no causality: the asymptotic Ztilde
    drifts away from 0 (its moments assume exact F statistics); the bootstrap-standardised
    z stays near N(0, 1)."""
    rng = np.random.default_rng(11)
    N, T = 1500, 10
    y = np.zeros((N, T))
    x = np.zeros((N, T))
    a_y, a_x = rng.normal(0, 1, N), rng.normal(0, 1, N)
    for t in range(T):
        prev_y = y[:, t - 1] if t else 0
        prev_x = x[:, t - 1] if t else 0
        y[:, t] = a_y + 0.6 * prev_y + rng.normal(size=N)
        x[:, t] = a_x + 0.6 * prev_x + rng.normal(size=N)
    res = dumitrescu_hurlin(y, x, order=1, n_boot=49, seed=1)
    assert abs(res.ztilde) > 2.5  # the known small-T distortion is real here
    assert abs(res.z_bootstrap) < 2.5


def test_bootstrap_still_detects_real_causality():
    rng = np.random.default_rng(12)
    N, T = 300, 10
    x = rng.normal(size=(N, T))
    y = np.zeros((N, T))
    for t in range(1, T):
        y[:, t] = 0.3 * y[:, t - 1] + 0.4 * x[:, t - 1] + rng.normal(size=N)
    assert dumitrescu_hurlin(y, x, order=1, n_boot=49, seed=2).p_bootstrap < 0.001
    assert dumitrescu_hurlin(x, y, order=1, n_boot=49, seed=2).p_bootstrap > 0.01


def test_bootstrap_survives_an_account_whose_outcome_barely_moves():
    """A share of wallet locked by a contract (a 2,000-account rvq.synth pilot, demeaned by
    period): its restricted fit is explosive, the regenerated lags collinear. The batched
    solve used to raise LinAlgError and crash the pilot; the replicates that cannot be fitted
    are left out of the moments and the test still returns a finite statistic."""
    locked_y = [-0.0856, -0.0866, -0.0863, -0.087, -0.0863, -0.087]
    locked_y += [-0.0841, -0.086, -0.0872, -0.0863, -0.0917, -0.1629]
    locked_x = [36.04, -54.09, 56.69, -90.97, -57.33, 14.44]
    locked_x += [43.97, -100.36, -42.12, -33.43, -38.94, -51.69]
    rng = np.random.default_rng(0)
    y = np.vstack([locked_y, rng.normal(size=(30, 12))])
    x = np.vstack([locked_x, rng.normal(size=(30, 12))])
    res = dumitrescu_hurlin(y, x, order=2, n_boot=49, seed=0)
    assert res.n_accounts == 31
    assert np.isfinite(res.z_bootstrap) and abs(res.z_bootstrap) < 3
