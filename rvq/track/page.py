"""The managers' page figures: what reads faster as a picture than as a table.

Each ``*_frame`` function reduces a :class:`TrackHistory` to the small frame its figure
draws (run once by `rvq.track.run`, saved beside the lists for the page's notebook); each
``plot_*`` function draws that frame on one laptop-sized figure with a plain-words title.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rvq.plots.steps import STAGE_COLORS
from rvq.schema import STAGES
from rvq.track.history import TrackHistory

#: the periods the team figure sums over (the last year of quarters)
RECENT_PERIODS = 4


def stage_balance_frame(history: TrackHistory) -> pd.DataFrame:
    """Per stage: RV created per unit of cost in the period tracked and in the book's
    whole tracked history (its norm), and the period's share of RV and of cost."""
    events = history.events
    if not len(events) or "stage" not in events:
        return pd.DataFrame(columns=["stage", "rv_per_cost", "norm_rv_per_cost"])
    rows = []
    now = events[events["period"] == history.as_of]
    for stage in STAGES:
        this, every = now[now["stage"] == stage], events[events["stage"] == stage]
        rows.append(
            {
                "stage": stage,
                "rv_per_cost": _ratio(this["rv"].sum(), this["cost"].sum()),
                "norm_rv_per_cost": _ratio(every["rv"].sum(), every["cost"].sum()),
                "rv_share": _ratio(this["rv"].sum(), now["rv"].sum()),
                "cost_share": _ratio(this["cost"].sum(), now["cost"].sum()),
            }
        )
    return pd.DataFrame(rows)


def team_stage_frame(history: TrackHistory, periods: int = RECENT_PERIODS) -> pd.DataFrame:
    """Per team (rows) and stage (columns): the RV its interactions created over the last
    ``periods`` tracked periods, teams with the most RV first."""
    events = history.events
    if not len(events) or "team" not in events or events["team"].isna().all():
        return pd.DataFrame(columns=list(STAGES))
    recent = events[events["period"] > history.as_of - periods]
    table = recent.pivot_table(
        index="team", columns="stage", values="rv", aggfunc="sum", observed=True, fill_value=0.0
    ).reindex(columns=list(STAGES), fill_value=0.0)
    table.index = table.index.astype(str)
    return table.loc[table.sum(axis=1).sort_values(ascending=False).index]


def _ratio(top: float, bottom: float) -> float:
    return float(top / bottom) if bottom else float("nan")


def against_norm(change: float) -> str:
    """A relative difference in words: "12% above the norm", "at the norm"."""
    if abs(change) < 0.005:
        return "at the norm"
    return f"{abs(change):.0%} {'above' if change > 0 else 'below'} the norm"


def plot_stage_balance(frame: pd.DataFrame, period: str, ax=None):
    """Bars: RV per unit of cost by stage in ``period`` against the book's norm (a tick);
    a stage with no interaction in ``period`` says so instead of showing an empty bar."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 2.6), layout="constrained")
    frame = frame.iloc[::-1]  # acquisition at the top
    y = np.arange(len(frame))
    colors = [STAGE_COLORS.get(s, "#4C72B0") for s in frame["stage"]]
    ax.barh(y, frame["rv_per_cost"].fillna(0), color=colors, height=0.55)
    ax.scatter(frame["norm_rv_per_cost"], y, marker="|", s=700, color="black", zorder=3)
    for yi, value, norm in zip(y, frame["rv_per_cost"], frame["norm_rv_per_cost"], strict=True):
        if not np.isfinite(value):
            text = f"no interactions in {period}"
        elif norm and np.isfinite(norm):
            text = f"{value:,.3g}: {against_norm(value / norm - 1)} of {norm:,.3g}"
        else:
            text = f"{value:,.3g}"
        ax.text(max(np.nan_to_num(value), np.nan_to_num(norm)), yi, "   " + text, va="center",
                fontsize=9)  # fmt: skip
    ax.set_yticks(y, [str(s).capitalize() for s in frame["stage"]])
    ax.set_xlabel(f"RV created per unit of cost in {period} (bars); black tick: the book's norm")
    high = np.nanmax([frame["rv_per_cost"].max(), frame["norm_rv_per_cost"].max(), 0])
    ax.set_xlim(0, (high or 1) * 2.2)  # room for the words right of the bars
    ax.set_title(f"RV per unit of cost by stage, {period}, against the book's norm")
    return ax


def plot_team_stages(frame: pd.DataFrame, periods: int = RECENT_PERIODS, ax=None):
    """Stacked bars: each team's RV by stage over the last ``periods`` periods."""
    if ax is None:
        height = 1.2 + 0.4 * max(len(frame), 1)
        _, ax = plt.subplots(figsize=(8, min(height, 8)), layout="constrained")
    frame = frame.iloc[::-1]
    left = np.zeros(len(frame))
    for stage in frame.columns:
        ax.barh(frame.index, frame[stage], left=left, color=STAGE_COLORS.get(stage),
                label=str(stage).capitalize(), height=0.6)  # fmt: skip
        left += frame[stage].to_numpy()
    ax.set_xlabel("RV created")
    ax.set_title(f"RV each team created, by stage, over the last {periods} periods")
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    return ax
