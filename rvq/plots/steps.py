"""Figures for pilot steps b–e: the data map, the lifecycle report, process gaps, the record.

Each function draws one figure from the frame its analysis function returns, on `ax`
(a new laptop-sized figure when None), with labelled axes and a plain-words title, and
returns the Axes.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns

from rvq.schema import FUNCTIONS, STAGES, VALUE_ASPECTS
from rvq.steps.gaps import ProcessGaps

FIGSIZE = (9, 5)
ASPECT_COLORS = dict(zip(VALUE_ASPECTS, ("#4C72B0", "#DD8452", "#55A868"), strict=True))
STAGE_COLORS = dict(zip(STAGES, ("#4C72B0", "#DD8452", "#55A868"), strict=True))
DIMENSION_COLORS = {"stage": "#4C72B0", "function": "#DD8452", "aspect": "#55A868"}


def _axes(ax, figsize=FIGSIZE):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _wrap(labels, width: int = 40) -> list[str]:
    return [textwrap.shorten(str(label), width=width, placeholder="…") for label in labels]


def _pretty(word: str) -> str:
    return str(word).replace("_", " ").capitalize()


def _empty(ax, title: str, message: str):
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return ax


# ----------------------------------------------------------------------------- step b
def plot_catalog_coverage(coverage: pd.DataFrame, ax=None):
    """Heat map: the share of catalog interactions seen in the data, per stage × function."""
    ax = _axes(ax)
    cells = coverage.groupby(["stage", "function"], observed=True)["observed"].agg(["sum", "size"])
    share = (cells["sum"] / cells["size"]).unstack("function")
    share = share.reindex(index=[s for s in STAGES if s in share.index])
    share = share.reindex(columns=[f for f in FUNCTIONS if f in share.columns])
    seen = cells["sum"].unstack("function").reindex_like(share)
    size = cells["size"].unstack("function").reindex_like(share)
    labels = (
        seen.fillna(0).astype(int).astype(str) + " of " + size.fillna(0).astype(int).astype(str)
    ).where(size.notna(), "")
    sns.heatmap(
        share,
        ax=ax,
        vmin=0,
        vmax=1,
        cmap="RdYlGn",
        annot=labels.to_numpy(),
        fmt="",
        cbar_kws={"label": "share of catalog interactions seen"},
        linewidths=0.5,
    )
    ax.set_xticklabels([_pretty(f) for f in share.columns], rotation=0)
    ax.set_yticklabels([_pretty(s) for s in share.index], rotation=0)
    ax.set_xlabel("Function")
    ax.set_ylabel("Lifecycle stage")
    ax.set_title("Which catalog interactions the data contains")
    return ax


def plot_source_coverage(matrix: pd.DataFrame, ax=None):
    """Heat map of events per source (or team) and period, coloured against each row's usual.

    Colour is the period's events over the row's median recording period, so a dip shows
    in a small source as plainly as in a large one; the numbers are the events; an empty
    period is pale red.
    """
    ax = _axes(ax)
    by = matrix.index.name or "source"
    if matrix.empty:
        return _empty(ax, f"Events per {_pretty(by).lower()} and period", "no events")
    counts = matrix.astype(float)
    counts.columns = [str(p) for p in matrix.columns]
    usual = counts.where(counts > 0).median(axis=1)  # the row's usual recording period
    relative = counts.div(usual, axis=0).where(counts > 0)
    small = counts.shape[0] * counts.shape[1] <= 150
    sns.heatmap(
        relative,
        ax=ax,
        cmap="Blues",
        vmin=0,
        vmax=2,
        cbar_kws={"label": "events against the usual period (1 = median)"},
        linewidths=0.3,
        linecolor="#dddddd",
        annot=counts.map(_compact).to_numpy() if small else False,
        fmt="",
        annot_kws={"fontsize": 8},
    )
    ax.set_facecolor("#f3d6d6")  # empty periods show as pale red
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_yticklabels(_wrap(matrix.index, 30), rotation=0)
    ax.set_xlabel("Period")
    ax.set_ylabel(_pretty(by))
    ax.set_title(f"Events per {_pretty(by).lower()} and period (pale red: nothing recorded)")
    return ax


def _compact(x: float) -> str:
    """1234 → '1.2k', 56 → '56'."""
    if x >= 10_000:
        return f"{x / 1000:.0f}k"
    if x >= 1000:
        return f"{x / 1000:.1f}k"
    return f"{x:.0f}"


def plot_account_completeness(completeness: pd.DataFrame, ax=None):
    """Histogram of accounts by completeness score, with the mean share of each part."""
    ax = _axes(ax)
    ax.hist(completeness["completeness"], bins=np.linspace(0, 1, 21), color="#4C72B0")
    parts = {
        "interactions": "share_interactions",
        "outcomes": "share_outcomes",
        "VoC": "share_voc",
        "stages": "share_stages",
        "functions": "share_functions",
    }
    lines = [f"{k}: {completeness[c].mean():.0%}" for k, c in parts.items() if c in completeness]
    ax.text(
        0.02,
        0.97,
        "Mean share of periods / parts covered\n" + "\n".join(lines),
        transform=ax.transAxes,
        va="top",
        fontsize=9,
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "#cccccc"},
    )
    ax.set_xlim(0, 1)
    ax.set_xlabel("Completeness of the account's record (0 = empty, 1 = complete)")
    ax.set_ylabel("Accounts")
    ax.set_title("How complete each account's record is")
    return ax


def plot_data_gaps(gaps: pd.DataFrame, ax=None, top: int = 15):
    """Horizontal bars: the heaviest data gaps and their weight, coloured by owner team."""
    ax = _axes(ax)
    if gaps.empty:
        return _empty(ax, "Data gaps by weight", "no data gaps found")
    shown = gaps.head(top).iloc[::-1]
    owners = list(dict.fromkeys(gaps["owner"].head(top)))
    palette = dict(zip(owners, sns.color_palette("tab10", len(owners)), strict=True))
    ax.barh(
        _wrap(shown["gap_kind"].str.replace("_", " ") + ": " + shown["subject"], 45),
        shown["weight"],
        color=shown["owner"].map(palette).tolist(),
    )
    handles = [plt.Rectangle((0, 0), 1, 1, color=palette[o]) for o in owners]
    ax.legend(handles, owners, title="Owner", loc="lower right", fontsize=8)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("Weight of the gap (0–1)")
    ax.set_ylabel("Gap")
    ax.set_title(f"The {len(shown)} heaviest data gaps")
    return ax


# ----------------------------------------------------------------------------- step c
def plot_lifecycle_divergence(divergence: pd.DataFrame, ax=None):
    """Forest plot: each component's effect (good − poor accounts) with its interval."""
    ax = _axes(ax)
    d = divergence.iloc[::-1]
    y = np.arange(len(d))
    colors = d["dimension"].map(DIMENSION_COLORS).fillna("#777777")
    ax.errorbar(
        d["effect"],
        y,
        xerr=[d["effect"] - d["ci_low"], d["ci_high"] - d["effect"]],
        fmt="none",
        ecolor="#888888",
        capsize=3,
    )
    ax.scatter(
        d["effect"],
        y,
        c=colors.tolist(),
        s=np.where(d["needs_further_analysis"], 70, 30),
        zorder=3,
    )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(
        [
            f"{_pretty(dim)}: {_pretty(lvl)}" + ("  ★" if flag else "")
            for dim, lvl, flag in zip(
                d["dimension"], d["level"], d["needs_further_analysis"], strict=True
            )
        ]
    )
    outcome = divergence.attrs.get("outcome", "the outcome")
    ax.set_xlabel(
        f"Effect size (Hedges' g): RV of accounts with the best {_pretty(outcome).lower()} "
        "minus the worst, in SDs"
    )
    ax.set_ylabel("Lifecycle component (★ needs further analysis)")
    ax.set_title("Where the RV of good and poor accounts parts ways")
    return ax


