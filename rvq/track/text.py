"""Figures as text for the lists' reasons, vectorised (100,000 rows in well under a second)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def fmt(values: pd.Series, spec: str) -> pd.Series:
    """``values`` as text by the printf ``spec`` (e.g. ``"%.1f"``), empty where missing."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
    text = np.char.mod(spec, np.nan_to_num(numbers)).astype(object)
    return pd.Series(np.where(np.isnan(numbers), "", text), index=values.index, dtype=object)
