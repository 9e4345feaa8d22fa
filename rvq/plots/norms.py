"""Figure functions (matplotlib): one per figure kind, each draws on an Axes and returns it
(small multiples, several Axes, return their Figure)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from rvq import privacy
from rvq.stats.norms import _by_list, drop_small_norms, entity_keys, with_attributes


def _ax(ax):
    return ax if ax is not None else plt.subplots(figsize=(7, 4))[1]


def plot_norm_trajectory(
    panel: pd.DataFrame,
    bands: pd.DataFrame,
    account_id: str,
    ax=None,
    *,
    contact_id: str | None = None,
    value: str = "rv_cum",
    by: str | Sequence[str] | None = None,
    accounts: pd.DataFrame | None = None,
):
    """An account's (or contact's) ``value`` by relationship age over its norm's bands.

    Shaded: the 10th-90th and 25th-75th percentiles of its peers at each age (from
    :func:`rvq.stats.norms.norm_bands`, computed with the same ``by``); line: the median. The
    entity's own trajectory is drawn on top, so a reader sees at once whether it runs
    ahead of, with or behind what is normal for relationships of its age. An entity in
    the panel without interactions yet (age all missing) gets its norm alone, and the
    title says so; one not in the panel at all is a ValueError.
    """
    ax = _ax(ax)
    by = _by_list(by)
    keys = entity_keys(panel)
    frame = with_attributes(panel, by, accounts)
    mine = frame["account_id"] == account_id
    if "contact_id" in keys:
        if contact_id is None:
            raise ValueError("a contact panel needs contact_id")
        mine &= frame["contact_id"] == contact_id
    who = account_id if contact_id is None else f"{contact_id} ({account_id})"
    rows = frame.loc[mine]
    if rows.empty:
        raise ValueError(f"{who} is not in the panel")
    own = rows.loc[rows["age"].notna()].sort_values("age")
    norm = bands
    label = "the whole book"
    if by:
        subset = rows.iloc[0][by]
        for col in by:
            norm = norm.loc[norm[col] == subset[col]]
        label = ", ".join(f"{col} = {subset[col]}" for col in by)
    norm = norm.sort_values("age")
    if {"p10", "p90"} <= set(norm.columns):
        ax.fill_between(norm["age"], norm["p10"], norm["p90"], color="tab:blue", alpha=0.15,
                        label="10th-90th percentile")  # fmt: skip
    if {"p25", "p75"} <= set(norm.columns):
        ax.fill_between(norm["age"], norm["p25"], norm["p75"], color="tab:blue", alpha=0.3,
                        label="25th-75th percentile")  # fmt: skip
    if "p50" in norm.columns:
        ax.plot(norm["age"], norm["p50"], color="tab:blue", lw=1.2, ls="--", label="median")
    ax.axhline(0, color="grey", lw=0.6)
    if own.empty:
        ax.set_title(f"{who} has no interactions yet: the norm it will join ({label})")
        ax.text(0.5, 0.5, f"{who}: no interactions yet", transform=ax.transAxes,
                ha="center", va="center", color="tab:red")  # fmt: skip
    else:
        ax.plot(own["age"], own[value], color="tab:red", lw=2.2, marker="o", ms=3, label=who)
        ax.set_title(f"{who} against its norm ({label})")
    ax.set_xlabel("relationship age (periods since first interaction)")
    ax.set_ylabel(value)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_subset_norms(
    bands: pd.DataFrame,
    by: str | Sequence[str],
    *,
    reference: pd.DataFrame | None = None,
    k: int = 0,
    value: str = "rv_cum",
    columns: int = 4,
):
    """Small multiples of the subsets' norms: one panel per subset (value of ``by``).

    Each panel shows the subset's median ``value`` by relationship age (line) and its
    25th-75th percentiles (shaded), on axes shared by all panels so they compare at a
    glance; ``reference`` (the whole book's :func:`rvq.stats.norms.norm_bands`) adds its median
    as a grey dashed line. Norms built from fewer than ``k`` accounts (a pilot's
    ``privacy.min_cell_accounts``; 0: all drawn) are not drawn: the line breaks
    there, and a subset with none left says "suppressed (< k accounts)". Returns the
    Figure.
    """
    by = _by_list(by)
    if not by:
        raise ValueError("plot_subset_norms needs the subset column(s) `by`")
    shown = drop_small_norms(bands, k)
    subsets = bands[by].drop_duplicates().sort_values(by).itertuples(index=False, name=None)
    subsets = list(subsets)
    ages = np.arange(int(bands["age"].min()), int(bands["age"].max()) + 1)
    ncols = max(1, min(columns, len(subsets)))
    nrows = math.ceil(len(subsets) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.6 * nrows + 0.8),
                             sharex=True, sharey=True, squeeze=False,
                             layout="constrained")  # fmt: skip
    for ax, subset in zip(axes.flat, subsets, strict=False):
        mine = np.logical_and.reduce([shown[c] == v for c, v in zip(by, subset, strict=True)])
        norm = shown.loc[mine].set_index("age").reindex(ages)  # missing ages: gaps
        if reference is not None:
            ref = reference.sort_values("age")
            ax.plot(ref["age"], ref["p50"], color="grey", ls="--", lw=1, label="whole book median")
        if {"p25", "p75"} <= set(norm.columns):
            ax.fill_between(ages, norm["p25"], norm["p75"], color="tab:blue", alpha=0.3,
                            lw=0, label="25th-75th percentile")  # fmt: skip
        ax.plot(ages, norm["p50"], color="tab:blue", lw=1.8, marker="o", ms=2.5, label="median")
        if norm["p50"].isna().all():
            ax.text(0.5, 0.5, privacy.suppressed_text(k), transform=ax.transAxes,
                    ha="center", va="center", color="dimgrey",
                    bbox={"facecolor": "white", "edgecolor": "none"})  # fmt: skip
            accounts = ""
        else:
            accounts = f" ({int(norm['n_accounts'].max()):,} accounts)"
        ax.set_title(", ".join(str(v) for v in subset) + accounts, fontsize="medium")
        ax.axhline(0, color="grey", lw=0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for i, ax in enumerate(axes.flat):
        if i >= len(subsets):
            ax.set_visible(False)
        elif i + ncols >= len(subsets):  # nothing drawn below: this panel shows the ages
            ax.xaxis.set_tick_params(labelbottom=True)
    what = "relationship depth (rv_cum)" if value == "rv_cum" else value
    fig.suptitle(f"{what[0].upper()}{what[1:]} by age, per {', '.join(by).replace('_', ' ')}")
    axes.flat[0].legend(loc="upper left", fontsize="x-small", frameon=False)
    fig.supxlabel("relationship age (periods since first interaction)", fontsize="medium")
    fig.supylabel(what, fontsize="medium")
    return fig
