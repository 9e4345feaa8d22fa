"""Figures of the back-test (step f): one function per figure kind, each returns the Axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd


def _ax(ax):
    return ax if ax is not None else plt.subplots(figsize=(7, 4))[1]


def plot_lead_lag(profile: pd.DataFrame, outcome: str | None = None, ax=None):
    """Lead–lag profile (`rvq.stats.leadlag.lead_lag_profile`): correlation by k with 95% band.
    Bars right of 0 mean RV moves first."""
    ax = _ax(ax)
    data = profile if outcome is None else profile[profile["outcome"] == outcome]
    for rv, grp in data.groupby("rv"):
        ax.plot(grp["k"], grp["corr"], marker="o", label=rv)
        ax.fill_between(grp["k"], grp["ci_low"], grp["ci_high"], alpha=0.2)
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("k: RV at t vs outcome at t+k (k > 0: RV leads)")
    ax.set_ylabel("within-account correlation")
    ax.set_title(f"Lead–lag profile{': ' + outcome if outcome else ''}")
    ax.legend()
    return ax


#: the lead test's specifications drawn side by side, with their titles
HORIZON_PANELS = {
    "forward": "forward: outcome's history and level controlled",
    "trends": "with each account's own trend removed",
}


def plot_horizon_effects(table: pd.DataFrame, axes=None):
    """RV's standardized effect on the outcome h periods later, per outcome, with 95% CI:
    the forward local projections beside the same with account trends (the lead test's
    `evidence_table`; a table without a `spec` column is drawn as forward only).
    Horizons are whole periods: the ticks are the horizons, the outcomes nudged beside them."""
    if "spec" not in table:
        table = table.assign(spec="forward")
    specs = [s for s in HORIZON_PANELS if (table["spec"] == s).any()]
    if axes is None:
        _, axes = plt.subplots(1, max(len(specs), 1), sharey=True, squeeze=False)
        axes = axes[0]
    for ax, spec in zip(axes, specs, strict=False):
        rows = table[table["spec"] == spec]
        for i, (outcome, grp) in enumerate(rows.groupby("outcome")):
            x = grp["horizon"] + (i - 1) * 0.1
            ax.errorbar(
                x,
                grp["effect"],
                yerr=[grp["effect"] - grp["ci_low"], grp["ci_high"] - grp["effect"]],
                fmt="o",
                capsize=3,
                label=outcome.replace("_", " "),
            )
        ax.set_xticks(sorted(int(h) for h in rows["horizon"].dropna().unique()))
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("horizon h (periods ahead)")
        ax.set_title(HORIZON_PANELS[spec], fontsize="medium")
    axes[0].set_ylabel("outcome SDs per SD of RV")
    axes[0].legend(fontsize="small")
    axes[0].figure.suptitle("RV now and the outcome h periods later")
    return axes


def plot_segment_timeline(timeline: pd.DataFrame, question: str, ax=None, divergence=None):
    """Per-period gaps between a question's two groups, in pooled SDs (Cohen's d), each
    line labelled for what it is: the outcome against
    each account's start (pointwise 95% band), RV flow per period as it is (size included;
    pointwise band) and RV gained since the start given the outcome so far, over the
    scanned periods before divergence (simultaneous band at the questions' family level:
    what "periods early" reads).
    `divergence`: the divergence period's index, drawn as a dotted line."""
    ax = _ax(ax)
    data = timeline[timeline["question"] == question]
    labels = {
        "outcome_change": f"{question.replace('_', ' ')}: the outcome against each account's start",
        "rv_flow": "RV flow per period, raw (size included)",
        "rv_gained_given_outcome": "RV gained since the start, given the outcome so far",
    }
    for measure, grp in data.groupby("measure", sort=False):
        line = ax.plot(
            grp["period_index"], grp["gap_d"], marker="o", label=labels.get(measure, measure)
        )
        if "ci_low" in grp and grp["ci_low"].notna().any():
            ax.fill_between(
                grp["period_index"],
                grp["ci_low"],
                grp["ci_high"],
                alpha=0.2,
                color=line[0].get_color(),
            )
    if divergence is not None:
        ax.axvline(divergence, color="grey", ls=":", lw=1, label="divergence")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("period")
    ax.set_ylabel("group A − group B (Cohen's d)")
    ax.set_title(question.replace("_", " "))
    ax.legend(fontsize="small")
    return ax


def plot_power_grid(grid: pd.DataFrame, ax=None):
    """Detection rate by number of accounts, one line per number of periods."""
    ax = _ax(ax)
    for periods, grp in grid.groupby("periods"):
        ax.errorbar(
            grp["accounts"],
            grp["detection_rate"],
            yerr=[grp["detection_rate"] - grp["ci_low"], grp["ci_high"] - grp["detection_rate"]],
            marker="o",
            capsize=3,
            label=f"{periods} periods",
        )
    ax.axhline(0.8, color="grey", ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("accounts")
    ax.set_ylabel("share of pilots that call RV leading")
    ax.legend()
    return ax
