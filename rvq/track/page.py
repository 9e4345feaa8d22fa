"""The managers' page: its figures (what reads faster as a picture than as a table) and
its list tables (what a manager reads of each list, fitting a laptop page).

Each ``*_frame`` function reduces a :class:`TrackHistory` to the small frame its figure
draws (run once by `rvq.track.run`, saved beside the lists for the page's notebook); each
``plot_*`` function draws that frame on one laptop-sized figure with a plain-words title.
:func:`page_table` shows a list's first rows with the columns of `PAGE_COLUMNS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rvq import report
from rvq.plots.steps import STAGE_COLORS
from rvq.report.words import number_text
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
    columns = events[["period", "stage", "rv", "cost"]]  # four columns, not the book per stage
    now = columns[columns["period"] == history.as_of]
    every, this, total = _stage_sums(columns), _stage_sums(now), now[["rv", "cost"]].sum()
    return pd.DataFrame(
        [
            {
                "stage": stage,
                "rv_per_cost": _ratio(this.at[stage, "rv"], this.at[stage, "cost"]),
                "norm_rv_per_cost": _ratio(every.at[stage, "rv"], every.at[stage, "cost"]),
                "rv_share": _ratio(this.at[stage, "rv"], total["rv"]),
                "cost_share": _ratio(this.at[stage, "cost"], total["cost"]),
            }
            for stage in STAGES
        ]
    )


def _stage_sums(events: pd.DataFrame) -> pd.DataFrame:
    """RV and cost summed per stage, every stage a row (0 where it has no interaction)."""
    sums = events.groupby("stage", observed=True)[["rv", "cost"]].sum()
    return sums.reindex(list(STAGES), fill_value=0.0)


def team_stage_frame(history: TrackHistory, periods: int = RECENT_PERIODS) -> pd.DataFrame:
    """Per team (rows) and stage (columns): the RV its interactions created over the last
    ``periods`` tracked periods, teams with the most RV first."""
    events = history.events
    if not len(events) or "team" not in events or events["team"].isna().all():
        return pd.DataFrame(columns=list(STAGES))
    recent = events.loc[events["period"] > history.as_of - periods, ["team", "stage", "rv"]]
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
        elif norm and np.isfinite(norm) and value >= 0 and norm > 0:
            text = f"{value:,.3g}: {against_norm(value / norm - 1)} of {norm:,.3g}"
        elif norm and np.isfinite(norm):  # a share of a loss reads wrong: both figures
            text = f"{value:,.3g}{': RV lost' if value < 0 else ''}; the norm {norm:,.3g}"
        else:
            text = f"{value:,.3g}"
        ax.text(max(np.nan_to_num(value), np.nan_to_num(norm), 0), yi, "   " + text,
                va="center", fontsize=9)  # fmt: skip
    ax.set_yticks(y, [str(s).capitalize() for s in frame["stage"]])
    ax.set_xlabel(f"RV created per unit of cost in {period} (bars); black tick: the book's norm")
    high = np.nanmax([frame["rv_per_cost"].max(), frame["norm_rv_per_cost"].max(), 0])
    low = np.nanmin([frame["rv_per_cost"].min(), frame["norm_rv_per_cost"].min(), 0])
    span = (high - low) or 1.0
    # room for the words right of the bars; a stage that lost RV shows its bar left of zero
    ax.set_xlim(low - 0.05 * span * (low < 0), high + 1.2 * span)
    if low < 0:
        ax.axvline(0, color="black", linewidth=0.8)
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


@dataclass(frozen=True)
class Shown:
    """A column as the page shows it: its header, and how its figure reads."""

    column: str
    header: str
    kind: str = "plain"  # plain, whole (no decimals), tenth (one decimal), percent (a share),
    # rank ("1 of 37"), interval (ci_low to ci_high of ``column``'s estimate), yes (True ->
    # "yes"), code (an interaction code: may wrap after its underscores), date (the day),
    # words (snake_case as words: "share of wallet", "RV flow")


#: per list, the columns a manager reads on the page (the CSV keeps every column); the
#: reason always comes last and wraps, so each list fits a laptop page (1280 px)
PAGE_COLUMNS: dict[str, tuple[Shown, ...]] = {
    "next_best_actions": (
        Shown("account_id", "account"),
        Shown("stage", "stage"),
        Shown("depth", "depth", "whole"),
        Shown("depth_percentile", "percentile", "whole"),
        Shown("recommended_action", "next action", "code"),
        Shown("expected_forward_rv", "forward RV expected", "tenth"),
        Shown("setback_action", "avoid", "code"),
    ),
    "priority_leads": (
        Shown("rank", "rank"),
        Shown("account_id", "account"),
        Shown("age", "age", "whole"),
        Shown("depth", "depth", "whole"),
        Shown("depth_percentile", "percentile", "whole"),
        Shown("periods_without_forward_movement", "periods stalled", "whole"),
        Shown("high_touch", "high touch", "yes"),
    ),
    "stage_balance": (
        Shown("stage", "stage"),
        Shown("accounts", "accounts", "whole"),
        Shown("share_of_rv", "share of RV", "percent"),
        Shown("share_of_cost", "share of cost", "percent"),
        Shown("ratio_to_book", "RV per cost against the book"),
        Shown("ratio_to_book", "interval", "interval"),
        Shown("verdict", "verdict"),
    ),
    "upsell_readiness": (
        Shown("account_id", "account"),
        Shown("plan_date", "due", "date"),
        Shown("kind", "plan"),
        Shown("rv_growth", "RV growth", "whole"),
        Shown("norm_percentile", "percentile", "whole"),
        Shown("readiness", "readiness"),
    ),
    "team_performance": (
        Shown("name", "rep or team"),
        Shown("function", "function", "words"),
        Shown("rank", "rank", "rank"),
        Shown("rv_per_100_cost", "RV per 100 of cost", "tenth"),
        Shown("rv_per_100_cost", "interval", "interval"),
        Shown("n_accounts", "accounts", "whole"),
    ),
    "campaign_effects": (
        Shown("campaign", "campaign"),
        Shown("arm", "arm"),
        Shown("measure", "measure", "words"),
        Shown("difference", "difference"),
        Shown("difference", "interval", "interval"),
        Shown("verdict", "verdict"),
    ),
    "unit_comparison": (
        Shown("unit", "unit"),
        Shown("accounts", "accounts", "whole"),
        Shown("p50", "median depth", "whole"),
        Shown("difference_from_rest", "against the rest", "whole"),
        Shown("difference_from_rest", "interval", "interval"),
    ),
}
#: the kinds whose text is a figure: right-aligned like the numbers
FIGURES = ("whole", "tenth", "percent", "rank", "interval")
#: the interval columns of an estimate, where they are not ``ci_low`` / ``ci_high``
_INTERVALS = {"difference_from_rest": ("difference_ci_low", "difference_ci_high")}
#: the reason's width on the page: wide enough to read, narrow enough to fit 1280 px
REASON_WIDTH = "26em"


def _number(value, kind: str) -> str:
    """A figure as read on the page; text (a suppressed cell's words) as it is."""
    if isinstance(value, str):
        return value
    if pd.isna(value):
        return ""
    if kind == "whole":
        return f"{value:,.0f}"
    if kind == "tenth":
        return f"{value:,.1f}"
    if kind == "percent":
        return f"{value:.0%}"
    return number_text(value)


def _interval(low, high, kind: str) -> str:
    """'a to b'; a suppressed bound's words once; nothing for a missing bound."""
    if isinstance(low, str) or isinstance(high, str):
        return low if isinstance(low, str) else high
    if pd.isna(low) or pd.isna(high):
        return ""
    return f"{_number(low, kind)} to {_number(high, kind)}"


def _words(name: str) -> str:
    text = name.replace("_", " ")
    return "RV" + text[2:] if text.startswith("rv ") else text


def _shown_column(table: pd.DataFrame, shown: Shown, spec: list[Shown]) -> pd.Series:
    values = table[shown.column]
    if shown.kind == "interval":  # read like the estimate it belongs to
        low, high = _INTERVALS.get(shown.column, ("ci_low", "ci_high"))
        like = next((s.kind for s in spec if s.column == shown.column and s is not shown), "")
        return pd.Series(
            [_interval(lo, hi, like) for lo, hi in zip(table[low], table[high], strict=True)],
            index=table.index,
        )
    if shown.kind == "rank":
        return pd.Series(
            [
                v if isinstance(v, str) else "" if pd.isna(v) else f"{int(v)} of {of}"
                for v, of in zip(values, table["of"], strict=True)
            ],
            index=table.index,
        )
    if shown.kind == "yes":
        return values.map(lambda v: "yes" if bool(v) and not pd.isna(v) else "")
    if shown.kind in ("whole", "tenth", "percent"):
        return values.map(lambda v: _number(v, shown.kind))
    if shown.kind == "date":
        return pd.to_datetime(values).dt.strftime("%Y-%m-%d").fillna("")
    if shown.kind == "words":
        return values.map(lambda v: "" if pd.isna(v) else _words(str(v)))
    if shown.kind == "code":  # a zero-width space after each underscore: a place to wrap
        return values.map(lambda v: "" if pd.isna(v) else str(v).replace("_", "_\u200b"))
    return values


def page_view(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """The list ``name`` as its page table: the columns of `PAGE_COLUMNS` (a list it does
    not name: every column), figures formatted for reading, the reason last. Next best
    actions put the accounts with a recommendation first."""
    if name == "next_best_actions" and "recommended_action" in table:
        table = table.sort_values(
            "recommended_action", key=lambda s: s.isna(), kind="stable", ignore_index=True
        )
    spec = [s for s in PAGE_COLUMNS.get(name, ()) if s.column in table]
    if not spec:
        return table.rename(columns=lambda c: str(c).replace("_", " "))
    view = pd.DataFrame({s.header: _shown_column(table, s, spec) for s in spec}, index=table.index)
    if "reason" in table:
        view["reason"] = table["reason"]
    return view.reset_index(drop=True)


def page_table(name: str, table: pd.DataFrame, rows: int = 10):
    """The list's page table (:func:`page_view`) as a styled table of its first ``rows``
    rows: cells wrap between words (an interaction code after its underscores), the
    reason takes `REASON_WIDTH`, so no list needs a sideways scroll on a laptop."""
    view = page_view(name, table)
    styled = report.table(view, rows, empty="Nothing to list this period.")
    if not hasattr(styled, "set_table_styles"):
        return styled
    reason = [i for i, c in enumerate(view.columns) if c == "reason"]
    kind = {s.header: s.kind for s in PAGE_COLUMNS.get(name, ())}
    figures = [i for i, c in enumerate(view.columns) if kind.get(c) in FIGURES]
    styles = [
        {"selector": "", "props": "width: 100%; table-layout: auto;"},
        {"selector": "td, th", "props": "white-space: normal; overflow-wrap: break-word;"
                                        " vertical-align: top;"},  # fmt: skip
    ] + [
        {"selector": f"td.col{i}, th.col{i}",
         "props": f"min-width: {REASON_WIDTH}; width: {REASON_WIDTH}; text-align: left;"}
        for i in reason
    ] + [
        {"selector": f"td.col{i}, th.col{i}", "props": "text-align: right; white-space: nowrap;"}
        for i in figures
    ]  # fmt: skip
    return styled.set_table_styles(styles, overwrite=False)
