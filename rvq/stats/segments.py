"""Questions 1–5: does RV differ between the extremes, and *before* the money diverges?

For an outcome-defined pair of groups (question 1: highest profit vs money lost; 2:
revenue growing vs shrinking; 3: share of wallet growing vs shrinking) the groups are
chosen on the outcome in the late window (the last third of the periods), then looked
at period by period:

- the outcome gap (group A minus group B, in pooled SDs of that period) defines the
  **divergence period**: the first period at which the gap reaches half its late-window
  size — before it, the two groups were not yet (clearly) apart on the money;
- RV is compared **before divergence**, like the outcome, against each account's own
  start: mean RV flow from the end of the start window up to divergence minus the mean
  over the start window (the raw mean before divergence if that span is empty): Cohen's
  d (difference in pooled SDs) and Cliff's delta (P(A > B) − P(A < B), robust to
  outliers), each with a 95% account bootstrap interval;
- **how early**: per period, Cohen's d of RV flow and of cumulative RV between the
  groups with bootstrap intervals; the earliest period from which the interval stays
  above 0 up to the divergence period gives "periods early" (divergence − earliest).

Question 4 (community role vs none) and 5 (any configured segment's extremes: the
category with the highest vs the lowest mean profit, or the top vs bottom quintile of a
numeric column) are static groups: RV and profit are compared between them with the
same effect sizes. These are descriptive comparisons with intervals, not causal claims:
the leading-indicator verdicts are `rvq.stats.backtest`'s.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rvq.jsonable import to_jsonable
from rvq.privacy import suppressed_text
from rvq.schema import DEFAULT_SEGMENTS
from rvq.scoring.outcomes import derive_outcomes, symmetric_growth
from rvq.stats.resample import bootstrap_sums, percentile_interval
from rvq.stats.results import Result, interval_excludes_zero, number

ENTITY, TIME = "account_id", "period_index"
MIN_GROUP = 10

#: the outcome-defined questions (1-3), by their summary.json key
OUTCOME_QUESTIONS = ("profit_extremes", "revenue_growth", "share_of_wallet")
QUESTIONS = {
    "profit_extremes": "Does RV differ between the customers with the highest profit and those where money is lost?",
    "revenue_growth": "Does RV differ between customers whose revenue grows and those whose revenue shrinks?",
    "share_of_wallet": "Does RV differ between customers whose share of wallet grows and those whose share shrinks?",
    "community": "Does RV (and profit) differ between community participants, by role, and non-participants?",
}


# ------------------------------------------------------------------------ effect sizes


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """(mean a − mean b) / pooled SD."""
    a, b = _finite(a), _finite(b)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    pooled = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    return float((a.mean() - b.mean()) / np.sqrt(pooled)) if pooled > 0 else float("nan")


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """P(A > B) − P(A < B) over all pairs (ties count half), via ranks: 2·AUC − 1."""
    a, b = _finite(a), _finite(b)
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([a, b]))
    u = ranks[: len(a)].sum() - len(a) * (len(a) + 1) / 2
    return float(2 * u / (len(a) * len(b)) - 1)


def _finite(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


def effect_sizes(a, b, *, n_boot: int = 200, seed: int = 0) -> dict:
    """Cohen's d and Cliff's delta of a vs b, with 95% bootstrap intervals (resampling
    accounts within each group)."""
    a, b = _finite(a), _finite(b)
    out = {
        "n_a": len(a),
        "n_b": len(b),
        "mean_a": _mean(a),
        "mean_b": _mean(b),
        "cohens_d": cohens_d(a, b),
        "cliffs_delta": cliffs_delta(a, b),
    }
    if len(a) < 2 or len(b) < 2:
        return {
            **out,
            "d_ci_low": np.nan,
            "d_ci_high": np.nan,
            "delta_ci_low": np.nan,
            "delta_ci_high": np.nan,
        }
    d_draws, delta_draws = _bootstrap_effect_sizes(a, b, n_boot, seed)
    out["d_ci_low"], out["d_ci_high"] = percentile_interval(d_draws)
    out["delta_ci_low"], out["delta_ci_high"] = percentile_interval(delta_draws)
    return out


def _bootstrap_effect_sizes(
    a: np.ndarray, b: np.ndarray, n_boot: int, seed: int, chunk: int = 25
) -> tuple[np.ndarray, np.ndarray]:
    """Cohen's d and Cliff's delta of `n_boot` resamples (accounts drawn with replacement
    within each group), as weighted statistics of the original values.

    A resample is a vector of counts (how often each account is drawn), so Cohen's d comes
    from weighted moments and Cliff's delta from weighted counts of the B values below and
    above each A value (positions found once by binary search in sorted B): no re-ranking
    per replicate. The draws are the same as resampling the values one replicate at a time.
    """
    rng = np.random.default_rng(seed)
    na, nb = len(a), len(b)
    center = np.concatenate([a, b]).mean()  # d is shift-invariant; centering keeps sums small
    a_c, b_c = a - center, b - center
    b_order = np.argsort(b, kind="stable")
    b_sorted = b[b_order]
    below = np.searchsorted(b_sorted, a, side="left")  # B values < a_i
    not_above = np.searchsorted(b_sorted, a, side="right")  # B values <= a_i
    d_draws, delta_draws = np.empty(n_boot), np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        wa, wb = np.empty((size, na)), np.empty((size, nb))
        for r in range(size):  # the same order of draws as one replicate at a time
            wa[r] = np.bincount(rng.integers(0, na, na), minlength=na)
            wb[r] = np.bincount(rng.integers(0, nb, nb), minlength=nb)
        ma, mb = wa @ a_c / na, wb @ b_c / nb
        va = (wa @ a_c**2 - na * ma**2) / (na - 1)
        vb = (wb @ b_c**2 - nb * mb**2) / (nb - 1)
        pooled = ((na - 1) * va + (nb - 1) * vb) / (na + nb - 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            d_draws[start : start + size] = np.where(
                pooled > 0, (ma - mb) / np.sqrt(pooled), np.nan
            )
        cum = np.zeros((size, nb + 1))
        np.cumsum(wb[:, b_order], axis=1, out=cum[:, 1:])
        wins = cum[:, below] - (nb - cum[:, not_above])  # sum_j wb_j sign(a_i - b_j)
        delta_draws[start : start + size] = (wa * wins).sum(axis=1) / (na * nb)
    return d_draws, delta_draws


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else float("nan")


def _per_period_d(wa: np.ndarray, wb: np.ndarray, n_boot: int, seed: int) -> pd.DataFrame:
    """Cohen's d per period (columns) of wide arrays, with bootstrap intervals."""

    def d_from(sa, sb):
        def moments(s):
            n, sx, sxx = s[..., 0::3], s[..., 1::3], s[..., 2::3]
            with np.errstate(invalid="ignore", divide="ignore"):
                m = sx / n
                v = (sxx - n * m**2) / (n - 1)
            return n, m, v

        na, ma, va = moments(sa)
        nb, mb, vb = moments(sb)
        with np.errstate(invalid="ignore", divide="ignore"):
            pooled = ((na - 1) * va + (nb - 1) * vb) / (na + nb - 2)
            return (ma - mb) / np.sqrt(pooled)

    def stats_of(w):
        ok = np.isfinite(w)
        x = np.where(ok, w, 0.0)
        return np.stack([ok.astype(float), x, x * x], axis=2).reshape(len(w), -1)

    sa, sb = stats_of(wa), stats_of(wb)
    point = d_from(sa.sum(axis=0), sb.sum(axis=0))
    draws = d_from(bootstrap_sums(sa, n_boot, (seed, 1)), bootstrap_sums(sb, n_boot, (seed, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo = np.nanpercentile(draws, 2.5, axis=0)
        hi = np.nanpercentile(draws, 97.5, axis=0)
    return pd.DataFrame({"d": point, "ci_low": lo, "ci_high": hi})


# ------------------------------------------------------------------------ the results


def clear_difference(stats: Mapping[str, Any] | None) -> bool:
    """Whether two groups clearly differ: the 95% interval of Cohen's d excludes zero."""
    return bool(stats) and interval_excludes_zero(stats.get("d_ci_low"), stats.get("d_ci_high"))


def _effect_row(name: str, verdict: str, stats: Mapping[str, Any] | None) -> dict:
    stats = stats or {}
    return {
        "question": name,
        "verdict": verdict,
        "n_a": stats.get("n_a"),
        "n_b": stats.get("n_b"),
        "cohens_d": number(stats.get("cohens_d")),
        "d_ci_low": number(stats.get("d_ci_low")),
        "d_ci_high": number(stats.get("d_ci_high")),
    }


@dataclass
class DivergenceResult(Result):
    """Questions 1-3: does RV differ between two outcome-defined groups *before* their
    outcome diverged? `verdict` is ``differs_before`` when the 95% interval of Cohen's d of
    RV before divergence excludes zero, ``no_difference_before`` otherwise, and
    ``insufficient_data`` (with the `reason`) when the groups cannot be compared."""

    name: str  # profit_extremes, revenue_growth or share_of_wallet
    question: str
    verdict: str
    reason: str | None = None
    groups: dict[str, Any] | None = None
    divergence_index: int | None = None
    divergence_period: str | None = None
    periods_early: dict[str, int] | None = None  # present once the divergence is located
    before_divergence: dict[str, dict] | None = None  # {"rv_flow_mean": effect sizes}
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def rv_difference(self) -> dict[str, Any]:
        """Effect sizes of mean RV flow before divergence (empty when not compared)."""
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
        if self.before_divergence is not None:
            out["before_divergence"] = self.before_divergence
        out["verdict"] = self.verdict
        if self.reason is not None:
            out["reason"] = self.reason
        return to_jsonable(out)

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> DivergenceResult:
        fields = ("reason", "groups", "divergence_index", "divergence_period", "periods_early")
        return cls(
            name=name,
            question=data.get("question", QUESTIONS.get(name, name)),
            verdict=data["verdict"],
            before_divergence=data.get("before_divergence"),
            **{k: data.get(k) for k in fields},
        )

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([_effect_row(self.name, self.verdict, self.rv_difference)])


@dataclass
class CommunityResult(Result):
    """Question 4: RV (and profit) of each community role against non-participants.

    `roles` maps leader, doer, watcher and any to ``{"rv_flow": effect sizes, "profit":
    effect sizes}``, or to ``{"n": accounts, "verdict": "insufficient_data"}`` for a role
    too small to compare. `verdict`: ``differs`` when RV of some role clearly differs,
    else ``no_clear_difference``; ``insufficient_data`` (with the `reason`) without roles."""

    question: str = QUESTIONS["community"]
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    reason: str | None = None
    name: str = "community"

    @property
    def verdict(self) -> str:
        if self.reason is not None:
            return "insufficient_data"
        differs = any(clear_difference(r.get("rv_flow")) for r in self.roles.values())
        return "differs" if differs else "no_clear_difference"

    def to_dict(self) -> dict:
        """This question's `summary.json["segments"]` entry."""
        if self.reason is not None:
            return {"question": self.question, "verdict": self.verdict, "reason": self.reason}
        return to_jsonable({"question": self.question, "roles": self.roles})

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> CommunityResult:
        return cls(
            question=data.get("question", QUESTIONS["community"]),
            roles=dict(data.get("roles") or {}),
            reason=data.get("reason") if data.get("verdict") == "insufficient_data" else None,
        )

    def summary(self) -> pd.DataFrame:
        rows = [
            _effect_row(
                f"community: {role}",
                "insufficient_data" if "rv_flow" not in stats else "",
                stats.get("rv_flow"),
            )
            for role, stats in self.roles.items()
        ]
        return pd.DataFrame(rows or [_effect_row(self.name, self.verdict, None)])


@dataclass
class SegmentExtremesResult(Result):
    """Question 5 for one configured segment: RV (and profit) of its extremes, the value
    with the highest mean profit against the lowest (or the top against the bottom
    quintile of a numeric column). `verdict`: ``differs`` when RV clearly differs, else
    ``no_clear_difference``; ``insufficient_data`` (with the `reason`) when not compared."""

    segment: str
    question: str
    groups: dict[str, str] | None = None
    rv_flow: dict[str, Any] | None = None
    profit: dict[str, Any] | None = None
    reason: str | None = None

    @property
    def name(self) -> str:
        return f"segment:{self.segment}"

    @property
    def verdict(self) -> str:
        if self.reason is not None:
            return "insufficient_data"
        return "differs" if clear_difference(self.rv_flow) else "no_clear_difference"

    def to_dict(self) -> dict:
        """This segment's `summary.json["segments"]` entry."""
        if self.reason is not None:
            return {"question": self.question, "verdict": self.verdict, "reason": self.reason}
        return to_jsonable(
            {
                "question": self.question,
                "groups": self.groups,
                "rv_flow": self.rv_flow,
                "profit": self.profit,
            }
        )

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> SegmentExtremesResult:
        return cls(
            segment=name.removeprefix("segment:"),
            question=data.get("question", ""),
            groups=data.get("groups"),
            rv_flow=data.get("rv_flow"),
            profit=data.get("profit"),
            reason=data.get("reason") if data.get("verdict") == "insufficient_data" else None,
        )

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([_effect_row(self.name, self.verdict, self.rv_flow)])


SegmentResult = DivergenceResult | CommunityResult | SegmentExtremesResult


def _result_class(name: str) -> type[SegmentResult] | None:
    if name in OUTCOME_QUESTIONS:
        return DivergenceResult
    if name == "community":
        return CommunityResult
    return SegmentExtremesResult if name.startswith("segment:") else None


@dataclass
class SegmentResults(Result):
    """Questions 1-5: one result per question (keys as in summary.json: the outcome
    questions, ``community``, ``segment:<column>``) and the per-period timeline of the
    outcome questions for the figures."""

    questions: dict[str, SegmentResult] = field(default_factory=dict)
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def extremes(self) -> dict[str, SegmentExtremesResult]:
        """Question 5's results, one per configured segment."""
        return {k: r for k, r in self.questions.items() if isinstance(r, SegmentExtremesResult)}

    @property
    def extremes_verdict(self) -> str:
        """Question 5 over all segments: ``differs`` when RV differs between the extremes
        of any segment, else ``no_clear_difference``."""
        differs = any(r.verdict == "differs" for r in self.extremes.values())
        return "differs" if differs else "no_clear_difference"

    def to_dict(self) -> dict:
        """`summary.json["segments"]`."""
        return {name: result.to_dict() for name, result in self.questions.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SegmentResults:
        """The results again from `summary.json["segments"]` (entries of unknown keys,
        which later versions may add, are left out)."""
        return cls(
            {
                name: kind.from_dict(name, entry)
                for name, entry in data.items()
                if (kind := _result_class(name)) is not None
            }
        )

    def summary(self) -> pd.DataFrame:
        """One row per comparison: verdict, group sizes and Cohen's d of RV with its interval."""
        frames = [r.summary() for r in self.questions.values()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# ---------------------------------------------------------------- outcome-defined groups


def _wide(panel: pd.DataFrame, col: str) -> pd.DataFrame:
    return panel.pivot(index=ENTITY, columns=TIME, values=col).sort_index(axis=1)


def _late_early(wide: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    T = wide.shape[1]
    third = max(1, T // 3)
    return wide.iloc[:, :third].mean(axis=1), wide.iloc[:, T - third :].mean(axis=1)


def outcome_groups(
    panel: pd.DataFrame, question: str, *, quantile: float = 0.2
) -> tuple[pd.Index, pd.Index, str, str, str]:
    """Accounts in group A and B for an outcome question, their labels and the outcome."""
    if question == "profit_extremes":
        early, late = _late_early(_wide(panel, "profit"))
        late = late.dropna()
        top = late[late >= late.quantile(1 - quantile)].index
        losing = late[late < 0].index
        label_b = "money_lost"
        if len(losing) < MIN_GROUP:
            losing = late[late <= late.quantile(quantile)].index
            label_b = "lowest_profit"
        return top, losing.difference(top), "highest_profit", label_b, "profit"
    if question == "revenue_growth":
        early, late = _late_early(_wide(panel, "revenue"))
        growth = symmetric_growth(late, early).dropna()
        return (
            growth[growth > 0.05].index,
            growth[growth < -0.05].index,
            "revenue_growing",
            "revenue_shrinking",
            "revenue",
        )
    if question == "share_of_wallet":
        early, late = _late_early(_wide(panel, "share_of_wallet"))
        change = (late - early).dropna()
        return (
            change[change > 0.02].index,
            change[change < -0.02].index,
            "share_growing",
            "share_shrinking",
            "share_of_wallet",
        )
    raise ValueError(f"unknown question {question!r}")


def compare_before_divergence(
    panel: pd.DataFrame,
    question: str,
    *,
    n_boot: int = 200,
    seed: int = 0,
    quantile: float = 0.2,
    min_group: int = MIN_GROUP,
) -> DivergenceResult:
    """One outcome question, with its per-period timeline.

    Groups of fewer than `min_group` accounts give `insufficient_data` (with privacy's
    small-cell suppression their sizes are not shown)."""
    text = QUESTIONS[question]
    needed = {
        "profit_extremes": "profit",
        "revenue_growth": "revenue",
        "share_of_wallet": "share_of_wallet",
    }[question]
    if needed not in panel or panel[needed].notna().sum() == 0:
        reason = (
            "no wallet or share_of_wallet in the outcomes table"
            if needed == "share_of_wallet"
            else f"no {needed} values"
        )
        return DivergenceResult(question, text, "insufficient_data", reason)
    a, b, label_a, label_b, outcome = outcome_groups(panel, question, quantile=quantile)
    if len(a) < min_group or len(b) < min_group:
        if min_group > MIN_GROUP:  # small-cell suppression: the sizes are not shown
            reason = f"a group is {suppressed_text(min_group)}"
            groups = {"a": label_a, "b": label_b}
        else:
            reason = f"fewer than {min_group} accounts in a group ({len(a)} vs {len(b)})"
            groups = {"a": label_a, "b": label_b, "n_a": len(a), "n_b": len(b)}
        return DivergenceResult(question, text, "insufficient_data", reason, groups)

    y = _wide(panel, outcome)
    third = max(1, y.shape[1] // 3)
    y = y.sub(y.iloc[:, :third].mean(axis=1), axis=0)  # each account against its own start
    periods = (
        panel.drop_duplicates(TIME).set_index(TIME)["period"].sort_index()
        if "period" in panel
        else None
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gap = _per_period_d(y.loc[a].to_numpy(float), y.loc[b].to_numpy(float), 0, seed)
    gap = gap["d"].to_numpy()
    T = len(gap)
    final = np.nanmean(gap[T - max(1, T // 3) :])
    reached = np.flatnonzero(np.nan_to_num(gap * np.sign(final)) >= 0.5 * abs(final))
    reached = reached[reached >= third]  # the start window is the reference, not a divergence
    div = int(reached[0]) if len(reached) and np.isfinite(final) and final != 0 else T

    timeline = [pd.DataFrame({TIME: y.columns, "measure": outcome, "gap_d": gap})]
    early, ok_before = {}, {}
    for col in ("rv_flow", "rv_cum"):
        w = _wide(panel, col)
        per = _per_period_d(w.loc[a].to_numpy(float), w.loc[b].to_numpy(float), n_boot, seed)
        per.insert(0, TIME, w.columns)
        per.insert(1, "measure", col)
        timeline.append(per.rename(columns={"d": "gap_d"}))
        above = (per["ci_low"].to_numpy() > 0) | (per["ci_high"].to_numpy() < 0)
        start = div
        while start > 0 and above[start - 1]:
            start -= 1
        early[col] = int(div - start)
        ok_before[col] = bool(start < div)

    result = DivergenceResult(
        name=question,
        question=text,
        verdict="insufficient_data",
        groups={
            "a": label_a,
            "b": label_b,
            "n_a": len(a),
            "n_b": len(b),
            "chosen_on": f"{outcome} in the last {max(1, T // 3)} periods",
            "divergence_on": f"{outcome} relative to each account's first {third} periods",
        },
        divergence_index=div if div < T else None,
        divergence_period=None if (div >= T or periods is None) else str(periods.iloc[div]),
        periods_early=early,
        timeline=pd.concat(timeline, ignore_index=True),
    )
    if div == 0:
        result.reason = "the groups already differ on the outcome in the first period: no history before divergence"
        return result
    flow = _wide(panel, "rv_flow")
    if div > third:  # RV gained between the start window and divergence, vs the start
        w = flow.iloc[:, third:div].mean(axis=1) - flow.iloc[:, :third].mean(axis=1)
    else:
        w = flow.iloc[:, :div].mean(axis=1)
    result.before_divergence = {
        "rv_flow_mean": effect_sizes(w.loc[a], w.loc[b], n_boot=n_boot, seed=seed)
    }
    differs = clear_difference(result.rv_difference)
    result.verdict = "differs_before" if differs else "no_difference_before"
    return result


# -------------------------------------------------------------------- static groups


def _account_means(panel: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    return panel.groupby(ENTITY)[[c for c in cols if c in panel]].mean()


def community_comparison(
    panel: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    n_boot: int = 200,
    seed: int = 0,
    min_group: int = MIN_GROUP,
) -> CommunityResult:
    """Question 4: mean RV flow and mean profit per community role vs non-participants
    (roles of fewer than `min_group` accounts: `insufficient_data`)."""
    if (
        accounts is None
        or "community_role" not in accounts
        or accounts["community_role"].isna().all()
    ):
        return CommunityResult(reason="no community_role in the accounts table")
    means = _account_means(panel, ("rv_flow", "profit"))
    role = accounts.set_index(ENTITY)["community_role"].astype(str).str.lower().reindex(means.index)
    none = means[role == "none"]
    out = CommunityResult()
    for r in ("leader", "doer", "watcher", "any"):
        grp = means[(role != "none") & role.notna()] if r == "any" else means[role == r]
        if len(grp) < min_group or len(none) < min_group:
            shown = suppressed_text(min_group) if min_group > MIN_GROUP else len(grp)
            out.roles[r] = {"n": shown, "verdict": "insufficient_data"}
            continue
        out.roles[r] = {
            "rv_flow": effect_sizes(grp["rv_flow"], none["rv_flow"], n_boot=n_boot, seed=seed),
            "profit": (
                effect_sizes(grp["profit"], none["profit"], n_boot=n_boot, seed=seed)
                if "profit" in grp
                else None
            ),
        }
    return out


def segment_extremes(
    panel: pd.DataFrame,
    accounts: pd.DataFrame,
    column: str,
    *,
    n_boot: int = 200,
    seed: int = 0,
    quantile: float = 0.2,
    min_group: int = MIN_GROUP,
) -> SegmentExtremesResult:
    """Question 5: RV of a configured segment's extremes (by mean profit, or numeric
    quintiles); only values held by `min_group` accounts or more are compared."""
    text = f"Does RV differ between the extremes of the segment '{column}'?"
    if accounts is None or column not in accounts or accounts[column].isna().all():
        return SegmentExtremesResult(column, text, reason=f"no {column} in accounts")
    means = _account_means(panel, ("rv_flow", "profit"))
    seg = accounts.set_index(ENTITY)[column].reindex(means.index)
    if pd.api.types.is_numeric_dtype(seg):
        lo_cut, hi_cut = seg.quantile(quantile), seg.quantile(1 - quantile)
        a, b = means[seg >= hi_cut], means[seg <= lo_cut]
        labels = (f"top {quantile:.0%} of {column}", f"bottom {quantile:.0%} of {column}")
    else:
        by = means.groupby(seg.astype(str))["profit"].agg(["mean", "size"])
        by = by[by["size"] >= min_group]
        if len(by) < 2:
            return SegmentExtremesResult(
                column, text, reason=f"fewer than two {column} values with {min_group}+ accounts"
            )
        hi, lo = by["mean"].idxmax(), by["mean"].idxmin()
        a, b = means[seg.astype(str) == hi], means[seg.astype(str) == lo]
        labels = (f"{column} = {hi} (highest mean profit)", f"{column} = {lo} (lowest mean profit)")
    if len(a) < min_group or len(b) < min_group:
        return SegmentExtremesResult(column, text, reason="groups too small")
    return SegmentExtremesResult(
        column,
        text,
        groups={"a": labels[0], "b": labels[1]},
        rv_flow=effect_sizes(a["rv_flow"], b["rv_flow"], n_boot=n_boot, seed=seed),
        profit=effect_sizes(a["profit"], b["profit"], n_boot=n_boot, seed=seed),
    )


# --------------------------------------------------------------------------- assembly


def segment_comparisons(
    panel: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    *,
    segments: tuple[str, ...] = DEFAULT_SEGMENTS,
    n_boot: int = 200,
    seed: int = 0,
    quantile: float = 0.2,
    min_accounts: int = 0,
) -> dict:
    """`summary.json["segments"]`: questions 1–5, one dict per question (JSON data)."""
    return segment_results(
        panel,
        accounts,
        segments=segments,
        n_boot=n_boot,
        seed=seed,
        quantile=quantile,
        min_accounts=min_accounts,
    ).to_dict()


def segment_results(
    panel,
    accounts=None,
    *,
    segments=DEFAULT_SEGMENTS,
    n_boot=200,
    seed=0,
    quantile=0.2,
    min_accounts: int = 0,
) -> SegmentResults:
    """Questions 1-5, with the tidy per-period timeline (question, period_index, measure,
    gap_d, ci_low, ci_high) of the outcome questions for the figures.

    `min_accounts` is the privacy floor (a pilot's `privacy.min_cell_accounts`; 0: none):
    no group of fewer accounts is compared, and never fewer than `MIN_GROUP`."""

    min_group = max(MIN_GROUP, int(min_accounts))
    data = derive_outcomes(panel)
    out, frames = {}, []
    for q in OUTCOME_QUESTIONS:
        out[q] = compare_before_divergence(
            data, q, n_boot=n_boot, seed=seed, quantile=quantile, min_group=min_group
        )
        if len(out[q].timeline):
            frames.append(out[q].timeline.assign(question=q))
    out["community"] = community_comparison(
        data, accounts, n_boot=n_boot, seed=seed, min_group=min_group
    )
    for col in segments:
        if accounts is not None and col in accounts:
            out[f"segment:{col}"] = segment_extremes(
                data,
                accounts,
                col,
                n_boot=n_boot,
                seed=seed,
                quantile=quantile,
                min_group=min_group,
            )
    timeline = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return SegmentResults(out, timeline)
