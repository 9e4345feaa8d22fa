"""DO vs SAY (question 7): how what customers DO (RV) relates to what they SAY (NPS, CSAT).

Two parts:

- **association**: Pearson correlation of RV (flow and cumulative) with NPS and CSAT,
  *within* accounts (deviations from each account's own mean, period by period: does an
  account say more when it does more?) and *between* accounts (account means: do the
  accounts that do more say more?), each with a 95% account bootstrap interval;
- **horse race**: which leads the money better? A fair race, per outcome and survey: RV
  and the survey enter as the same transformations of themselves (`signal_features`:
  the last known value as a percentile within the period, now, one and two periods
  earlier and its 4-period mean), each added in turn to the same baseline (the outcome's
  own history, recency / frequency / monetary, tenure: `rvq.stats.oot`), on the same rows
  (accounts and periods where the survey was answered), fitted on early periods and
  judged on later ones, within periods (only which accounts do better, not the season).
  One horizon for both, chosen among the candidates on the training periods alone; the
  account bootstrap repeats that choice in every replicate, so the interval of the
  difference (RV gain − survey gain) includes it. Above 0: DO leads better; below: SAY;
  covering 0: a tie, which is what equal information gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rvq.jsonable import to_jsonable
from rvq.schema import OUTCOME_NAMES
from rvq.stats.leadlag import lead_lag_profile
from rvq.stats.oot import _rolling_mean, forecast_features
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
        """One row per horse race: the horizon chosen, the R² gains of RV and of the survey
        and the winner."""
        return pd.DataFrame(
            [
                {
                    "outcome": outcome,
                    "survey": survey,
                    "horizon": race.get("horizon"),
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
                "horizon",
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


#: the horizons every race chooses from when none are given (the pilot config's default)
CANDIDATE_HORIZONS = (1, 2, 3, 4)
#: the transformations each signal (RV flow, a survey score) enters the race as
SIGNAL_FEATURES = ("now", "lag1", "lag2", "mean4")


def signal_features(panel: pd.DataFrame, column: str) -> pd.DataFrame:
    """One signal (RV flow or a survey score) as the race's features, the same for both.

    The last value known at t (a survey answer is carried forward until the next one; RV
    is known every period), as its percentile among the accounts in period t (so the race
    is about information, not units: NPS 0-10, CSAT 1-5 and RV points compare as equals,
    and a monotone rescaling of either changes nothing); then that percentile now
    (`now`), one and two periods earlier (`lag1`, `lag2`) and its mean over the last four
    periods (`mean4`). A lag before the first known value is the middle, 0.5.

    The panel must be sorted by account, then period.
    """
    accounts = panel[ENTITY]
    carried = panel[column].astype(float).groupby(accounts, sort=False).ffill()
    pct = carried.groupby(panel[TIME].to_numpy(), sort=False).rank(pct=True)
    by_account = pct.groupby(accounts, sort=False)
    return pd.DataFrame(
        {
            "now": pct,
            "lag1": by_account.shift(1).fillna(0.5),
            "lag2": by_account.shift(2).fillna(0.5),
            "mean4": _rolling_mean(pct, accounts, 4),
        },
        index=panel.index,
    )


def _target_split(periods: np.ndarray, holdout: float) -> tuple[int, int] | None:
    """(first validation period, first test period) of the target periods, or None.

    The last `holdout` share of the periods (at least one) is the test; the last half of
    that share of the earlier (training) periods (at least one) validates the choice of
    horizon, the periods before it fit the models that are validated. The same for every
    horizon, so every horizon is judged on the same target periods."""
    if periods.size < 4:
        return None
    n_test = max(1, int(round(periods.size * holdout)))
    train = periods[:-n_test]
    n_val = max(1, int(train.size * holdout) // 2)
    if train.size - n_val < 1:
        return None
    return int(train[-n_val]), int(periods[-n_test])


def _within(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """`values` (rows, or rows x columns) minus their mean in each group (small integers)."""
    count = np.bincount(groups)
    if values.ndim == 1:
        return values - (np.bincount(groups, weights=values) / np.maximum(count, 1))[groups]
    return np.column_stack([_within(column, groups) for column in values.T])


def _gains(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R² gains of RV and of the survey over the baseline from totals
    [n, Σy, Σy², SSE baseline, SSE +RV, SSE +survey] (last axis)."""
    n, sy, syy, sse_b, sse_rv, sse_say = (s[..., i] for i in range(6))
    with np.errstate(invalid="ignore", divide="ignore"):
        sst = syy - sy**2 / n
        return (sse_b - sse_rv) / sst, (sse_b - sse_say) / sst


