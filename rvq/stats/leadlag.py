"""Lead–lag profile: within-account association of RV at t with the outcome at t+k.

For k = -K..K, the Pearson correlation, pooled over accounts, of the *within-account*
deviations (each series minus its account mean) of RV at t and the outcome at t+k.
k > 0 means RV comes first. Account means are removed so that big accounts having both
more RV and more money does not count as a lead; what is left is whether an account's RV
moving above its own norm precedes (k > 0) or follows (k < 0) its outcome doing so.
Intervals: account-block bootstrap (accounts resampled, `rvq.stats.resample`). The profile is
descriptive (no control for the outcome's own history): the tests that decide "leading"
are the fixed-effects regression, the panel Granger test and out-of-time validation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rvq.stats.resample import bootstrap_sums, pearson_from_sums, pearson_sums, percentile_interval

#: the columns of a lead-lag profile, present even when no pair could be formed
LEAD_LAG_COLUMNS = ("rv", "outcome", "k", "corr", "ci_low", "ci_high", "n_pairs")


def _wide_within(panel: pd.DataFrame, col: str, entity: str, time: str) -> np.ndarray:
    """Accounts x periods of `col`, each row minus its account's mean over observed cells.

    An account without any observed value (e.g. one that never answered a survey) stays
    all-NaN: it has no mean and contributes no pairs.
    """
    wide = panel.pivot(index=entity, columns=time, values=col).sort_index(axis=1)
    a = wide.to_numpy(dtype=float)
    seen = np.isfinite(a)
    count = seen.sum(axis=1, keepdims=True)
    total = np.where(seen, a, 0.0).sum(axis=1, keepdims=True)
    mean = np.divide(total, count, out=np.full(count.shape, np.nan), where=count > 0)
    return a - mean


def lead_lag_profile(
    panel: pd.DataFrame,
    outcome: str,
    *,
    rv: tuple[str, ...] = ("rv_flow", "rv_cum"),
    max_lag: int = 4,
    n_boot: int = 200,
    seed: int = 0,
    entity: str = "account_id",
    time: str = "period_index",
) -> pd.DataFrame:
    """Tidy frame: rv, outcome, k, corr, ci_low, ci_high, n_pairs (k > 0: RV leads)."""
    wide_y = _wide_within(panel, outcome, entity, time)
    n_acc, T = wide_y.shape
    rows = []
    if n_acc == 0:
        return pd.DataFrame(columns=list(LEAD_LAG_COLUMNS))
    groups = np.repeat(np.arange(n_acc), T)
    for r_i, col in enumerate(rv):
        if col not in panel:
            continue
        wide_x = _wide_within(panel, col, entity, time)
        for k in range(-max_lag, max_lag + 1):
            if abs(k) >= T - 1:
                continue
            x = np.full_like(wide_x, np.nan)
            y = np.full_like(wide_y, np.nan)
            if k >= 0:
                x[:, : T - k] = wide_x[:, : T - k]
                y[:, : T - k] = wide_y[:, k:]
            else:
                x[:, -k:] = wide_x[:, -k:]
                y[:, -k:] = wide_y[:, : T + k]
            sums = pearson_sums(x.ravel(), y.ravel(), groups, n_acc)
            corr = float(pearson_from_sums(sums.sum(axis=0)))
            draws = pearson_from_sums(bootstrap_sums(sums, n_boot, (seed, r_i, k + max_lag)))
            lo, hi = percentile_interval(draws)
            rows.append((col, outcome, k, corr, lo, hi, int(sums[:, 0].sum())))
    return pd.DataFrame(rows, columns=list(LEAD_LAG_COLUMNS))
