"""Figure functions (matplotlib): one per figure kind, each draws on an Axes and returns it."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd

from rvq.norms import _by_list, entity_keys, with_attributes


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
    :func:`rvq.norms.norm_bands`, computed with the same ``by``); line: the median. The
    entity's own trajectory is drawn on top, so a reader sees at once whether it runs
    ahead of, with or behind what is normal for relationships of its age.
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
    own = frame.loc[mine & frame["age"].notna()].sort_values("age")
    if own.empty:
        raise ValueError(f"no interactions for {account_id} {contact_id or ''}".strip())
    norm = bands
    label = "the whole book"
    if by:
        subset = own.iloc[0][by]
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
    who = account_id if contact_id is None else f"{contact_id} ({account_id})"
    ax.plot(own["age"], own[value], color="tab:red", lw=2.2, marker="o", ms=3, label=who)
    ax.set_xlabel("relationship age (periods since first interaction)")
    ax.set_ylabel(value)
    ax.set_title(f"{who} against its norm ({label})")
    ax.legend(loc="upper left", fontsize="small")
    return ax
