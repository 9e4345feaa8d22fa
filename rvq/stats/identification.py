"""Does RV move before the money, or only with it? The lead test's design, written once.

`docs/identification.md` is the referee's version of this docstring. Per outcome (profit,
revenue growth, share of wallet) the evidence is:

- **forward** (local projections, Jordà 2005): for h = 1..H, the outcome at t+h on RV at
  t with the outcome's own history (y_t, y_t-1), the account's revenue level
  (log revenue at t: for revenue growth, the level RV could be standing in for), RV's own
  previous period, account and period effects, standard errors clustered by account
  (`rvq.stats.panelfe.two_way_fe`, linearmodels' PanelOLS estimator);
- **account trends**: the same regressions with each account's own linear trend
  (`rvq.stats.trendfe`): growing accounts get more interactions and more money, and period
  effects remove only the trend that all accounts share;
- **placebo on future RV**: the outcome at t+h* on RV at t+h*+1, i.e. RV measured AFTER the
  outcome, with the forward controls and RV at t: it must not "lead" (the event-study
  pre-trend check turned around);
- **reverse**: RV at t+h on the outcome at t with RV's own history (RV_t, RV_t-1) and the
  outcome's previous value: does the money move RV? Reported as a finding (`feedback`),
  never compared with the forward t statistic;
- **out of time** (`rvq.stats.oot`): used where the held-out part has at least
  `MIN_HELD_OUT` periods, otherwise reported as not having power;
- **Dumitrescu–Hurlin** (`rvq.stats.granger`) at order h*, where the panel is long enough
  for that order (T > 5 + 3 h*), otherwise reported as unable to see the horizon. It is
  reported, not a veto: with one regression per account it has far less power than the
  pooled projections (measured in `benchmarks/identification_worlds.py`).

p-values of the forward regressions are Holm-adjusted over the family actually searched
(outcomes x horizons: the best horizon is chosen among them); the reverse ones over their
own such family. The account-trend versions are robustness checks at the one horizon the
rule reads (one-sided, not adjusted: nothing is searched there). `decide_lead` turns one outcome's evidence into a `Decision`: the
verdict, `feedback`, the best horizon and every condition with its numbers and pass/fail,
so a report prints the rule from the rule itself (`Decision.conditions`, `RULE`).

The verdict is predictive, not causal: "leading" says RV's movements come before the
outcome's, given the outcome's own past; it does not say what an intervention would do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd
from scipy import stats

from rvq.jsonable import to_jsonable
from rvq.multiplicity import holm_adjust
from rvq.scoring.outcomes import (
    MIN_ACCOUNTS,
    derive_outcomes,
    untestable_reason,
    with_entity_codes,
)
from rvq.stats.granger import dumitrescu_hurlin
from rvq.stats.oot import out_of_time_gain
from rvq.stats.panelfe import two_way_fe
from rvq.stats.trendfe import two_way_fe_trends

OUTCOMES = ("profit", "revenue_growth", "share_of_wallet")
HORIZONS = (1, 2, 3, 4)
VERDICTS = ("leading", "not_leading", "insufficient_data")
ENTITY, TIME = "account_id", "period_index"

#: the least a verdict needs: accounts with the outcome, and periods of it
#: fewest held-out periods for the out-of-time check to count: the account bootstrap of its
#: interval does not see period-to-period shocks, which dominate with 2-3 periods
MIN_HELD_OUT = 4
#: smallest reverse effect (RV SDs per SD of the outcome) called feedback: with account
#: effects in short panels a real lead alone biases the reverse coefficient by
#: O(effect / T) (Nickell 1981), which thousands of accounts make "significant": measured
#: up to 0.09 in size (demo world, revenue growth), while real feedback in the test worlds
#: is 0.2 or more
FEEDBACK_MIN_EFFECT = 0.15

#: the conditions, in the order a report prints them: name -> (role, question)
RULE = {
    "forward": (
        "required",
        "Does RV at t add to the outcome's own history (level included) at t+h?",
    ),
    "account_trends": (
        "required",
        "Does it still, at the same horizon, once every account's own trend is removed?",
    ),
    "placebo": (
        "required",
        "Does RV measured after the outcome fail to 'predict' it (unless the outcome feeds back)?",
    ),
    "rescue": (
        "required",
        "Is RV more than an answer to the outcome's dips (the outcome does not push RV the "
        "opposite way)?",
    ),
    "out_of_time": (
        "confirmation",
        "Out of time: does RV improve forecasts of later periods (where enough are held out)?",
    ),
    "granger": (
        "reported",
        "Dumitrescu-Hurlin at an order that sees the horizon: does RV Granger-cause it?",
    ),
    "reverse": ("reported", "Does the outcome move RV later (feedback)?"),
}


# ------------------------------------------------------------------------ the evidence


@dataclass(frozen=True)
class HorizonTest:
    """One regression's focal coefficient (raw units and standardized) and its test."""

    horizon: int
    coef: float = float("nan")
    se: float = float("nan")
    t: float = float("nan")
    p_value: float = float("nan")  # two-sided
    effect: float = float("nan")  # within-account SDs of the dependent per SD of the focal
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    n_obs: int = 0
    n_accounts: int = 0
    p_adjusted: float = float("nan")  # Holm over the family the test belongs to

    def one_sided_p(self, sign: int = 1) -> float:
        """p-value of the alternative that the coefficient has `sign`."""
        if not np.isfinite(self.p_value):
            return float("nan")
        half = self.p_value / 2
        return half if np.sign(self.t) == sign else 1 - half


