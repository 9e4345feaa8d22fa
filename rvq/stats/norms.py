"""Norms: what is normal for a relationship of a given age, and who departs from it.

The seed's "compare individual contacts to any aggregate and subsets within aggregates
to see what is normal and manage to that normal", made precise:

* A **norm** is the distribution of a panel value (relationship depth ``rv_cum`` by
  default) among the entities -- accounts, or contacts -- of the same relationship age
  (periods since the first interaction), for the whole book or within a subset (any
  column of the panel or of the ``accounts`` table: industry, territory, team,
  contact_source, company size band, community_role, a lifecycle stage column, ...).
  :func:`norm_bands` gives its percentiles (linear interpolation between order
  statistics, numpy's default, Hyndman-Fan type 7). A norm with fewer than
  ``min_accounts`` entities is not shown: too few peers to call anything normal.
* **Small cells** (:mod:`rvq.privacy`): a norm also counts the distinct accounts behind
  it (``n_accounts``); one built from fewer than the pilot's ``min_cell_accounts`` is
  suppressed wherever it is shown (:func:`subset_median_table`,
  :func:`drop_small_norms`). For a contact panel this is not ``n``: thirty contacts of
  two accounts would still reveal those two accounts.
* An entity's **position** (:func:`position_against_norm`) is its mid-rank percentile
  among its peers -- the entities of its norm at the same age: ``100 * (number below +
  half the number equal) / peers``, so the median entity sits at 50.
* **Exceptions** (:func:`flag_exceptions`), each over the last ``k`` periods (default 3)
  of an entity with ``age >= k``:

  - ``stalled``: ``|rv_flow| <= near_zero`` in each of the last ``k`` periods while the value
    is below its norm's median (``near_zero`` defaults to 5% of the median absolute
    non-zero flow of the panel);
  - ``falling_behind``: the value is below its norm's 25th percentile and its percentile
    rank is lower than ``k`` periods earlier;
  - ``declining``: ``rv_flow < 0`` in each of the last ``k`` periods.

  An entity may carry several flags (one row each); each row says why in plain words.

The panel must be complete and sorted per entity (as :mod:`rvq.scoring.panels` makes it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rvq import privacy

DEFAULT_PERCENTILES = (10, 25, 50, 75, 90)
#: fewer peers than this at an age: no norm
MIN_ACCOUNTS = 20
#: periods an exception rule looks back over
LOOKBACK = 3
FLAGS = ("stalled", "falling_behind", "declining")


def entity_keys(panel: pd.DataFrame) -> list[str]:
    """The id columns of a panel's entities: contacts when it has ``contact_id``."""
    return ["account_id", "contact_id"] if "contact_id" in panel.columns else ["account_id"]


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def with_attributes(
    panel: pd.DataFrame, by: str | Sequence[str] | None, accounts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The panel with the subset columns ``by`` joined from ``accounts`` where it lacks them."""
    missing = [col for col in _by_list(by) if col not in panel.columns]
    if not missing:
        return panel
    if accounts is None or not set(missing) <= set(accounts.columns):
        raise ValueError(f"subset column(s) {missing} are in neither the panel nor `accounts`")
    attributes = accounts[["account_id", *missing]].drop_duplicates("account_id")
    return panel.merge(attributes, on="account_id", how="left", validate="many_to_one")


def company_size_band(
    company_revenue: pd.Series, labels: Sequence[str] = ("small", "mid", "large")
) -> pd.Series:
    """Company size as equal-count bands of ``company_revenue`` (terciles by default)."""
    return pd.qcut(company_revenue, q=len(labels), labels=list(labels))


def _percentile_columns(percentiles: Sequence[float]) -> list[str]:
    return [f"p{p:g}" for p in percentiles]


def norm_bands(
    panel: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    value: str = "rv_cum",
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    min_accounts: int = MIN_ACCOUNTS,
    accounts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Percentile bands of ``value`` by relationship age (and by the subset columns ``by``).

    One row per subset and age with ``n`` (entities: accounts, or contacts for a contact
    panel -- the peers an entity is ranked among, which ``min_accounts`` bounds),
    ``n_accounts`` (distinct accounts behind them: what small-cell suppression counts,
    see :mod:`rvq.privacy`; equal to ``n`` for an account panel) and one column per
    percentile (``p10``, ``p25``, ...). Rows before an entity's first interaction (age
    NaN) are not part of any norm; norms with fewer than ``min_accounts`` entities are
    dropped.
    """
    by = _by_list(by)
    contacts = "contact_id" in panel.columns
    columns = [*by, "age", value] + (["account_id"] if contacts else [])
    # only the columns a norm reads are joined (not a copy of the whole panel per subset)
    own = [c for c in dict.fromkeys(["account_id", *columns]) if c in panel.columns]
    frame = with_attributes(panel[own], by, accounts)
    frame = frame.loc[frame["age"].notna(), columns]
    frame = frame.assign(age=frame["age"].astype(np.int64)).dropna(subset=by)
    if frame.empty:  # e.g. a subset column the accounts table leaves blank: no norm
        columns = [*by, "age", "n", "n_accounts", *_percentile_columns(percentiles)]
        return pd.DataFrame(columns=columns)
    grouped = frame.groupby([*by, "age"], observed=True, sort=True)
    groups = grouped[value]
    counts = groups.size().rename("n")
    n_accounts = grouped["account_id"].nunique() if contacts else counts
    quantiles = groups.quantile([p / 100 for p in percentiles]).unstack(level=-1)
    quantiles.columns = _percentile_columns(percentiles)
    bands = pd.concat([counts, n_accounts.rename("n_accounts"), quantiles], axis=1)
    bands = bands.reset_index()
    return bands.loc[bands["n"] >= min_accounts].reset_index(drop=True)


def drop_small_norms(bands: pd.DataFrame, k: int = 0) -> pd.DataFrame:
    """``bands`` without the norms built from fewer than ``k`` accounts (``n_accounts``;
    ``k`` is a pilot's ``privacy.min_cell_accounts``, 0: keep all)."""
    small = privacy.small_cell_mask(bands["n_accounts"], k)
    return bands.loc[~small].reset_index(drop=True)


def subset_median_table(
    bands: pd.DataFrame,
    by: str | Sequence[str],
    k: int = 0,
    percentile: str = "p50",
) -> pd.DataFrame:
    """The subsets' medians (or another ``percentile`` column) by age as a wide table: one
    row per subset, one column per age. A cell built from fewer than ``k`` accounts (a
    pilot's ``privacy.min_cell_accounts``; 0: none) reads "suppressed (< k
    accounts)"; a cell with no norm (too few peers) is missing."""
    by = _by_list(by)
    if not by:
        raise ValueError("subset_median_table needs the subset column(s) `by`")
    index = by[0] if len(by) == 1 else by
    values = bands.pivot(index=index, columns="age", values=percentile)
    counts = bands.pivot(index=index, columns="age", values="n_accounts")
    return privacy.suppress_small_cells_by_cell(values, counts, k)


def position_against_norm(
    panel: pd.DataFrame,
    bands: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    value: str = "rv_cum",
    accounts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each entity and period against its norm: bands alongside, and its percentile rank.

    Returns the ids, ``period``, ``age``, ``value`` column, the ``by`` columns, the band
    columns of its norm and ``norm_percentile`` (mid-rank percentile among the panel's
    entities of the same subset and age; NaN where there is no norm) and ``vs_median``
    (value minus the norm's median). Rank and bands agree when both come from one panel.
    """
    by = _by_list(by)
    keys = entity_keys(panel)
    extra = [c for c in ("rv_flow",) if c in panel.columns and c != value]
    frame = with_attributes(panel, by, accounts)
    frame = frame[[*keys, "period", "age", value, *extra, *by]].copy()
    aged = frame["age"].notna()
    group_keys = [*by, "age"]
    ranks = frame.loc[aged].groupby(group_keys, observed=True)[value]
    peers = ranks.transform("size")
    mid_rank = ranks.rank(method="average")
    frame["norm_percentile"] = np.nan
    frame.loc[aged, "norm_percentile"] = 100.0 * (mid_rank - 0.5) / peers
    band_columns = [c for c in bands.columns if c not in (*by, "age")]
    bands = bands.astype({"age": "float64"})
    merged = frame.merge(bands, on=group_keys, how="left", validate="many_to_one")
    merged.loc[merged["n"].isna(), "norm_percentile"] = np.nan
    norm_names = {"n": "norm_n", "n_accounts": "norm_n_accounts"}
    merged = merged.rename(columns=norm_names)
    if "p50" in merged.columns:
        merged["vs_median"] = merged[value] - merged["p50"]
    band_columns = [norm_names.get(c, c) for c in band_columns]
    ordered = [*keys, "period", "age", value, *extra, *by, *band_columns, "norm_percentile"]
    return merged[ordered + (["vs_median"] if "vs_median" in merged.columns else [])]


def _last_k_all(condition: pd.Series, groups: list[pd.Series], k: int) -> pd.Series:
    """True where ``condition`` held in this row and the k-1 rows before it, per entity."""
    running = condition.astype(np.int64).groupby(groups).cumsum()
    before = running.groupby(groups).shift(k).fillna(0)
    within = condition.groupby(groups).cumcount() >= k - 1
    return ((running - before) == k) & within


def _last_k_sum(values: pd.Series, groups: list[pd.Series], k: int) -> pd.Series:
    """Sum of this row and the k-1 rows before it, per entity."""
    running = values.groupby(groups).cumsum()
    return running - running.groupby(groups).shift(k).fillna(0)


def _fmt(values: pd.Series, spec: str = "{:.1f}") -> pd.Series:
    return values.map(spec.format)


def _reasons(flag: str, rows: pd.DataFrame, value: str, k: int, near_zero: float) -> pd.Series:
    """Plain-words reasons for the flagged rows (formatted for those rows only)."""
    age = _fmt(rows["age"], "{:.0f}")
    depth = _fmt(rows[value])
    if flag == "stalled":
        return (
            f"RV flow within +/-{near_zero:g} in each of the last {k} periods while {value} "
            + depth
            + " is below the norm's median "
            + _fmt(rows["p50"])
            + " at age "
            + age
        )
    if flag == "falling_behind":
        return (
            f"{value} "
            + depth
            + " is below the norm's 25th percentile "
            + _fmt(rows["p25"])
            + " at age "
            + age
            + "; its percentile rank fell from "
            + _fmt(rows["rank_before"], "{:.0f}")
            + " to "
            + _fmt(rows["norm_percentile"], "{:.0f}")
            + f" over {k} periods"
        )
    return (
        f"negative RV flow in each of the last {k} periods (together "
        + _fmt(rows["flow_last_k"])
        + ")"
    )


def flag_exceptions(
    panel: pd.DataFrame,
    bands: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    value: str = "rv_cum",
    accounts: pd.DataFrame | None = None,
    k: int = LOOKBACK,
    near_zero: float | None = None,
    period: pd.Period | str | None = None,
) -> pd.DataFrame:
    """Entities flagged ``stalled``, ``falling_behind`` or ``declining``, with the reason.

    The rules are in the module doc. ``period`` is the period judged: the panel's last by
    default, a Period (or text such as ``"2024Q3"``), or ``"all"`` for every period (a
    flag history). Returns ids, ``period``, ``age``, ``value``, ``norm_percentile``,
    ``flag`` and ``reason``, sorted by period, ids and flag.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    keys = entity_keys(panel)
    if "rv_flow" not in panel.columns:
        raise ValueError("flag_exceptions needs the panel's rv_flow column")
    pos = position_against_norm(panel, bands, by=by, value=value, accounts=accounts)
    pos = pos.sort_values([*keys, "period"], kind="stable").reset_index(drop=True)
    flow = panel.loc[:, [*keys, "period", "rv_flow"]]
    if "rv_flow" not in pos.columns:
        pos = pos.merge(flow, on=[*keys, "period"], how="left")
    if near_zero is None:
        moving = panel["rv_flow"].abs()
        moving = moving[moving > 0]
        near_zero = 0.05 * float(moving.median()) if len(moving) else 0.0
    groups = [pos[key] for key in keys]
    old_enough = pos["age"] >= k
    quiet = _last_k_all(pos["rv_flow"].abs() <= near_zero, groups, k)
    negative = _last_k_all(pos["rv_flow"] < 0, groups, k)
    rank_before = pos.groupby(groups)["norm_percentile"].shift(k)
    has_bands = {"p25", "p50"} <= set(pos.columns)
    below_median = pos[value] < pos["p50"] if has_bands else pd.Series(False, index=pos.index)
    below_p25 = pos[value] < pos["p25"] if has_bands else pd.Series(False, index=pos.index)

    rules = {
        "stalled": old_enough & quiet & below_median,
        "falling_behind": old_enough & below_p25 & (pos["norm_percentile"] < rank_before),
        "declining": old_enough & negative,
    }
    if period is None:
        judged = pos["period"] == pos["period"].max()
    elif isinstance(period, str) and period == "all":
        judged = pd.Series(True, index=pos.index)
    else:
        judged = pos["period"] == pd.Period(period, freq=pos["period"].dtype.freq)

    pos["rank_before"] = rank_before
    pos["flow_last_k"] = _last_k_sum(pos["rv_flow"], groups, k)
    rows = []
    for flag in FLAGS:
        hit = rules[flag] & judged
        if hit.any():
            part = pos.loc[hit].copy()
            part["flag"] = flag
            part["reason"] = _reasons(flag, part, value, k, near_zero)
            rows.append(part)
    columns = [*keys, "period", "age", value, "norm_percentile", "flag", "reason"]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=pos[c].dtype) for c in columns[:-2]}).assign(
            flag=pd.Series(dtype=str), reason=pd.Series(dtype=str)
        )
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["period", *keys, "flag"], ignore_index=True)[columns]
