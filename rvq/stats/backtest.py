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

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rvq.config import PilotConfig
from rvq.jsonable import to_jsonable
from rvq.multiplicity import holm_adjust
from rvq.privacy import privacy_settings
from rvq.schema import OUTCOME_NAMES
from rvq.scoring.outcomes import (
    MIN_ACCOUNTS,
    derive_outcomes,
    untestable_reason,
    with_entity_codes,
)
from rvq.stats.dovssay import DoVsSayResult, do_vs_say
from rvq.stats.granger import DHResult, dumitrescu_hurlin
from rvq.stats.leadlag import lead_lag_profile
from rvq.stats.oot import forecast_features, out_of_time_gain
from rvq.stats.panelfe import two_way_fe
from rvq.stats.results import Result, number
from rvq.stats.segments import SegmentResults, segment_results

DEFAULT_HORIZONS = (1, 2, 3, 4)
ENTITY, TIME = "account_id", "period_index"

#: the minimum a verdict needs: accounts with usable rows, and periods of the outcome


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


#: the per-horizon tables of a result and the columns each keeps (summary.json's `tests`)
FE_COLUMNS = (
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
)
#: the numbers of the best horizon a result reports (NaN where the data could not give one)
RESULT_NUMBERS = ("effect", "ci_low", "ci_high", "p_value", "p_adjusted", "reverse_p_value")


@dataclass
class LeadingIndicatorResult(Result):
    """Is RV a leading indicator of one outcome? The verdict (`leading_verdict`, or
    ``insufficient_data`` with the reason) and the evidence behind it.

    The numbers are those of the best horizon (the largest t statistic of RV -> outcome):
    the standardized effect with its 95% interval, the p-value and its Holm adjustment, and
    the strongest reverse regression's p-value and horizon. The per-horizon tables (fixed
    effects, reverse fixed effects, out of time) and the Granger tests are the `tests` of
    summary.json; a result without them was not tested (too little data).
    """

    outcome: str
    verdict: str
    reason: str
    best_horizon: int | None = None
    effect: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    p_adjusted: float = math.nan
    reverse_p_value: float = math.nan
    reverse_horizon: int | None = None
    fixed_effects: pd.DataFrame | None = field(default=None, repr=False)
    reverse_fixed_effects: pd.DataFrame | None = field(default=None, repr=False)
    out_of_time: pd.DataFrame | None = field(default=None, repr=False)
    granger: dict[str, dict] | None = field(default=None, repr=False)

    @property
    def tested(self) -> bool:
        """Whether the tests ran (they did not when the data could not carry them)."""
        return self.fixed_effects is not None

    def to_dict(self) -> dict:
        """This outcome's `summary.json["leading_indicator"]` entry (plain JSON data)."""
        out: dict = {"verdict": self.verdict, "best_horizon": self.best_horizon}
        out.update({k: getattr(self, k) for k in RESULT_NUMBERS})
        if self.tested:
            out["reverse_horizon"] = self.reverse_horizon
        out["reason"] = self.reason
        if self.tested:
            out["tests"] = {
                "fixed_effects": self.fixed_effects,
                "reverse_fixed_effects": self.reverse_fixed_effects,
                "out_of_time": self.out_of_time,
                "granger": self.granger,
            }
        return to_jsonable(out)

    @classmethod
    def from_dict(cls, outcome: str, data: Mapping) -> LeadingIndicatorResult:
        """The result again from its `to_dict()` entry (e.g. read back from summary.json)."""
        tests = data.get("tests")
        return cls(
            outcome=outcome,
            verdict=data["verdict"],
            reason=data.get("reason") or "",
            best_horizon=data.get("best_horizon"),
            **{k: number(data.get(k)) for k in RESULT_NUMBERS},
            reverse_horizon=data.get("reverse_horizon"),
            **(
                {
                    "fixed_effects": pd.DataFrame(tests["fixed_effects"]),
                    "reverse_fixed_effects": pd.DataFrame(tests["reverse_fixed_effects"]),
                    "out_of_time": pd.DataFrame(tests["out_of_time"]),
                    "granger": dict(tests["granger"]),
                }
                if tests is not None
                else {}
            ),
        )

    def summary(self) -> pd.DataFrame:
        """One row: the verdict, the best horizon, the effect with its interval, the
        adjusted p-value and the reason."""
        return pd.DataFrame(
            [
                {
                    "outcome": self.outcome,
                    "verdict": self.verdict,
                    "best_horizon": self.best_horizon,
                    "effect": self.effect,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "p_adjusted": self.p_adjusted,
                    "reason": self.reason,
                }
            ]
        ).set_index("outcome")


