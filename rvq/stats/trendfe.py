"""Two-way fixed effects plus account-specific linear trends, clustered by account.

Model: ``y[i,t] = a_i + g_i * t + d_t + X[i,t] b + e[i,t]``: every account has its own
level (a_i) AND its own growth rate (g_i); d_t takes out what all accounts share in a
period. This is the robustness specification of the lead test (`rvq.stats.identification`):
accounts that grow get more interactions and more money, and period effects remove only
the trend all accounts share, so a regressor that merely trends with the outcome within
an account looks like a predictor until each account's own trend is removed.

Estimation is by Frisch–Waugh, exact for unbalanced panels and vectorized over accounts:
project every column on each account's [1, t] (closed-form 2x2 least squares per account),
then take out the period dummies residualized the same way (a small period x period
system, as in `rvq.stats.panelfe`). An account with a single row keeps only its level
(its trend is not identified). Covariance: the cluster-robust sandwich by account, scaled
by n / (n - d - k) with d absorbed parameters (levels, trends, periods, less the constant
and the common linear trend that both span) and k slopes,
p-values from t(n - d - k) — the same conventions as `rvq.stats.panelfe.two_way_fe`
(linearmodels' PanelOLS). The tests check the coefficients against statsmodels OLS with
explicit account, account x t and period dummies.
"""

from __future__ import annotations

import numpy as np

from rvq.stats.panelfe import FEFit, cell_counts, clustered_fit, dense_codes, group_sums


def _sweep_trends(
    a: np.ndarray, entity: np.ndarray, time: np.ndarray, tau: np.ndarray, n_e: int
) -> tuple[np.ndarray, int]:
    """Residuals of the columns of `a` on account levels, account trends and period
    dummies, and the number of account trends that were identified.

    `entity` and `time` are codes (0..n-1); `tau` is each period code's t (the trend's
    clock, so gaps between periods keep their spacing).
    """
    n_t = len(tau)
    t = tau[time]
    n = np.bincount(entity, minlength=n_e).astype(float)
    st = np.bincount(entity, weights=t, minlength=n_e)
    stt = np.bincount(entity, weights=t * t, minlength=n_e)
    det = n * stt - st**2
    slope = det > 1e-9 * np.maximum(n * stt, 1.0)  # two distinct periods or more
    det = np.where(slope, det, 1.0)
    # (Z_i'Z_i)^-1 for Z_i = [1, t]; a level only where the trend is not identified
    a00 = np.where(slope, stt / det, 1.0 / np.maximum(n, 1.0))
    a01 = np.where(slope, -st / det, 0.0)
    a11 = np.where(slope, n / det, 0.0)

    def account_residuals(b: np.ndarray) -> np.ndarray:
        s0, s1 = group_sums(b, entity, n_e), group_sums(b * t[:, None], entity, n_e)
        c0 = a00[:, None] * s0 + a01[:, None] * s1
        c1 = a01[:, None] * s0 + a11[:, None] * s1
        return b - c0[entity] - c1[entity] * t[:, None]

    z = account_residuals(a)
    counts = cell_counts(entity, time, n_e, n_t)
    ct = counts * tau[None, :]
    # D'M D for the period dummies D after the account projection M
    dmd = (
        np.diag(counts.sum(axis=0))
        - (counts.T * a00) @ counts
        - (counts.T * a01) @ ct
        - (ct.T * a01) @ counts
        - (ct.T * a11) @ ct
    )
    g = np.linalg.lstsq(dmd, group_sums(z, time, n_t), rcond=None)[0]
    cg, ctg = counts @ g, ct @ g
    md_g = g[time] - (a00[:, None] * cg + a01[:, None] * ctg)[entity]
    md_g -= (a01[:, None] * cg + a11[:, None] * ctg)[entity] * t[:, None]
    return z - md_g, int(slope.sum())


def two_way_fe_trends(y: np.ndarray, X: np.ndarray, entity: np.ndarray, time: np.ndarray) -> FEFit:
    """Fit y = a_entity + g_entity * time + d_time + X b + e; SEs clustered by entity.

    `entity` are codes or labels per row, `time` integer period indices (their values
    are the trend's t); rows must be complete.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    _, entity = dense_codes(entity)
    periods, time = dense_codes(time)
    n_e, n_t = int(entity.max()) + 1, len(periods)
    tau = periods.astype(float) - float(periods.min())  # centred clock: better conditioned
    z, n_slopes = _sweep_trends(np.column_stack([y, X]), entity, time, tau, n_e)
    # absorbed: levels, identified trends, periods; minus the constant and the common
    # linear trend, each spanned twice (by the levels / trends and by the period dummies)
    absorbed = n_e + n_slopes + n_t - 1 - (n_slopes > 0)
    return clustered_fit(z, entity, n_e, absorbed=int(absorbed))
