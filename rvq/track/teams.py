"""Reps and teams by RV created per unit of interaction cost: :func:`team_performance` (list 5).

Each rep (``rep_id``) and team (``team``) is compared with the others of the same function
(a sales rep with sales reps: a marketing email and a sales visit differ in cost a
thousandfold) over the last ``periods`` periods. Its raw figure is its RV over its cost
(per 100 of cost). A rep with a small book can top that list by luck, so the list ranks
by an **empirical-Bayes** estimate (normal-normal): every raw figure ``x_r`` has a sampling
variance ``v_r`` -- the larger of its own account-clustered variance and a pooled one
(the function's reps' account residuals, per interaction), so three accounts never look
precise -- and the reps' true figures are spread around the function's mean ``mu`` with
variance ``tau^2`` (method of moments, DerSimonian-Laird). The estimate is
``mu + B_r (x_r - mu)`` with ``B_r = tau^2 / (tau^2 + v_r)``: a small book is pulled
toward the mean, a large one keeps its own figure. The interval is the posterior's (with
the uncertainty of ``mu``). The same model ranks the reps by their accounts' outcome
change (the outcome's mean over the window minus over the window before, per account the
rep serves most) where outcomes exist. The evidence holds the stage pattern that sets the
top quarter of each function's reps apart: their RV per cost by stage against the rest's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from rvq.track.history import TrackHistory, TrackList

NAME = "team_performance"
TITLE = "Reps and teams by RV created per unit of cost"
PER = 100.0  # figures are RV per 100 of interaction cost
#: fewer units than this in a function: nothing to shrink toward (raw figures shown)
MIN_UNITS = 3
OUTCOME_CHOICES = ("share_of_wallet", "profit", "revenue")
COLUMNS = [
    "level",
    "name",
    "function",
    "team",
    "rank",
    "of",
    "rv_per_100_cost",
    "ci_low",
    "ci_high",
    "rv_per_100_cost_raw",
    "n_accounts",
    "n_interactions",
    "cost",
    "outcome_change",
    "outcome_change_raw",
    "outcome_rank",
    "top_quarter",
    "reason",
]


def shrunk_ratios(parts: pd.DataFrame, unit: str, level: float = 0.95) -> pd.DataFrame:
    """Empirical-Bayes ratio per ``unit`` from per (unit, account) sums ``y``, ``x``, ``n``.

    Returns per unit: ``raw`` (sum y / sum x), ``variance`` (its sampling variance: the
    larger of the account-clustered one and the pooled one), ``shrunk``, ``ci_low``,
    ``ci_high``, ``weight`` (B, the share of the raw figure kept), ``n_accounts``,
    ``n_interactions``, ``x``; attrs ``mu`` and ``tau2``.
    """
    totals = parts.groupby(unit, observed=True).agg(
        y=("y", "sum"), x=("x", "sum"), n_interactions=("n", "sum"), n_accounts=("y", "size")
    )
    totals = totals[totals["x"] > 0]
    raw = totals["y"] / totals["x"]
    resid = parts["y"] - parts[unit].map(raw) * parts["x"]
    square = (resid**2).groupby(parts[unit], observed=True).sum().reindex(totals.index)
    k_acc = totals["n_accounts"]
    own = square * k_acc / (k_acc - 1).clip(lower=1) / totals["x"] ** 2
    own[k_acc < 2] = np.nan
    dof = max(int(k_acc.sum() - len(totals)), 1)
    sigma2 = float(square.sum()) / dof * len(parts) / max(float(parts["n"].sum()), 1.0)
    pooled = sigma2 * totals["n_interactions"] / totals["x"] ** 2
    variance = np.fmax(own.fillna(0.0), pooled).clip(lower=1e-12)
    z = stats.norm.ppf(0.5 + level / 2)
    out = pd.DataFrame(
        {
            "raw": raw,
            "variance": variance,
            "n_accounts": k_acc,
            "n_interactions": totals["n_interactions"],
            "x": totals["x"],
        }
    )
    if len(out) < MIN_UNITS:
        out["shrunk"], out["weight"] = out["raw"], 1.0
        half = z * np.sqrt(variance)
        out["ci_low"], out["ci_high"] = out["raw"] - half, out["raw"] + half
        out.attrs.update(mu=float("nan"), tau2=float("nan"))
        return out
    w = 1.0 / variance
    mu_fixed = float((w * raw).sum() / w.sum())
    q = float((w * (raw - mu_fixed) ** 2).sum())
    tau2 = max(0.0, (q - (len(out) - 1)) / float(w.sum() - (w**2).sum() / w.sum()))
    w_star = 1.0 / (variance + tau2)
    mu = float((w_star * raw).sum() / w_star.sum())
    weight = tau2 / (tau2 + variance)
    out["shrunk"] = mu + weight * (raw - mu)
    posterior = weight * variance + (1.0 - weight) ** 2 / float(w_star.sum())
    out["ci_low"] = out["shrunk"] - z * np.sqrt(posterior)
    out["ci_high"] = out["shrunk"] + z * np.sqrt(posterior)
    out["weight"] = weight
    out.attrs.update(mu=mu, tau2=tau2)
    return out


def _ranks(fit: pd.DataFrame) -> np.ndarray:
    """1 = the highest shrunk estimate; ties (all equal when tau^2 = 0) by the raw figure."""
    order = np.lexsort((-fit["raw"].to_numpy(), -fit["shrunk"].round(12).to_numpy()))
    return np.argsort(order) + 1


def _window(history: TrackHistory, periods: int) -> tuple[pd.DataFrame, pd.Period]:
    first = history.as_of - (periods - 1)
    events = history.events
    return events[(events["period"] >= first) & (events["period"] <= history.as_of)], first


def _main_function(events: pd.DataFrame, unit: str) -> pd.Series:
    """Each unit's function: where most of its interactions are."""
    counts = events.groupby([unit, "function"], observed=True).size()
    return (
        counts.sort_values(ascending=False)
        .reset_index()
        .drop_duplicates(unit)
        .set_index(unit)["function"]
    )