@dataclass
class LeadingIndicatorResults(Result):
    """Question 6 for every outcome: one `LeadingIndicatorResult` each, and the tidy tables
    behind them for the figures."""

    outcomes: dict[str, LeadingIndicatorResult]
    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # outcome x horizon
    granger: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # outcome x direction
    lead_lag: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def verdict(self) -> str:
        """The answer over all outcomes: ``leading`` if RV leads any of them,
        ``insufficient_data`` if none could be tested, else ``not_leading``."""
        verdicts = {r.verdict for r in self.outcomes.values()}
        if "leading" in verdicts:
            return "leading"
        return "insufficient_data" if verdicts == {"insufficient_data"} else "not_leading"

    def to_dict(self) -> dict:
        """`summary.json["leading_indicator"]`."""
        return {outcome: result.to_dict() for outcome, result in self.outcomes.items()}

    @classmethod
    def from_dict(cls, data: Mapping) -> LeadingIndicatorResults:
        return cls({o: LeadingIndicatorResult.from_dict(o, r) for o, r in data.items()})

    def summary(self) -> pd.DataFrame:
        """One row per outcome (see `LeadingIndicatorResult.summary`)."""
        rows = [r.summary() for r in self.outcomes.values()]
        return pd.concat(rows) if rows else pd.DataFrame()


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
        reason = untestable_reason(data, outcome, rv)
        if reason is not None:
            pre[outcome] = reason
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
    results = {
        outcome: (
            _insufficient(outcome, pre[outcome])
            if outcome in pre
            else _outcome_result(outcome, table, granger, alpha)
        )
        for outcome in outcomes
    }
    return LeadingIndicatorResults(
        outcomes=results,
        table=table,
        granger=granger,
        lead_lag=pd.concat(ll_frames, ignore_index=True) if ll_frames else pd.DataFrame(),
    )


def _insufficient(outcome: str, reason: str) -> LeadingIndicatorResult:
    return LeadingIndicatorResult(outcome=outcome, verdict="insufficient_data", reason=reason)


def _best_row(rows: pd.DataFrame) -> pd.Series | None:
    """The horizon where RV's evidence is strongest in the expected direction (largest t)."""
    est = rows[np.isfinite(rows["t"])]
    if est.empty:
        return None
    return est.loc[est["t"].idxmax()]


def _outcome_result(
    outcome: str, table: pd.DataFrame, granger: pd.DataFrame, alpha: float
) -> LeadingIndicatorResult:
    rows = table[table["outcome"] == outcome]
    best = _best_row(rows)
    if best is None:
        return _insufficient(outcome, "no horizon could be estimated (too few periods or accounts)")
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

    def columns(prefix: str) -> pd.DataFrame:
        return (
            rows[["horizon"] + [c for c in rows if c.startswith(prefix)]]
            .rename(columns=lambda c: c.removeprefix(prefix))
            .reset_index(drop=True)
        )

    return LeadingIndicatorResult(
        outcome=outcome,
        verdict=verdict,
        reason="; ".join(reasons) if reasons else "all three conditions of the verdict rule hold",
        best_horizon=int(best["horizon"]),
        effect=float(best["effect"]),
        ci_low=float(best["ci_low"]),
        ci_high=float(best["ci_high"]),
        p_value=float(best["p_value"]),
        p_adjusted=float(best["p_adjusted"]),
        reverse_p_value=reverse_p,
        reverse_horizon=None if rev_best is None else int(rev_best["horizon"]),
        fixed_effects=rows[list(FE_COLUMNS)].reset_index(drop=True),
        reverse_fixed_effects=columns("reverse_"),
        out_of_time=columns("oot_"),
        granger={
            "forward": fwd.drop("outcome").to_dict(),
            "reverse": rev.drop("outcome").to_dict(),
        },
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
    ).to_dict()


