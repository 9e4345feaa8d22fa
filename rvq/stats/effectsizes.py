"""Effect sizes of group A against group B, with account bootstrap intervals: Cohen's d
(difference in pooled SDs) and Cliff's delta (P(A > B) − P(A < B), robust to outliers).

Shared by the segment questions (`rvq.stats.segments`, `rvq.stats.divergence`) and the
report's tables: what "clearly differs" means is decided here once (`clear_difference`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rvq.stats.resample import percentile_interval
from rvq.stats.results import interval_excludes_zero, number


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """(mean a − mean b) / pooled SD."""
    a, b = _finite(a), _finite(b)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    pooled = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    return float((a.mean() - b.mean()) / np.sqrt(pooled)) if pooled > 0 else float("nan")


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """P(A > B) − P(A < B) over all pairs (ties count half), via ranks: 2·AUC − 1."""
    a, b = _finite(a), _finite(b)
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([a, b]))
    u = ranks[: len(a)].sum() - len(a) * (len(a) + 1) / 2
    return float(2 * u / (len(a) * len(b)) - 1)


def _finite(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


def effect_sizes(a, b, *, n_boot: int = 200, seed: int = 0) -> dict:
    """Cohen's d and Cliff's delta of a vs b, with 95% bootstrap intervals (resampling
    accounts within each group)."""
    a, b = _finite(a), _finite(b)
    out = {
        "n_a": len(a),
        "n_b": len(b),
        "mean_a": _mean(a),
        "mean_b": _mean(b),
        "cohens_d": cohens_d(a, b),
        "cliffs_delta": cliffs_delta(a, b),
    }
    if len(a) < 2 or len(b) < 2:
        return {
            **out,
            "d_ci_low": np.nan,
            "d_ci_high": np.nan,
            "delta_ci_low": np.nan,
            "delta_ci_high": np.nan,
        }
    d_draws, delta_draws = _bootstrap_effect_sizes(a, b, n_boot, seed)
    out["d_ci_low"], out["d_ci_high"] = percentile_interval(d_draws)
    out["delta_ci_low"], out["delta_ci_high"] = percentile_interval(delta_draws)
    return out


def _bootstrap_effect_sizes(
    a: np.ndarray, b: np.ndarray, n_boot: int, seed: int, chunk: int = 25
) -> tuple[np.ndarray, np.ndarray]:
    """Cohen's d and Cliff's delta of `n_boot` resamples (accounts drawn with replacement
    within each group), as weighted statistics of the original values.

    A resample is a vector of counts (how often each account is drawn), so Cohen's d comes
    from weighted moments and Cliff's delta from weighted counts of the B values below and
    above each A value (positions found once by binary search in sorted B): no re-ranking
    per replicate. The draws are the same as resampling the values one replicate at a time.
    """
    rng = np.random.default_rng(seed)
    na, nb = len(a), len(b)
    center = np.concatenate([a, b]).mean()  # d is shift-invariant; centering keeps sums small
    a_c, b_c = a - center, b - center
    b_order = np.argsort(b, kind="stable")
    b_sorted = b[b_order]
    below = np.searchsorted(b_sorted, a, side="left")  # B values < a_i
    not_above = np.searchsorted(b_sorted, a, side="right")  # B values <= a_i
    tied = np.flatnonzero(not_above > below)  # A values equal to some B value
    # int32 draws are the default int64 draws' numbers (`rvq.stats.resample.bootstrap_counts`)
    dtype = np.int32 if max(na, nb) < 2**31 else np.int64
    d_draws, delta_draws = np.empty(n_boot), np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        wa, wb = np.empty((size, na)), np.empty((size, nb))
        for r in range(size):  # the same order of draws as one replicate at a time
            wa[r] = np.bincount(rng.integers(0, na, na, dtype=dtype), minlength=na)
            wb[r] = np.bincount(rng.integers(0, nb, nb, dtype=dtype), minlength=nb)
        ma, mb = wa @ a_c / na, wb @ b_c / nb
        va = (wa @ a_c**2 - na * ma**2) / (na - 1)
        vb = (wb @ b_c**2 - nb * mb**2) / (nb - 1)
        pooled = ((na - 1) * va + (nb - 1) * vb) / (na + nb - 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            d_draws[start : start + size] = np.where(
                pooled > 0, (ma - mb) / np.sqrt(pooled), np.nan
            )
        cum = np.zeros((size, nb + 1))
        np.cumsum(wb[:, b_order], axis=1, out=cum[:, 1:])
        # sum_j wb_j sign(a_i - b_j) = W_B below a_i - W_B above a_i (integers: exact);
        # the second gather only where a_i has ties in B
        below_w = cum[:, below]
        wins = below_w - (nb - below_w)
        wins[:, tied] = below_w[:, tied] - (nb - cum[:, not_above[tied]])
        delta_draws[start : start + size] = (wa * wins).sum(axis=1) / (na * nb)
    return d_draws, delta_draws


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else float("nan")


def clear_difference(stats: Mapping[str, Any] | None) -> bool:
    """Whether two groups clearly differ: the 95% interval of Cohen's d excludes zero."""
    return bool(stats) and interval_excludes_zero(stats.get("d_ci_low"), stats.get("d_ci_high"))


def effect_row(name: str, verdict: str, stats: Mapping[str, Any] | None) -> dict:
    stats = stats or {}
    return {
        "question": name,
        "verdict": verdict,
        "n_a": stats.get("n_a"),
        "n_b": stats.get("n_b"),
        "cohens_d": number(stats.get("cohens_d")),
        "d_ci_low": number(stats.get("d_ci_low")),
        "d_ci_high": number(stats.get("d_ci_high")),
    }