def plot_lifecycle_paths(paths: pd.DataFrame, ax=None):
    """Mean cumulative RV per stage over time, good accounts solid, poor accounts dashed."""
    ax = _axes(ax)
    x = paths["period"].astype(str)
    order = list(dict.fromkeys(x.sort_values()))
    positions = {p: i for i, p in enumerate(order)}
    for (component, group), line in paths.assign(_x=x.map(positions)).groupby(
        ["component", "group"], sort=True
    ):
        level = component.split("_", 2)[-1]
        ax.plot(
            line["_x"],
            line["rv_cum"],
            color=STAGE_COLORS.get(level),
            linestyle="-" if group == "good" else "--",
            label=f"{_pretty(level)}, {group} accounts",
        )
    step = max(1, len(order) // 12)
    ax.set_xticks(range(0, len(order), step))
    ax.set_xticklabels(order[::step], rotation=45, ha="right")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.legend(fontsize=8, ncol=2)
    ax.set_xlabel("Period")
    ax.set_ylabel("Mean cumulative RV (units)")
    ax.set_title("RV by lifecycle stage: accounts with good vs poor outcomes")
    return ax


# ----------------------------------------------------------------------------- step d
#: what the bars of a gap's map measure, per kind of gap: (column, sign, axis label)
GAP_MEASURE = {
    "backward": ("rv", -1, "RV units lost through the interaction"),
    "costly": ("cost", 1, "Total cost of the interaction"),
    "stall": ("events", 1, "Interactions (before the stall, and during it)"),
}


def compact_number(value: float) -> str:
    """An axis label that stays short: 1.5M, 250k, 42."""
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.3g}{suffix}"
    return f"{value:,.0f}"