# ------------------------------------------------------------------------- step f


@dataclass
class BacktestResult(Result):
    """Step f, the three questions the back-test answers: is RV a leading indicator
    (`leading_indicator`, question 6), does it differ between groups (`segments`,
    questions 1-5), and how does DO relate to SAY (`do_vs_say`, question 7)."""

    leading_indicator: LeadingIndicatorResults
    segments: SegmentResults
    do_vs_say: DoVsSayResult
    seed: int = 0
    horizons: tuple[int, ...] = DEFAULT_HORIZONS

    def to_dict(self) -> dict:
        """The step-f sections of `summary.json`: leading_indicator, segments, do_vs_say."""
        return {
            "leading_indicator": self.leading_indicator.to_dict(),
            "segments": self.segments.to_dict(),
            "do_vs_say": self.do_vs_say.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> BacktestResult:
        """The result again from summary.json (or the step's findings record): the sections
        without the tables for the figures."""
        return cls(
            leading_indicator=LeadingIndicatorResults.from_dict(
                data.get("leading_indicator") or {}
            ),
            segments=SegmentResults.from_dict(data.get("segments") or {}),
            do_vs_say=DoVsSayResult.from_dict(data.get("do_vs_say") or {}),
        )

    def summary(self) -> pd.DataFrame:
        """One row per question: its verdict."""
        rows = [("leading indicator (6)", self.leading_indicator.verdict)]
        rows += [(name, result.verdict) for name, result in self.segments.questions.items()]
        rows.append(("DO vs SAY (7)", self.do_vs_say.verdict))
        return pd.DataFrame(rows, columns=["question", "verdict"]).set_index("question")


def run_backtest(
    panel: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    config: PilotConfig | None = None,
    *,
    seed: int | None = None,
    horizons: Sequence[int] | None = None,
    min_accounts: int | None = None,
    lead_lag: bool = True,
    progress: bool = False,
) -> BacktestResult:
    """Step f: the leading-indicator tests, the segment comparisons and DO vs SAY.

    The one entry point of `rvq backtest` and of notebook 06, so the command and the
    pilot report cannot reach different verdicts. `config` (default: `PilotConfig()`)
    supplies outcomes, horizons, segments and seed; `seed` and `horizons` override it.
    `min_accounts` (default: the config's `privacy.min_cell_accounts`) is the small-cell
    floor of `rvq.stats.segments.segment_results`; `lead_lag=False` skips
    the lead-lag profile, which only the notebook's figure uses.
    """
    config = config if config is not None else PilotConfig()
    outcomes = tuple(config.outcomes)
    horizons = tuple(int(h) for h in (horizons or config.horizons))
    seed = int(config.seed if seed is None else seed)
    leading = leading_indicator_results(
        panel, outcomes=outcomes, horizons=horizons, seed=seed, lead_lag=lead_lag, progress=progress
    )
    for outcome in OUTCOME_NAMES:  # contract 3 answers every outcome, tested or not
        if outcome not in leading.outcomes:
            leading.outcomes[outcome] = _insufficient(
                outcome, "not among the outcomes this pilot's config tests"
            )
    best = {o: r.best_horizon for o, r in leading.outcomes.items() if o in outcomes}
    return BacktestResult(
        leading_indicator=leading,
        segments=segment_results(
            panel,
            accounts,
            segments=tuple(config.segments),
            seed=seed,
            min_accounts=privacy_settings(config).min_cell_accounts
            if min_accounts is None
            else min_accounts,
        ),
        do_vs_say=do_vs_say(panel, outcomes=outcomes, horizons=best, seed=seed),
        seed=seed,
        horizons=horizons,
    )
