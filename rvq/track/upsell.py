"""Renewals and up-sells coming up, and whether the relationship is ready:
:func:`upsell_readiness` (list 4).

The accounts with a plan (the ``plans`` table: account_id, date, kind) or a
``contract_end`` (accounts table) in the ``horizon`` periods after ``as_of``. Each one's
recent RV growth -- its RV flow summed over the last ``lookback`` periods -- is placed
against the stage-and-age norm (`rvq.stats.norms`: the accounts of the same lifecycle stage
and relationship age; the age norm, then the whole book that period, where too few peers
share both): at or above the norm's median it is **ready**, below it **build rapport
first**. An account's stage is the furthest stage its interactions have reached.

Where the plans table holds earlier plans with their result (``won``), the same figure one
period before each past plan is scored against its success: the AUC (the chance that a
won plan had the higher figure than a lost one) with an account-bootstrap interval
(`rvq.stats.resample`), and the success rates of plans that would have been called ready
and not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rvq.stats.norms import norm_bands, position_against_norm
from rvq.stats.resample import auc_given_weights, bootstrap_counts, percentile_interval
from rvq.track.history import TrackHistory, TrackList
from rvq.track.stages import stage_panel

NAME = "upsell_readiness"
TITLE = "Renewals and up-sells coming up: ready, or build rapport first"
READY, BUILD = "ready", "build rapport first"
COLUMNS = [
    "account_id",
    "plan_date",
    "kind",
    "periods_ahead",
    "stage",
    "age",
    "rv_growth",
    "norm_median",
    "norm_percentile",
    "norm",
    "readiness",
    "reason",
]


def growth_against_norm(history: TrackHistory, lookback: int) -> pd.DataFrame:
    """Per account and period: ``rv_growth`` (RV flow over the last ``lookback`` periods),
    ``stage``, ``age``, the norm's median and the percentile among peers, and which norm."""
    panel = stage_panel(history)[["account_id", "period", "age", "rv_flow", "stage"]]
    panel["rv_growth"] = panel.groupby("account_id", observed=True)["rv_flow"].transform(
        lambda s: s.rolling(lookback, min_periods=1).sum()
    )
    panel = panel[panel["age"].notna()].reset_index(drop=True)
    out = panel[["account_id", "period", "age", "stage", "rv_growth"]].copy()
    out["norm_median"], out["norm_percentile"], out["norm"] = np.nan, np.nan, None
    for by, label in (("stage", "stage and age"), (None, "age")):
        bands = norm_bands(panel, by=by, value="rv_growth")
        pos = position_against_norm(panel, bands, by=by, value="rv_growth")
        todo = out["norm_percentile"].isna() & pos["norm_percentile"].notna()
        out.loc[todo, "norm_percentile"] = pos.loc[todo, "norm_percentile"]
        out.loc[todo, "norm_median"] = pos.loc[todo, "p50"]
        out.loc[todo, "norm"] = label
    todo = out["norm_percentile"].isna()
    by_period = out.groupby("period")["rv_growth"]
    rank = 100.0 * (by_period.rank(method="average") - 0.5) / by_period.transform("size")
    out.loc[todo, "norm_percentile"] = rank[todo]
    out.loc[todo, "norm_median"] = by_period.transform("median")[todo]
    out.loc[todo, "norm"] = "all accounts that period"
    return out


def _plans(history: TrackHistory) -> pd.DataFrame | None:
    """Plans from the plans table and the accounts' contract_end (kind "renewal")."""
    frames = []
    if history.plans is not None and len(history.plans):
        frames.append(history.plans.assign(date=pd.to_datetime(history.plans["date"])))
    accounts = history.accounts
    if "contract_end" in accounts.columns and accounts["contract_end"].notna().any():
        ends = accounts.loc[accounts["contract_end"].notna(), ["account_id", "contract_end"]]
        frames.append(
            pd.DataFrame(
                {
                    "account_id": ends["account_id"],
                    "date": pd.to_datetime(ends["contract_end"]),
                    "kind": "renewal (contract end)",
                }
            )
        )
    if not frames:
        return None
    plans = pd.concat(frames, ignore_index=True)
    plans["account_id"] = plans["account_id"].astype(str)
    plans["period"] = plans["date"].dt.to_period(history.as_of.freq)
    if "won" not in plans.columns:
        plans["won"] = pd.NA
    return plans