def _race_sums(
    X: np.ndarray,
    y: np.ndarray,
    period: np.ndarray,
    fit: np.ndarray,
    judge: np.ndarray,
    models: dict[str, list[int]],
    codes: np.ndarray,
    n_accounts: int,
) -> np.ndarray:
    """Per account [n, Σy, Σy², SSE of each model] on the `judge` rows, each model (the
    columns of X it uses) fitted by least squares on the `fit` rows, both within target
    periods (`period`): what is common to all accounts in a period (a season, a good
    year) is neither fitted nor judged, only which accounts do better than others."""
    Xf, yf = _within(X[fit], period[fit]), _within(y[fit], period[fit])
    Xj, yj = _within(X[judge], period[judge]), _within(y[judge], period[judge])
    scale = Xf.std(axis=0)
    scale[~(scale > 0)] = 1.0
    Xf, Xj = Xf / scale, Xj / scale  # comparable columns: well-conditioned normal equations
    weights = [np.ones_like(yj), yj, yj**2]
    for idx in models.values():
        # each model from its own columns, so equal columns give bit-equal forecasts
        A = Xf[:, idx]
        coef = np.linalg.lstsq(A.T @ A, A.T @ yf, rcond=None)[0]
        weights.append((yj - Xj[:, idx] @ coef) ** 2)
    g = codes[judge]
    return np.stack([np.bincount(g, weights=w, minlength=n_accounts) for w in weights], axis=1)


def horse_race(
    panel: pd.DataFrame,
    outcome: str,
    horizons: Sequence[int] = CANDIDATE_HORIZONS,
    say: str = "nps",
    *,
    holdout: float = 1 / 3,
    n_boot: int = 200,
    seed: int = 0,
    signals: Mapping[str, pd.DataFrame] | None = None,
) -> dict:
    """Which forecasts `outcome` better out of time: RV or the survey `say`.

    A fair race: RV and the survey enter as the same transformations of themselves
    (`signal_features`), added in turn to the same baseline (`rvq.stats.oot`), on the same
    rows (accounts and periods where the survey was answered), fitted and judged within
    target periods (`_race_sums`). The horizon is one for
    both, chosen among `horizons` on the training periods alone: each model is fitted on
    the early training periods and judged on the later ones (validation), and the horizon
    where RV and the survey together gain most (their mean R² gain) is the one raced;
    the models are then refitted on all training periods and judged on the test periods,
    which play no part in the choice. The intervals include the choice: each account
    bootstrap replicate chooses its own horizon on its validation rows and reports the
    test gains at that horizon. ``leads_better`` is do or say when the interval of the
    difference (RV gain − survey gain) excludes 0, tie when it covers 0.

    `signals` maps ``rv_flow`` and `say` to their `signal_features` (computed if absent).
    """
    signals = dict(signals or {})
    for column in ("rv_flow", say):
        if column not in signals:
            signals[column] = signal_features(panel, column)
    feats, base, _ = forecast_features(panel, outcome)
    X = np.column_stack(
        [feats[base].to_numpy(float)]
        + [signals[c][list(SIGNAL_FEATURES)].to_numpy(float) for c in ("rv_flow", say)]
    )
    nb, ns = len(base), len(SIGNAL_FEATURES)
    models = {
        "baseline": list(range(nb)),
        "rv": list(range(nb + ns)),
        "say": list(range(nb)) + list(range(nb + ns, nb + 2 * ns)),
    }
    y_now = panel[outcome].to_numpy(float)
    split = _target_split(np.unique(panel[TIME].to_numpy()[np.isfinite(y_now)]), holdout)
    if split is None:
        return {"verdict": "insufficient_data", "reason": f"fewer than 4 periods with {outcome}"}
    val_start, test_start = split
    rows = panel[say].notna().to_numpy() & np.isfinite(X).all(axis=1)  # the race's rows
    codes = panel[ENTITY].to_numpy()
    n_accounts = int(codes.max()) + 1 if codes.size else 0
    by_account = panel.groupby(ENTITY, sort=False)[outcome]
    X, codes, period = X[rows], codes[rows], panel[TIME].to_numpy()[rows]
    usable, val_sums, test_sums, counts = [], [], [], {}
    for h in sorted({int(h) for h in horizons}):
        y = by_account.shift(-h).to_numpy(float)[rows]
        t_target = period + h
        ok = np.isfinite(y)
        train, test = ok & (t_target < test_start), ok & (t_target >= test_start)
        inner, val = train & (t_target < val_start), train & (t_target >= val_start)
        if min(inner.sum(), train.sum()) < 3 * X.shape[1] or min(val.sum(), test.sum()) < 10:
            continue
        usable.append(h)
        val_sums.append(_race_sums(X, y, t_target, inner, val, models, codes, n_accounts))
        test_sums.append(_race_sums(X, y, t_target, train, test, models, codes, n_accounts))
        counts[h] = (int(train.sum()), int(test.sum()))
    if not usable:
        return {
            "verdict": "insufficient_data",
            "reason": f"too few rows with {say} and {outcome} to fit, validate and judge at "
            f"any of the horizons {', '.join(map(str, sorted(set(horizons))))}",
        }
    # per account: validation and test totals of every horizon (accounts x 2 x horizons x 6),
    # so that a replicate, choice of horizon included, is one weighted sum
    sums = np.stack([np.stack(val_sums, axis=1), np.stack(test_sums, axis=1)], axis=1)
    point = _choose_and_judge(sums.sum(axis=0)[None])
    flat = bootstrap_sums(sums.reshape(n_accounts, -1), n_boot, (seed, 7))
    draws = _choose_and_judge(flat.reshape((n_boot, *sums.shape[1:])))
    choice, g_rv, g_say = (v[0] for v in point)
    b_choice, d_rv, d_say = draws
    diff_lo, diff_hi = percentile_interval(d_rv - d_say)
    winner = "do" if diff_lo > 0 else "say" if diff_hi < 0 else "tie"
    horizon = usable[int(choice)]
    return {
        "horizon": horizon,
        "candidate_horizons": usable,
        "horizon_share": {
            str(h): float(np.mean(b_choice == i)) if n_boot else float("nan")
            for i, h in enumerate(usable)
        },
        "say": say,
        "n_train": counts[horizon][0],
        "n_test": counts[horizon][1],
        "gain_rv": float(g_rv),
        "gain_rv_ci": list(percentile_interval(d_rv)),
        "gain_say": float(g_say),
        "gain_say_ci": list(percentile_interval(d_say)),
        "difference": float(g_rv - g_say),
        "difference_ci_low": diff_lo,
        "difference_ci_high": diff_hi,
        "leads_better": winner,
    }