@dataclass(frozen=True)
class Check:
    """A confirmation (out of time, Granger): its statistic, or why it does not apply."""

    applicable: bool
    passed: bool | None = None
    numbers: dict = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Evidence:
    """Everything the rule needs for one outcome (`lead_evidence` computes it; tests build it)."""

    outcome: str
    forward: tuple[HorizonTest, ...] = ()
    trends: tuple[HorizonTest, ...] = ()
    reverse: tuple[HorizonTest, ...] = ()
    reverse_trends: tuple[HorizonTest, ...] = ()
    placebo: HorizonTest | None = None  # at the best horizon: RV one period after the outcome
    out_of_time: Check = Check(False, note="not computed")
    granger: Check = Check(False, note="not computed")
    missing: str | None = None  # why the data cannot carry the tests at all


def best_horizon(forward: Sequence[HorizonTest]) -> int | None:
    """The horizon where RV's forward evidence is strongest in the expected direction."""
    est = [f for f in forward if np.isfinite(f.t)]
    return max(est, key=lambda f: f.t).horizon if est else None


# ------------------------------------------------------------------------ the decision


@dataclass(frozen=True)
class Condition:
    """One line of the rule: what it asks, its numbers, and whether it held.

    `role`: ``required`` (all must pass), ``confirmation`` (where any applies, one must
    pass), ``reported`` (a finding; never decides). `passed` is None when the condition
    does not apply (its `note` says why).
    """

    name: str
    role: str
    question: str
    passed: bool | None
    numbers: dict
    note: str = ""


@dataclass(frozen=True)
class Decision:
    """The verdict for one outcome and the conditions it was decided from."""

    outcome: str
    verdict: str
    feedback: bool
    best_horizon: int | None
    conditions: tuple[Condition, ...]
    reason: str

    def condition(self, name: str) -> Condition:
        return next(c for c in self.conditions if c.name == name)

    def to_dict(self) -> dict:
        """The `summary.json` entry: the contract's keys plus `feedback`, `reason` and
        `conditions` (each with name, role, question, passed, numbers, note)."""
        fwd = self.condition("forward").numbers if self.conditions else {}
        rev = self.condition("reverse").numbers if self.conditions else {}
        return to_jsonable(
            {
                "verdict": self.verdict,
                "best_horizon": self.best_horizon,
                "effect": fwd.get("effect"),
                "ci_low": fwd.get("ci_low"),
                "ci_high": fwd.get("ci_high"),
                "p_value": fwd.get("p_value"),
                "p_adjusted": fwd.get("p_adjusted"),
                "reverse_p_value": rev.get("p_value"),
                "feedback": self.feedback,
                "reason": self.reason,
                "conditions": [asdict(c) for c in self.conditions],
            }
        )

    def rule_lines(self) -> list[str]:
        """The rule as it was applied, one line per condition, from the conditions."""
        mark = {True: "pass", False: "FAIL", None: "n/a"}
        return [
            f"[{mark[c.passed]}] ({c.role}) {c.question} {_numbers_text(c.numbers)}"
            + (f" - {c.note}" if c.note else "")
            for c in self.conditions
        ]


