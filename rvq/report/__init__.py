"""Findings records, `summary.json` (ARCHITECTURE contract 3) and the report's HTML pages.

Every pilot notebook records what it found as JSON data through `record_findings`; the
executive summary, `summary.json` and `index.html` are built from those records, never by
scraping notebooks or HTML. The HTML side (executed notebook -> page without code, the run's
`index.html`, the error page) lives here too, so the report's look is defined in one place:
the Jinja templates in `rvq/templates/`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import math
import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rvq import __version__
from rvq.jsonable import to_jsonable

#: the verdicts a leading-indicator result may carry (contract 3)
VERDICTS = ("leading", "not_leading", "insufficient_data")
#: the outcomes every summary reports on (contract 3)
OUTCOMES = ("profit", "revenue_growth", "share_of_wallet")
#: numbers each leading-indicator result carries when it has a verdict from data
RESULT_NUMBERS = ("effect", "ci_low", "ci_high", "p_value", "p_adjusted", "reverse_p_value")
#: the record the pipeline writes about the run itself (client, parameters, data counts)
RUN_RECORD = "run"
#: the step whose record holds the back-test results of the summary
BACKTEST_STEP = "06_rv_backtest"
#: the step whose record holds the plain-words answers and next steps
FINDINGS_STEP = "07_findings"

#: one size for every figure in the report: legible on a laptop, light to load
FIGURE_SIZE = (8.0, 4.5)
FIGURE_DPI = 100

TEMPLATES = Path(__file__).parents[1] / "templates"

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

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- notebooks


def notebook_setup(run_dir: str | os.PathLike | None = None) -> None:
    """Prepare a pilot notebook's kernel so its rendered page is clean and its figures light.

    Warnings and log records go to `warnings.log` in the run folder (or stay visible when
    there is none, for interactive work), progress bars are off, every figure gets the
    report's size and resolution, and tables show a readable number of rows and digits.
    Called once, in each notebook's first code cell after the parameters.
    """
    import matplotlib as mpl

    os.environ["TQDM_DISABLE"] = "1"  # rvq's progress bars would land on stderr, in the page
    mpl.rcParams.update(
        {
            "figure.figsize": FIGURE_SIZE,
            "figure.dpi": FIGURE_DPI,
            "savefig.dpi": FIGURE_DPI,
            "figure.autolayout": False,
            "figure.constrained_layout.use": True,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": "medium",
            "font.size": 10,
        }
    )
    try:  # inside a kernel: embed PNG only (no SVG/PDF duplicates in the page)
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover - not in a kernel
        pass
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.precision", 3)
    pd.set_option("display.float_format", number_text)
    pd.set_option("display.width", 120)

    if run_dir:
        logfile = Path(run_dir) / "warnings.log"
        logfile.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(logfile, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        warnings.simplefilter("default")  # record each distinct warning once per location
        logging.captureWarnings(True)
        for name in ("py.warnings", "rvq"):
            logger = logging.getLogger(name)
            logger.handlers[:] = [handler]
            logger.propagate = False
        root = logging.getLogger()
        root.handlers[:] = [handler]


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


def _cell_text(value: Any) -> Any:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    ):
        return number_text(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    return value


def table(
    frame: pd.DataFrame, rows: int | None = 25, *, empty: str = "None found.", min_accounts: int = 0
):
    """A frame as a reviewer's table: the row numbers hidden (unless the index means
    something), numbers formatted by `number_text`, at most `rows` rows; an empty frame
    becomes the sentence `empty` instead of a bare header. Figures built from fewer than
    `min_accounts` accounts (a pilot's `privacy.min_cell_accounts`) are suppressed
    (`rvq.privacy.suppress_small_cells`); notebooks call `pilot.table`, which passes it."""
    from IPython.display import Markdown

    from rvq.privacy import suppress_small_cells

    if frame is None or len(frame) == 0:
        return Markdown(f"*{empty}*")
    shown = frame if rows is None else frame.head(rows)
    shown = suppress_small_cells(shown, min_accounts)
    numeric = [c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])]
    # every cell through one formatter, HTML-escaped: client text never becomes markup
    styler = shown.style.format(_cell_text, escape="html").format_index(escape="html", axis=0)
    styler = styler.format_index(escape="html", axis=1)
    # text reads left-aligned (the page's default), numbers right-aligned under their header
    styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    positions = [i for i, c in enumerate(shown.columns) if c in set(numeric)]
    styler = styler.set_table_styles(
        [{"selector": f"th.col{i}", "props": "text-align: right;"} for i in positions],
        overwrite=False,
    )
    if isinstance(shown.index, pd.RangeIndex):
        styler = styler.hide(axis="index")
    if rows is not None and len(frame) > rows:
        styler = styler.set_caption(f"The first {rows} of {len(frame):,} rows.")
    return styler


# --------------------------------------------------------------------------- findings


def findings_dir(run_dir: str | os.PathLike) -> Path:
    """The folder of a run that holds its findings records (one JSON file per step)."""
    return Path(run_dir) / "findings"


def record_findings(
    step: str, findings: Mapping[str, Any], *, run_dir: str | os.PathLike | None = None
) -> Path:
    """Write what a step found as `findings/<step>.json` in the run folder; return the path.

    `findings` is plain data (numbers, strings, lists, dicts; numpy/pandas values and
    frames are converted). The executive summary and `summary.json` are built from these
    records. Without `run_dir` the records go to `$RVQ_RUN_DIR`, else to `./rvq-findings`.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", step):
        raise ValueError(f"a findings step name is a plain word, got {step!r}")
    folder = findings_dir(run_dir or os.environ.get("RVQ_RUN_DIR") or "rvq-findings")
    folder.mkdir(parents=True, exist_ok=True)
    record = {"step": step, "findings": to_jsonable(dict(findings))}
    text = json.dumps(record, indent=2, allow_nan=False, ensure_ascii=False)
    path = folder / f"{step}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_findings(run_dir: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """Every findings record of a run, by step name (empty when none were recorded)."""
    folder = findings_dir(run_dir)
    if not folder.is_dir():
        return {}
    records = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        records[record["step"]] = record["findings"]
    return records


# --------------------------------------------------------------------------- summary.json


def summary_document(
    *,
    client: str,
    run_id: str,
    data: Mapping[str, Any],
    leading_indicator: Mapping[str, Any],
    segments: Mapping[str, Any] | None = None,
    do_vs_say: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The `summary.json` document (contract 3) from its parts, as plain JSON data.

    One constructor for both `rvq pilot` (via `build_summary`) and `rvq backtest`, so the
    two commands cannot drift apart. Extra keys are allowed: the contract only grows.
    """
    document = {
        "rvq_version": __version__,
        "client": client,
        "run_id": run_id,
        "data": dict(data),
        "leading_indicator": dict(leading_indicator),
        "segments": dict(segments or {}),
        "do_vs_say": dict(do_vs_say or {}),
        **extra,
    }
    return to_jsonable(document)


def build_summary(
    run_dir: str | os.PathLike,
    *,
    client: str | None = None,
    run_id: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`summary.json` for a run, built from its findings records.

    Client, run id, parameters and data counts come from the pipeline's `run` record (or
    the arguments, which win); leading-indicator, segment and DO-vs-SAY results from the
    back-test step's record.
    """
    records = read_findings(run_dir)
    run = records.get(RUN_RECORD, {})
    backtest = records.get(BACKTEST_STEP, {})
    missing = [k for k in ("leading_indicator",) if k not in backtest]
    if missing:
        raise KeyError(
            f"the {BACKTEST_STEP} findings record in {findings_dir(run_dir)} lacks {missing}"
        )
    data = data if data is not None else run.get("data")
    if data is None:
        raise KeyError(f"no data counts: pass data= or record them in the {RUN_RECORD!r} record")
    extra = {k: run[k] for k in ("created", "parameters") if k in run}
    return summary_document(
        client=client or run.get("client", "unknown"),
        run_id=run_id or run.get("run_id", Path(run_dir).name),
        data=data,
        leading_indicator=backtest["leading_indicator"],
        segments=backtest.get("segments"),
        do_vs_say=backtest.get("do_vs_say"),
        **extra,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_summary(summary: Any) -> list[str]:
    """The ways `summary` breaks contract 3 (an empty list when it keeps it).

    A JSON-schema-like check, written out so each message names the key at fault:
    required keys and types; counts that reconcile (events read = used + set aside);
    a verdict from `VERDICTS` for every outcome; for a `leading` or `not_leading` verdict a
    best horizon >= 1, finite numbers, p-values in [0, 1] and ci_low <= ci_high; for
    `insufficient_data` a `reason` that says why; and JSON without NaN.
    """
    problems: list[str] = []
    if not isinstance(summary, dict):
        return [f"summary is a {type(summary).__name__}, not a JSON object"]
    try:
        json.dumps(summary, allow_nan=False)
    except (TypeError, ValueError) as exc:
        problems.append(f"summary is not plain JSON: {exc}")
    for key in ("rvq_version", "client", "run_id"):
        if not isinstance(summary.get(key), str) or not summary.get(key):
            problems.append(f"{key}: a non-empty string is required")

    data = summary.get("data")
    if not isinstance(data, dict):
        problems.append("data: an object is required")
    else:
        for key in ("events_read", "events_used", "events_set_aside", "accounts", "periods"):
            if not _is_count(data.get(key)):
                problems.append(f"data.{key}: a count (integer >= 0) is required")
        counts = [data.get(k) for k in ("events_read", "events_used", "events_set_aside")]
        if all(_is_count(c) for c in counts) and counts[0] != counts[1] + counts[2]:
            problems.append(
                "data: events_read must equal events_used + events_set_aside "
                f"({counts[0]} != {counts[1]} + {counts[2]})"
            )
        for key in ("first_period", "last_period"):
            if not isinstance(data.get(key), str):
                problems.append(f"data.{key}: a period string is required")

    leading = summary.get("leading_indicator")
    if not isinstance(leading, dict):
        problems.append("leading_indicator: an object is required")
        leading = {}
    for outcome in OUTCOMES:
        if outcome not in leading:
            problems.append(f"leading_indicator.{outcome}: missing")
    for outcome, result in leading.items():
        where = f"leading_indicator.{outcome}"
        if not isinstance(result, dict):
            problems.append(f"{where}: an object is required")
            continue
        verdict = result.get("verdict")
        if verdict not in VERDICTS:
            problems.append(f"{where}.verdict: one of {VERDICTS} is required, got {verdict!r}")
            continue
        if verdict == "insufficient_data":
            if not isinstance(result.get("reason"), str) or not result["reason"]:
                problems.append(f"{where}.reason: insufficient_data must say why")
            continue
        horizon = result.get("best_horizon")
        if not (_is_count(horizon) and horizon >= 1):
            problems.append(f"{where}.best_horizon: an integer >= 1 is required")
        for key in RESULT_NUMBERS:
            value = result.get(key)
            if value is None and key == "reverse_p_value":
                continue
            if not _is_number(value):
                problems.append(f"{where}.{key}: a finite number is required, got {value!r}")
            elif key.startswith(("p_", "reverse_p")) and not 0.0 <= value <= 1.0:
                problems.append(f"{where}.{key}: a p-value in [0, 1] is required, got {value}")
        low, high = result.get("ci_low"), result.get("ci_high")
        if _is_number(low) and _is_number(high) and low > high:
            problems.append(f"{where}: ci_low > ci_high ({low} > {high})")

    for key in ("segments", "do_vs_say"):
        if not isinstance(summary.get(key), dict):
            problems.append(f"{key}: an object is required")
    return problems


# --------------------------------------------------------------------------- plain words


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


# --------------------------------------------------------------------------- HTML


def _jinja_env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = lambda v: f"{v:,}" if isinstance(v, int) else v
    env.globals["css"] = report_css()
    return env


def report_css() -> str:
    """The report's stylesheet, inlined into every page (a page must stand alone)."""
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def render_notebook_html(
    notebook: str | os.PathLike, html_path: str | os.PathLike, *, title: str
) -> Path:
    """Render an executed notebook to one self-contained HTML page with the code hidden.

    nbconvert's HTMLExporter with `exclude_input` (never papermill's report mode, which
    nbconvert ignores); the `rvq_notebook` template drops the CDN scripts (MathJax,
    require.js) the lab template would load, so the page opens offline without console
    errors, and adds a link back to the run's index. Figures are embedded PNGs.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(os.fspath(notebook), as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="rvq_notebook",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"rvq": {"title": title, "css": report_css()}}
    )
    path = Path(html_path)
    path.write_text(body, encoding="utf-8")
    return path


def write_index_html(
    run_dir: str | os.PathLike,
    summary: Mapping[str, Any],
    *,
    steps: list[Mapping[str, str]],
    parameters: Mapping[str, Any],
    answers: list[Mapping[str, Any]] | None = None,
    recommendations: list[str] | None = None,
    table_counts: Mapping[str, Mapping[str, int]] | None = None,
    period: str = "",
) -> Path:
    """Write the run's `index.html`: executive summary first, in plain words, then links
    to each step with a one-line description, the data counts (rows set aside included),
    the run's parameters, the rvq version and the date."""
    run_dir = Path(run_dir)
    answers = answers if answers is not None else executive_summary(summary, period)
    recommendations = recommendations if recommendations is not None else next_steps(summary)
    page = (
        _jinja_env()
        .get_template("run_index.html.j2")
        .render(
            summary=summary,
            headline=in_short(summary, period),
            answers=answers,
            recommendations=recommendations,
            steps=steps,
            parameters={k: _param_text(v) for k, v in parameters.items()},
            table_counts=table_counts or {},
            created=summary.get("created")
            or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
    path = run_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _param_text(value: Any) -> str:
    value = to_jsonable(value)
    return value if isinstance(value, str) else json.dumps(value)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """`text` without terminal colour codes (tracebacks from a kernel carry them)."""
    return _ANSI.sub("", text)


def write_error_html(
    run_dir: str | os.PathLike,
    *,
    message: str,
    step: str | None = None,
    cell_source: str = "",
    traceback: str = "",
    links: list[Mapping[str, str]] | None = None,
) -> Path:
    """Write `error.html` in a failed run's folder: what failed, where, and the traceback."""
    page = (
        _jinja_env()
        .get_template("error.html.j2")
        .render(
            message=message,
            step=step,
            cell_source=cell_source,
            traceback=strip_ansi(traceback),
            links=links or [],
            rvq_version=__version__,
            created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )
    path = Path(run_dir) / "error.html"
    path.write_text(page, encoding="utf-8")
    return path


_CLASS_ATTR = re.compile(r'class="([^"]*)"')
#: classes that mark a code cell's input, or an output a reviewer must never see
_CODE_CLASSES = {"jp-InputArea", "input_area", "jp-InputPrompt", "jp-Cell-inputWrapper"}
_LEAK_MARKERS = {
    "application/vnd.jupyter.stderr": "stderr output (warnings or logs)",
    "Traceback (most recent call last)": "a traceback",
}
_WARNING_WORDS = re.compile(
    r"\b(?:Future|Deprecation|PendingDeprecation|Runtime|User|Settingwith)?Warning:|"
    r"\b(?:[A-Z][a-z]+)+Error:"
)


def page_problems(page: str) -> list[str]:
    """What a reviewer's HTML page shows that it must not: code cells, error outputs,
    tracebacks, stderr (warnings, logs) or warning/error messages in output text."""
    problems = []
    body = page[max(page.find("<body"), 0) :]
    body = re.sub(r"<style.*?</style>|<script.*?</script>", "", body, flags=re.S)
    classes = {c for attr in _CLASS_ATTR.findall(body) for c in attr.split()}
    for name in sorted(_CODE_CLASSES & classes):
        problems.append(f"a code cell ({name})")
    for marker, what in _LEAK_MARKERS.items():
        if marker in body:
            problems.append(what)
    match = _WARNING_WORDS.search(html.unescape(re.sub(r"<[^>]+>", " ", body)))
    if match:
        problems.append(f"a warning or error message ({match.group(0)})")
    return problems


def escape(text: Any) -> str:
    """HTML-escaped text (client-supplied strings in hand-made HTML snippets)."""
    return html.escape(str(text))
