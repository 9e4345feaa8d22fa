"""Account-block bootstrap on per-account sufficient statistics.

Every interval in the back-test resamples *accounts* (with replacement), never single
rows, so serial correlation within an account is kept intact (the cluster bootstrap).
Statistics are written as smooth functions of per-account sums (n, sum x, sum xy, SSE…):
a bootstrap replicate is then a weighted sum, ``counts @ sums``, with multinomial counts
(the number of times each account is drawn). That is exact for the resampling scheme and
vectorized: 100,000 accounts x 200 replicates is one matrix product per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np


def bootstrap_counts(
    n: int,
    n_boot: int,
    seed: int | tuple | np.random.Generator = 0,
    chunk: int = 50,
    *,
    reuse: bool = False,
) -> Iterator[np.ndarray]:
    """Multinomial resampling counts of `n` accounts, `chunk` replicates at a time.

    Yields (replicates x n) float arrays: how often each account is drawn in a replicate
    that draws `n` accounts with replacement. `n_boot` replicates in all. `reuse=True`
    yields one array, overwritten by the next chunk (for a caller that is done with each
    chunk before asking for the next): a fresh 40 MB array per chunk at 100,000 accounts
    costs more in page faults than counting.
    """
    rng = np.random.default_rng(seed)
    # int32 draws are the same numbers as the default int64 ones (numpy draws both from
    # 32-bit outputs when n < 2^32), half the memory to write and read
    dtype = np.int32 if n < 2**31 else np.int64
    buffer = np.empty((min(chunk, n_boot), n)) if reuse else None
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(size, n), dtype=dtype)
        # counted one replicate at a time: its n counters stay in cache (one bincount over
        # all replicates scatters into size x n counters, several times slower)
        counts = buffer[:size] if buffer is not None else np.empty((size, n))
        for row, drawn in zip(counts, idx, strict=True):
            row[:] = np.bincount(drawn, minlength=n)
        yield counts


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
    for counts in bootstrap_counts(n, n_boot, seed, chunk, reuse=True):
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
    auc = auc_given_weights(scores, labels)(np.atleast_2d(np.asarray(weights, dtype=float)))
    return auc if np.ndim(weights) > 1 else auc[0]


def auc_given_weights(
    scores: np.ndarray, labels: np.ndarray, groups: np.ndarray | None = None
) -> Callable[[np.ndarray], np.ndarray]:
    """`weighted_auc` for fixed scores and labels, as a function of the weights matrix.

    The sort is done once: the negatives are sorted by score, and every positive's place
    among them (strictly below, and below or tied) is found by binary search. A replicate
    is then one cumulative sum of the negatives' weights: its AUC is
    sum_i w_i (W_neg below s_i + W_neg tied with s_i / 2) / (W_pos W_neg).

    With `groups` (a code 0..G-1 per observation) the function takes one weight per group
    (replicates x G, e.g. an account bootstrap's counts) and every observation carries its
    group's weight: the same AUC as expanding the weights first, without the
    (replicates x observations) matrix. Whole counts (a bootstrap's) are summed in
    integers (`_auc_in_integers`): the same numbers, about twice as fast.
    """
    scores = np.asarray(scores, dtype=float)
    pos = np.asarray(labels, dtype=bool)
    neg_idx = np.flatnonzero(~pos)
    neg_idx = neg_idx[np.argsort(scores[neg_idx], kind="stable")]
    pos_idx = np.flatnonzero(pos)
    neg_sorted = scores[neg_idx]
    below = np.searchsorted(neg_sorted, scores[pos_idx], side="left")
    not_above = np.searchsorted(neg_sorted, scores[pos_idx], side="right")
    tied = np.flatnonzero(not_above > below)  # positives tied with some negative
    if groups is not None:
        neg_idx, pos_idx = groups[neg_idx], groups[pos_idx]
        per_weight = np.bincount(groups)  # observations per group
    else:
        per_weight = np.ones(len(scores))

    def auc(weights: np.ndarray) -> np.ndarray:
        if _counts_fit_int32(weights, per_weight):
            return _auc_in_integers(weights, neg_idx, pos_idx, below, not_above, tied)
        cum = np.zeros((len(weights), len(neg_idx) + 1))
        np.cumsum(weights[:, neg_idx], axis=1, out=cum[:, 1:])
        w_pos = weights[:, pos_idx]
        credit = cum[:, below]  # + half the tied negatives' weight, where there are any
        credit[:, tied] += 0.5 * (cum[:, not_above[tied]] - credit[:, tied])
        with np.errstate(invalid="ignore", divide="ignore"):
            return (w_pos * credit).sum(axis=1) / (w_pos.sum(axis=1) * cum[:, -1])

    return auc


def _counts_fit_int32(weights: np.ndarray, per_weight: np.ndarray) -> bool:
    """Whether `weights` are whole counts small enough for `_auc_in_integers`: every
    cumulative weight and product in int32, every sum of the AUC below 2^52 (so the float
    computation is exact too, and both give the same number)."""
    if weights.size == 0 or weights.min() < 0 or not np.array_equal(weights, np.floor(weights)):
        return False
    # the largest replicate's total weight (groups past the observed ones carry none)
    total = float((weights[:, : len(per_weight)] @ per_weight).max())
    return total * max(float(weights.max()), 1.0) < 2**31 and total * total < 2**52


def _auc_in_integers(
    weights: np.ndarray,
    neg_idx: np.ndarray,
    pos_idx: np.ndarray,
    below: np.ndarray,
    not_above: np.ndarray,
    tied: np.ndarray,
) -> np.ndarray:
    """`auc_given_weights`'s AUC for whole counts, in integers: twice the numerator is an
    integer, so the sums are exact in any order and equal to the float computation's
    (exact below 2^52, `_counts_fit_int32`); int32 gathers move half the bytes."""
    w = weights.astype(np.int32)
    cum = np.zeros((len(w), len(neg_idx) + 1), dtype=np.int32)
    np.cumsum(np.take(w, neg_idx, axis=1), axis=1, out=cum[:, 1:])
    w_pos = np.take(w, pos_idx, axis=1)
    credit = np.take(cum, below, axis=1)  # W_neg below each positive
    twice = 2 * (w_pos * credit).sum(axis=1, dtype=np.int64)
    tied_credit = np.take(cum, not_above[tied], axis=1) - np.take(credit, tied, axis=1)
    twice += (np.take(w_pos, tied, axis=1) * tied_credit).sum(axis=1, dtype=np.int64)
    pairs = w_pos.sum(axis=1, dtype=np.int64) * cum[:, -1].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (twice / 2) / pairs.astype(float)


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
