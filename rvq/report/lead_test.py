"""The lead test in words: the rule condition by condition, how far to trust a lead, and a
glossary, all generated from the results and the rule itself (`rvq.stats.identification`)
so the page's text and its numbers cannot disagree."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from rvq.report.words import outcome_words
from rvq.stats.backtest import LeadingIndicatorResult, LeadingIndicatorResults
from rvq.stats.identification import FEEDBACK_MIN_EFFECT, MIN_HELD_OUT, RULE
from rvq.stats.trust import MATERIAL_R2_GAIN, TARGET_POWER, TrustNumbers

#: condition name -> its short label on the page
CONDITION_LABELS = {
    "forward": "RV adds to the outcome's own history",
    "account_trends": "... also with each account's own trend removed",
    "placebo": "RV measured after the outcome does not 'predict' it",
    "rescue": "RV is more than an answer to the outcome's dips",
    "out_of_time": "better forecasts of held-out later periods",
    "granger": "panel Granger test at the order of the horizon",
    "reverse": "the outcome moves RV later (feedback)",
}
ROLE_WORDS = {
    "required": "must hold",
    "confirmation": "must hold where it has power",
    "reported": "reported, never decides",
}
RESULT_WORDS = {True: "holds", False: "fails", None: "does not apply"}
#: a reported condition is a finding: yes or no
FINDING_WORDS = {True: "yes", False: "no", None: "not available"}

#: the words a reader of the back-test page needs (rendered by `glossary_markdown`)
GLOSSARY = {
    "RV flow (`rv_flow`)": "the Relationship Value an account gained (or lost) in one "
    "period: the sum of the RV scores of its interactions in that period.",
    "depth (`rv_cum`)": "cumulative RV: the flow summed since the account's first "
    "interaction; how deep the relationship is.",
    "SD": "standard deviation: the typical size of a change. Effects are in SDs of the "
    "outcome per SD of RV, measured within accounts, so outcomes in different units compare.",
    "d (Cohen's d)": "the difference between two groups' means in pooled SDs: 0.2 is small, "
    "0.5 medium, 0.8 large.",
    "p-value": "how often a pattern at least this strong would appear by chance if there "
    "were none. Small is evidence; it is not the chance that the finding is wrong.",
    "adjusted p": "the p-value corrected (Holm) for searching many outcomes and horizons "
    "at once, so that searching cannot manufacture a finding.",
    "95% interval": "the range of values the data are consistent with.",
    "horizon": "how many periods after the RV the outcome is measured.",
    "placebo": "the same test with RV measured after the outcome: a lead must not appear "
    "there too.",
    "feedback": "the outcome also moves RV later (e.g. money spent on accounts that grow); "
    "reported beside the verdict, it does not cancel a lead.",
}


def _fmt(value: Any, digits: int = 2) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return f"{value:.{digits}f}" if math.isfinite(value) else "n/a"


def _p(value: Any) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "p n/a"
    if not math.isfinite(value):
        return "p n/a"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _periods(n: Any, period: str, adjective: str = "") -> str:
    """'1 quarter', '3 held-out quarters'."""
    return f"{n} {adjective}{period}{'' if n == 1 else 's'}"


def _effect(numbers: Mapping[str, Any]) -> str:
    return (
        f"effect {_fmt(numbers.get('effect'))} "
        f"({_fmt(numbers.get('ci_low'))} to {_fmt(numbers.get('ci_high'))})"
    )


def condition_evidence(condition: Mapping[str, Any], period: str = "period") -> str:
    """The numbers behind one condition of the rule, in a few words."""
    name, n = condition["name"], condition.get("numbers") or {}
    note = condition.get("note") or ""
    if name in ("forward", "account_trends"):
        text = f"{_effect(n)}, adjusted {_p(n.get('p_adjusted'))}, t = {_fmt(n.get('t'), 1)}"
    elif name == "placebo":
        text = f"{_effect(n)}, one-sided {_p(n.get('p_one_sided'))}" if n else ""
    elif name == "rescue":
        text = (
            f"reverse effect {_fmt(n.get('reverse_effect'))} at "
            f"{_periods(n.get('reverse_horizon'), period)}"
            if n
            else ""
        )
    elif name == "out_of_time":
        text = (
            f"R² gain {_fmt(n.get('r2_gain'), 3)} ({_fmt(n.get('ci_low'), 3)} to "
            f"{_fmt(n.get('ci_high'), 3)}), {n.get('held_out_periods')} periods held out"
            if "r2_gain" in n
            else ""
        )
    elif name == "granger":
        text = (
            f"order {n.get('order')}, z = {_fmt(n.get('z'))}, {_p(n.get('p_value'))}"
            if "z" in n
            else ""
        )
    else:  # reverse
        text = (
            f"{_effect(n)} at {_periods(n.get('horizon'), period)} ahead, adjusted "
            f"{_p(n.get('p_adjusted'))}"
            if n
            else ""
        )
    return "; ".join(part for part in (text, note) if part)


def verdict_line(result: LeadingIndicatorResult, period: str = "period") -> str:
    """ "**Outcome**: verdict. reason" in the pilot's period word."""
    word = outcome_words(result.outcome).capitalize()
    reason = (result.reason or "").replace("period(s)", f"{period}(s)")
    return f"**{word}**: {result.verdict.replace('_', ' ')}. {reason}"