def _choose_and_judge(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per replicate (rows of `totals`: replicates x [validation | test] x horizons x 6
    sums): the horizon whose validation mean gain (RV and survey) is largest, and the
    test gains of RV and of the survey at that horizon."""
    val, test = totals[:, 0], totals[:, 1]
    v_rv, v_say = _gains(val)
    score = np.where(np.isfinite(v_rv + v_say), (v_rv + v_say) / 2, -np.inf)
    choice = score.argmax(axis=1)
    t_rv, t_say = _gains(test[np.arange(len(test)), choice])
    return choice, t_rv, t_say


def do_vs_say(
    panel: pd.DataFrame,
    *,
    outcomes: tuple[str, ...] = OUTCOME_NAMES,
    horizons: Sequence[int] | Mapping[str, int | Sequence[int]] | None = None,
    n_boot: int = 200,
    seed: int = 0,
) -> DoVsSayResult:
    """Question 7: the association and the horse race per outcome and survey.

    `horizons` are the candidate horizons every race chooses from on its training periods
    (default `CANDIDATE_HORIZONS`; one horizon fixes it in advance). A mapping outcome ->
    horizon(s) is accepted for callers that still pass one horizon per outcome: those
    horizons are then that outcome's candidates (an outcome it lacks gets the default).
    """
    from rvq.scoring.outcomes import derive_outcomes, outcome_missing_reason, with_entity_codes

    data = with_entity_codes(derive_outcomes(panel))
    signals = {
        column: signal_features(data, column)
        for column in ("rv_flow", *SAY)
        if column in data and data[column].notna().any()
    }
    race = {}
    for outcome in outcomes:
        reason = outcome_missing_reason(data, outcome)
        if reason:
            race[outcome] = {"verdict": "insufficient_data", "reason": reason}
            continue
        race[outcome] = {
            say: (
                horse_race(
                    data,
                    outcome,
                    _candidates(horizons, outcome),
                    say,
                    n_boot=n_boot,
                    seed=seed,
                    signals=signals,
                )
                if say in signals
                else {"verdict": "insufficient_data", "reason": f"no {say} answers"}
            )
            for say in SAY
        }
    return DoVsSayResult(do_say_association(data, n_boot=n_boot, seed=seed), race)


def _candidates(
    horizons: Sequence[int] | Mapping[str, int | Sequence[int]] | None, outcome: str
) -> tuple[int, ...]:
    """The candidate horizons of `outcome`'s races (see `do_vs_say`)."""
    if isinstance(horizons, Mapping):
        horizons = horizons.get(outcome) or CANDIDATE_HORIZONS
    if horizons is None:
        return CANDIDATE_HORIZONS
    return (int(horizons),) if np.ndim(horizons) == 0 else tuple(int(h) for h in horizons)