def _numbers_text(numbers: dict) -> str:
    parts = []
    for k, v in numbers.items():
        if isinstance(v, float):
            parts.append(f"{k}={v:.3g}")
        elif v is not None:
            parts.append(f"{k}={v}")
    return "(" + ", ".join(parts) + ")" if parts else ""


def _test_numbers(test: HorizonTest | None) -> dict:
    if test is None:
        return {}
    return {
        "horizon": test.horizon,
        "coef": test.coef,
        "effect": test.effect,
        "ci_low": test.ci_low,
        "ci_high": test.ci_high,
        "t": test.t,
        "p_value": test.p_value,
        "p_adjusted": test.p_adjusted,
        "n_obs": test.n_obs,
    }


def at_horizon(tests: Sequence[HorizonTest], h: int | None) -> HorizonTest | None:
    """The test at horizon `h` (None if there is none)."""
    return next((x for x in tests if x.horizon == h), None)


def _significant(test: HorizonTest | None, alpha: float, sign: int) -> bool:
    return (
        test is not None
        and np.isfinite(test.p_adjusted)
        and test.p_adjusted < alpha
        and np.sign(test.coef) == sign
    )


def _robust(test: HorizonTest | None, alpha: float, sign: int) -> bool:
    """A robustness check at one pre-chosen horizon: one-sided p < `alpha` in `sign`'s
    direction (not adjusted: nothing is searched; the search was adjusted before)."""
    return test is not None and test.one_sided_p(sign) < alpha


def strongest_reverse(reverse: Sequence[HorizonTest]) -> HorizonTest | None:
    """The reverse horizon with the smallest adjusted p (largest |t| among ties)."""
    est = [r for r in reverse if np.isfinite(r.t)]
    if not est:
        return None
    return min(est, key=lambda r: (r.p_adjusted if np.isfinite(r.p_adjusted) else 2, -abs(r.t)))


def decide_lead(evidence: Evidence, *, alpha: float = 0.05, expected_sign: int = 1) -> Decision:
    """THE rule. ``leading`` if and only if, at the best horizon h* (largest forward t):

    1. **forward**: RV at t adds to the outcome's own history (its level included) at
       t+h*: Holm-adjusted p < `alpha`, expected sign;
    2. **account_trends**: so it does with every account's own linear trend removed
       (a robustness check at h*: one-sided p < `alpha`, same sign);
    3. **placebo**: RV one period AFTER the outcome does not "predict" it (one-sided
       p >= `alpha` in the expected direction). When the outcome feeds back into RV with
       that sign, future RV is expected to move with it (Sims 1972: future-RV association
       is the reverse Granger test), so the placebo does not apply; condition 2 is then
       the guard against moving together;
    4. **rescue**: the outcome does not feed back into RV with the opposite sign (RV
       rising after the outcome falls: reps answer dips). The outcome's rebound would
       follow RV whatever RV does, and when reps know more about a dip than the recorded
       history shows (measured in `rvq.synth`'s rescue world), no control removes it;
    5. **out of time**, where it has power (at least `MIN_HELD_OUT` held-out periods):
       adding RV raises the held-out R² with an interval above 0. With fewer held-out
       periods it is reported as not having power and does not veto.

    Reported, never a veto: **granger**, Dumitrescu-Hurlin at order h* (it sees lags
    1..h*) where T > 5 + 3 h*; **reverse**: ``feedback`` is True when RV at t+h on the
    outcome at t (given RV's history) has, at its strongest horizon, a Holm-adjusted
    p < `alpha` and |effect| >= `FEEDBACK_MIN_EFFECT`, and keeps its sign with account
    trends (one-sided p < `alpha`) (a direction claim gets the lead's guard). When the
    forward condition fails and the reverse holds, the reason says that RV follows the
    outcome. ``insufficient_data`` when the data cannot carry the tests.
    """
    if evidence.missing is not None:
        return Decision(evidence.outcome, "insufficient_data", False, None, (), evidence.missing)
    h = best_horizon(evidence.forward)
    if h is None:
        reason = "no horizon could be estimated (too few periods or accounts)"
        return Decision(evidence.outcome, "insufficient_data", False, None, (), reason)

    fwd, trd = at_horizon(evidence.forward, h), at_horizon(evidence.trends, h)
    rev = strongest_reverse(evidence.reverse)
    rev_trd = at_horizon(evidence.reverse_trends, rev.horizon) if rev is not None else None
    fwd_ok = _significant(fwd, alpha, expected_sign)
    feedback = (
        rev is not None
        and _significant(rev, alpha, int(np.sign(rev.coef)))
        and abs(rev.effect) >= FEEDBACK_MIN_EFFECT
        and _robust(rev_trd, alpha, int(np.sign(rev.coef)))
    )
    conditions = [
        _condition("forward", fwd_ok, {**_test_numbers(fwd), "per_100_rv": 100 * fwd.coef}),
        _condition(
            "account_trends",
            _robust(trd, alpha, expected_sign),
            {**_test_numbers(trd), "p_one_sided": trd.one_sided_p(expected_sign) if trd else None},
        ),
        _placebo_condition(evidence.placebo, rev if feedback else None, alpha, expected_sign),
        _rescue_condition(rev if feedback else None, expected_sign),
        _check_condition("out_of_time", evidence.out_of_time),
        _check_condition("granger", evidence.granger),
        _condition(
            "reverse",
            feedback,
            {**_test_numbers(rev), "t_trends": rev_trd.t if rev_trd else None},
            note="feedback" if feedback else "no material feedback",
        ),
    ]
    failed = [c for c in conditions if c.role == "required" and c.passed is False]
    confirmations = [c for c in conditions if c.role == "confirmation" and c.passed is not None]
    unconfirmed = bool(confirmations) and not any(c.passed for c in confirmations)
    verdict = "not_leading" if failed or unconfirmed else "leading"
    return Decision(
        evidence.outcome,
        verdict,
        bool(feedback),
        h,
        tuple(conditions),
        _reason(verdict, failed, unconfirmed, fwd_ok, feedback, rev, h),
    )


