"""Account-block bootstrap on per-account sufficient statistics.

Every interval in the back-test resamples *accounts* (with replacement), never single
rows, so serial correlation within an account is kept intact (the cluster bootstrap).
Statistics are written as smooth functions of per-account sums (n, sum x, sum xy, SSE…):
a bootstrap replicate is then a weighted sum, ``counts @ sums``, with multinomial counts
(the number of times each account is drawn). That is exact for the resampling scheme and
vectorized: 100,000 accounts x 200 replicates is one matrix product per chunk.
"""

from __future__ import annotations

import numpy as np


def bootstrap_sums(
    sums: np.ndarray, n_boot: int, seed: int | tuple | np.random.Generator = 0, chunk: int = 50
) -> np.ndarray:
    """Resampled column totals of `sums` (accounts x statistics): returns n_boot x statistics.

    Each replicate draws as many accounts as there are rows, with replacement.
    """
    sums = np.asarray(sums, dtype=float)
    n = sums.shape[0]
    rng = np.random.default_rng(seed)
    out = np.empty((n_boot, sums.shape[1]))
    if n == 0:
        out[:] = np.nan
        return out
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        # multinomial counts, drawn as n indices per replicate and counted in one bincount
        idx = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        counts = np.bincount(idx.ravel(), minlength=size * n).reshape(size, n).astype(float)
        out[start : start + size] = counts @ sums
    return out


def percentile_interval(draws: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Equal-tailed percentile interval of bootstrap draws (NaN draws ignored)."""
    draws = np.asarray(draws, dtype=float)
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(draws, [tail, 100 - tail])
    return float(lo), float(hi)


def pearson_from_sums(s: np.ndarray) -> np.ndarray:
    """Pearson correlation from totals [n, Sx, Sy, Sxx, Syy, Sxy] (last axis)."""
    n, sx, sy, sxx, syy, sxy = (s[..., i] for i in range(6))
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        vx = sxx - sx**2 / n
        vy = syy - sy**2 / n
        return cov / np.sqrt(vx * vy)


def pearson_sums(x: np.ndarray, y: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-group [n, Sx, Sy, Sxx, Syy, Sxy] over the pairs where both x and y are finite."""
    ok = np.isfinite(x) & np.isfinite(y)
    g = groups[ok]
    x, y = x[ok], y[ok]
    cols = [np.ones_like(x), x, y, x * x, y * y, x * y]
    return np.stack([np.bincount(g, weights=c, minlength=n_groups) for c in cols], axis=1)
