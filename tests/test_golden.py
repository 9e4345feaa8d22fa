"""The demo's summary.json against a golden copy: any change in what the pilot finds shows.

`rvq demo` writes the demo world (its default spec), the pilot runs on it, and the summary
must equal `tests/data/golden_summary_demo.json` up to what differs
between runs (run id, creation time, the data folder's path and the as-of date, which
defaults to today) and floating-point noise (relative tolerance 1e-9). When a change is
meant to alter the findings, replace the golden copy with the new summary.json and say why
in the commit.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rvq import pipeline
from rvq.cli import main

GOLDEN = Path(__file__).parent / "data" / "golden_summary_demo.json"
#: what differs between two runs of the same pilot
RUN_SPECIFIC = ("run_id", "created")
RUN_PARAMETERS = ("data", "as_of")


def differences(expected, got, where: str = "summary") -> list[str]:
    """Where `got` differs from `expected` (JSON data; floats within a relative 1e-9)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        found = [f"{where}.{k}: missing" for k in expected.keys() - got.keys()]
        found += [f"{where}.{k}: not in the golden copy" for k in got.keys() - expected.keys()]
        for key in expected.keys() & got.keys():
            found += differences(expected[key], got[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [
            d
            for i, (e, g) in enumerate(zip(expected, got, strict=True))
            for d in differences(e, g, f"{where}[{i}]")
        ]
    numbers = (int, float)
    if isinstance(expected, float) and isinstance(got, numbers) and not isinstance(got, bool):
        return (
            [] if math.isclose(expected, got, rel_tol=1e-9) else [f"{where}: {got} != {expected}"]
        )
    return (
        []
        if expected == got and type(expected) is type(got)
        else [f"{where}: {got!r} != {expected!r}"]
    )


def comparable(summary: dict) -> dict:
    summary = {k: v for k, v in summary.items() if k not in RUN_SPECIFIC}
    parameters = summary.get("parameters") or {}
    summary["parameters"] = {k: v for k, v in parameters.items() if k not in RUN_PARAMETERS}
    return summary


def test_differences_name_the_key_and_tolerate_only_float_noise():
    golden = {"a": {"x": 1.0, "n": 3, "v": "leading"}, "b": [0.5, None]}
    assert (
        differences(golden, {"a": {"x": 1.0 + 1e-12, "n": 3, "v": "leading"}, "b": [0.5, None]})
        == []
    )
    got = {"a": {"x": 1.001, "n": 4, "v": "not_leading"}, "b": [0.5, 0.1], "c": 1}
    assert sorted(differences(golden, got)) == [
        "summary.a.n: 4 != 3",
        "summary.a.v: 'not_leading' != 'leading'",
        "summary.a.x: 1.001 != 1.0",
        "summary.b[1]: 0.1 != None",
        "summary.c: not in the golden copy",
    ]


@pytest.mark.slow
def test_the_demo_pilot_finds_what_the_golden_summary_says(tmp_path, monkeypatch):
    """The demo world (2,000 accounts, 12 quarters) and the pilot's step 06: summary.json
    is built from the run record and step f's findings only, so the other six notebooks
    (run by the other end-to-end tests) would add a minute and nothing to compare."""
    monkeypatch.setenv("RVQ_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data" / "demo"
    assert main(["demo", "--out", str(data), "--quiet"]) == 0
    only_step_f = (pipeline.STEPS[5],)
    assert only_step_f[0].name == "06_rv_backtest"
    run = pipeline.run_pilot(data, tmp_path / "reports", progress=False, steps=only_step_f)
    got = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    found = differences(comparable(expected), comparable(got))
    assert found == [], "the demo's summary.json changed:\n" + "\n".join(found[:20])
