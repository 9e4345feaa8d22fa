"""The report in plain words: one sentence per result, the executive summary, the
headline and the next steps, all from `summary.json` data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

OUTCOME_WORDS = {
    "profit": "profit",
    "revenue_growth": "revenue growth",
    "share_of_wallet": "share of wallet",
}

#: the pilot's questions (ARCHITECTURE, step g), in the order the report answers them
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


def leading_indicator_sentence(outcome: str, result: Mapping[str, Any], period: str = "") -> str:
    """One plain sentence for a leading-indicator result: the verdict, the horizon, the
    standardized effect with its interval and the adjusted p-value."""
    word = OUTCOME_WORDS.get(outcome, outcome.replace("_", " "))
    verdict = result.get("verdict")
    if verdict == "insufficient_data":
        reason = result.get("reason") or "the data do not allow the test"
        return f"{word.capitalize()}: not enough data to judge ({reason})."
    horizon = result.get("best_horizon")
    unit = f" {period}" if period else " period"
    plural = "s" if horizon != 1 else ""
    ci = f"95% interval {_fmt(result.get('ci_low'))} to {_fmt(result.get('ci_high'))}"
    p = _p_words(result.get("p_adjusted"))
    evidence = f"effect {_fmt(result.get('effect'))} SD of {word} per SD of RV ({ci}; adjusted {p})"
    if verdict == "leading":
        return f"{word.capitalize()}: RV moves first, by {horizon}{unit}{plural}; {evidence}."
    reason = str(result.get("reason") or "").rstrip(".")
    return (
        f"{word.capitalize()}: no reliable sign that RV moves before {word}; "
        f"the strongest horizon ({horizon}{unit}{plural}) shows {evidence}"
        + (f", but {reason}." if reason else ".")
    )


def _interval(low: Any, high: Any) -> str:
    return f"95% interval {_fmt(low)} to {_fmt(high)}"


def _label(text: Any) -> str:
    return str(text).replace("_", " ")


def _d_words(stats: Mapping[str, Any]) -> str:
    """A standardized difference between two groups: Cohen's d with its interval."""
    return f"d = {_fmt(stats.get('cohens_d'))} ({_interval(stats.get('d_ci_low'), stats.get('d_ci_high'))})"


def _clear(stats: Mapping[str, Any]) -> bool:
    low, high = stats.get("d_ci_low"), stats.get("d_ci_high")
    return _is_number(low) and _is_number(high) and (low > 0 or high < 0)


def segment_sentence(name: str, result: Mapping[str, Any], period: str = "") -> tuple[str, str]:
    """(verdict, one or two plain sentences) for one segment question of `rvq.stats.segments`.

    Outcome questions (1-3) compare RV of the two groups *before* their outcome diverged;
    the community question (4) each role against non-participants; a configured segment
    (5) its most and least profitable values. Differences are Cohen's d (pooled SDs) with
    a 95% bootstrap interval; "differs" means the interval excludes zero.
    """
    verdict = str(result.get("verdict") or "")
    groups = result.get("groups") or {}
    if verdict == "insufficient_data":
        return verdict, f"Not enough data to compare: {result.get('reason', 'groups too small')}."
    if "roles" in result:  # question 4
        parts, differs = [], False
        for role, stats in result["roles"].items():
            who = ROLE_WORDS.get(role, _label(role).capitalize())
            if stats.get("verdict") == "insufficient_data" or "rv_flow" not in stats:
                parts.append(f"{who}: too few accounts ({stats.get('n', 0)}).")
                continue
            rv, profit = stats["rv_flow"], stats.get("profit", {})
            differs |= _clear(rv)
            parts.append(
                f"{who} ({rv.get('n_a')} accounts) against non-participants: RV per period "
                f"{_d_words(rv)}" + (f"; profit {_d_words(profit)}." if profit else ".")
            )
        return ("differs" if differs else "no_clear_difference"), " ".join(parts)
    if "before_divergence" in result:  # questions 1-3
        stats = (result.get("before_divergence") or {}).get("rv_flow_mean", {})
        early = (result.get("periods_early") or {}).get("rv_flow")
        unit = period or "period"
        verdict = verdict or ("differs_before" if _clear(stats) else "no_difference_before")
        when = (
            f" The difference was visible {early} {unit}{'s' if early != 1 else ''} before "
            f"the outcomes parted ways ({result.get('divergence_period')})."
            if early and verdict == "differs_before"
            else f" The outcomes parted ways in {result.get('divergence_period')}."
            if result.get("divergence_period")
            else ""
        )
        return verdict, (
            f"{_label(groups.get('a', 'group A')).capitalize()} ({groups.get('n_a')} accounts) "
            f"against {_label(groups.get('b', 'group B'))} ({groups.get('n_b')}): mean RV per "
            f"period {_fmt(stats.get('mean_a'), 1)} against {_fmt(stats.get('mean_b'), 1)} "
            f"before they diverged, {_d_words(stats)}.{when}"
        )
    rv = result.get("rv_flow") or {}  # question 5: a configured segment
    segment = name.removeprefix("segment:")

    def value(label: Any) -> str:
        return _label(str(label).removeprefix(f"{segment} = "))

    return ("differs" if _clear(rv) else "no_clear_difference"), (
        f"{_label(segment).capitalize()}: {value(groups.get('a', '?'))} against "
        f"{value(groups.get('b', '?'))}, RV per period {_d_words(rv)}."
    )


