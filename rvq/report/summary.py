"""`summary.json` (ARCHITECTURE contract 3): built from the findings records, and checked."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rvq import __version__
from rvq.jsonable import to_jsonable
from rvq.report.findings import BACKTEST_STEP, RUN_RECORD, findings_dir, read_findings
from rvq.schema import OUTCOME_NAMES, VERDICTS

#: numbers each leading-indicator result carries when it has a verdict from data
RESULT_NUMBERS = ("effect", "ci_low", "ci_high", "p_value", "p_adjusted", "reverse_p_value")


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
    for outcome in OUTCOME_NAMES:
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
