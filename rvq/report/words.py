"""The report in plain words: one sentence per result, the executive summary, the
headline and the next steps, all from `summary.json` data.

The sentences are Markdown (the pages display them so): every client string in them
(segment names and values, group labels) goes through `markup.markdown_text`, so it reads
as text and never as a link, a tag or a script; the index page shows them with
`markup.plain_text`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from rvq.report.markup import markdown_text
from rvq.stats.backtest import BacktestResult, LeadingIndicatorResult, LeadingIndicatorResults
from rvq.stats.dovssay import DoVsSayResult
from rvq.stats.segments import CommunityResult, DivergenceResult, SegmentResult

OUTCOME_WORDS = {
    "profit": "profit",
    "revenue_growth": "revenue growth",
    "share_of_wallet": "share of wallet",
}

#: the pilot's questions (step g, `docs/design.md`), in the order the report answers them
PILOT_QUESTIONS = {
    1: "Does RV differ between the most profitable customers and those where money is lost?",
    2: "Does RV differ between customers whose revenue grows and those whose revenue shrinks?",
    3: "Does RV differ between customers whose share of wallet grows and those where it shrinks?",
    4: "Does RV differ between community participants (Leaders, Doers, Watchers) and others?",
    5: "Does RV differ between the extremes of the other configured segments?",
    6: "Is RV a leading indicator of each outcome, and by how many periods?",
    7: "How does what customers DO (RV) relate to what they SAY (NPS, CSAT)?",
}


def number_text(value: Any) -> str:
    """A number as a reviewer reads it: thousands separated, about three significant
    digits (no decimals from 100 up, one from 10 up, three below), scientific only for
    tiny ones (p-values), blank for missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    if abs(value) < 0.001:
        return f"{value:.1e}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: Any, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if _is_number(value) else "n/a"


def _p_words(p: Any) -> str:
    if not _is_number(p):
        return ""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def leading_indicator_sentence(result: LeadingIndicatorResult, period: str = "") -> str:
    """One plain sentence for a leading-indicator result: the verdict, the horizon, the
    standardized effect with its interval and the adjusted p-value, whether the outcome
    also feeds back into RV, and for `not_leading` the reason."""
    word = outcome_words(result.outcome)
    if result.verdict == "insufficient_data":
        reason = result.reason or "the data do not allow the test"
        return f"{word.capitalize()}: not enough data to judge ({reason})."
    horizon = result.best_horizon
    unit = f" {period}" if period else " period"
    plural = "s" if horizon != 1 else ""
    ci = _interval(result.ci_low, result.ci_high)
    p = _p_words(result.p_adjusted)
    evidence = f"effect {_fmt(result.effect)} SD of {word} per SD of RV ({ci}; adjusted {p})"
    feedback = f"; {word} also feeds back into RV later" if result.feedback else ""
    if result.verdict == "leading":
        return (
            f"{word.capitalize()}: RV moves first, by {horizon}{unit}{plural}; "
            f"{evidence}{feedback}."
        )
    reason = _reason_words(result.reason, period)
    return (
        f"{word.capitalize()}: no reliable sign that RV moves before {word}; "
        f"the strongest horizon ({horizon}{unit}{plural}) shows {evidence}"
        + (f", but {reason}" if reason else "")
        + f"{feedback}."
    )


def _reason_words(reason: str, period: str) -> str:
    """A rule's reason for a sentence: without the final stop, in the pilot's period word."""
    reason = (reason or "").rstrip(".")
    return reason.replace("period(s)", f"{period}(s)") if period else reason


def _interval(low: Any, high: Any) -> str:
    return f"95% interval {_fmt(low)} to {_fmt(high)}"


def _label(text: Any) -> str:
    """A name or value from the data as words in a Markdown sentence: underscores as
    spaces, markup escaped."""
    return markdown_text(str(text).replace("_", " "))


def outcome_words(outcome: str) -> str:
    """An outcome's name in words (Markdown-escaped when it is not one rvq knows)."""
    return OUTCOME_WORDS.get(outcome) or _label(outcome)


def _d_words(stats: Mapping[str, Any]) -> str:
    """A standardized difference between two groups: Cohen's d with its interval."""
    return f"d = {_fmt(stats.get('cohens_d'))} ({_interval(stats.get('d_ci_low'), stats.get('d_ci_high'))})"


