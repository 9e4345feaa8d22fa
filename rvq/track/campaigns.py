"""A/B campaigns measured by the change in RV: :func:`campaign_effects` (list 6).

For each campaign of the ``campaigns`` table (account_id[, contact_id], campaign, arm,
start_date) and each arm against the control arm, a difference-in-differences: every
unit's (account's, or contact's) mean RV flow per period over the ``post_periods`` from
the start on, minus its mean over the ``pre_periods`` before; the arms' difference in that
change is an OLS coefficient with a cluster-robust (by account) t interval. Units in
randomised arms share every other influence, so the difference is the campaign's effect;
taking each unit's own change removes its level, so the interval is narrower than a plain
post-period comparison. Where the panel has outcomes (profit, revenue, share of wallet),
the same difference is shown for each. RV is the measure a campaign is run for, judged by
its own interval; the outcomes are secondary and many (every campaign arm x outcome), so an
outcome is called raised or lowered only when its Holm-adjusted p-value (across all of
them) is under 1 - level: a null campaign does not "move revenue" by chance.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import statsmodels.api as sm

from rvq.multiplicity import holm_adjust
from rvq.report.words import number_text
from rvq.track.history import TrackHistory, TrackList

NAME = "campaign_effects"
TITLE = "Campaigns: the difference they made to RV (and to the money)"
OUTCOMES = ("profit", "revenue", "share_of_wallet")
_CONTROL = re.compile(r"control|hold.?out|baseline|no.?contact", re.IGNORECASE)
COLUMNS = [
    "campaign",
    "arm",
    "control_arm",
    "measure",
    "start",
    "n_arm",
    "n_control",
    "change_arm",
    "change_control",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "verdict",
    "reason",
]


def _control_arm(arms: list[str], control: str | None) -> tuple[str, str]:
    """The control arm and how it was chosen (named, by its name, or the first alone)."""
    if control is not None:
        return control, "given"
    named = [a for a in arms if _CONTROL.search(a)]
    if len(named) == 1:
        return named[0], "named so"
    return sorted(arms)[0], "first in order (no arm is called control)"


def _unit_flows(history: TrackHistory, campaign: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """Per unit and period, RV flow (and outcomes for account units): wide by period."""
    contacts = "contact_id" in campaign.columns and campaign["contact_id"].notna().all()
    if contacts:
        events = history.events
        flows = events.groupby(["account_id", "contact_id", "period"], observed=True)["rv"].sum()
        flows = flows.rename("rv_flow").reset_index()
        return flows, ["account_id", "contact_id"]
    columns = ["account_id", "period", "rv_flow"]
    columns += [c for c in OUTCOMES if c in history.panel.columns]
    return history.panel[columns], ["account_id"]


def _changes(
    frame: pd.DataFrame,
    keys: list[str],
    units: pd.DataFrame,
    measure: str,
    pre: int,
    post: int,
    zero_fill: bool,
    as_of: pd.Period,
) -> pd.Series:
    """Per unit of ``units`` (keys, start period): mean of ``measure`` over the post periods
    (up to ``as_of``) minus over the pre periods (NaN where either window has no value)."""
    units = units.assign(post_len=np.minimum(post, as_of.ordinal - units["start"].array.asi8 + 1))
    rows = units[[*keys, "start", "post_len"]].merge(
        frame[[*keys, "period", measure]], on=keys, how="left"
    )
    known = rows["period"].notna().to_numpy()
    offset = np.where(known, rows["period"].array.asi8 - rows["start"].array.asi8, np.nan)
    window = np.where((offset >= -pre) & (offset < 0), "pre", "")
    window = np.where((offset >= 0) & (offset < post), "post", window)
    rows = rows.assign(window=window).loc[lambda r: r["window"] != ""]
    values = rows.groupby([*keys, "window"], observed=True)[measure]
    if zero_fill:  # a contact with no interactions in a period has flow 0 there
        sums = values.sum().unstack("window").reindex(columns=["pre", "post"])
        post_len = rows.groupby(keys, observed=True)["post_len"].first().reindex(sums.index)
        means = pd.DataFrame({"pre": sums.get("pre") / pre, "post": sums.get("post") / post_len})
        means = means.fillna(0.0)
    else:
        means = values.mean().unstack("window").reindex(columns=["pre", "post"])
    index = pd.MultiIndex.from_frame(units[keys]) if len(keys) > 1 else units[keys[0]]
    means = means.reindex(index)
    if zero_fill:
        means = means.fillna(0.0)
    return (means.get("post") - means.get("pre")).reset_index(drop=True)


def _difference(change: pd.Series, treated: pd.Series, accounts: pd.Series, level: float) -> dict:
    """OLS of the change on the arm, cluster-robust by account: difference, t interval."""
    ok = change.notna().to_numpy()
    y, x, g = change[ok].to_numpy(float), treated[ok].to_numpy(float), accounts[ok]
    n_arm, n_control = int(x.sum()), int((1 - x).sum())
    out = {"n_arm": n_arm, "n_control": n_control}
    if min(n_arm, n_control) < 2:
        nan = float("nan")
        return (
            out
            | dict.fromkeys(("change_arm", "change_control", "difference"), nan)
            | {
                "ci_low": nan,
                "ci_high": nan,
                "p_value": nan,
            }
        )
    fit = sm.OLS(y, sm.add_constant(x)).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(g)[0]}, use_t=True
    )
    low, high = fit.conf_int(alpha=1 - level)[1]
    return out | {
        "change_arm": float(y[x == 1].mean()),
        "change_control": float(y[x == 0].mean()),
        "difference": float(fit.params[1]),
        "ci_low": float(low),
        "ci_high": float(high),
        "p_value": float(fit.pvalues[1]),
    }


def _verdict(row: dict, level: float) -> str:
    """From the interval; an outcome row also needs its Holm-adjusted p under 1 - level."""
    if not np.isfinite(row["ci_low"]):
        return "not measurable"
    if row["measure"] != "rv_flow" and not row["p_adjusted"] < 1 - level:
        return "no clear difference"
    if row["ci_low"] > 0:
        return "raised"
    if row["ci_high"] < 0:
        return "lowered"
    return "no clear difference"


def _signed(value: float) -> str:
    """A change as a manager reads it: sign, thousands separated (`+3,353`, `-7.680`)."""
    return ("+" if value > 0 else "") + number_text(value)


def _reason(row: dict, unit: str, pre: int, level: float) -> str:
    what = "RV flow" if row["measure"] == "rv_flow" else row["measure"].replace("_", " ")
    if not np.isfinite(row["ci_low"]):
        return (
            f"Too few {unit}s to compare arm '{row['arm']}' ({row['n_arm']}) with "
            f"'{row['control_arm']}' ({row['n_control']}): at least 2 in each are needed."
        )
    return (
        f"From {row['start']} on, {what} per period changed by {_signed(row['change_arm'])} "
        f"for the {row['n_arm']} {unit}s in '{row['arm']}' and by "
        f"{_signed(row['change_control'])} for the {row['n_control']} in "
        f"'{row['control_arm']}' (against their {pre} periods before): a difference of "
        f"{_signed(row['difference'])} ({level:.0%} interval {_signed(row['ci_low'])} to "
        f"{_signed(row['ci_high'])}), so the campaign "
        + _outcome_caveat(row, level)
        + {
            "raised": f"raised {what}.",
            "lowered": f"lowered {what}.",
            "no clear difference": f"made no clear difference to {what}.",
        }[row["verdict"]]
    )


def _outcome_caveat(row: dict, level: float) -> str:
    """Words for an outcome whose interval excludes zero but not after Holm's adjustment."""
    excludes_zero = row["ci_low"] > 0 or row["ci_high"] < 0
    if row["measure"] == "rv_flow" or not excludes_zero or row["p_adjusted"] < 1 - level:
        return ""
    return (
        f"(after allowing for the {row['family']} outcome comparisons of this list, p = "
        f"{row['p_adjusted']:.2f}) "
    )