def rule_table(result: LeadingIndicatorResult, period: str = "period") -> pd.DataFrame:
    """The rule as it was applied to one outcome: one row per condition with its role,
    evidence and result, from the result's own conditions."""
    rows = [
        {
            "condition": CONDITION_LABELS.get(c["name"], c["name"]),
            "role": ROLE_WORDS.get(c["role"], c["role"]),
            "evidence": condition_evidence(c, period),
            "result": (FINDING_WORDS if c["role"] == "reported" else RESULT_WORDS)[c["passed"]],
        }
        for c in result.conditions
    ]
    return pd.DataFrame(rows, columns=["condition", "role", "evidence", "result"])


def rule_markdown(alpha: float = 0.05) -> str:
    """How the verdict is reached, from the rule's own definition (`identification.RULE`)."""
    required = [q for q, (role, _) in RULE.items() if role == "required"]
    lines = [
        "An outcome is called **leading** only when, at its best horizon (the horizon where "
        "RV's forward evidence is strongest), every condition marked *must hold* holds, and "
        "the out-of-time check holds where it has power:",
        "",
    ]
    for name, (role, question) in RULE.items():
        lines.append(f"- **{CONDITION_LABELS[name]}** ({ROLE_WORDS[role]}): {question}")
    lines += [
        "",
        f"RV's forward effect is judged at {alpha:.0%} after adjusting (Holm) for every "
        "outcome and horizon searched for the best one; the account-trend check and the "
        f"placebo are single tests at that horizon (one-sided, at {alpha:.0%}). "
        "The out-of-time check counts only where at "
        f"least {MIN_HELD_OUT} periods are held out: with fewer, period-to-period swings "
        "dominate and it is shown but cannot veto. The placebo does not apply when the "
        "outcome feeds back into RV with the same sign, because RV that follows the money "
        "then moves with it after the fact; removing each account's own trend is the guard "
        "there. When the outcome pushes RV the opposite way (RV rises after the outcome "
        "falls, as when reps answer dips), the outcome's rebound would follow RV whatever "
        "RV does, so no lead is claimed. Feedback is reported when the reverse effect is "
        "significant, at least "
        f"{FEEDBACK_MIN_EFFECT:.2f} SD per SD, and survives account trends. "
        f"**Not leading** means the data could test it and one of the {len(required)} "
        "conditions that must hold failed (the reason names it, and says so when RV only "
        "follows the outcome); **insufficient data** means the test could not be run, and "
        "the reason is given.",
    ]
    return "\n".join(lines)


def _per_100_words(t: TrustNumbers, period: str) -> str:
    if not math.isfinite(t.per_100_rv):
        return ""
    if t.outcome == "profit":
        amount = f"{t.per_100_rv:,.0f} more profit (in the data's currency)"
    else:
        word = outcome_words(t.outcome)
        amount = f"{100 * t.per_100_rv:.2f} percentage points more {word}"
    later = f"{t.horizon} {period}{'s' if t.horizon != 1 else ''} later"
    return f"100 more RV units gained in a {period} go with {amount} {later}."


def trust_lines(
    results: LeadingIndicatorResults, period: str = "period", *, synthetic: bool = False
) -> list[str]:
    """The "how far to trust this" box, one bullet per point, for every tested outcome."""
    lines = []
    for outcome, t in results.trust().items():
        result = results.outcomes[outcome]
        word = outcome_words(outcome).capitalize()
        parts = [f"**{word}** ({result.verdict.replace('_', ' ')}):"]
        if result.verdict == "leading":
            parts.append(_per_100_words(t, period))
        if t.oot_counts:
            material = "material" if t.oot_material else "not material"
            parts.append(
                f"Out of time, adding RV raises the explained share of later {period}s by "
                f"{_fmt(t.oot_gain, 3)} ({_fmt(t.oot_ci_low, 3)} to {_fmt(t.oot_ci_high, 3)}): "
                f"{material} (material: at least {MATERIAL_R2_GAIN:.2f})."
            )
        elif math.isfinite(t.oot_gain):
            parts.append(
                f"Out of time the gain is {_fmt(t.oot_gain, 3)} ({_fmt(t.oot_ci_low, 3)} to "
                f"{_fmt(t.oot_ci_high, 3)}) on only {_periods(t.oot_held_out, period, 'held-out ')}: "
                f"too few to count (the check needs {MIN_HELD_OUT})."
            )
        parts.append(
            f"At this book's size the test finds an effect of {_fmt(t.effect)} SD per SD "
            f"{_share(t.power)} of the time, and the smallest effect it finds "
            f"{TARGET_POWER:.0%} of the time is {_fmt(t.detectable_effect)}."
        )
        lines.append(" ".join(p for p in parts if p))
    lines.append(
        "These are predictions, not causes: RV moving first says where to look, not what "
        "raising RV by intervention would do. A driver the data do not see that moves RV "
        "first and the money later produces the same pattern."
    )
    if synthetic:
        lines.append(
            "**These data are synthetic** (generated by `rvq demo` with a planted truth): "
            "the findings describe the generator, not a company."
        )
    return lines


def trust_markdown(
    results: LeadingIndicatorResults, period: str = "period", *, synthetic: bool = False
) -> str:
    """`trust_lines` as a Markdown list."""
    return "\n".join(f"- {line}" for line in trust_lines(results, period, synthetic=synthetic))


def _share(p: float) -> str:
    if not math.isfinite(p):
        return "an unknown share"
    return "more than 99%" if p > 0.99 else f"{p:.0%}"


def glossary_markdown() -> str:
    """`GLOSSARY` as a Markdown list."""
    return "\n".join(f"- **{term}**: {text}" for term, text in GLOSSARY.items())
