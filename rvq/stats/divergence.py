"""Questions 1–3: did RV differ between two outcome-defined groups *before* their outcome did?

The groups are chosen on the outcome in the late window (the last third of the periods):
highest profit vs money lost (1), revenue growing vs shrinking (2), share of wallet
growing vs shrinking (3). Choosing on the future outcome is what makes a naive "RV differed
before" misleading: where RV follows the money, accounts that end up on top were already
ahead on the money earlier, and RV, following it, differs too. So the design is:

- **Divergence.** The outcome gap per period (Cohen's d of the outcome against each
  account's own start, the first third of the periods) locates the *divergence period*:
  the first period after the start window where the gap reaches half its late-window size.
- **The comparison, given the outcome so far.** RV gained since the start window (mean RV
  flow from the end of the start window up to divergence, minus the account's own mean over
  the start window; its first half when the outcomes part ways right after it) is regressed, over the accounts of both groups, on the group and on
  the outcome in *every* period before divergence (its level and trajectory; a period
  before an account's first outcome enters as 0 with a missing flag). The group
  coefficient in pooled SDs of RV gained is the **adjusted d**: how much more RV the later
  winners had than accounts with the same outcome history. It is a cross-sectional
  Granger question: does past RV tell the groups apart beyond the past outcome? RV that
  merely follows the outcome (or is tied to account size, which the start differences
  remove) gives an adjusted d near 0.
- **The whole procedure is bootstrapped.** Each replicate resamples accounts and re-chooses
  the groups (quantiles and all), the divergence period and the window, then recomputes
  the adjusted d and its robust (HC1) standard error. The interval is the symmetric
  bootstrap-t: d ± q·SE, q the quantile of |d* − d| / SE* over replicates, so the choice
  of groups and window widens it on top of the sampling error, and it is centred on the
  estimate (a percentile interval of replicates that chose other windows need not be).
  ``differs_before`` when it excludes 0, ``no_difference_before`` otherwise.
- **The three questions are one family.** A report asks all of them, and one false "RV
  differed first" is the costly error, so each interval is at ``1 − 0.05 / k`` for the k
  questions the data can answer (Bonferroni, `family_level`): under no lead, a report says
  RV differed first on any question at most 5% of the time. (Measured: given the outcome,
  the adjusted d is centred on 0 when RV leads nothing and its SE matches its spread; a
  95% interval per question is a 5% test per question, 14% per report of three.)
- **How early, corrected for the scan.** Per period t from the end of the start window up
  to divergence, the same regression with RV flow at t (against the start) and the outcome
  up to and including t. The scanned periods form one family: a simultaneous 95% band
  (sup-t: the 95% quantile over replicates of the largest standardized deviation across
  the scanned periods, at the question's level) replaces per-period intervals. "Periods
  early" counts the periods just before divergence whose band excludes 0 (with one sign),
  without a gap, and only when the question says ``differs_before`` (the scan is tested
  after the question, a fixed sequence): otherwise it is 0.

What is compared is RV *gained since each account's start*, not RV per period: account
size (more RV and more money all along) cancels. These are descriptive comparisons, not
causal claims; the leading-indicator verdicts are `rvq.stats.backtest`'s.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from rvq.jsonable import to_jsonable
from rvq.privacy import suppressed_text
from rvq.scoring.outcomes import symmetric_growth
from rvq.stats.effectsizes import clear_difference, effect_row
from rvq.stats.resample import percentile_interval
from rvq.stats.results import Result

ENTITY, TIME = "account_id", "period_index"
MIN_GROUP = 10
LEVEL = 0.95

#: the outcome-defined questions (1-3), by their summary.json key
OUTCOME_QUESTIONS = ("profit_extremes", "revenue_growth", "share_of_wallet")
QUESTIONS = {
    "profit_extremes": "Does RV differ between the customers with the highest profit and those where money is lost?",
    "revenue_growth": "Does RV differ between customers whose revenue grows and those whose revenue shrinks?",
    "share_of_wallet": "Does RV differ between customers whose share of wallet grows and those whose share shrinks?",
}
#: per question: the panel column, the group labels, and what the outcome path is
_OUTCOME = {
    "profit_extremes": ("profit", "highest_profit", "money_lost", "profit"),
    "revenue_growth": ("revenue", "revenue_growing", "revenue_shrinking", "revenue growth"),
    "share_of_wallet": ("share_of_wallet", "share_growing", "share_shrinking", "share of wallet"),
}


def answerable(panel: pd.DataFrame) -> list[str]:
    """The outcome questions the panel has the outcome for (the family asked together)."""
    return [q for q in OUTCOME_QUESTIONS if _has_outcome(panel, _OUTCOME[q][0])]


def _has_outcome(panel: pd.DataFrame, col: str) -> bool:
    return col in panel and bool(panel[col].notna().any())


def family_level(questions: int, level: float = LEVEL) -> float:
    """The level of each of `questions` outcome questions asked together (Bonferroni): a
    report says "RV differed first" falsely on any of them at most 1 − `level` of the time."""
    return 1 - (1 - level) / max(1, questions)


@dataclass
class DivergenceResult(Result):
    """Questions 1-3: does RV differ between two outcome-defined groups *before* their
    outcome diverged, given the outcome they already had? `verdict`: ``differs_before``
    when the whole-procedure bootstrap interval of the adjusted d excludes zero,
    ``no_difference_before`` otherwise, ``insufficient_data`` (with the `reason`) when the
    groups cannot be compared."""

    name: str  # profit_extremes, revenue_growth or share_of_wallet
    question: str
    verdict: str
    reason: str | None = None
    groups: dict[str, Any] | None = None
    divergence_index: int | None = None
    divergence_period: str | None = None
    periods_early: dict[str, int] | None = None  # present once the divergence is located
    scan: dict[str, Any] | None = None  # the scanned periods and their simultaneous band
    before_divergence: dict[str, dict] | None = None  # raw and adjusted RV gained
    n_boot: int | None = None
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def rv_difference(self) -> dict[str, Any]:
        """The comparison that decides: RV gained before divergence, given the outcome so
        far (empty when not compared)."""
        return (self.before_divergence or {}).get("rv_flow_mean_given_outcome") or {}

    @property
    def rv_difference_raw(self) -> dict[str, Any]:
        """RV gained before divergence, not adjusted for the outcome (empty when not compared)."""
        return (self.before_divergence or {}).get("rv_flow_mean") or {}

    def to_dict(self) -> dict:
        """This question's `summary.json["segments"]` entry."""
        out: dict[str, Any] = {"question": self.question}
        if self.groups is not None:
            out["groups"] = self.groups
        if self.periods_early is not None:
            out["divergence_index"] = self.divergence_index
            out["divergence_period"] = self.divergence_period
            out["periods_early"] = self.periods_early
        for key in ("scan", "before_divergence", "n_boot"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["verdict"] = self.verdict
        if self.reason is not None:
            out["reason"] = self.reason
        return to_jsonable(out)

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> DivergenceResult:
        fields = (
            "reason",
            "groups",
            "divergence_index",
            "divergence_period",
            "periods_early",
            "scan",
            "before_divergence",
            "n_boot",
        )
        return cls(
            name=name,
            question=data.get("question", QUESTIONS.get(name, name)),
            verdict=data["verdict"],
            **{k: data.get(k) for k in fields},
        )

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([effect_row(self.name, self.verdict, self.rv_difference)])


# ------------------------------------------------------------------ the data of a question


@dataclass(frozen=True)
class _Paths:
    """One question's per-account arrays (rows: accounts, columns: periods)."""

    score: np.ndarray  # what the groups are chosen on (late window)
    change: np.ndarray  # the outcome against the account's start: the divergence gap
    controls: np.ndarray  # the outcome per period, NaN as 0 (+ missing flags after T columns)
    flags: np.ndarray  # per period: does any account miss the outcome there
    rv: np.ndarray  # RV flow per period (0 for a period without a row: no interactions)
    third: int


def _wide(panel: pd.DataFrame, col: str) -> pd.DataFrame:
    return panel.pivot(index=ENTITY, columns=TIME, values=col).sort_index(axis=1)


def _paths(panel: pd.DataFrame, question: str) -> _Paths:
    col = _OUTCOME[question][0]
    y = _wide(panel, col)
    T = y.shape[1]
    third = max(1, T // 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        early = y.iloc[:, :third].mean(axis=1)
        late = y.iloc[:, T - third :].mean(axis=1)
    if question == "profit_extremes":
        score, path = late, y
    elif question == "revenue_growth":
        score = symmetric_growth(late, early)
        path = y.apply(lambda c: symmetric_growth(c, early))
    else:
        score, path = late - early, y
    path = path.to_numpy(float)
    missing = ~np.isfinite(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        change = path - np.nanmean(path[:, :third], axis=1, keepdims=True)
        rv = _wide(panel, "rv_flow").reindex(y.index).fillna(0.0).to_numpy(float)
    return _Paths(
        score=score.to_numpy(float),
        change=change,
        controls=np.hstack([np.where(missing, 0.0, path), missing.astype(float)]),
        flags=missing.any(axis=0),
        rv=rv,
        third=third,
    )


def _groups(
    score: np.ndarray, question: str, quantile: float
) -> tuple[np.ndarray, np.ndarray, str]:
    """Masks of group A and B (disjoint) and B's label, chosen on the late-window score."""
    ok = np.isfinite(score)
    label_b = _OUTCOME[question][2]
    if question == "profit_extremes":
        if not ok.any():
            return ok, ok, label_b
        top = ok & (score >= np.quantile(score[ok], 1 - quantile))
        low = ok & (score < 0) & ~top
        if low.sum() < MIN_GROUP:
            low = ok & (score <= np.quantile(score[ok], quantile)) & ~top
            label_b = "lowest_profit"
        return top, low, label_b
    cut = 0.05 if question == "revenue_growth" else 0.02
    return ok & (score > cut), ok & (score < -cut), label_b


# ------------------------------------------------------------------------ the procedure


def _d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cohen's d per column of a against b (NaN ignored; one pass per group, as the
    bootstrap calls it twice per replicate)."""

    def moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ok = np.isfinite(x)
        if ok.all():  # RV is never missing: the same sums without the masks
            n = np.full(x.shape[1], len(x))
            mean = x.sum(axis=0) / n
            return n, mean, ((x - mean) ** 2).sum(axis=0)
        n = ok.sum(axis=0)
        mean = np.where(ok, x, 0.0).sum(axis=0) / n
        ss = (np.where(ok, x - mean, 0.0) ** 2).sum(axis=0)
        return n, mean, ss

    with np.errstate(invalid="ignore", divide="ignore"):
        (na, ma, sa), (nb, mb, sb) = moments(a), moments(b)
        return (ma - mb) / np.sqrt((sa + sb) / (na + nb - 2))


def _reference(third: int, div: int) -> int:
    """The periods RV is measured against: the start window, or when the outcomes part
    ways right after it, its first half (at least one period)."""
    return third if div > third else max(1, div // 2)


def _group_sd(x: np.ndarray, na: int) -> np.ndarray:
    """Pooled within-group SD per column of x (rows: the `na` accounts of group A, then
    those of group B)."""
    nb = len(x) - na
    va, vb = x[:na].var(axis=0, ddof=1), x[na:].var(axis=0, ddof=1)
    return np.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))


def _procedure(p: _Paths, rows: np.ndarray, question: str, quantile: float, min_group: int) -> dict:
    """The whole question on the accounts `rows` (a resample repeats some): groups, the
    divergence period, RV gained before it (raw and given the outcome) and the per-period
    scan. Groups smaller than `min_group` give only their sizes.

    Every regression (RV gained at t, or over the window, on [1, group, the outcome up to
    then]) is solved from one cross-product matrix of all columns. Rows are gathered with
    `np.take` (the same rows as fancy indexing, several times faster) and the design is
    filled in place: a replicate is 600 of these at 100,000 accounts."""
    T, third = p.change.shape[1], p.third
    a, b, label_b = _groups(p.score[rows], question, quantile)
    out = {"n_a": int(a.sum()), "n_b": int(b.sum()), "label_b": label_b}
    if out["n_a"] < min_group or out["n_b"] < min_group:
        return out
    ra, rb = rows[a], rows[b]
    gap = _d(np.take(p.change, ra, axis=0), np.take(p.change, rb, axis=0))
    final = np.nanmean(gap[T - third :]) if np.isfinite(gap[T - third :]).any() else np.nan
    reached = np.flatnonzero(np.nan_to_num(gap * np.sign(final)) >= 0.5 * abs(final))
    reached = reached[reached >= third]  # the start window is the reference, not a divergence
    div = int(reached[0]) if len(reached) and np.isfinite(final) and final != 0 else T
    ref = _reference(third, div)
    both, na = np.concatenate([ra, rb]), len(ra)  # the rows of group A come first
    rv = np.take(p.rv, both, axis=0)
    # Z = [1, group, RV gained per period, RV gained over the window, the controls]
    Z = np.empty((len(both), 3 + T + p.controls.shape[1]))
    Z[:, 0], Z[:na, 1], Z[na:, 1] = 1.0, 1.0, 0.0
    gained = Z[:, 2 : 2 + T]
    np.subtract(rv, rv[:, :ref].mean(axis=1, keepdims=True), out=gained)
    Z[:, 2 + T] = gained[:, ref:div].mean(axis=1) if div > ref else 0.0
    Z[:, 3 + T :] = np.take(p.controls, both, axis=0)
    ys, window = Z[:, 2 : 3 + T], Z[:, 2 + T].copy()  # T + 1 dependents
    M = Z.T @ Z
    sd = _group_sd(ys, na)
    first = 2 + T + 1  # the outcome columns, then their missing flags

    def columns(through: int) -> list[int]:
        """[1, group, the outcome in periods 0..through (and their missing flags)]."""
        cols = [0, 1] + [first + s for s in range(through + 1)]
        return cols + [first + T + s for s in range(through + 1) if p.flags[s]]

    def adjusted(y: int, through: int) -> float:
        """The group coefficient of dependent `y` given the outcome in periods 0..through."""
        cols = columns(through)
        coef = np.linalg.lstsq(M[np.ix_(cols, cols)], M[cols, 2 + y], rcond=None)[0]
        return float(coef[1] / sd[y]) if sd[y] > 0 else float("nan")

    scan = np.full(T, np.nan)
    for t in range(ref, T):
        scan[t] = adjusted(t, t)
    out.update(gap=gap, div=div, ref=ref, scan=scan, rv_gap=_d(rv[:na], rv[na:]))
    if div > ref:
        out["raw"] = float(_d(window[:na, None], window[na:, None])[0])
        out["adjusted"] = adjusted(T, div - 1)
        out["adjusted_se"] = _robust_se(Z[:, columns(div - 1)], window) / sd[T]
        out["mean_a"], out["mean_b"] = float(window[:na].mean()), float(window[na:].mean())
    return out


def _robust_se(X: np.ndarray, y: np.ndarray) -> float:
    """The heteroskedasticity-robust (HC1) standard error of the coefficient of column 1
    (the group) in the least squares of y on X; a pseudo-inverse absorbs collinear controls."""
    xtx = X.T @ X
    inv = np.linalg.pinv(xtx, hermitian=True)
    resid = y - X @ (inv @ (X.T @ y))
    row = X @ inv[:, 1]  # the group coefficient is sum(row * y)
    n, k = len(X), int(np.linalg.matrix_rank(xtx, hermitian=True))
    return float(np.sqrt(np.sum((row * resid) ** 2) * n / max(n - k, 1)))


def _bootstrap_t_interval(
    point: float, se: float, draws: np.ndarray, ses: np.ndarray, level: float
) -> tuple[float, float]:
    """The symmetric bootstrap-t interval: point ± q·se, with q the `level` quantile over
    replicates of |draw − point| / its own standard error. Each replicate re-chose groups
    and divergence, so q carries that choice on top of the sampling error."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.abs(draws - point) / ses
    t = t[np.isfinite(t)]
    if not (len(t) and np.isfinite(point) and np.isfinite(se)):
        return float("nan"), float("nan")
    q = float(np.quantile(t, level))
    return point - q * se, point + q * se


def _sup_t_band(
    point: np.ndarray, draws: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """A simultaneous band over the columns of `draws` (replicates x periods): point ±
    c·SD, with c the `level` quantile over replicates of the largest |draw − point| / SD."""
    if draws.shape[1] == 0:
        return point, point, float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(draws, axis=0, ddof=1)
        dev = np.nanmax(np.abs(draws - point) / sd, axis=1)
    dev = dev[np.isfinite(dev)]
    c = float(np.quantile(dev, level)) if len(dev) else float("nan")
    return point - c * sd, point + c * sd, c


def _pointwise(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - LEVEL) / 2 * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return tuple(np.nanpercentile(draws, [tail, 100 - tail], axis=0))


def _periods_early(low: np.ndarray, high: np.ndarray) -> int:
    """How many periods at the end of the scan the band excludes 0 with one sign, no gap."""
    side = np.where(low > 0, 1, np.where(high < 0, -1, 0))
    if len(side) == 0 or side[-1] == 0:
        return 0
    run = 0
    while run < len(side) and side[len(side) - 1 - run] == side[-1]:
        run += 1
    return run


def compare_before_divergence(
    panel: pd.DataFrame,
    question: str,
    *,
    n_boot: int = 200,
    seed: int = 0,
    quantile: float = 0.2,
    min_group: int = MIN_GROUP,
    level: float = LEVEL,
) -> DivergenceResult:
    """One outcome question (see the module docstring), with its per-period timeline.
    `level`: of the interval that decides and of the scan's band (`family_level` when
    the outcome questions are asked together); the timeline's per-period intervals are 95%.

    Groups of fewer than `min_group` accounts give `insufficient_data` (with privacy's
    small-cell suppression their sizes are not shown)."""
    text = QUESTIONS[question]
    col, label_a, _, outcome_words = _OUTCOME[question]
    if not _has_outcome(panel, col):
        reason = (
            "no wallet or share_of_wallet in the outcomes table"
            if col == "share_of_wallet"
            else f"no {col} values"
        )
        return DivergenceResult(question, text, "insufficient_data", reason)
    p = _paths(panel, question)
    rows = np.arange(len(p.score))
    point = _procedure(p, rows, question, quantile, min_group)
    label_b = point["label_b"]
    if "div" not in point:
        if min_group > MIN_GROUP:  # small-cell suppression: the sizes are not shown
            reason = f"a group is {suppressed_text(min_group)}"
            groups = {"a": label_a, "b": label_b}
        else:
            n_a, n_b = point["n_a"], point["n_b"]
            reason = f"fewer than {min_group} accounts in a group ({n_a} vs {n_b})"
            groups = {"a": label_a, "b": label_b, "n_a": n_a, "n_b": n_b}
        return DivergenceResult(question, text, "insufficient_data", reason, groups)

    rng = np.random.default_rng(seed)
    with threadpool_limits(1, user_api="blas"):  # small products: threads only wait (2 cores)
        reps = [
            _procedure(p, rng.integers(0, len(rows), len(rows)), question, quantile, min_group)
            for _ in range(n_boot)
        ]
    reps = [r for r in reps if "div" in r]
    T, third, div, ref = p.change.shape[1], p.third, point["div"], point["ref"]

    def draws(key: str) -> np.ndarray:
        return np.array([r.get(key, np.nan) for r in reps], dtype=float)

    periods = (
        panel.drop_duplicates(TIME).set_index(TIME)["period"].sort_index().astype(str).tolist()
        if "period" in panel
        else None
    )
    index = np.arange(T)
    lines = []
    for measure, key in (("outcome_change", "gap"), ("rv_flow", "rv_gap")):
        low, high = _pointwise(np.array([r[key] for r in reps]).reshape(-1, T))
        lines.append(
            pd.DataFrame(
                {
                    TIME: index,
                    "measure": measure,
                    "gap_d": point[key],
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        )
    scanned = index[ref:div]
    scan_draws = np.array([r["scan"] for r in reps]).reshape(-1, T)[:, scanned]
    low, high, c = _sup_t_band(point["scan"][scanned], scan_draws, level)
    lines.append(
        pd.DataFrame(
            {
                TIME: scanned,
                "measure": "rv_gained_given_outcome",
                "gap_d": point["scan"][scanned],
                "ci_low": low,
                "ci_high": high,
            }
        )
    )
    result = DivergenceResult(
        name=question,
        question=text,
        verdict="insufficient_data",
        groups={
            "a": label_a,
            "b": label_b,
            "n_a": point["n_a"],
            "n_b": point["n_b"],
            "chosen_on": f"{outcome_words} in the last {third} periods",
            "divergence_on": f"{outcome_words} relative to each account's first {third} periods",
        },
        divergence_index=div if div < T else None,
        divergence_period=None if (div >= T or periods is None) else periods[div],
        periods_early={"rv_flow": _periods_early(low, high)},
        scan={
            "first_index": ref,
            "last_index": div - 1,
            "band": c,
            "level": level,
            "periods_clear": [
                int(t) for t, lo, hi in zip(scanned, low, high, strict=True) if lo > 0 or hi < 0
            ],
        },
        n_boot=len(reps),
        timeline=pd.concat(lines, ignore_index=True),
    )
    if div <= ref:
        result.reason = "the outcomes part ways in the first periods: no periods to compare before"
        return result
    controls = (
        f"{outcome_words} in each of periods 0-{div - 1} (level and trajectory), "
        "a period before an account's first outcome as 0 with a missing flag"
    )
    measure = (
        f"mean RV flow in periods {ref}-{div - 1} minus the account's own mean "
        f"over periods 0-{ref - 1}"
    )
    sizes = {"n_a": point["n_a"], "n_b": point["n_b"], "measure": measure}
    raw_low, raw_high = percentile_interval(draws("raw"), LEVEL)
    adj_low, adj_high = _bootstrap_t_interval(
        point["adjusted"], point["adjusted_se"], draws("adjusted"), draws("adjusted_se"), level
    )
    result.before_divergence = {
        "rv_flow_mean": {
            **sizes,
            "mean_a": point["mean_a"],
            "mean_b": point["mean_b"],
            "cohens_d": point["raw"],
            "d_ci_low": raw_low,
            "d_ci_high": raw_high,
        },
        "rv_flow_mean_given_outcome": {
            **sizes,
            "cohens_d": point["adjusted"],
            "d_ci_low": adj_low,
            "d_ci_high": adj_high,
            "ci_level": level,
            "controls": controls,
        },
    }
    differs = clear_difference(result.rv_difference)
    result.verdict = "differs_before" if differs else "no_difference_before"
    if not differs:  # the scan is tested only after the question (a fixed sequence)
        result.periods_early = {"rv_flow": 0}
    return result
