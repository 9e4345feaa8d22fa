"""DO vs SAY (question 7): how what customers DO (RV) relates to what they SAY (NPS, CSAT).

Two parts:

- **association**: Pearson correlation of RV (flow and cumulative) with NPS and CSAT,
  *within* accounts (deviations from each account's own mean, period by period: does an
  account say more when it does more?) and *between* accounts (account means: do the
  accounts that do more say more?), each with a 95% account bootstrap interval;
- **horse race**: which leads the money better? For each outcome, out of time (fit on
  early periods, judge on later ones; `rvq.stats.oot`), on the SAME rows — accounts and
  periods where the survey answer exists — the R² gain over the baseline from adding
  RV, and from adding the survey score instead; the difference (RV gain − SAY gain)
  has an account bootstrap interval. A difference above 0 means DO leads better.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from rvq.jsonable import to_jsonable
from rvq.schema import OUTCOME_NAMES
from rvq.stats.leadlag import lead_lag_profile
from rvq.stats.oot import forecast_features
from rvq.stats.resample import bootstrap_sums, pearson_from_sums, pearson_sums, percentile_interval
from rvq.stats.results import Result, number

ENTITY, TIME = "account_id", "period_index"
SAY = ("nps", "csat")
MIN_ROWS = 50


@dataclass
class DoVsSayResult(Result):
    """Question 7: how RV relates to NPS and CSAT (`association`, per survey: within- and
    between-account correlations, or ``insufficient_data``) and which leads the money
    better out of time (`horse_race`, per outcome and survey, each with its winner
    ``leads_better``: do, say or tie).

    `verdict` over all races: ``do_leads`` when RV wins some and the surveys none,
    ``say_leads`` the other way round, ``mixed`` when each wins some, ``no_clear_leader``
    when every race is a tie (or none ran but the association did), ``insufficient_data``
    without survey answers to compare with RV."""

    association: dict[str, dict[str, Any]] = field(default_factory=dict)
    horse_race: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def associated(self) -> dict[str, dict[str, Any]]:
        """Per survey, the correlations of RV flow with it (surveys without answers left out)."""
        return {
            survey: by_rv["rv_flow"]
            for survey, by_rv in self.association.items()
            if isinstance(by_rv.get("rv_flow"), Mapping) and "between_corr" in by_rv["rv_flow"]
        }

    @property
    def races(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(outcome, survey, race) of every horse race that ran to a winner."""
        return [
            (outcome, survey, race)
            for outcome, by_survey in self.horse_race.items()
            for survey, race in by_survey.items()
            if isinstance(race, Mapping) and race.get("leads_better")
        ]

    @property
    def verdict(self) -> str:
        winners = [race["leads_better"] for _, _, race in self.races]
        if not winners and not self.associated:
            return "insufficient_data"
        if "do" in winners and "say" not in winners:
            return "do_leads"
        if "say" in winners and "do" not in winners:
            return "say_leads"
        return "mixed" if winners.count("tie") < len(winners) else "no_clear_leader"

    def to_dict(self) -> dict:
        """`summary.json["do_vs_say"]`."""
        return to_jsonable({"association": self.association, "horse_race": self.horse_race})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DoVsSayResult:
        return cls(
            association=dict(data.get("association") or {}),
            horse_race=dict(data.get("horse_race") or {}),
        )

    def summary(self) -> pd.DataFrame:
        """One row per horse race: the R² gains of RV and of the survey and the winner."""
        return pd.DataFrame(
            [
                {
                    "outcome": outcome,
                    "survey": survey,
                    "gain_rv": number(race.get("gain_rv")),
                    "gain_say": number(race.get("gain_say")),
                    "difference": number(race.get("difference")),
                    "ci_low": number(race.get("difference_ci_low")),
                    "ci_high": number(race.get("difference_ci_high")),
                    "leads_better": race["leads_better"],
                }
                for outcome, survey, race in self.races
            ],
            columns=[
                "outcome",
                "survey",
                "gain_rv",
                "gain_say",
                "difference",
                "ci_low",
                "ci_high",
                "leads_better",
            ],
        )


def do_say_association(panel: pd.DataFrame, *, n_boot: int = 200, seed: int = 0) -> dict:
    """Within- and between-account correlations of RV with NPS and CSAT, with intervals."""
    out = {}
    for say in SAY:
        if say not in panel or panel[say].notna().sum() < MIN_ROWS:
            out[say] = {
                "verdict": "insufficient_data",
                "reason": f"fewer than {MIN_ROWS} {say} answers",
            }
            continue
        res = {}
        within = lead_lag_profile(panel, say, max_lag=0, n_boot=n_boot, seed=seed)
        means = panel.groupby(ENTITY)[["rv_flow", "rv_cum", say]].mean()
        codes = np.arange(len(means))
        for rv in ("rv_flow", "rv_cum"):
            w = within[within["rv"] == rv].iloc[0]
            sums = pearson_sums(
                means[rv].to_numpy(float), means[say].to_numpy(float), codes, len(means)
            )
            draws = pearson_from_sums(bootstrap_sums(sums, n_boot, (seed, 3)))
            lo, hi = percentile_interval(draws)
            res[rv] = {
                "within_corr": w["corr"],
                "within_ci_low": w["ci_low"],
                "within_ci_high": w["ci_high"],
                "between_corr": float(pearson_from_sums(sums.sum(axis=0))),
                "between_ci_low": lo,
                "between_ci_high": hi,
                "n_pairs": int(w["n_pairs"]),
                "n_accounts": int(sums[:, 0].sum()),
            }
        out[say] = res
    return out