def _ranked(events: pd.DataFrame, unit: str, level: float) -> pd.DataFrame:
    """Per unit: the shrunk and raw RV per 100 of cost within its function, ranked."""
    function = _main_function(events, unit)
    parts = (
        events.groupby([unit, "account_id"], observed=True)
        .agg(y=("rv", "sum"), x=("cost", "sum"), n=("rv", "size"))
        .reset_index()
    )
    parts["function"] = parts[unit].map(function)
    frames = []
    for name, group in parts.groupby("function", observed=True):
        fit = shrunk_ratios(group, unit, level)
        fit["function"] = name
        fit["mu"], fit["tau2"] = fit.attrs["mu"], fit.attrs["tau2"]
        fit["rank"] = _ranks(fit)
        fit["of"] = len(fit)
        frames.append(fit)
    out = pd.concat(frames).rename_axis("name").reset_index()
    for column in ("raw", "shrunk", "ci_low", "ci_high", "mu"):
        out[column] = PER * out[column]
    out["tau"] = PER * np.sqrt(out["tau2"])
    return out


def _outcome_changes(
    history: TrackHistory, events: pd.DataFrame, first: pd.Period, outcome: str, level: float
) -> pd.DataFrame:
    """Per rep: the shrunk mean change of ``outcome`` over the accounts it serves most
    (window mean minus the mean over as many periods before), ranked within function."""
    panel = history.panel[["account_id", "period", outcome]].dropna()
    span = (history.as_of - first).n + 1
    inside = panel["period"] >= first
    before = (panel["period"] < first) & (panel["period"] >= first - span)
    means = pd.DataFrame(
        {
            "after": panel[inside].groupby("account_id")[outcome].mean(),
            "before": panel[before].groupby("account_id")[outcome].mean(),
        }
    ).dropna()
    counts = events.groupby(["function", "account_id", "rep_id"], observed=True).size()
    main = (
        counts.sort_values(ascending=False)
        .reset_index()
        .drop_duplicates(["function", "account_id"])
    )
    # each rep once, in its own function (as its RV ranking): a marketing rep's few
    # service interactions do not make it a service rep with a second row
    own = main["rep_id"].map(_main_function(events, "rep_id"))
    main = main[main["account_id"].isin(means.index) & (main["function"] == own)]
    if main.empty:
        columns = ["outcome_change", "outcome_change_raw", "outcome_rank", "outcome_tau2"]
        return pd.DataFrame(columns=["name", *columns])
    main["y"] = main["account_id"].map(means["after"] - means["before"])
    main = main.assign(x=1.0, n=1)
    frames = []
    for _, group in main.groupby("function", observed=True):
        fit = shrunk_ratios(group, "rep_id", level)
        fit["outcome_rank"] = _ranks(fit)
        fit["outcome_tau2"] = fit.attrs["tau2"]  # NaN: too few reps to shrink
        fit = fit.rename(columns={"shrunk": "outcome_change", "raw": "outcome_change_raw"})
        frames.append(fit[["outcome_change", "outcome_change_raw", "outcome_rank", "outcome_tau2"]])
    return pd.concat(frames).rename_axis("name").reset_index()