def plot_gap_interactions(gaps: ProcessGaps, gap_id: int = 1, ax=None, top: int = 12):
    """One gap mapped across its interactions, coloured by value aspect.

    Bars show what makes the gap: RV lost (backward), cost (costly), or how often an
    interaction came just before a stall or during it; every bar is labelled with its
    cost, RV and events.
    """
    ax = _axes(ax)
    rows = gaps.interactions.loc[gaps.interactions["gap_id"] == gap_id]
    gap = gaps.summary.loc[gaps.summary["gap_id"] == gap_id]
    title = gap["title"].iloc[0] if len(gap) else f"Gap {gap_id}"
    if rows.empty:
        return _empty(ax, title, "no interactions mapped")
    column, sign, label = GAP_MEASURE.get(gap["kind"].iloc[0], GAP_MEASURE["costly"])
    rows = rows.assign(_bar=sign * rows[column].astype(float))
    rows = rows.sort_values("_bar", ascending=False).head(top).iloc[::-1]
    prefix = rows["role"].map({"during stall": "during: ", "last step before stall": "before: "})
    labels = [p + n for p, n in zip(prefix.fillna(""), _wrap(rows["name"], 42), strict=True)]
    bars = ax.barh(
        labels, rows["_bar"], color=rows["value_aspect"].map(ASPECT_COLORS).fillna("#999").tolist()
    )
    for bar, cost, rv, n in zip(bars, rows["cost"], rows["rv"], rows["events"], strict=True):
        ax.annotate(
            f" cost {cost:,.0f} · RV {rv:+,.0f} · {n:,} events",
            (max(bar.get_width(), 0), bar.get_y() + bar.get_height() / 2),
            va="center",
            fontsize=8,
        )
    peak = rows["_bar"].max()
    ax.set_xlim(0, peak * 1.9 if peak > 0 else 1)
    ax.set_ylim(-0.5, max(len(rows), 4) - 0.5)  # one or two bars keep a normal thickness
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda x, _: compact_number(x)))
    ax.xaxis.set_major_locator(mticker.MaxNLocator(nbins=6))
    present = [a for a in VALUE_ASPECTS if a in set(rows["value_aspect"])]
    handles = [plt.Rectangle((0, 0), 1, 1, color=ASPECT_COLORS[a]) for a in present]
    ax.legend(handles, [_pretty(a) for a in present], title="Value aspect", loc="lower right")
    ax.set_xlabel(label)
    ax.set_ylabel("Interaction")
    ax.set_title(textwrap.fill(f"Gap {gap_id}: {title}", 70))
    return ax


