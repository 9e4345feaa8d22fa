"""Two-way fixed-effects least squares with account-clustered standard errors, fast.

The same estimator as linearmodels ``PanelOLS(y, X, entity_effects=True,
time_effects=True).fit(cov_type="clustered", cluster_entity=True)`` — the test suite
checks they agree to 1e-6 — written with numpy so the back-test can afford dozens of
regressions (outcomes x horizons x both directions, and hundreds of simulated pilots for
power) on 100,000 accounts. Effects are swept out exactly in one pass (demean by account,
then project out the account-demeaned period dummies; see `_sweep`), unbalanced or not.
Covariance: cluster-robust sandwich (X'X)^-1 [sum_g (X_g'e_g)(X_g'e_g)'] (X'X)^-1 scaled
by n / (n - d - k), d effects and k slopes; p-values from t(n - d - k): what linearmodels
7 reports for two-way effects with entity clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class FEFit:
    """Coefficients, clustered standard errors, z statistics and p-values, in column order."""

    params: np.ndarray
    std_errors: np.ndarray
    tstats: np.ndarray
    pvalues: np.ndarray
    nobs: int
    n_entities: int


def _sweep(a: np.ndarray, entity: np.ndarray, time: np.ndarray, n_e: int, n_t: int) -> np.ndarray:
    """Residuals of the columns of `a` on entity and time dummies, exact, in one pass.

    By Frisch–Waugh: demean by entity (Z~ = M_E a), then take out the entity-demeaned
    period dummies, Z~ - (M_E D) g with g = (D'M_E D)^+ D'Z~. The small period x period
    system needs only the entity x period counts C: D'M_E D = diag(C'1) - C' diag(1/n_i) C,
    and (M_E D g) at row (i, t) is g_t - (C g)_i / n_i. Exact for unbalanced panels
    (alternating projections reach the same point only in the limit); the minimum-norm
    solution covers the dummies' collinearity with the constant.
    """
    cnt_e = np.bincount(entity, minlength=n_e).astype(float)
    per_e = np.maximum(cnt_e, 1.0)[:, None]
    z = a - (group_sums(a, entity, n_e) / per_e)[entity]
    counts = cell_counts(entity, time, n_e, n_t)
    dmd = np.diag(counts.sum(axis=0)) - (counts / per_e).T @ counts
    g = np.linalg.lstsq(dmd, group_sums(z, time, n_t), rcond=None)[0]  # n_t x k
    return z - g[time] + ((counts @ g) / per_e)[entity]


def cell_counts(entity: np.ndarray, time: np.ndarray, n_e: int, n_t: int) -> np.ndarray:
    """Rows per entity x period (n_e x n_t floats), by one bincount of the cell codes."""
    cells = np.bincount(entity * n_t + time, minlength=n_e * n_t)
    return cells.reshape(n_e, n_t).astype(float)


def dense_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)``: the distinct values, ascending, and each
    row's position among them. Small non-negative integers (account and period codes) are
    counted instead of sorted: the same answer, without sorting a million rows."""
    values = np.asarray(values)
    countable = values.dtype.kind in "iu" and values.size and values.min() >= 0
    if countable and values.max() < 4 * values.size + 1024:
        present = np.bincount(values) > 0
        return np.flatnonzero(present).astype(values.dtype), (np.cumsum(present) - 1)[values]
    return np.unique(values, return_inverse=True)


def group_sums(a: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """Column sums of `a` per group code (one bincount per column: np.add.at is ~10x slower)."""
    return np.column_stack([np.bincount(codes, weights=col, minlength=n) for col in a.T])


def two_way_fe(y: np.ndarray, X: np.ndarray, entity: np.ndarray, time: np.ndarray) -> FEFit:
    """Fit y = a_entity + d_time + X b + e; SEs clustered by entity.

    `entity` and `time` are integer codes (0..n-1) per row; rows must be complete.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    entity = np.asarray(entity)
    time = np.asarray(time)
    _, entity = dense_codes(entity)
    _, time = dense_codes(time)
    n_e, n_t = int(entity.max()) + 1, int(time.max()) + 1
    z = _sweep(np.column_stack([y, X]), entity, time, n_e, n_t)
    return clustered_fit(z, entity, n_e, absorbed=n_e + n_t - 1)  # effects incl. the constant


def clustered_fit(z: np.ndarray, entity: np.ndarray, n_e: int, absorbed: int) -> FEFit:
    """Least squares of the swept outcome ``z[:, 0]`` on the swept regressors ``z[:, 1:]``,
    with the cluster-robust sandwich by entity scaled by n / (n - absorbed - k) and p-values
    from t(n - absorbed - k): the conventions of linearmodels' PanelOLS, shared by every
    fixed-effects specification (`two_way_fe`, `rvq.stats.trendfe.two_way_fe_trends`)."""
    yd, Xd = z[:, 0], z[:, 1:]
    xtx_inv = np.linalg.inv(Xd.T @ Xd)
    beta = xtx_inv @ (Xd.T @ yd)
    resid = yd - Xd @ beta
    scores = group_sums(Xd * resid[:, None], entity, n_e)
    n = len(yd)
    df_resid = n - absorbed - Xd.shape[1]
    cov = xtx_inv @ (scores.T @ scores) @ xtx_inv * (n / df_resid)
    se = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = beta / se
    return FEFit(beta, se, t, 2 * stats.t.sf(np.abs(t), df_resid), n, n_e)
