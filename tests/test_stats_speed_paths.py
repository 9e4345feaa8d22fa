"""The back-test's fast paths give what the slow reference computations give.

Each fast path of step f (`rvq.stats`) is compared with the straightforward computation
it replaced, on a small world: the account bootstrap's counts (the same draws), the
account-weighted AUC, the Dumitrescu-Hurlin replicates when some fits are rank-deficient
(the determinant check instead of a pseudo-inverse for every account), the
fixed-effects codes and cell counts (counted instead of sorted), and the back-test in two
processes (the same numbers as in one).
"""

from __future__ import annotations

import numpy as np
import pytest

from rvq.stats import granger
from rvq.stats.effectsizes import _bootstrap_effect_sizes
from rvq.stats.panelfe import cell_counts, dense_codes, two_way_fe
from rvq.stats.resample import auc_given_weights, bootstrap_counts, bootstrap_sums
from rvq.stats.trendfe import two_way_fe_trends


def _reference_counts(n: int, n_boot: int, seed, chunk: int) -> list[np.ndarray]:
    """The counts as first written: int64 draws, one bincount over all replicates."""
    rng = np.random.default_rng(seed)
    out = []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        out.append(np.bincount(idx.ravel(), minlength=size * n).reshape(size, n).astype(float))
    return out


@pytest.mark.parametrize(
    ("n", "n_boot", "seed", "chunk"),
    [(1, 5, 0, 2), (7, 23, (3, 1), 5), (1000, 120, (4, 2, 9), 50), (65_537, 3, 11, 2)],
)
def test_bootstrap_counts_are_the_reference_draws(n, n_boot, seed, chunk):
    fast = list(bootstrap_counts(n, n_boot, seed, chunk))
    reused = [c.copy() for c in bootstrap_counts(n, n_boot, seed, chunk, reuse=True)]
    slow = _reference_counts(n, n_boot, seed, chunk)
    assert len(fast) == len(slow) == len(reused)
    for a, r, b in zip(fast, reused, slow, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b) and np.array_equal(r, b)
    assert all((c.sum(axis=1) == n).all() for c in fast)


def test_bootstrap_sums_are_counts_times_sums():
    sums = np.random.default_rng(1).normal(size=(300, 4))
    want = np.concatenate([c @ sums for c in _reference_counts(300, 130, (2, 5), 50)])
    assert np.array_equal(bootstrap_sums(sums, 130, (2, 5)), want)


def test_auc_with_account_weights_equals_expanded_weights():
    """Weights per account, carried by each of its rows: bit-identical to expanding them."""
    rng = np.random.default_rng(5)
    n_acc, rows = 60, 240
    groups = rng.integers(0, n_acc, rows)
    scores = np.round(rng.normal(size=rows), 1)  # ties, across and within accounts
    labels = rng.random(rows) < 0.4
    counts = np.concatenate(list(bootstrap_counts(n_acc, 30, 9, 7)))
    fast = auc_given_weights(scores, labels, groups)(counts)
    slow = auc_given_weights(scores, labels)(counts[:, groups])
    assert np.array_equal(fast, slow)
    assert np.isfinite(fast).all() and 0.3 < np.median(fast) < 0.7
    # the definition, pair by pair (integer weights: every sum is exact, so equal bits)
    w = counts[:, groups]
    above = np.sign(scores[labels][:, None] - scores[~labels][None, :]) / 2 + 0.5
    pairs = np.einsum("ri,ij,rj->r", w[:, labels], above, w[:, ~labels])
    want = pairs / (w[:, labels].sum(axis=1) * w[:, ~labels].sum(axis=1))
    assert np.array_equal(fast, want)


def test_auc_of_whole_counts_in_integers_is_the_float_auc(monkeypatch):
    """Counts take the integer path, other weights the float one: the same bits on
    counts, with ties and with a replicate lacking the classes (NaN)."""
    from rvq.stats import resample

    rng = np.random.default_rng(8)
    groups = rng.integers(0, 40, 300)
    scores = np.round(rng.normal(size=300), 1)
    labels = rng.random(300) < 0.5
    counts = np.concatenate(list(bootstrap_counts(40, 25, 4, 10)))
    counts[0] = 0.0  # a replicate without either class
    auc = auc_given_weights(scores, labels, groups)
    assert resample._counts_fit_int32(counts, np.bincount(groups))
    assert not resample._counts_fit_int32(counts / 2, np.bincount(groups))
    fast = auc(counts)
    monkeypatch.setattr(resample, "_counts_fit_int32", lambda *args: False)
    slow = auc(counts)
    assert np.isnan(fast[0]) and np.isnan(slow[0])
    assert np.array_equal(fast[1:], slow[1:])