def _past_evidence(
    plans: pd.DataFrame, growth: pd.DataFrame, history: TrackHistory, ready_at: float, level: float
) -> dict:
    """AUC of the readiness figure one period before each past plan for its success."""
    past = plans[(plans["period"] <= history.as_of) & plans["won"].notna()].copy()
    past["before"] = past["period"] - 1
    scored = past.merge(
        growth.rename(columns={"period": "before"}), on=["account_id", "before"], how="inner"
    )
    won = scored["won"].astype(bool).to_numpy()
    out = {"n_plans": len(scored), "n_won": int(won.sum())}
    if min(won.sum(), (~won).sum()) < 5:
        return out | {"auc": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    codes, uniques = pd.factorize(scored["account_id"])
    auc = auc_given_weights(scored["norm_percentile"].to_numpy(float), won, codes)
    point = float(auc(np.ones((1, len(uniques))))[0])
    draws = np.concatenate([auc(c) for c in bootstrap_counts(len(uniques), 1000, 14, 100)])
    low, high = percentile_interval(draws, level)
    ready = scored["norm_percentile"] >= ready_at
    return out | {
        "auc": point,
        "ci_low": low,
        "ci_high": high,
        "level": level,
        "won_when_ready": float(won[ready].mean()) if ready.any() else float("nan"),
        "won_when_not": float(won[~ready].mean()) if (~ready).any() else float("nan"),
        "n_ready": int(ready.sum()),
    }


def _reason(row: pd.Series, lookback: int) -> str:
    kind = str(row["kind"]).replace("_", " ").capitalize()
    ahead = int(row["periods_ahead"])
    if not np.isfinite(row["norm_percentile"]):
        return (
            f"{kind} due {row['plan_date']:%Y-%m-%d} (in {ahead} period{'s' * (ahead > 1)}); "
            "no RV history yet to judge readiness: build rapport first."
        )
    side = "at or above" if row["readiness"] == READY else "below"
    peers = {
        "stage and age": f"{row['stage']} accounts of age {row['age']:.0f}",
        "age": f"accounts of age {row['age']:.0f}",
    }.get(row["norm"], "all accounts")
    return (
        f"{kind} due {row['plan_date']:%Y-%m-%d} (in {ahead} period{'s' * (ahead > 1)}): RV "
        f"grew by {row['rv_growth']:+.0f} over the last {lookback} periods, {side} the median "
        f"of {row['norm_median']:+.0f} for {peers} (percentile {row['norm_percentile']:.0f}): "
        f"{row['readiness']}."
    )


def upsell_readiness(
    history: TrackHistory,
    *,
    horizon: int = 2,
    lookback: int = 2,
    ready_at: float = 50.0,
    level: float = 0.95,
) -> TrackList:
    """Accounts with a renewal or up-sell in the next ``horizon`` periods, ready or not by
    their RV growth over ``lookback`` periods against the stage-and-age norm (percentile
    >= ``ready_at``), and how well that figure predicted past plans' success."""
    plans = _plans(history)
    if plans is None:
        return TrackList.empty(
            NAME,
            TITLE,
            "No plans table (account_id, date, kind) or contract_end column was given: add "
            "plans.csv to list the renewals and up-sells coming up.",
            COLUMNS,
        )
    growth = growth_against_norm(history, lookback)
    now = growth[growth["period"] == history.as_of].drop(columns="period")
    end = history.as_of + horizon
    coming = plans[(plans["period"] > history.as_of) & (plans["period"] <= end)]
    table = coming.rename(columns={"date": "plan_date"}).merge(now, on="account_id", how="left")
    table["periods_ahead"] = [(p - history.as_of).n for p in table["period"]]
    known = table["norm_percentile"].notna()
    table["readiness"] = np.where(known & (table["norm_percentile"] >= ready_at), READY, BUILD)
    table["reason"] = [_reason(row, lookback) for _, row in table.iterrows()]
    table = table.sort_values(["plan_date", "account_id"], ignore_index=True)[COLUMNS]
    past = _past_evidence(plans, growth, history, ready_at, level)
    evidence = {
        "horizon": horizon,
        "lookback": lookback,
        "ready_at_percentile": ready_at,
        "upcoming": len(table),
        "ready": int((table["readiness"] == READY).sum()),
        "past_plans": past,
        "method": "RV flow over the lookback periods, mid-rank percentile against the "
        "stage-and-age norm (rvq.stats.norms); AUC with an account bootstrap interval",
    }
    headline = (
        f"{len(table)} account plan(s) fall in the next {horizon} period(s): "
        f"{evidence['ready']} ready, {len(table) - evidence['ready']} to build rapport first."
    )
    if np.isfinite(past.get("auc", np.nan)):
        headline += (
            f" In {past['n_plans']} past plans, RV growth before them predicted success with "
            f"AUC {past['auc']:.2f} ({level:.0%} interval {past['ci_low']:.2f} to "
            f"{past['ci_high']:.2f}; 0.5 is chance): {past['won_when_ready']:.0%} of those "
            f"ready were won against {past['won_when_not']:.0%} of the others."
        )
    return TrackList(NAME, TITLE, table, evidence, headline)
