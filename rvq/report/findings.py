"""Findings records: what each pilot step found, as JSON data in the run folder.

Every pilot notebook records its findings through `record_findings`; `summary.json`, the
executive summary and `index.html` are built from those records, never by scraping
notebooks or HTML.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rvq.jsonable import to_jsonable

#: the record the pipeline writes about the run itself (client, parameters, data counts)
RUN_RECORD = "run"
#: the step whose record holds the back-test results of the summary
BACKTEST_STEP = "06_rv_backtest"
#: the step whose record holds the plain-words answers and next steps
FINDINGS_STEP = "07_findings"


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
