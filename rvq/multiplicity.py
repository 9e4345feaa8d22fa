"""Multiple-testing adjustment, written once for every step that tests many hypotheses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def holm_adjust(p_values: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN stays NaN (and is not counted as a test).

    Holm controls the family-wise error rate over all the tests given (the back-test: every
    outcome x horizon; the lifecycle report: every component) under any dependence between
    them. The numbers equal statsmodels' ``multipletests(method="holm")`` (checked in the
    tests), which forces a ``gc.collect()`` per call: too slow for hundreds of simulated
    pilots.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size:
        order = np.argsort(p[ok])
        m = ok.size
        stepped = np.maximum.accumulate(p[ok][order] * (m - np.arange(m)))
        adj = np.empty(m)
        adj[order] = np.minimum(stepped, 1.0)
        out[ok] = adj
    return out