def test_effect_size_bootstrap_equals_resampling_one_replicate_at_a_time():
    """Cohen's d and Cliff's delta of each replicate as if the values were resampled."""
    rng = np.random.default_rng(4)
    a, b = np.round(rng.normal(0.3, 1, 70), 1), np.round(rng.normal(0, 1, 90), 1)  # ties
    d_draws, delta_draws = _bootstrap_effect_sizes(a, b, 30, 17, chunk=7)
    draw = np.random.default_rng(17)
    for r in range(30):
        ra, rb = a[draw.integers(0, 70, 70)], b[draw.integers(0, 90, 90)]
        delta = np.sign(ra[:, None] - rb[None, :]).sum() / (70 * 90)
        pooled = (69 * ra.var(ddof=1) + 89 * rb.var(ddof=1)) / 158
        assert delta_draws[r] == delta  # integer sums: exact
        assert d_draws[r] == pytest.approx((ra.mean() - rb.mean()) / np.sqrt(pooled), rel=1e-9)


# --------------------------------------------------------- Dumitrescu-Hurlin replicates


def _world_with_rank_deficient_accounts(K: int = 1):
    """DH design of 40 accounts; account 0's x equals its y and account 1's x is constant:
    both unrestricted fits are singular, and the batched solve of all 40 fails."""
    rng = np.random.default_rng(12)
    N, T = 40, 14
    y = rng.normal(size=(N, T)).cumsum(axis=1) * 0.3 + rng.normal(size=(N, T))
    x = rng.normal(size=(N, T))
    x[0] = y[0]
    x[1] = 2.0
    target, X, ok = granger._design(y, x, K)
    return X, target, ok.sum(axis=1), K


def test_replicate_wald_checks_only_the_fits_a_determinant_cannot_clear(monkeypatch):
    X, target, n_obs, K = _world_with_rank_deficient_accounts()
    with pytest.raises(np.linalg.LinAlgError):  # the plain batched solve
        np.linalg.solve(granger._gram(X), granger._xty(X, target)[..., None])
    # the reference: every fit through the pseudo-inverse and the rank check
    rss_u, rss_r, rank_u = granger._rss_pair(X, target, K)
    want = np.where(rank_u == 1 + 2 * K, (rss_r - rss_u) / (rss_u / (n_obs - 1 - 2 * K)), np.nan)
    checked = []
    pinv_fit = granger._pinv_fit
    monkeypatch.setattr(granger, "_pinv_fit", lambda A, b: checked.append(len(A)) or pinv_fit(A, b))
    got = granger._replicate_wald(X, target, n_obs, K)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.isnan(got[:2]).all() and np.isfinite(got[2:]).all()
    np.testing.assert_allclose(got[2:], want[2:], rtol=1e-9)
    assert checked == [2]  # the two singular fits; the restricted fits were all cleared


def test_determinant_bound_never_clears_a_rank_deficient_matrix():
    """The bound behind `_checked_fit`: for a scaled Gram matrix, lambda_min >= det / c."""
    rng = np.random.default_rng(3)
    for p in (2, 3, 5, 9):
        Z = rng.normal(size=(500, 6 + p, p)) * rng.lognormal(size=(500, 1, p)) ** 3
        Z[:100, :, -1] = Z[:100, :, 0] + 1e-7 * rng.normal(size=(100, 6 + p))  # near-collinear
        G = np.matmul(Z.transpose(0, 2, 1), Z)
        d = np.sqrt(np.diagonal(G, axis1=1, axis2=2))
        A = G / (d[:, :, None] * d[:, None, :])
        bound = np.linalg.det(A) / (p / (p - 1)) ** (p - 1)
        above_rounding = bound > 1e-12  # where the bound could clear a fit (RANK_TOL 1e-10)
        assert above_rounding[100:].all()
        assert (np.linalg.eigvalsh(A)[above_rounding, 0] >= bound[above_rounding] * 0.999).all()
        beta, rank = granger._checked_fit(A, np.ones((500, p)))
        assert np.array_equal(rank, np.linalg.matrix_rank(A, tol=granger.RANK_TOL))


