"""Account-block bootstrap on per-account sufficient statistics.

Every interval in the back-test resamples *accounts* (with replacement), never single
rows, so serial correlation within an account is kept intact (the cluster bootstrap).
Statistics are written as smooth functions of per-account sums (n, sum x, sum xy, SSE…):
a bootstrap replicate is then a weighted sum, ``counts @ sums``, with multinomial counts
(the number of times each account is drawn). That is exact for the resampling scheme and
vectorized: 100,000 accounts x 200 replicates is one matrix product per chunk.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def bootstrap_counts(
    n: int, n_boot: int, seed: int | tuple | np.random.Generator = 0, chunk: int = 50
) -> Iterator[np.ndarray]:
    """Multinomial resampling counts of `n` accounts, `chunk` replicates at a time.

    Yields (replicates x n) float arrays: how often each account is drawn in a replicate
    that draws `n` accounts with replacement. `n_boot` replicates in all.
    """
    rng = np.random.default_rng(seed)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        # drawn as n indices per replicate and counted in one bincount
        idx = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        yield np.bincount(idx.ravel(), minlength=size * n).reshape(size, n).astype(float)


def bootstrap_sums(
    sums: np.ndarray, n_boot: int, seed: int | tuple | np.random.Generator = 0, chunk: int = 50
) -> np.ndarray:
    """Resampled column totals of `sums` (accounts x statistics): returns n_boot x statistics.

    Each replicate draws as many accounts as there are rows, with replacement.
    """
    sums = np.asarray(sums, dtype=float)
    n = sums.shape[0]
    out = np.empty((n_boot, sums.shape[1]))
    if n == 0:
        out[:] = np.nan
        return out
    start = 0
    for counts in bootstrap_counts(n, n_boot, seed, chunk):
        out[start : start + len(counts)] = counts @ sums
        start += len(counts)
    return out


def weighted_auc(scores: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Area under the ROC curve of `scores` for binary `labels`, once per row of `weights`.

    AUC = P(score of a positive > score of a negative), ties counting half, with every
    observation counted `weights[r, i]` times in replicate r (a bootstrap's counts); unit
    weights give the ordinary AUC (sklearn's ``roc_auc_score``). `weights` is
    (replicates x observations) or one vector. NaN where a replicate lacks either class.
    """
    scores = np.asarray(scores, dtype=float)
    pos = np.asarray(labels, dtype=bool)
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    order = np.argsort(scores, kind="stable")
    s, pos, w = scores[order], pos[order], w[:, order]
    # tie groups of equal scores: a negative in the same group counts half
    new = np.r_[True, s[1:] != s[:-1]]
    group = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.r_[first[1:], len(s)] - 1
    cum_neg = np.cumsum(np.where(pos, 0.0, w), axis=1)
    neg_before = np.where(first > 0, cum_neg[:, first - 1], 0.0)  # below each tie group
    neg_in = cum_neg[:, last] - neg_before  # within it
    credit = neg_before[:, group] + 0.5 * neg_in[:, group]
    w_pos = np.where(pos, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (w_pos * credit).sum(axis=1) / (w_pos.sum(axis=1) * cum_neg[:, -1])
    return auc if np.ndim(weights) > 1 else auc[0]


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