def _condition(name: str, passed: bool | None, numbers: dict, note: str = "") -> Condition:
    role, question = RULE[name]
    return Condition(name, role, question, passed, numbers, note)


def _placebo_condition(
    placebo: HorizonTest | None, feedback: HorizonTest | None, alpha: float, sign: int
) -> Condition:
    if placebo is None or not np.isfinite(placebo.t):
        return _condition("placebo", None, {}, "not enough periods after the best horizon")
    p_one = placebo.one_sided_p(sign)
    numbers = {**_test_numbers(placebo), "p_one_sided": p_one}
    numbers.pop("p_adjusted")
    if p_one >= alpha:
        return _condition("placebo", True, numbers)
    if feedback is not None and np.sign(feedback.coef) == np.sign(placebo.coef):
        note = (
            "RV after the outcome moves with it, as feedback of this sign implies "
            "(Sims 1972); account trends are the guard against moving together"
        )
        return _condition("placebo", None, numbers, note)
    return _condition("placebo", False, numbers, "RV after the outcome 'predicts' it")


def _rescue_condition(feedback: HorizonTest | None, sign: int) -> Condition:
    """Fails when the outcome feeds back into RV with the sign opposite to the lead's: RV
    rises after the outcome falls (rescue effort). The outcome's rebound after a dip then
    follows RV whether or not RV does anything, and when reps see more of the dip than the
    outcome's recorded history shows, no control in the data removes it."""
    if feedback is None:
        return _condition("rescue", True, {}, "no material feedback")
    numbers = {"reverse_effect": feedback.effect, "reverse_horizon": feedback.horizon}
    if np.sign(feedback.coef) == sign:
        return _condition("rescue", True, numbers, "the outcome moves RV the same way")
    note = (
        "RV rises after the outcome falls: a rebound after the dips RV answers cannot be "
        "told from RV's effect"
    )
    return _condition("rescue", False, numbers, note)


def _check_condition(name: str, check: Check) -> Condition:
    return _condition(name, check.passed if check.applicable else None, check.numbers, check.note)


