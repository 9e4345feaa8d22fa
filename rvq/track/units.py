"""Partners and business units compared by RV depth, without revealing contacts or
interactions (`unit_comparison`; the RV method's use case 3).

One row per unit of an accounts column -- ``partner`` or ``business_unit`` (both when
both are given; ``unit_kind`` says which) -- built only from unit-level aggregates of the
accounts' depth (``rv_cum``) at ``as_of``, over the accounts with at least one interaction:

* ``accounts``, the depth quantiles ``p10`` ... ``p90`` and ``mean_depth`` with a 95%
  t interval;
* ``difference_from_rest``: the unit's mean depth minus that of the other units' accounts
  (95% Welch interval) -- the comparison a partner manager asks for;
* ``mean_position``: the accounts' mean percentile among the accounts of the same stage
  and relationship age (:mod:`rvq.track.stages`; 50 is the book's typical), with a 95%
  t interval: fair to a unit whose accounts are younger or earlier in the lifecycle.

The **small-cell rule** (:mod:`rvq.privacy`): a unit with fewer than
``min_cell_accounts`` accounts shows no figure, not even its count -- its reason says it
is suppressed -- and its accounts are left out of the other units' "rest of the book", so
no difference of shown figures gives it away. The default is the pilot's ``privacy.min_cell_accounts`` default; `rvq
track` passes the client's setting.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from rvq.config import PrivacyConfig
from rvq.privacy import small_cell_mask, suppressed_text
from rvq.track.history import TrackHistory, TrackList
from rvq.track.stages import stage_panel

NAME = "unit_comparison"
TITLE = "Partners and business units compared by RV depth (unit-level figures only)"
UNIT_COLUMNS = ("partner", "business_unit")
QUANTILES = (10, 25, 50, 75, 90)

FIGURES = [
    "accounts",
    *(f"p{q}" for q in QUANTILES),
    "mean_depth",
    "mean_ci_low",
    "mean_ci_high",
    "difference_from_rest",
    "difference_ci_low",
    "difference_ci_high",
    "mean_position",
    "position_ci_low",
    "position_ci_high",
]
COLUMNS = ["unit_kind", "unit", *FIGURES, "reason"]


def _small_units(counts: pd.Series, k: int) -> np.ndarray:
    """True for the units with fewer than ``k`` (and more than zero) accounts."""
    return np.asarray(small_cell_mask(counts, k)).ravel()


def _t_interval(mean: pd.Series, sd: pd.Series, n: pd.Series) -> tuple[pd.Series, pd.Series]:
    with np.errstate(divide="ignore", invalid="ignore"):
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = half.where(n > 1)
    return mean - half, mean + half


def _one_kind(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    groups = frame.groupby(kind, observed=True)
    depth, position = groups["rv_cum"], groups["depth_rank"]
    table = pd.DataFrame({"accounts": groups.size()})
    for q in QUANTILES:
        table[f"p{q}"] = depth.quantile(q / 100)
    table["mean_depth"] = depth.mean()
    table["mean_ci_low"], table["mean_ci_high"] = _t_interval(
        table["mean_depth"], depth.std(), table["accounts"]
    )
    # the rest of the book: totals minus the unit's
    n, total, squares = len(frame), frame["rv_cum"].sum(), (frame["rv_cum"] ** 2).sum()
    sums, sq = depth.sum(), (frame["rv_cum"] ** 2).groupby(frame[kind], observed=True).sum()
    n_rest = n - table["accounts"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rest_mean = (total - sums) / n_rest
        rest_var = ((squares - sq) - n_rest * rest_mean**2) / (n_rest - 1)
        var_unit, var_rest = depth.var() / table["accounts"], rest_var / n_rest
        se = np.sqrt(var_unit + var_rest)
        dof = (var_unit + var_rest) ** 2 / (
            var_unit**2 / (table["accounts"] - 1) + var_rest**2 / (n_rest - 1)
        )
        half = stats.t.ppf(0.975, dof) * se
    table["difference_from_rest"] = table["mean_depth"] - rest_mean
    table["difference_ci_low"] = table["difference_from_rest"] - half
    table["difference_ci_high"] = table["difference_from_rest"] + half
    table["mean_position"] = position.mean()
    table["position_ci_low"], table["position_ci_high"] = _t_interval(
        table["mean_position"], position.std(), table["accounts"]
    )
    table = table.reset_index().rename(columns={kind: "unit"})
    table.insert(0, "unit_kind", kind)
    return table


def _reason(row: pd.Series) -> str:
    if pd.isna(row["accounts"]):
        return row["reason"]
    text = (
        f"Median depth {row['p50']:.1f} (middle half {row['p25']:.1f} to {row['p75']:.1f}) "
        f"over {int(row['accounts']):,} accounts; mean {row['mean_depth']:.1f}"
    )
    low, high = row["difference_ci_low"], row["difference_ci_high"]
    if pd.notna(low):
        text += (
            f", {row['difference_from_rest']:+.1f} against the other units' accounts "
            f"(95% interval {low:+.1f} to {high:+.1f})"
        )
    text += f"; at the {row['mean_position']:.0f}th percentile of their stage-and-age peers"
    if pd.notna(low) and low > 0:
        return text + " on average: deeper than the rest of the book."
    if pd.notna(high) and high < 0:
        return text + " on average: shallower than the rest of the book."
    return text + " on average: no clear difference from the rest of the book."


def unit_comparison(
    history: TrackHistory,
    *,
    by: str | Sequence[str] | None = None,
    min_cell_accounts: int | None = None,
) -> TrackList:
    """Depth distributions per partner / business unit, small cells suppressed (module
    doc). ``by``: the accounts column(s) to compare by (default: whichever of
    ``partner`` and ``business_unit`` the accounts table has)."""
    k = PrivacyConfig().min_cell_accounts if min_cell_accounts is None else min_cell_accounts
    kinds = [by] if isinstance(by, str) else list(by or UNIT_COLUMNS)
    kinds = [c for c in kinds if c in history.accounts.columns]
    if not kinds or history.events.empty:
        why = (
            "No partner or business_unit column was given on the accounts table: add one to "
            "compare units."
            if not kinds
            else "No interactions were given: no depth to compare."
        )
        return TrackList.empty(NAME, TITLE, why, COLUMNS)
    panel = stage_panel(history)
    now = panel.loc[(panel["period"] == history.as_of) & panel["age"].notna()]
    units = history.accounts[["account_id", *kinds]].drop_duplicates("account_id")
    now = now[["account_id", "rv_cum", "depth_rank"]].merge(units, on="account_id", how="left")

    tables, unassigned = [], {}
    for kind in kinds:
        frame = now.dropna(subset=[kind])
        frame = frame.assign(**{kind: frame[kind].astype(str)})
        unassigned[kind] = int(now[kind].isna().sum())
        counts = frame[kind].value_counts()
        hidden = counts.index[_small_units(counts, k)]
        # a suppressed unit's accounts are left out of every figure, the rest included
        shown = _one_kind(frame.loc[~frame[kind].isin(hidden)], kind)
        suppressed = pd.DataFrame({"unit_kind": kind, "unit": sorted(hidden)})
        tables.append(pd.concat([shown, suppressed], ignore_index=True))
    table = pd.concat(tables, ignore_index=True).sort_values(["unit_kind", "unit"])
    table = table.reset_index(drop=True)
    small = table["accounts"].isna()
    table["reason"] = ""
    table.loc[small, "reason"] = (
        f"Figures {suppressed_text(k)}: the small-cell rule hides units this small."
    )
    table["reason"] = table.apply(_reason, axis=1)
    table = table[COLUMNS]
    shown = table.loc[~small]
    deeper = shown.loc[shown["difference_ci_low"] > 0, "unit"].tolist()
    shallower = shown.loc[shown["difference_ci_high"] < 0, "unit"].tolist()
    evidence = {
        "unit_columns": kinds,
        "min_cell_accounts": k,
        "suppressed_units": int(small.sum()),
        "accounts_without_unit": unassigned,
        "deeper": deeper,
        "shallower": shallower,
        "interval": "95% t interval (means), Welch (difference from the rest of the book)",
    }
    parts = [f"{len(shown):,} units compared by RV depth"]
    if deeper:
        parts.append("deeper than the rest: " + ", ".join(deeper))
    if shallower:
        parts.append("shallower: " + ", ".join(shallower))
    if small.any():
        parts.append(f"{int(small.sum())} suppressed (fewer than {k} accounts)")
    return TrackList(NAME, TITLE, table, evidence, "; ".join(parts) + ".")