def _stage_pattern(events: pd.DataFrame, reps: pd.DataFrame) -> list[dict]:
    """Per function with >= 4 reps: RV per 100 of cost and forward share by stage, for the
    top quarter of reps (by the shrunk estimate) against the others."""
    rows = []
    for function, group in reps.groupby("function"):
        if len(group) < 4:
            continue
        top = set(group.loc[group["top_quarter"], "name"])
        own = events[events["rep_id"].isin(group["name"]) & (events["function"] == function)]
        own = own.assign(top=own["rep_id"].isin(top), forward=own["rv"] > 0)
        table = own.groupby(["stage", "top"], observed=True).agg(
            rv=("rv", "sum"), cost=("cost", "sum"), forward=("forward", "mean")
        )
        for stage in table.index.get_level_values("stage").unique():
            cells = {t: table.loc[(stage, t)] for t in (True, False) if (stage, t) in table.index}
            if len(cells) < 2:
                continue
            rows.append(
                {
                    "function": function,
                    "stage": stage,
                    "top_quarter_rv_per_100_cost": PER * cells[True]["rv"] / cells[True]["cost"],
                    "others_rv_per_100_cost": PER * cells[False]["rv"] / cells[False]["cost"],
                    "top_quarter_forward_share": float(cells[True]["forward"]),
                    "others_forward_share": float(cells[False]["forward"]),
                }
            )
    return rows


def _reason(row: pd.Series, level: float, window: str, outcome: str | None) -> str:
    who = "rep" if row["level"] == "rep" else "team"
    text = (
        f"Rank {row['rank']} of {row['of']} {row['function'].replace('_', ' ')} {who}s in "
        f"{window}: {row['rv_per_100_cost']:.2f} RV per 100 of cost ({level:.0%} interval "
        f"{row['ci_low']:.2f} to {row['ci_high']:.2f}; raw {row['rv_per_100_cost_raw']:.2f}) "
        f"over {row['n_accounts']} accounts and {row['n_interactions']} interactions"
    )
    group = row["function"].replace("_", " ")
    if not np.isfinite(row["tau2"]):
        text += f"; too few {group} {who}s to compare against an average, so shown as measured"
    elif row["tau2"] == 0:
        text += (
            f"; the {group} {who}s differ no more than chance makes records differ, so each is "
            f"estimated at their average of {row['mu']:.2f}"
        )
    elif np.isfinite(row["mu"]) and row["weight"] < 0.5:
        text += (
            f"; only {row['weight']:.0%} of its distance from the {group} average of "
            f"{row['mu']:.2f} is kept: a record of this size varies that much by chance"
        )
    if outcome and np.isfinite(row.get("outcome_change", np.nan)):
        what = outcome.replace("_", " ")
        if row["outcome_tau2"]:
            text += (
                f"; their accounts' {what} changed by {row['outcome_change']:+.3g} after "
                f"shrinkage (raw {row['outcome_change_raw']:+.3g}; rank "
                f"{int(row['outcome_rank'])})"
            )
        else:
            text += (
                f"; their accounts' {what} changed by {row['outcome_change_raw']:+.3g}, but no "
                f"rep's accounts differ from the others' more than chance would make them"
            )
    return text + "."