def campaign_effects(
    history: TrackHistory,
    *,
    pre_periods: int = 4,
    post_periods: int | None = None,
    control: str | None = None,
    level: float = 0.95,
) -> TrackList:
    """Each campaign arm against its control: the difference in RV change (and in the
    outcomes' change), difference-in-differences with a cluster-robust interval.

    ``post_periods`` defaults to every period from the start up to ``as_of``; ``control``
    names the control arm (default: the arm called control / holdout, else the first).
    """
    campaigns = history.campaigns
    if campaigns is None or campaigns.empty:
        return TrackList.empty(
            NAME,
            TITLE,
            "No campaigns table was given: add campaigns.csv (account_id, campaign, arm, "
            "start_date) to measure campaigns.",
            COLUMNS,
        )
    freq = history.as_of.freq
    campaigns = campaigns.assign(
        start=pd.to_datetime(campaigns["start_date"]).dt.to_period(freq),
        account_id=campaigns["account_id"].astype(str),
        arm=campaigns["arm"].astype(str),
    )
    rows, skipped = [], []
    for name, campaign in campaigns.groupby("campaign", sort=True):
        campaign = campaign.reset_index(drop=True)
        first_start = campaign["start"].min()
        if first_start > history.as_of:
            skipped.append(f"'{name}' starts {first_start}, after {history.as_of}")
            continue
        arms = sorted(campaign["arm"].unique())
        if len(arms) < 2:
            skipped.append(f"'{name}' has one arm only ('{arms[0]}')")
            continue
        control_arm, chosen = _control_arm(arms, control)
        post = post_periods or (history.as_of - first_start).n + 1
        frame, keys = _unit_flows(history, campaign)
        units = campaign.drop_duplicates([*keys, "arm"])
        unit = "contact" if len(keys) > 1 else "account"
        measures = ["rv_flow"] + [
            c for c in OUTCOMES if c in frame.columns and frame[c].notna().any()
        ]
        changes = {
            m: _changes(frame, keys, units, m, pre_periods, post, m == "rv_flow", history.as_of)
            for m in measures
        }
        for arm in (a for a in arms if a != control_arm):
            pair = units["arm"].isin([arm, control_arm]).to_numpy()
            treated = (units.loc[pair, "arm"] == arm).reset_index(drop=True)
            for measure in measures:
                change = changes[measure][pair].reset_index(drop=True)
                accounts = units.loc[pair, "account_id"].reset_index(drop=True)
                row = {
                    "campaign": name,
                    "arm": arm,
                    "control_arm": control_arm,
                    "measure": measure,
                    "start": str(first_start),
                    **_difference(change, treated, accounts, level),
                }
                row["control_chosen"] = chosen
                row["unit"] = unit
                rows.append(row)
    if not rows:
        why = "No campaign could be measured: " + "; ".join(skipped) + "."
        return TrackList.empty(NAME, TITLE, why, COLUMNS, {"skipped": skipped})
    outcome = [row["measure"] != "rv_flow" for row in rows]
    adjusted = holm_adjust([row["p_value"] for row, o in zip(rows, outcome, strict=True) if o])
    family = int(np.isfinite(adjusted).sum())
    adjusted_p = iter(adjusted)
    for row, is_outcome in zip(rows, outcome, strict=True):
        row["p_adjusted"] = float(next(adjusted_p)) if is_outcome else row["p_value"]
        row["family"] = family
        row["verdict"] = _verdict(row, level)
        row["reason"] = _reason(row, row["unit"], pre_periods, level)
    table = pd.DataFrame(rows)
    evidence = {
        "method": "difference-in-differences: unit mean RV flow after minus before the start, "
        "OLS on the arm with a cluster-robust (by account) t interval; outcome verdicts "
        "Holm-adjusted across every arm x outcome of the list (p_adjusted)",
        "level": level,
        "pre_periods": pre_periods,
        "control_arm_chosen": dict(zip(table["campaign"], table["control_chosen"], strict=False)),
        "skipped": skipped,
        "effects": table.drop(columns=["reason", "control_chosen", "unit", "family"]).to_dict(
            "records"
        ),
    }
    rv = table[table["measure"] == "rv_flow"]
    raised = rv.loc[rv["verdict"] == "raised", "campaign"].unique().tolist()
    headline = f"{len(rv)} campaign arm(s) measured against their control; " + (
        f"clearly raised RV: {', '.join(map(str, raised))}."
        if raised
        else "none clearly raised RV."
    )
    return TrackList(NAME, TITLE, table[COLUMNS].reset_index(drop=True), evidence, headline)