def _reason(verdict, failed, unconfirmed, fwd_ok, feedback, rev, h) -> str:
    if verdict == "leading":
        tail = " The outcome also feeds back into RV." if feedback else ""
        return f"RV leads by {h} period(s): every condition of the rule that applies holds.{tail}"
    words = {
        "forward": "RV does not add to the outcome's own history (no horizon, expected sign)",
        "account_trends": "the association disappears once each account's own trend is removed",
        "placebo": "RV measured after the outcome 'predicts' it as well",
        "rescue": "RV answers the outcome's dips (it rises after the outcome falls), so a "
        "rebound cannot be told from RV's effect",
    }
    parts = [words[c.name] for c in failed]
    if unconfirmed:
        parts.append("RV does not improve out-of-time forecasts, with enough periods held out")
    if not fwd_ok and feedback:
        parts.append(f"RV follows the outcome (reverse effect {rev.effect:.2f} at {rev.horizon})")
    return "; ".join(parts)


# ------------------------------------------------------------------ the regressions


class _Wide:
    """Accounts x periods arrays of what the regressions need, on a full period grid."""

    def __init__(self, data: pd.DataFrame, outcome: str, rv: str):
        cols = list(dict.fromkeys([rv, outcome] + (["revenue"] if "revenue" in data else [])))
        wide = data.pivot(index=ENTITY, columns=TIME, values=cols)
        periods = np.arange(int(data[TIME].min()), int(data[TIME].max()) + 1)
        self.rv = wide[rv].reindex(columns=periods).to_numpy(float)
        self.y = wide[outcome].reindex(columns=periods).to_numpy(float)
        self.level = None
        if "revenue" in cols:
            revenue = wide["revenue"].reindex(columns=periods).to_numpy(float)
            positive = revenue[np.isfinite(revenue) & (revenue > 0)]
            if positive.size:
                # log revenue; zero revenue stays finite (1% of the median positive revenue)
                floor = 0.01 * float(np.median(positive))
                with np.errstate(invalid="ignore"):
                    self.level = np.log(np.where(revenue >= 0, revenue, np.nan) + floor)


