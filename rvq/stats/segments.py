"""Questions 1–5: does RV differ between the extremes, and *before* the money diverges?

Questions 1-3 (outcome-defined groups: highest profit vs money lost, revenue and share of
wallet growing vs shrinking) are `rvq.stats.divergence`'s: RV gained before the outcomes
part ways, given the outcome the groups already had, with the whole procedure
bootstrapped, the scan over periods corrected, and the questions asked together at a
family level (`family_level`: a false "RV differed first" in at most 5% of reports).

Question 4 (community role vs none) and 5 (any configured segment's extremes: the
category with the highest vs the lowest mean profit, or the top vs bottom quintile of a
numeric column) are static groups: RV and profit are compared between them with Cohen's d
and Cliff's delta (`rvq.stats.effectsizes`). These are descriptive comparisons with
intervals, not causal claims: the leading-indicator verdicts are `rvq.stats.backtest`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rvq.jsonable import to_jsonable
from rvq.privacy import suppressed_text
from rvq.schema import DEFAULT_SEGMENTS
from rvq.scoring.outcomes import derive_outcomes
from rvq.stats.divergence import (
    MIN_GROUP,
    OUTCOME_QUESTIONS,
    TIME,
    DivergenceResult,
    answerable,
    compare_before_divergence,
    family_level,
)
from rvq.stats.divergence import QUESTIONS as OUTCOME_QUESTION_TEXT
from rvq.stats.effectsizes import (
    clear_difference,
    cliffs_delta,
    cohens_d,
    effect_row,
    effect_sizes,
)
from rvq.stats.results import Result

__all__ = [
    "QUESTIONS",
    "CommunityResult",
    "DivergenceResult",
    "SegmentExtremesResult",
    "SegmentResults",
    "cliffs_delta",
    "cohens_d",
    "community_comparison",
    "compare_before_divergence",
    "effect_sizes",
    "segment_comparisons",
    "segment_extremes",
    "segment_results",
]

ENTITY = "account_id"
QUESTIONS = {
    **OUTCOME_QUESTION_TEXT,
    "community": "Does RV (and profit) differ between community participants, by role, and non-participants?",
}


# ------------------------------------------------------------------------ the results


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
            effect_row(
                f"community: {role}",
                "insufficient_data" if "rv_flow" not in stats else "",
                stats.get("rv_flow"),
            )
            for role, stats in self.roles.items()
        ]
        return pd.DataFrame(rows or [effect_row(self.name, self.verdict, None)])


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
        return pd.DataFrame([effect_row(self.name, self.verdict, self.rv_flow)])


SegmentResult = DivergenceResult | CommunityResult | SegmentExtremesResult

#: the columns of `SegmentResults.timeline`, present even when no question could be asked
TIMELINE_COLUMNS = ("question", TIME, "measure", "gap_d", "ci_low", "ci_high")


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
    timeline: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(TIMELINE_COLUMNS)), repr=False
    )

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
    level = family_level(len(answerable(data)))
    for q in OUTCOME_QUESTIONS:
        out[q] = compare_before_divergence(
            data, q, n_boot=n_boot, seed=seed, quantile=quantile, min_group=min_group, level=level
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
    if not frames:
        return SegmentResults(out)
    return SegmentResults(out, pd.concat(frames, ignore_index=True))
