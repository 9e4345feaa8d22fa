"""Plain JSON data from numpy, pandas and pydantic values: the one sanitizer that
findings, `summary.json` and result `to_dict()`s go through."""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def to_jsonable(value: Any) -> Any:
    """`value` as plain JSON data: numpy and pandas scalars unwrapped, NaN/inf as None,
    frames as lists of records, periods and timestamps as ISO strings."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(row) for row in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return [to_jsonable(v) for v in items]
    if isinstance(value, (pd.Period, pd.Timestamp, dt.date, dt.datetime)):
        return str(value) if isinstance(value, pd.Period) else value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "model_dump"):  # pydantic models
        return to_jsonable(value.model_dump(mode="json"))
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict())
    raise TypeError(f"cannot record a {type(value).__name__} as JSON findings: {value!r:.80}")
