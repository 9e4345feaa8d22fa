"""Two-way fixed-effects least squares with account-clustered standard errors, fast.

The same estimator as linearmodels ``PanelOLS(y, X, entity_effects=True,
time_effects=True).fit(cov_type="clustered", cluster_entity=True)`` — the test suite
checks they agree to 1e-6 — written with numpy so the back-test can afford dozens of
regressions (outcomes x horizons x both directions, and hundreds of simulated pilots for
power) on 100,000 accounts. Effects are swept out by alternating projections (demean by
account, then by period, until nothing changes), which is exact for unbalanced panels.
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


def _sweep(
    a: np.ndarray,
    entity: np.ndarray,
    time: np.ndarray,
    n_e: int,
    n_t: int,
    tol: float = 1e-10,
    max_iter: int = 500,
) -> np.ndarray:
    """Residuals of the columns of `a` on entity and time dummies (alternating projections)."""
    out = a.copy()
    cnt_e = np.bincount(entity, minlength=n_e)[:, None]
    cnt_t = np.bincount(time, minlength=n_t)[:, None]
    scale = np.maximum(np.abs(a).max(axis=0), 1e-300)
    for _ in range(max_iter):
        before = out.copy()
        out -= (_group_sums(out, entity, n_e) / np.maximum(cnt_e, 1))[entity]
        out -= (_group_sums(out, time, n_t) / np.maximum(cnt_t, 1))[time]
        if np.max(np.abs(out - before) / scale) < tol:
            break
    return out


def _group_sums(a: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
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
    _, entity = np.unique(entity, return_inverse=True)
    _, time = np.unique(time, return_inverse=True)
    n_e, n_t = int(entity.max()) + 1, int(time.max()) + 1
    z = _sweep(np.column_stack([y, X]), entity, time, n_e, n_t)
    yd, Xd = z[:, 0], z[:, 1:]
    xtx_inv = np.linalg.inv(Xd.T @ Xd)
    beta = xtx_inv @ (Xd.T @ yd)
    resid = yd - Xd @ beta
    scores = _group_sums(Xd * resid[:, None], entity, n_e)
    n = len(y)
    df_resid = n - (n_e + n_t - 1) - Xd.shape[1]  # effects (incl. the constant) and slopes
    cov = xtx_inv @ (scores.T @ scores) @ xtx_inv * (n / df_resid)
    se = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = beta / se
    return FEFit(beta, se, t, 2 * stats.t.sf(np.abs(t), df_resid), n, n_e)