def plot_gap_aspects(gaps: ProcessGaps, ax=None):
    """100% bars: how each critical gap's cost splits across Brand, Product and Experience."""
    ax = _axes(ax)
    if gaps.aspects.empty:
        return _empty(ax, "Cost of each gap by value aspect", "no gaps")
    cost = gaps.aspects.pivot_table(
        index="gap_id", columns="value_aspect", values="cost", aggfunc="sum", fill_value=0
    ).reindex(columns=[a for a in VALUE_ASPECTS if a in set(gaps.aspects["value_aspect"])])
    total = cost.sum(axis=1)
    share = cost.div(total.where(total > 0), axis=0).fillna(0.0)
    titles = gaps.summary.set_index("gap_id")["title"]
    labels = _wrap([f"{g}. {titles.get(g, '')}" for g in cost.index], 45)
    left = np.zeros(len(share))
    for aspect in share.columns:
        bars = ax.barh(
            labels, share[aspect], left=left, color=ASPECT_COLORS[aspect], label=_pretty(aspect)
        )
        for bar, value in zip(bars, share[aspect], strict=True):
            if value >= 0.08:
                ax.annotate(
                    f"{value:.0%}",
                    (bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2),
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=9,
                )
        left += share[aspect].to_numpy()
    for y, value in enumerate(total):
        ax.annotate(f" total cost {value:,.0f}", (1, y), va="center", fontsize=8)
    ax.set_xlim(0, 1.35)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1])
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.invert_yaxis()
    ax.legend(title="Value aspect", loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    ax.set_xlabel("Share of the gap's cost")
    ax.set_ylabel("Process gap")
    ax.set_title("Each critical gap's cost by value aspect")
    return ax


# ----------------------------------------------------------------------------- step e
def plot_record_completeness(
    completeness: pd.DataFrame,
    dimension: str | None = None,
    ax=None,
    value: str = "share_of_served",
):
    """Heat map: share of priority accounts with a record, per source/team/outcome and period.

    By default against the accounts each row serves at all (`share_of_served`), so a
    territorial team is not red for the accounts it never serves; `value="share"` shows
    the share of all priority accounts. Row labels say how many priority accounts each
    row serves.
    """
    ax = _axes(ax, figsize=(10, 6))
    c = (
        completeness
        if dimension is None
        else completeness.loc[completeness["dimension"] == dimension]
    )
    if c.empty:
        return _empty(ax, "Record of priority customers", "nothing to show")
    row = c["value"].astype(str) if dimension else c["dimension"] + ": " + c["value"].astype(str)
    n = int(c["n_priority"].iloc[0])
    if value == "share_of_served" and "accounts_served" in c:
        row = row + " (" + c["accounts_served"].astype(str) + f" of {n})"
    grid = c.assign(_row=row, _period=c["period"].astype(str)).pivot_table(
        index="_row", columns="_period", values=value, aggfunc="first", sort=False
    )
    sns.heatmap(
        grid,
        ax=ax,
        vmin=0,
        vmax=1,
        cmap="RdYlGn",
        cbar_kws={
            "label": "share of the accounts it serves with a record"
            if value == "share_of_served"
            else "share of priority accounts with a record"
        },
        linewidths=0.3,
    )
    ax.set_yticklabels(_wrap(grid.index, 45), rotation=0, fontsize=9)
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel("Period")
    ax.set_ylabel(_pretty(dimension) if dimension else "Source of the record")
    ax.set_title(f"How complete the record of the {n} priority customers is, period by period")
    return ax