def _rows(terms: list[tuple[np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack terms (array, offset: the column at period t + offset) over every account and
    every t where all offsets fall inside the panel; keep complete rows.

    Returns the values (rows x terms), the account codes and the periods t.
    """
    n, T = terms[0][0].shape
    offsets = [o for _, o in terms]
    t0, t1 = max(0, -min(offsets)), T - max(0, max(offsets))
    if t1 <= t0:
        return np.empty((0, len(terms))), np.empty(0, int), np.empty(0, int)
    values = np.stack([a[:, t0 + o : t1 + o].ravel() for a, o in terms], axis=1)
    entity = np.repeat(np.arange(n), t1 - t0)
    time = np.tile(np.arange(t0, t1), n)
    ok = np.isfinite(values).all(axis=1)
    return values[ok], entity[ok], time[ok]


def _within_sd(v: np.ndarray, entity: np.ndarray) -> float:
    n = np.bincount(entity)
    means = np.bincount(entity, weights=v) / np.maximum(n, 1)
    return float(np.std(v - means[entity]))


def horizon_test(
    rows: tuple[np.ndarray, np.ndarray, np.ndarray], horizon: int, *, trends: bool = False
) -> HorizonTest:
    """Regress the first term on the others with account and period effects (and account
    trends); test the second term (the focal one). `rows`: the terms' `_rows`, stacked
    once for the fits with and without account trends."""
    values, entity, time = rows
    n_acc = int(np.count_nonzero(np.bincount(entity)))  # codes 0..n-1: counted, not sorted
    empty = HorizonTest(horizon, n_obs=len(values), n_accounts=n_acc)
    if n_acc < MIN_ACCOUNTS or np.count_nonzero(np.bincount(time)) < 3:
        return empty
    # a control that does not vary (e.g. a constant level) would make X'X singular
    keep = [0, 1] + [j for j in range(2, values.shape[1]) if np.ptp(values[:, j]) > 0]
    y, X = values[:, 0], values[:, keep[1:]]
    sd_x, sd_y = _within_sd(X[:, 0], entity), _within_sd(y, entity)
    if not (sd_x > 0 and sd_y > 0):
        return empty
    fit_fn = two_way_fe_trends if trends else two_way_fe
    try:
        fit = fit_fn(y, X, entity, time)
    except np.linalg.LinAlgError:
        return empty
    b, se = float(fit.params[0]), float(fit.std_errors[0])
    if not np.isfinite(se):
        return empty
    scale = sd_x / sd_y
    z = stats.norm.ppf(0.975)
    return HorizonTest(
        horizon,
        coef=b,
        se=se,
        t=float(fit.tstats[0]),
        p_value=float(fit.pvalues[0]),
        effect=b * scale,
        ci_low=(b - z * se) * scale,
        ci_high=(b + z * se) * scale,
        n_obs=len(y),
        n_accounts=n_acc,
    )


def _forward_terms(w: _Wide, h: int, focal_offset: int = 0) -> list[tuple[np.ndarray, int]]:
    """Outcome at t+h on RV at t + focal_offset, the outcome's history (y_t, y_t-1), the
    revenue level at t and RV at t-1 (plus RV at t when the focal RV is another period)."""
    terms = [(w.y, h), (w.rv, focal_offset), (w.y, 0), (w.y, -1), (w.rv, -1)]
    if focal_offset:
        terms.append((w.rv, 0))
    if w.level is not None:
        terms.append((w.level, 0))
    return terms


def _reverse_terms(w: _Wide, h: int) -> list[tuple[np.ndarray, int]]:
    """RV at t+h on the outcome at t, RV's history (RV_t, RV_t-1) and the outcome at t-1.

    No revenue level: log revenue is often integrated (a random walk with drift), and an
    integrated regressor carries a much larger within-transformation bias."""
    return [(w.rv, h), (w.y, 0), (w.rv, 0), (w.rv, -1), (w.y, -1)]


def _with_holm(tables: dict[str, list[HorizonTest]]) -> dict[str, tuple[HorizonTest, ...]]:
    """The same tests with `p_adjusted` from Holm over all of them together."""
    flat = [(k, t) for k, tests in tables.items() for t in tests]
    adjusted = holm_adjust([t.p_value for _, t in flat])
    out: dict[str, list[HorizonTest]] = {k: [] for k in tables}
    for (k, t), p in zip(flat, adjusted, strict=True):
        out[k].append(HorizonTest(**{**asdict(t), "p_adjusted": float(p)}))
    return {k: tuple(v) for k, v in out.items()}


# --------------------------------------------------------------- confirmations


def _granger_check(w: _Wide, h: int, alpha: float, n_boot: int, seed: int) -> Check:
    """DH at order h (it sees lags 1..h) where the outcome has more than 5 + 3h periods."""
    periods = int(np.isfinite(w.y).sum(axis=1).max()) if w.y.size else 0
    if periods <= 5 + 3 * h:
        note = f"order {h} needs more than {5 + 3 * h} periods of the outcome; it has {periods}"
        return Check(False, numbers={"order": h, "periods": periods}, note=note)
    res = dumitrescu_hurlin(w.y, w.rv, h, demean=True, n_boot=n_boot, seed=seed)
    if res.n_accounts < MIN_ACCOUNTS:
        return Check(False, numbers={"order": h}, note="too few accounts with enough periods")
    # the bootstrap standardization where it was run (Z-tilde over-rejects in short panels)
    z, p = (res.z_bootstrap, res.p_bootstrap) if n_boot else (res.ztilde, res.p_one_sided)
    numbers = {"order": h, "z": z, "p_value": p, "bootstrap": n_boot, "n_accounts": res.n_accounts}
    return Check(True, bool(p < alpha), numbers)


def _oot_check(
    data: pd.DataFrame, outcome: str, h: int, n_boot: int, seed: int, res: dict | None = None
) -> Check:
    """Out of time at horizon h: used where at least MIN_HELD_OUT target periods are held
    out, reported (with its numbers) where fewer are. `res`: the `out_of_time_gain` result
    already computed with these arguments (the back-test's table has it)."""
    if res is None:
        res = out_of_time_gain(data, outcome, h, n_boot=n_boot, seed=seed)
    held_out = int(res["test_periods"])
    numbers = {
        "held_out_periods": held_out,
        "r2_gain": res["gain"],
        "ci_low": res["ci_low"],
        "ci_high": res["ci_high"],
    }
    if held_out < MIN_HELD_OUT:
        note = (
            f"not enough held-out periods ({held_out} < {MIN_HELD_OUT}) for the check to have power"
        )
        return Check(False, numbers=numbers, note=note)
    if not np.isfinite(res["ci_low"]):
        return Check(False, numbers=numbers, note="the out-of-time fit could not be made")
    return Check(True, bool(res["ci_low"] > 0), numbers)


# ------------------------------------------------------------------------ the pipeline


def lead_evidence(
    panel: pd.DataFrame,
    *,
    outcomes: Sequence[str] = OUTCOMES,
    horizons: Sequence[int] = HORIZONS,
    rv: str = "rv_flow",
    alpha: float = 0.05,
    seed: int = 0,
    granger_boot: int = 49,
    n_boot: int = 200,
    out_of_time: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, Evidence]:
    """Every outcome's evidence (see the module docstring), Holm-adjusted over the family.

    `out_of_time`: per outcome, `out_of_time_gain` at every horizon (a `horizon` column),
    computed with seed ``seed + 31 h + i`` (i: the outcome's position), so the check reuses
    it instead of fitting again."""
    data = with_entity_codes(derive_outcomes(panel))
    wides, missing = {}, {}
    for outcome in outcomes:
        reason = untestable_reason(data, outcome, rv)
        if reason is None:
            wides[outcome] = _Wide(data, outcome, rv)
        else:
            missing[outcome] = reason

    # Holm over what is searched: the forward tests over outcomes x horizons (the best
    # horizon is chosen among them), the reverse ones over theirs. The account-trend
    # versions are robustness checks at the one horizon the rule reads, not a search.
    searched, reverse, trends, reverse_trends = {}, {}, {}, {}
    for outcome, w in wides.items():
        for plain, with_trends, terms in (
            (searched, trends, _forward_terms),
            (reverse, reverse_trends, _reverse_terms),
        ):
            plain[outcome], with_trends[outcome] = [], []
            for h in horizons:  # one stack of rows for the fits with and without trends
                rows = _rows(terms(w, h))
                plain[outcome].append(horizon_test(rows, h))
                with_trends[outcome].append(horizon_test(rows, h, trends=True))
    searched, reverse = _with_holm(searched), _with_holm(reverse)

    evidence = {}
    for i, outcome in enumerate(outcomes):
        if outcome in missing:
            evidence[outcome] = Evidence(outcome, missing=missing[outcome])
            continue
        w, forward = wides[outcome], searched[outcome]
        h = best_horizon(forward)
        placebo = granger = oot = None
        if h is not None:
            placebo = horizon_test(_rows(_forward_terms(w, h, focal_offset=h + 1)), h)
            granger = _granger_check(w, h, alpha, granger_boot, seed + i)
            table = (out_of_time or {}).get(outcome)
            rows = table[table["horizon"] == h] if table is not None else ()
            res = rows.iloc[0].to_dict() if len(rows) else None
            oot = _oot_check(data, outcome, h, n_boot, seed + 31 * h + i, res)
        evidence[outcome] = Evidence(
            outcome,
            forward=forward,
            trends=tuple(trends[outcome]),
            reverse=reverse[outcome],
            reverse_trends=tuple(reverse_trends[outcome]),
            placebo=placebo,
            **({"granger": granger, "out_of_time": oot} if h is not None else {}),
        )
    return evidence


def lead_decisions(panel: pd.DataFrame, *, alpha: float = 0.05, **options) -> dict[str, Decision]:
    """Per outcome, the `Decision` of `decide_lead` on `lead_evidence(panel, **options)`."""
    evidence = lead_evidence(panel, alpha=alpha, **options)
    return {o: decide_lead(e, alpha=alpha) for o, e in evidence.items()}


def evidence_table(evidence: dict[str, Evidence]) -> pd.DataFrame:
    """One row per outcome x specification x horizon: the regressions behind the rule."""
    rows = []
    for outcome, ev in evidence.items():
        specs = {
            "forward": ev.forward,
            "trends": ev.trends,
            "reverse": ev.reverse,
            "reverse_trends": ev.reverse_trends,
        }
        for spec, tests in specs.items():
            rows += [{"outcome": outcome, "spec": spec, **asdict(t)} for t in tests]
        if ev.placebo is not None:
            rows.append({"outcome": outcome, "spec": "placebo", **asdict(ev.placebo)})
    if not rows:  # no regression could be run: the same columns, for the page's table
        return pd.DataFrame(columns=["outcome", "spec", *(f.name for f in fields(HorizonTest))])
    return pd.DataFrame(rows)