def team_performance(
    history: TrackHistory,
    *,
    periods: int = 4,
    outcome: str | None = None,
    level: float = 0.95,
) -> TrackList:
    """Reps and teams ranked within their function by shrunk RV per 100 of interaction
    cost over the last ``periods`` periods, with the raw figure, the interval, the counts,
    their accounts' ``outcome`` change (default: the first of share_of_wallet, profit,
    revenue the panel holds) and the stage pattern of each function's top quarter."""
    events, first = _window(history, periods)
    events = events[events["cost"] > 0]
    window = f"{first}-{history.as_of}" if periods > 1 else str(first)
    if events.empty or "rep_id" not in events.columns or events["rep_id"].isna().all():
        headline = f"No interactions with a rep and a cost in {window}: nothing to rank."
        return TrackList.empty(NAME, TITLE, headline, COLUMNS)
    if outcome is None:
        have = [c for c in OUTCOME_CHOICES if c in history.panel and history.panel[c].notna().any()]
        outcome = have[0] if have else None
    events = events.assign(rep_id=events["rep_id"].astype(str))
    reps = _ranked(events.dropna(subset=["rep_id"]), "rep_id", level).assign(level="rep")
    team_of = events.groupby(["rep_id", "team"], observed=True).size()
    team_of = team_of.sort_values(ascending=False).reset_index().drop_duplicates("rep_id")
    reps["team"] = reps["name"].map(team_of.set_index("rep_id")["team"])
    if outcome:
        reps = reps.merge(
            _outcome_changes(history, events, first, outcome, level), on="name", how="left"
        )
    quarter = np.ceil(reps["of"] / 4)
    # a function whose reps differ no more than chance has no top quarter to learn from
    reps["top_quarter"] = (reps["rank"] <= quarter) & (reps["of"] >= 4) & (reps["tau2"] > 0)
    pattern = _stage_pattern(events, reps)
    frames = [reps]
    if "team" in events.columns and events["team"].notna().any():
        teams = _ranked(events.dropna(subset=["team"]), "team", level).assign(level="team")
        teams["team"], teams["top_quarter"] = teams["name"], False
        frames.append(teams)
    table = pd.concat(frames, ignore_index=True)
    table = table.rename(
        columns={"shrunk": "rv_per_100_cost", "raw": "rv_per_100_cost_raw", "x": "cost"}
    )
    for column in ("outcome_change", "outcome_change_raw", "outcome_rank", "outcome_tau2"):
        if column not in table:
            table[column] = np.nan
    table["reason"] = [_reason(row, level, window, outcome) for _, row in table.iterrows()]
    volume = table.groupby("function")["cost"].sum().rank(ascending=False)
    table = table.assign(order=table["function"].map(volume), lvl=table["level"] != "rep")
    table = table.sort_values(["lvl", "order", "rank"], ignore_index=True)
    evidence = {
        "method": "empirical Bayes (normal-normal, DerSimonian-Laird tau^2) on RV per 100 of "
        "cost within each function; sampling variance max(account-clustered, pooled)",
        "window": window,
        "level": level,
        "outcome": outcome,
        "functions": {
            f: {"mean": float(g["mu"].iloc[0]), "tau": float(g["tau"].iloc[0]), "reps": len(g)}
            for f, g in reps.groupby("function")
        },
        "stage_pattern": pattern,
    }
    return TrackList(NAME, TITLE, table[COLUMNS], evidence, _headline(table, pattern))


def _headline(table: pd.DataFrame, pattern: list[dict]) -> str:
    reps = table[table["level"] == "rep"]
    biggest = reps.groupby("function")["cost"].sum().idxmax()
    best = reps[(reps["function"] == biggest) & (reps["rank"] == 1)].iloc[0]
    text = (
        f"Top {biggest.replace('_', ' ')} rep: {best['name']}, {best['rv_per_100_cost']:.2f} RV "
        f"per 100 of cost (interval {best['ci_low']:.2f} to {best['ci_high']:.2f})."
    )
    gaps = [p for p in pattern if p["function"] == biggest]
    if gaps:
        gap = max(
            gaps, key=lambda p: p["top_quarter_rv_per_100_cost"] - p["others_rv_per_100_cost"]
        )
        text += (
            f" The top quarter stands out most in {gap['stage']}: "
            f"{gap['top_quarter_rv_per_100_cost']:.2f} against "
            f"{gap['others_rv_per_100_cost']:.2f} RV per 100 of cost."
        )
    return text