def horse_race(
    panel: pd.DataFrame,
    outcome: str,
    horizon: int = 1,
    say: str = "nps",
    *,
    holdout: float = 1 / 3,
    n_boot: int = 200,
    seed: int = 0,
) -> dict:
    """Out-of-time R² gain over the baseline: adding RV vs adding `say`, on the same rows."""
    feats, base, rvf = forecast_features(panel, outcome)
    feats = feats.assign(say=panel[say].astype(float))
    target = panel.groupby(ENTITY, sort=False)[outcome].shift(-horizon).to_numpy(float)
    t_target = (panel[TIME] + horizon).to_numpy()
    cols = base + rvf + ["say"]
    X = feats[cols].to_numpy(float)
    ok = np.isfinite(target) & np.isfinite(X).all(axis=1)
    if ok.sum() < MIN_ROWS:
        return {
            "verdict": "insufficient_data",
            "reason": f"fewer than {MIN_ROWS} rows with {say} and {outcome}",
        }
    periods = np.unique(t_target[ok])
    if periods.size < 3:
        return {"verdict": "insufficient_data", "reason": "fewer than 3 periods with both"}
    cut = periods[-max(1, int(round(periods.size * holdout))) - 1]
    train, test = ok & (t_target <= cut), ok & (t_target > cut)
    if train.sum() < 3 * len(cols) or test.sum() < 10:
        return {"verdict": "insufficient_data", "reason": "too few rows to fit and to judge"}
    nb, nr = len(base), len(rvf)
    sets = {
        "baseline": list(range(nb)),
        "rv": list(range(nb + nr)),
        "say": list(range(nb)) + [nb + nr],
    }
    errors = {}
    for name, idx in sets.items():
        fit = LinearRegression().fit(X[train][:, idx], target[train])
        errors[name] = target[test] - fit.predict(X[test][:, idx])
    codes, _ = pd.factorize(panel[ENTITY].to_numpy()[test])
    yt = target[test]
    weights = [np.ones_like(yt), yt, yt**2] + [errors[k] ** 2 for k in sets]
    sums = np.stack([np.bincount(codes, weights=w) for w in weights], axis=1)

    def gains(s):
        n, sy, syy, sse_b, sse_rv, sse_say = (s[..., i] for i in range(6))
        with np.errstate(invalid="ignore", divide="ignore"):
            sst = syy - sy**2 / n
            return (sse_b - sse_rv) / sst, (sse_b - sse_say) / sst

    g_rv, g_say = gains(sums.sum(axis=0))
    d_rv, d_say = gains(bootstrap_sums(sums, n_boot, (seed, horizon)))
    diff_lo, diff_hi = percentile_interval(d_rv - d_say)
    winner = "do" if diff_lo > 0 else "say" if diff_hi < 0 else "tie"
    return {
        "horizon": horizon,
        "say": say,
        "n_test": int(test.sum()),
        "n_train": int(train.sum()),
        "gain_rv": float(g_rv),
        "gain_rv_ci": list(percentile_interval(d_rv)),
        "gain_say": float(g_say),
        "gain_say_ci": list(percentile_interval(d_say)),
        "difference": float(g_rv - g_say),
        "difference_ci_low": diff_lo,
        "difference_ci_high": diff_hi,
        "leads_better": winner,
    }


def do_vs_say(
    panel: pd.DataFrame,
    *,
    outcomes: tuple[str, ...] = OUTCOME_NAMES,
    horizons: dict[str, int] | None = None,
    n_boot: int = 200,
    seed: int = 0,
) -> DoVsSayResult:
    """Question 7: the association and the horse race per outcome and survey."""
    from rvq.scoring.outcomes import derive_outcomes, outcome_missing_reason, with_entity_codes

    data = with_entity_codes(derive_outcomes(panel))
    horizons = horizons or {}
    race = {}
    for outcome in outcomes:
        reason = outcome_missing_reason(data, outcome)
        if reason:
            race[outcome] = {"verdict": "insufficient_data", "reason": reason}
            continue
        race[outcome] = {
            say: (
                horse_race(data, outcome, horizons.get(outcome) or 1, say, n_boot=n_boot, seed=seed)
                if say in data and data[say].notna().any()
                else {"verdict": "insufficient_data", "reason": f"no {say} answers"}
            )
            for say in SAY
        }
    return DoVsSayResult(do_say_association(data, n_boot=n_boot, seed=seed), race)
