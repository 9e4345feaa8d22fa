"""What every step-f result has in common: a summary table, shown as HTML in a notebook.

Each question's result (`rvq.stats.backtest.LeadingIndicatorResult`,
`rvq.stats.segments.DivergenceResult`, ..., `rvq.stats.dovssay.DoVsSayResult`) decides its
own verdict where it is estimated, writes its `summary.json` section with `to_dict()` and
reads it back with `from_dict()`, so a report renders the same object whether it comes
from the computation or from the JSON.
"""

from __future__ import annotations

import math
from typing import Any


class Result:
    """Mixin for a result class with a `summary()` frame: shown as that frame's HTML."""

    def _repr_html_(self) -> str:
        return self.summary().to_html()


def number(value: Any) -> float:
    """`value` as a float, NaN for None or anything not a finite number (JSON reads None)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return math.nan
    return value if math.isfinite(value) else math.nan


def interval_excludes_zero(low: Any, high: Any) -> bool:
    """True when a 95% interval lies wholly above or below zero: "a clear difference"."""
    low, high = number(low), number(high)
    return math.isfinite(low) and (low > 0 or high < 0)