def segment_sentence(result: SegmentResult, period: str = "") -> str:
    """One or two plain sentences for one segment question of `rvq.stats.segments`.

    Outcome questions (1-3) compare the change in RV since each account's start *before*
    the groups' outcome diverged, raw and given the outcome they already had (that one
    decides), with how many periods early RV differed on the corrected scan;
    the community question (4) each role against non-participants; a configured segment
    (5) its most and least profitable values. Differences are Cohen's d (pooled SDs) with
    a bootstrap interval (95%; the outcome questions' adjusted one at their family level,
    which the sentence names); the verdict is the result's own.
    """
    if result.verdict == "insufficient_data":
        reason = markdown_text(result.reason) if result.reason else "groups too small"
        return f"Not enough data to compare: {reason}."
    if isinstance(result, CommunityResult):
        parts = []
        for role, stats in result.roles.items():
            who = ROLE_WORDS.get(role, _label(role).capitalize())
            if "rv_flow" not in stats:
                parts.append(f"{who}: too few accounts ({stats.get('n', 0)}).")
                continue
            rv, profit = stats["rv_flow"], stats.get("profit")
            parts.append(
                f"{who} ({rv.get('n_a')} accounts) against non-participants: RV per period "
                f"{_d_words(rv)}" + (f"; profit {_d_words(profit)}." if profit else ".")
            )
        return " ".join(parts)
    groups = result.groups or {}
    if isinstance(result, DivergenceResult):
        raw, adjusted = result.rv_difference_raw, result.rv_difference
        unit = period or "period"
        early = (result.periods_early or {}).get("rv_flow")
        level = adjusted.get("ci_level") or 0.95
        pct = f"{100 * level:.1f}".removesuffix(".0")
        adjusted_words = (
            f"d = {_fmt(adjusted.get('cohens_d'))} ({pct}% interval "
            f"{_fmt(adjusted.get('d_ci_low'))} to {_fmt(adjusted.get('d_ci_high'))}, "
            "as the outcome questions are tested together)"
            if level > 0.95
            else _d_words(adjusted)
        )
        parted = (
            f"before they parted ways on the outcome ({result.divergence_period})"
            if result.divergence_period
            else "over the periods compared (the outcomes never clearly parted ways)"
        )
        given = (
            f"Given the outcome each group already had in those {unit}s, RV gained "
            + ("differs" if result.verdict == "differs_before" else "does not clearly differ")
            + f": {adjusted_words}."
        )
        when = (
            f" RV differed clearly in each of the last {early} {unit}{'s' if early != 1 else ''} "
            f"before that (simultaneous {pct}% band over the scanned periods)."
            if early and result.verdict == "differs_before"
            else ""
        )
        return (
            f"{_label(groups.get('a', 'group A')).capitalize()} ({groups.get('n_a')} accounts) "
            f"against {_label(groups.get('b', 'group B'))} ({groups.get('n_b')}): RV per {unit} "
            f"changed by {_fmt(raw.get('mean_a'), 1)} against {_fmt(raw.get('mean_b'), 1)} from "
            f"each account's start {parted}, {_d_words(raw)}. {given}{when}"
        )

    def value(label: Any) -> str:  # question 5: a configured segment
        return _label(str(label).removeprefix(f"{result.segment} = "))

    segment = markdown_text(str(result.segment).replace("_", " ").capitalize())
    return (
        f"{segment}: {value(groups.get('a', '?'))} against "
        f"{value(groups.get('b', '?'))}, RV per period {_d_words(result.rv_flow or {})}."
    )


def do_vs_say_sentence(result: DoVsSayResult) -> str:
    """Plain sentences for DO vs SAY (`rvq.stats.dovssay`): how RV and the surveys move
    together, and which leads the money better out of time in a fair race (the same
    features of each, one horizon for both chosen on the early periods)."""
    parts = [
        f"RV and {survey.upper()}: accounts that do more say more "
        f"(r = {_fmt(stats['between_corr'])}, {_interval(stats.get('between_ci_low'), stats.get('between_ci_high'))}); "
        f"within an account over time r = {_fmt(stats.get('within_corr'))}."
        for survey, stats in result.associated.items()
    ]
    wins, ties = [], 0
    for outcome, survey, race in result.races:
        if race["leads_better"] == "tie":
            ties += 1
            continue
        do_wins = race["leads_better"] == "do"
        better, worse = ("RV", survey.upper()) if do_wins else (survey.upper(), "RV")
        h = race.get("horizon")
        wins.append(
            f"{better} forecasts {_label(outcome)} better than {worse} "
            f"({h} period{'' if h == 1 else 's'} ahead)"
        )
    race_rule = (
        "Out of time, with RV and each survey given the same features and one horizon "
        "chosen on the early periods only"
    )
    if wins:
        parts.append(
            f"{race_rule}: "
            + "; ".join(wins)
            + (f"; no clear winner in the other {ties} comparisons." if ties else ".")
        )
    elif ties:
        parts.append(
            f"{race_rule}, neither RV nor the surveys forecasts the outcomes clearly "
            f"better ({ties} comparisons)."
        )
    return " ".join(parts) if parts else "No survey answers to compare with RV."