def do_vs_say_sentence(do_vs_say: Mapping[str, Any]) -> tuple[str, str]:
    """(verdict, plain sentences) for DO vs SAY (`rvq.stats.dovssay`): how RV and the surveys
    move together, and which leads the money better out of time."""
    parts = []
    for survey, by_rv in (do_vs_say.get("association") or {}).items():
        stats = by_rv.get("rv_flow") or {}
        if "between_corr" not in stats:
            continue
        parts.append(
            f"RV and {survey.upper()}: accounts that do more say more "
            f"(r = {_fmt(stats['between_corr'])}, {_interval(stats.get('between_ci_low'), stats.get('between_ci_high'))}); "
            f"within an account over time r = {_fmt(stats.get('within_corr'))}."
        )
    winners, wins = [], []
    for outcome, by_survey in (do_vs_say.get("horse_race") or {}).items():
        if not isinstance(by_survey, Mapping):
            continue
        for survey, race in by_survey.items():
            if not (isinstance(race, Mapping) and race.get("leads_better")):
                continue
            winners.append(race["leads_better"])
            if race["leads_better"] in ("do", "say"):
                better = "RV" if race["leads_better"] == "do" else survey.upper()
                worse = survey.upper() if race["leads_better"] == "do" else "RV"
                wins.append(f"{better} forecasts {_label(outcome)} better than {worse}")
    if winners:
        ties = winners.count("tie")
        parts.append(
            (
                "Out of time, "
                + "; ".join(wins)
                + (f"; no clear winner in the other {ties} comparisons." if ties else ".")
            )
            if wins
            else f"Out of time, neither RV nor the surveys forecasts the outcomes clearly "
            f"better ({ties} comparisons)."
        )
    if not parts:
        return "insufficient_data", "No survey answers to compare with RV."
    verdict = (
        "do_leads"
        if "do" in winners and "say" not in winners
        else "say_leads"
        if "say" in winners and "do" not in winners
        else "mixed"
        if winners.count("tie") < len(winners)
        else "no_clear_leader"
    )
    return verdict, " ".join(parts)


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
    one entry per question, with a verdict and one or two sentences of evidence."""
    answers: list[dict[str, Any]] = []
    segments = summary.get("segments") or {}
    for number, key in SEGMENT_QUESTIONS.items():
        if key in segments:
            verdict, evidence = segment_sentence(key, segments[key], period)
            answers.append(
                {
                    "question": number,
                    "text": PILOT_QUESTIONS[number],
                    "verdict": verdict,
                    "evidence": evidence,
                }
            )
    others = [k for k in segments if k.startswith("segment:")]
    if others:
        found = {k: segment_sentence(k, segments[k], period) for k in others}
        differing = [sentence for verdict, sentence in found.values() if verdict == "differs"]
        alike = [
            _label(k.removeprefix("segment:")) for k, (v, _) in found.items() if v != "differs"
        ]
        evidence = " ".join(differing)
        if alike:
            evidence += f" No clear RV difference between the extremes of: {', '.join(alike)}."
        answers.append(
            {
                "question": 5,
                "text": PILOT_QUESTIONS[5],
                "verdict": "differs" if differing else "no_clear_difference",
                "evidence": evidence.strip(),
            }
        )
    leading = summary.get("leading_indicator") or {}
    verdicts = {o: r.get("verdict") for o, r in leading.items() if isinstance(r, Mapping)}
    overall = (
        "leading"
        if "leading" in verdicts.values()
        else "insufficient_data"
        if verdicts and set(verdicts.values()) == {"insufficient_data"}
        else "not_leading"
    )
    answers.append(
        {
            "question": 6,
            "text": PILOT_QUESTIONS[6],
            "verdict": overall,
            "evidence": " ".join(
                leading_indicator_sentence(o, r, period)
                for o, r in leading.items()
                if isinstance(r, Mapping)
            ),
        }
    )
    if summary.get("do_vs_say"):
        verdict, evidence = do_vs_say_sentence(summary["do_vs_say"])
        answers.append(
            {"question": 7, "text": PILOT_QUESTIONS[7], "verdict": verdict, "evidence": evidence}
        )
    return sorted(answers, key=lambda a: a["question"])


def in_short(summary: Mapping[str, Any], period: str = "") -> str:
    """The answer to the pilot's main question in one sentence: which outcomes RV leads
    and by how many periods, which it does not, and which the data could not test."""
    leading = {o: r for o, r in (summary.get("leading_indicator") or {}).items() if r}
    unit = period or "period"

    def by(result: Mapping[str, Any]) -> str:
        h = result.get("best_horizon")
        return f" (by {h} {unit}{'s' if h != 1 else ''})" if h else ""

    led = [
        f"{OUTCOME_WORDS.get(o, o)}{by(r)}"
        for o, r in leading.items()
        if r.get("verdict") == "leading"
    ]
    not_led = [
        OUTCOME_WORDS.get(o, o) for o, r in leading.items() if r.get("verdict") == "not_leading"
    ]
    untested = [
        OUTCOME_WORDS.get(o, o)
        for o, r in leading.items()
        if r.get("verdict") == "insufficient_data"
    ]

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
    leading = summary.get("leading_indicator") or {}
    led = [OUTCOME_WORDS.get(o, o) for o, r in leading.items() if r.get("verdict") == "leading"]
    lacking = [
        OUTCOME_WORDS.get(o, o)
        for o, r in leading.items()
        if r.get("verdict") == "insufficient_data"
    ]
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
