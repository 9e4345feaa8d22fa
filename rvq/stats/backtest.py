"""Is RV a leading indicator of the money? The back-test of pilot step f (question 6).

Per outcome (profit, revenue growth, share of wallet) and horizon h = 1..H periods, four
pieces of evidence, each with its own assumptions stated where it is computed:

1. fixed-effects panel regression (`fe_horizon_effects`): outcome at t+h on RV at t and
   the outcome's own history, account and period effects, account-clustered SEs
   (linearmodels PanelOLS) — does RV add to the outcome's own past (Granger-style)?
2. Dumitrescu–Hurlin heterogeneous-panel Granger test, both directions (`rvq.stats.granger`);
3. out-of-time validation (`rvq.stats.oot`): fit on early periods, judge on later ones — the
   R² gain from adding RV to a strong baseline, and for revenue growth and share of
   wallet the AUC gain of classifying "grows vs shrinks", each with a bootstrap interval;
4. a lead–lag profile (`rvq.stats.leadlag`), descriptive, for the figure.

p-values of (1) are Holm-adjusted over outcomes x horizons. `leading_verdict` is the one
place where the evidence becomes a verdict; read its docstring for the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rvq.jsonable import to_jsonable
from rvq.multiplicity import holm_adjust
from rvq.schema import OUTCOME_NAMES
from rvq.scoring.outcomes import derive_outcomes, outcome_missing_reason, with_entity_codes
from rvq.stats.granger import DHResult, dumitrescu_hurlin
from rvq.stats.leadlag import lead_lag_profile
from rvq.stats.oot import forecast_features, out_of_time_gain
from rvq.stats.panelfe import two_way_fe

DEFAULT_HORIZONS = (1, 2, 3, 4)
ENTITY, TIME = "account_id", "period_index"

#: the minimum a verdict needs: accounts with usable rows, and periods of the outcome
MIN_ACCOUNTS = 30
MIN_PERIODS = 6


# ------------------------------------------------------------- fixed-effects regression


def fe_horizon_effects(
    panel: pd.DataFrame,
    outcome: str,
    horizons: Iterable[int] = DEFAULT_HORIZONS,
    *,
    rv: str = "rv_flow",
    own_lags: int = 2,
    reverse: bool = False,
) -> pd.DataFrame:
    """Two-way fixed-effects regressions of the outcome h periods ahead on RV now.

    Model, per horizon h:  y[i,t+h] = a_i + d_t + b_h * RV[i,t] + sum_j c_j y[i,t-j] + e,
    j = 0..own_lags-1, with account (a_i) and period (d_t) effects and standard errors
    clustered by account (robust to any serial correlation within an account); the
    estimator is linearmodels PanelOLS's, re-implemented in `rvq.stats.panelfe` for speed and
    checked against it in the tests. Null: b_h = 0, RV adds nothing to the outcome's own
    history. Caveat: with account effects and lagged outcomes in short panels the lag
    coefficients carry Nickell bias; it leaves b_h unbiased when RV is not driven by the
    past outcome, and the reverse regression guards the case when it is.

    `reverse=True` swaps the roles (RV at t+h on the outcome at t and RV's own history):
    does the money lead RV?

    `effect` is b_h standardized by within-account SDs (outcome SDs per SD of RV, both
    measured around each account's own mean) with its 95% interval.
    Returns one row per horizon: horizon, coef, se, t, p_value, effect, ci_low, ci_high,
    n_obs, n_accounts.
    """
    dep, focal = (rv, outcome) if reverse else (outcome, rv)
    g = panel.groupby(ENTITY, sort=False)
    lags = {f"own_l{j}": g[dep].shift(j) if j else panel[dep] for j in range(own_lags)}
    rows = []
    for h in horizons:
        frame = pd.DataFrame(
            {
                ENTITY: panel[ENTITY],
                TIME: panel[TIME],
                "lead": g[dep].shift(-h),
                "x": panel[focal],
                **lags,
            }
        ).dropna()
        row = {
            "horizon": int(h),
            "coef": np.nan,
            "se": np.nan,
            "t": np.nan,
            "p_value": np.nan,
            "effect": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "n_obs": len(frame),
            "n_accounts": int(frame[ENTITY].nunique()),
        }
        rows.append(row)
        if row["n_accounts"] < MIN_ACCOUNTS or frame[TIME].nunique() < 3:
            continue
        sd_x = _within_sd(frame["x"], frame[ENTITY])
        sd_y = _within_sd(frame["lead"], frame[ENTITY])
        if not (sd_x > 0 and sd_y > 0):
            continue
        codes = pd.factorize(frame[ENTITY])[0]
        try:
            fit = two_way_fe(
                frame["lead"].to_numpy(float),
                frame[["x", *lags]].to_numpy(float),
                codes,
                frame[TIME].to_numpy(),
            )
        except np.linalg.LinAlgError:
            continue
        b, se = float(fit.params[0]), float(fit.std_errors[0])
        if not np.isfinite(se):
            continue
        scale = sd_x / sd_y
        row.update(
            coef=b,
            se=se,
            t=float(fit.tstats[0]),
            p_value=float(fit.pvalues[0]),
            effect=b * scale,
            ci_low=(b - 1.959964 * se) * scale,
            ci_high=(b + 1.959964 * se) * scale,
        )
    return pd.DataFrame(rows)


def _within_sd(values: pd.Series, groups: pd.Series) -> float:
    dev = values - values.groupby(groups, sort=False).transform("mean")
    return float(dev.std())


# ------------------------------------------------------------------------- the verdict


def leading_verdict(
    *,
    p_adjusted: float,
    coef: float,
    oot_ci_low: float,
    t_stat: float,
    granger_forward_p: float,
    reverse_p: float,
    reverse_t: float,
    alpha: float = 0.05,
    expected_sign: int = 1,
) -> tuple[str, list[str]]:
    """THE verdict rule, written once. Returns (verdict, reasons).

    An outcome is ``leading`` if and only if all three hold at the best horizon:

    1. **RV adds to the outcome's own past**: in the fixed-effects regression the
       Holm-adjusted p-value (over outcomes x horizons) is below `alpha` and the
       coefficient has the expected sign (positive: more RV, more money later);
    2. **confirmed**: out of time, adding RV to the baseline raises R² with a bootstrap
       interval above 0, OR the Dumitrescu–Hurlin test of RV -> outcome rejects
       (bootstrap one-sided p < `alpha`);
    3. **not the other way round**: the reverse direction does not dominate: the same
       fixed-effects regression with the roles swapped (RV at t+h on the outcome at t and
       RV's own history), at its strongest horizon, is not both significant
       (p < `alpha`) and stronger (a larger t statistic) than RV -> outcome.

    The Granger input is the bootstrap-standardised DH statistic
    (`rvq.stats.granger.dumitrescu_hurlin` with `n_boot`): the normal approximation of
    Z-tilde over-rejects in short panels with thousands of accounts. DH is not used for
    the reverse check: with one or two lags it cannot absorb RV's own (ARMA-like)
    dynamics, so any variable that tracks past RV "Granger-causes" it.

    Otherwise ``not_leading``; the reasons name each condition that failed.
    (``insufficient_data`` is decided before, when the data cannot carry the tests.)
    """
    reasons = []
    if not (np.isfinite(p_adjusted) and p_adjusted < alpha):
        reasons.append(
            f"RV does not add to the outcome's own history (Holm p = {_fmt(p_adjusted)})"
        )
    elif not (np.isfinite(coef) and np.sign(coef) == expected_sign):
        reasons.append("RV's association with the later outcome has the unexpected sign")
    oot_ok = np.isfinite(oot_ci_low) and oot_ci_low > 0
    dh_ok = np.isfinite(granger_forward_p) and granger_forward_p < alpha
    if not (oot_ok or dh_ok):
        reasons.append("not confirmed out of time nor by the panel Granger test")
    rev_sig = np.isfinite(reverse_p) and reverse_p < alpha
    fwd_t = t_stat if np.isfinite(t_stat) else -np.inf
    if rev_sig and reverse_t >= fwd_t:
        reasons.append("the outcome predicts RV more strongly than RV predicts the outcome")
    return ("leading" if not reasons else "not_leading"), reasons


def _fmt(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.3g}"


# ----------------------------------------------------------------------- the back-test


@dataclass
class LeadingIndicatorResults:
    """Everything the back-test computed: the summary dict and the tidy tables behind it."""

    summary: dict
    table: pd.DataFrame  # one row per outcome x horizon: FE, Holm, out-of-time
    granger: pd.DataFrame  # one row per outcome x direction
    lead_lag: pd.DataFrame = field(default_factory=pd.DataFrame)


def _wide(panel: pd.DataFrame, col: str) -> np.ndarray:
    return panel.pivot(index=ENTITY, columns=TIME, values=col).sort_index(axis=1).to_numpy(float)


def _granger_order(n_periods: int, requested: int) -> int:
    """The largest order <= requested that leaves DH's Z-tilde defined (T > 5 + 3K)."""
    return max(0, min(requested, (n_periods - 6) // 3))


def leading_indicator_results(
    panel: pd.DataFrame,
    *,
    outcomes: Sequence[str] = OUTCOME_NAMES,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    seed: int = 0,
    alpha: float = 0.05,
    rv: str = "rv_flow",
    own_lags: int = 2,
    granger_order: int = 1,
    granger_boot: int = 49,
    n_boot: int = 200,
    lead_lag: bool = True,
    progress: bool = False,
) -> LeadingIndicatorResults:
    """Run the leading-indicator tests for every outcome and horizon and decide verdicts."""
    from tqdm import tqdm

    data = with_entity_codes(derive_outcomes(panel))
    n_periods = int(data[TIME].nunique())
    steps = tqdm(list(outcomes), desc="leading-indicator tests", disable=not progress)
    fe_rows, granger_rows, ll_frames, pre = [], [], [], {}
    rv_wide = _wide(data, rv)
    for i, outcome in enumerate(steps):
        reason = outcome_missing_reason(data, outcome)
        if reason is None and not (np.nanstd(data[rv].to_numpy(float)) > 0):
            reason = "RV does not vary"
        if reason is None:
            have = data.loc[data[outcome].notna()]
            if have[ENTITY].nunique() < MIN_ACCOUNTS:
                reason = f"fewer than {MIN_ACCOUNTS} accounts with {outcome}"
            elif have[TIME].nunique() < MIN_PERIODS:
                reason = f"fewer than {MIN_PERIODS} periods with {outcome}"
        if reason is not None:
            pre[outcome] = {"reason": reason}
            continue
        fe = fe_horizon_effects(data, outcome, horizons, rv=rv, own_lags=own_lags)
        fe.insert(0, "outcome", outcome)
        rev = fe_horizon_effects(data, outcome, horizons, rv=rv, own_lags=own_lags, reverse=True)
        for col in ("coef", "t", "p_value", "effect"):
            fe[f"reverse_{col}"] = rev[col].to_numpy()
        feats = forecast_features(data, outcome)
        oot = [
            out_of_time_gain(
                data, outcome, h, features=feats, n_boot=n_boot, seed=seed + 31 * h + i
            )
            for h in fe["horizon"]
        ]
        oot = pd.DataFrame(oot).add_prefix("oot_")
        fe_rows.append(pd.concat([fe, oot], axis=1))
        K = _granger_order(n_periods, granger_order)
        y_wide = _wide(data, outcome)
        for direction, (y, x) in {
            "forward": (y_wide, rv_wide),
            "reverse": (rv_wide, y_wide),
        }.items():
            res = (
                dumitrescu_hurlin(y, x, K, demean=True, n_boot=granger_boot, seed=seed + i)
                if K
                else DHResult(0, 0, 0, *([np.nan] * 6))
            )
            granger_rows.append({"outcome": outcome, "direction": direction, **res.to_dict()})
        if lead_lag:
            ll_frames.append(lead_lag_profile(data, outcome, n_boot=n_boot, seed=seed + i))

    table = (
        pd.concat(fe_rows, ignore_index=True)
        if fe_rows
        else pd.DataFrame(
            columns=[
                "outcome",
                "horizon",
                "coef",
                "se",
                "t",
                "p_value",
                "effect",
                "ci_low",
                "ci_high",
            ]
        )
    )
    table["p_adjusted"] = holm_adjust(table["p_value"]) if len(table) else []
    granger = pd.DataFrame(granger_rows)
    summary = {}
    for outcome in outcomes:
        if outcome in pre:
            summary[outcome] = _insufficient(pre[outcome]["reason"])
            continue
        summary[outcome] = _outcome_summary(outcome, table, granger, alpha)
    return LeadingIndicatorResults(
        summary=summary,
        table=table,
        granger=granger,
        lead_lag=pd.concat(ll_frames, ignore_index=True) if ll_frames else pd.DataFrame(),
    )


def _insufficient(reason: str) -> dict:
    return {
        "verdict": "insufficient_data",
        "best_horizon": None,
        "effect": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "p_adjusted": None,
        "reverse_p_value": None,
        "reason": reason,
    }


def _best_row(rows: pd.DataFrame) -> pd.Series | None:
    """The horizon where RV's evidence is strongest in the expected direction (largest t)."""
    est = rows[np.isfinite(rows["t"])]
    if est.empty:
        return None
    return est.loc[est["t"].idxmax()]


def _outcome_summary(
    outcome: str, table: pd.DataFrame, granger: pd.DataFrame, alpha: float
) -> dict:
    rows = table[table["outcome"] == outcome]
    best = _best_row(rows)
    if best is None:
        return _insufficient("no horizon could be estimated (too few periods or accounts)")
    g = granger[granger["outcome"] == outcome].set_index("direction")
    fwd, rev = g.loc["forward"], g.loc["reverse"]
    rev_rows = rows[np.isfinite(rows["reverse_t"])]
    rev_best = rev_rows.loc[rev_rows["reverse_t"].idxmax()] if len(rev_rows) else None
    reverse_p = float(rev_best["reverse_p_value"]) if rev_best is not None else np.nan
    reverse_t = float(rev_best["reverse_t"]) if rev_best is not None else np.nan
    verdict, reasons = leading_verdict(
        p_adjusted=best["p_adjusted"],
        coef=best["coef"],
        t_stat=best["t"],
        oot_ci_low=best["oot_ci_low"],
        granger_forward_p=fwd["p_bootstrap"],
        reverse_p=reverse_p,
        reverse_t=reverse_t,
        alpha=alpha,
    )
    return to_jsonable(
        {
            "verdict": verdict,
            "best_horizon": int(best["horizon"]),
            "effect": best["effect"],
            "ci_low": best["ci_low"],
            "ci_high": best["ci_high"],
            "p_value": best["p_value"],
            "p_adjusted": best["p_adjusted"],
            "reverse_p_value": reverse_p,
            "reverse_horizon": None if rev_best is None else int(rev_best["horizon"]),
            "reason": "; ".join(reasons)
            if reasons
            else "all three conditions of the verdict rule hold",
            "tests": {
                "fixed_effects": rows[
                    [
                        "horizon",
                        "coef",
                        "se",
                        "p_value",
                        "p_adjusted",
                        "effect",
                        "ci_low",
                        "ci_high",
                        "n_obs",
                        "n_accounts",
                    ]
                ].to_dict("records"),
                "reverse_fixed_effects": rows[
                    ["horizon"] + [c for c in rows if c.startswith("reverse_")]
                ]
                .rename(columns=lambda c: c.removeprefix("reverse_"))
                .to_dict("records"),
                "out_of_time": rows[["horizon"] + [c for c in rows if c.startswith("oot_")]]
                .rename(columns=lambda c: c.removeprefix("oot_"))
                .to_dict("records"),
                "granger": {
                    "forward": fwd.drop("outcome").to_dict(),
                    "reverse": rev.drop("outcome").to_dict(),
                },
            },
        }
    )


def leading_indicator_summary(
    panel: pd.DataFrame,
    *,
    outcomes: Sequence[str] = OUTCOME_NAMES,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    seed: int = 0,
    progress: bool = False,
    **options,
) -> dict:
    """`summary.json["leading_indicator"]`: per outcome verdict, best_horizon, effect, CI,
    p_value, p_adjusted, reverse_p_value, plus `reason` and the `tests` behind it.

    `options` go to `leading_indicator_results` (alpha, rv, own_lags, n_boot, …).
    """
    options.setdefault("lead_lag", False)
    return leading_indicator_results(
        panel, outcomes=outcomes, horizons=horizons, seed=seed, progress=progress, **options
    ).summary


def backtest_summary(
    panel: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    config=None,
    *,
    dataset=None,
    progress: bool = False,
) -> dict:
    """The step-f part of `summary.json`: ``leading_indicator``, ``segments``, ``do_vs_say``.

    `config` (a `rvq.config.PilotConfig`, a dict, or None) supplies outcomes, horizons,
    segments and seed; `dataset` is accepted for the CLI and not needed here.
    """
    from rvq.stats.dovssay import do_vs_say
    from rvq.stats.segments import DEFAULT_SEGMENTS, segment_comparisons

    def get(name, default):
        if isinstance(config, dict):
            return config.get(name, default)
        return getattr(config, name, default) if config is not None else default

    outcomes = tuple(get("outcomes", OUTCOME_NAMES))
    horizons = tuple(int(h) for h in get("horizons", DEFAULT_HORIZONS))
    seed = int(get("seed", 0))
    leading = leading_indicator_summary(
        panel, outcomes=outcomes, horizons=horizons, seed=seed, progress=progress
    )
    best = {o: r.get("best_horizon") for o, r in leading.items()}
    return {
        "leading_indicator": leading,
        "segments": segment_comparisons(
            panel, accounts, segments=tuple(get("segments", DEFAULT_SEGMENTS)), seed=seed
        ),
        "do_vs_say": do_vs_say(panel, outcomes=outcomes, horizons=best, seed=seed),
    }