# ------------------------------------------------------------------ fixed-effects codes


def test_dense_codes_equal_numpy_unique():
    rng = np.random.default_rng(8)
    for values in (
        rng.integers(0, 50, 400),
        rng.integers(0, 50, 400) * 7 + 3,
        np.array([10**12, 5, 5]),  # too sparse to count: sorted
        np.array(["b", "a", "b"]),
        np.array([-1, 3, -1]),
    ):
        fast, slow = dense_codes(values), np.unique(values, return_inverse=True)
        assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])


def test_cell_counts_equal_scattered_adds():
    rng = np.random.default_rng(2)
    entity, time = rng.integers(0, 30, 500), rng.integers(0, 6, 500)
    want = np.zeros((30, 6))
    np.add.at(want, (entity, time), 1.0)
    assert np.array_equal(cell_counts(entity, time, 30, 6), want)


@pytest.mark.parametrize("fit", [two_way_fe, two_way_fe_trends])
def test_fixed_effects_fits_do_not_depend_on_how_accounts_are_named(fit):
    """Integer codes take the counting path, text labels the sorting one: same numbers."""
    rng = np.random.default_rng(6)
    n = 600
    entity = rng.integers(0, 80, n) * 3
    time = rng.integers(2, 10, n)
    X = rng.normal(size=(n, 2))
    y = X @ [0.5, -0.2] + rng.normal(size=n) + entity / 100
    by_code = fit(y, X, entity, time)
    by_label = fit(y, X, np.array([f"A{e:04d}" for e in entity]), time.astype(float))
    for field in ("params", "std_errors", "pvalues"):
        assert np.array_equal(getattr(by_code, field), getattr(by_label, field))


def _backtest_frames(result) -> dict:
    leading = result.leading_indicator
    return {
        "table": leading.table,
        "lead_lag": leading.lead_lag,
        "out_of_time": leading.out_of_time(),
        "timeline": result.segments.timeline,
        "do_vs_say": result.do_vs_say.summary(),
    }


def test_backtest_in_two_processes_is_the_backtest_in_one():
    """The forked share (segments, DO vs SAY, lead-lag profiles) gives bit for bit what
    one process gives, and the lead-lag profiles kept are those of the tested outcomes."""
    import json

    import pandas as pd

    from rvq.config import PilotConfig
    from rvq.inputs.catalog import shipped_catalog
    from rvq.scoring.panels import account_period_panel
    from rvq.stats.backtest import run_backtest
    from rvq.synth import WorldSpec, generate_world

    t = generate_world(WorldSpec(accounts=300, periods=10, seed=3)).tables
    panel = account_period_panel(
        t["interactions"], shipped_catalog(), t["outcomes"], t.get("voc"), freq="Q"
    )
    config = PilotConfig(horizons=[1, 2])
    one, two = (run_backtest(panel, t["accounts"], config, workers=w) for w in (1, 2))
    assert json.dumps(one.to_dict()) == json.dumps(two.to_dict())
    frames_one, frames_two = _backtest_frames(one), _backtest_frames(two)
    for name, frame in frames_one.items():
        pd.testing.assert_frame_equal(frame, frames_two[name], check_exact=True)
    tested = [o for o, r in one.leading_indicator.outcomes.items() if r.tested]
    assert tested and sorted(one.leading_indicator.lead_lag["outcome"].unique()) == sorted(tested)
    without = run_backtest(panel, t["accounts"], config, lead_lag=False, workers=2)
    assert without.leading_indicator.lead_lag.empty
    assert json.dumps(without.to_dict()) == json.dumps(one.to_dict())


def test_a_failing_forked_share_fails_the_caller_with_its_reason():
    from rvq.stats.parallel import Beside

    with Beside(divmod, 7, 2) as child:
        assert child.result() == (3, 1)
    with Beside(divmod, 7, 0) as child, pytest.raises(RuntimeError, match="ZeroDivisionError"):
        child.result()