ROLE_WORDS = {
    "leader": "Leaders",
    "doer": "Doers",
    "watcher": "Watchers",
    "any": "All participants",
}

#: which segment entries answer which question (the keys `rvq.stats.segments` writes)
SEGMENT_QUESTIONS = {
    1: "profit_extremes",
    2: "revenue_growth",
    3: "share_of_wallet",
    4: "community",
}


def executive_summary(summary: Mapping[str, Any], period: str = "") -> list[dict[str, Any]]:
    """The pilot's questions answered in plain words from a `summary.json` document:
    one entry per question, with its verdict (the results' own, `rvq.stats`) and one or
    two sentences of evidence."""
    result = BacktestResult.from_dict(summary)

    def answer(number: int, verdict: str, evidence: str) -> dict[str, Any]:
        return {
            "question": number,
            "text": PILOT_QUESTIONS[number],
            "verdict": verdict,
            "evidence": evidence,
        }

    segments = result.segments.questions
    answers = [
        answer(number, segments[key].verdict, segment_sentence(segments[key], period))
        for number, key in SEGMENT_QUESTIONS.items()
        if key in segments
    ]
    extremes = result.segments.extremes
    if extremes:
        differing = [
            segment_sentence(r, period) for r in extremes.values() if r.verdict == "differs"
        ]
        alike = [_label(r.segment) for r in extremes.values() if r.verdict != "differs"]
        evidence = " ".join(differing)
        if alike:
            evidence += f" No clear RV difference between the extremes of: {', '.join(alike)}."
        answers.append(answer(5, result.segments.extremes_verdict, evidence.strip()))
    leading = result.leading_indicator
    answers.append(
        answer(
            6,
            leading.verdict,
            " ".join(leading_indicator_sentence(r, period) for r in leading.outcomes.values()),
        )
    )
    if summary.get("do_vs_say"):
        answers.append(answer(7, result.do_vs_say.verdict, do_vs_say_sentence(result.do_vs_say)))
    return sorted(answers, key=lambda a: a["question"])


def in_short(summary: Mapping[str, Any], period: str = "") -> str:
    """The answer to the pilot's main question in one sentence: which outcomes RV leads
    and by how many periods, which it does not, and which the data could not test."""
    results = _leading_results(summary)
    unit = period or "period"

    def by(result: LeadingIndicatorResult) -> str:
        h = result.best_horizon
        return f" (by {h} {unit}{'s' if h != 1 else ''})" if h else ""

    led = [f"{outcome_words(r.outcome)}{by(r)}" for r in results if r.verdict == "leading"]
    not_led = [outcome_words(r.outcome) for r in results if r.verdict == "not_leading"]
    untested = [outcome_words(r.outcome) for r in results if r.verdict == "insufficient_data"]

    def words(items: list[str], join: str = "and") -> str:
        return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {join} {items[-1]}"

    parts = []
    if led:
        parts.append(f"RV is a leading indicator of {words(led)}")
    if not_led:
        parts.append(
            f"{'it is not' if led else 'RV is not'} a leading indicator of {words(not_led, 'or')}"
        )
    if untested:
        parts.append(f"the data could not test {words(untested, 'or')}")
    if not parts:
        return "The back-test produced no verdict."
    sentence = "; ".join(parts) + "."
    return sentence[0].upper() + sentence[1:]


def next_steps(summary: Mapping[str, Any]) -> list[str]:
    """Recommended next steps that follow from the verdicts (plain sentences)."""
    results = _leading_results(summary)
    led = [outcome_words(r.outcome) for r in results if r.verdict == "leading"]
    lacking = [outcome_words(r.outcome) for r in results if r.verdict == "insufficient_data"]
    steps = []
    if led:
        steps.append(
            "Build ongoing RV tracking: RV leads "
            + ", ".join(led)
            + ", so score interactions every period and review accounts that fall behind "
            "their norm before the money moves."
        )
    else:
        steps.append(
            "Do not build RV tracking on this evidence yet: first review the catalog's RV "
            "scores with the cross-functional team and re-run the pilot on a longer history."
        )
    if lacking:
        steps.append(
            "Collect the data the back-test lacked for " + ", ".join(lacking) + " (step 05 "
            "lists the requests per team), then re-run the pilot."
        )
    steps.append(
        "Close the 2-3 critical process gaps of step 04, starting with the one that costs "
        "most per unit of RV, and check the effect in the next pilot run."
    )
    return steps


def _leading_results(summary: Mapping[str, Any]) -> list[LeadingIndicatorResult]:
    """The leading-indicator results of a `summary.json` document, in its order."""
    data = summary.get("leading_indicator") or {}
    return list(LeadingIndicatorResults.from_dict(data).outcomes.values())
