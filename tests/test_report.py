"""rvq.report: findings records, the summary.json contract check, plain-words answers and
the report's HTML pages (no kernel needed: executed notebooks are built in memory)."""

from __future__ import annotations

import base64
import copy
import json
import logging
import math
import warnings
from dataclasses import replace
from pathlib import Path

import matplotlib as mpl
import nbformat
import numpy as np
import pandas as pd
import pytest
from lead_fixtures import conditions
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from rvq import __version__, report
from rvq.report.markup import plain_text
from rvq.report.summary import WRITE_SCHEMA, schema_text
from rvq.stats.backtest import BacktestResult, LeadingIndicatorResult, LeadingIndicatorResults
from rvq.stats.dovssay import DoVsSayResult
from rvq.stats.identification import RULE
from rvq.stats.segments import (
    QUESTIONS,
    CommunityResult,
    DivergenceResult,
    SegmentExtremesResult,
    SegmentResults,
)

LEADING = LeadingIndicatorResult(
    outcome="profit",
    verdict="leading",
    reason="all three conditions of the verdict rule hold",
    best_horizon=2,
    effect=0.31,
    ci_low=0.18,
    ci_high=0.44,
    p_value=0.0004,
    p_adjusted=0.0031,
    reverse_p_value=0.41,
    conditions=conditions("leading"),
)
NOT_LEADING = LeadingIndicatorResult(
    outcome="revenue_growth",
    verdict="not_leading",
    reason="not confirmed out of time nor by the panel Granger test",
    best_horizon=1,
    effect=0.02,
    ci_low=-0.05,
    ci_high=0.09,
    p_value=0.31,
    p_adjusted=0.93,
    reverse_p_value=0.12,
    conditions=conditions("not_leading", "revenue_growth"),
)
INSUFFICIENT = LeadingIndicatorResult(
    outcome="share_of_wallet",
    verdict="insufficient_data",
    reason="no wallet or share_of_wallet column",
)
GOLDEN = Path(__file__).parent / "data" / "golden_summary_demo.json"


def d(value, low, high, n_a=20, n_b=30, mean_a=1.0, mean_b=0.5):
    """Effect sizes as `rvq.stats.segments.effect_sizes` gives them."""
    return {
        "n_a": n_a,
        "n_b": n_b,
        "mean_a": mean_a,
        "mean_b": mean_b,
        "cohens_d": value,
        "cliffs_delta": value / 2,
        "d_ci_low": low,
        "d_ci_high": high,
        "delta_ci_low": low / 2,
        "delta_ci_high": high / 2,
    }


def race(winner, survey="nps"):
    """A horse race as `rvq.stats.dovssay.horse_race` gives it, won by `winner`."""
    low = {"do": 0.01, "say": -0.05, "tie": -0.01}[winner]
    return {
        "horizon": 1,
        "candidate_horizons": [1, 2],
        "horizon_share": {"1": 0.8, "2": 0.2},
        "say": survey,
        "n_test": 200,
        "n_train": 400,
        "gain_rv": 0.07,
        "gain_rv_ci": [0.03, 0.1],
        "gain_say": 0.01,
        "gain_say_ci": [-0.01, 0.03],
        "difference": 0.06,
        "difference_ci_low": low,
        "difference_ci_high": low + 0.04,
        "leads_better": winner,
    }


SEGMENTS = SegmentResults(
    {
        "profit_extremes": DivergenceResult(
            "profit_extremes",
            QUESTIONS["profit_extremes"],
            "differs_before",
            groups={"a": "highest_profit", "b": "money_lost", "n_a": 40, "n_b": 28},
            divergence_index=5,
            divergence_period="2024Q3",
            periods_early={"rv_flow": 3},
            scan={"first_index": 4, "last_index": 4, "band": 2.4, "periods_clear": [2, 3, 4]},
            before_divergence={
                "rv_flow_mean": d(0.96, 0.51, 1.36, mean_a=5.7, mean_b=-2.0),
                "rv_flow_mean_given_outcome": {
                    **d(0.41, 0.12, 0.7),
                    "controls": "profit in each of periods 0-4",
                },
            },
            n_boot=200,
        ),
        "share_of_wallet": DivergenceResult(
            "share_of_wallet", QUESTIONS["share_of_wallet"], "insufficient_data", "no wallet column"
        ),
        "community": CommunityResult(
            roles={
                "leader": {"n": 6, "verdict": "insufficient_data"},
                "doer": {"rv_flow": d(-0.23, -0.76, 0.46, n_a=14), "profit": d(0.2, -0.2, 0.7)},
            }
        ),
        "segment:industry": SegmentExtremesResult(
            "industry",
            "Does RV differ between the extremes of the segment 'industry'?",
            groups={"a": "industry = retail (highest mean profit)", "b": "industry = energy (x)"},
            rv_flow=d(0.83, 0.42, 1.29),
            profit=d(0.1, -0.2, 0.4),
        ),
        "segment:team": SegmentExtremesResult(
            "team",
            "Does RV differ between the extremes of the segment 'team'?",
            groups={"a": "team = a", "b": "team = b"},
            rv_flow=d(0.1, -0.3, 0.5),
            profit=d(0.1, -0.2, 0.4),
        ),
    }
)
ASSOCIATION = {
    "within_corr": 0.18,
    "within_ci_low": 0.1,
    "within_ci_high": 0.25,
    "between_corr": 0.74,
    "between_ci_low": 0.68,
    "between_ci_high": 0.79,
    "n_pairs": 900,
    "n_accounts": 300,
}
DO_VS_SAY = DoVsSayResult(
    association={"nps": {"rv_flow": ASSOCIATION, "rv_cum": ASSOCIATION}},
    horse_race={
        "profit": {"nps": race("do")},
        "revenue_growth": {"nps": race("tie")},
        "share_of_wallet": {"verdict": "insufficient_data", "reason": "no wallet"},
    },
)
DATA = {
    "events_read": 1000,
    "events_used": 990,
    "events_set_aside": 10,
    "accounts": 50,
    "periods": 8,
    "first_period": "2023Q1",
    "last_period": "2024Q4",
}


def backtest_result(**leading) -> BacktestResult:
    outcomes = {"profit": LEADING, "revenue_growth": NOT_LEADING, "share_of_wallet": INSUFFICIENT}
    return BacktestResult(LeadingIndicatorResults({**outcomes, **leading}), SEGMENTS, DO_VS_SAY)


def valid_summary(**leading) -> dict:
    return report.summary_document(
        client="acme",
        run_id="20260101T000000Z-abc123",
        data=DATA,
        **backtest_result(**leading).to_dict(),
    )


# --------------------------------------------------------------------------- findings


def test_findings_round_trip_converts_numpy_pandas_and_nan(tmp_path):
    frame = pd.DataFrame({"code": ["A", "B"], "rv": [1.5, np.nan]})
    path = report.record_findings(
        "02_data_map",
        {
            "n": np.int64(3),
            "share": np.float32(0.25),
            "missing": float("nan"),
            "flag": np.bool_(True),
            "period": pd.Period("2024Q3", freq="Q"),
            "table": frame,
            "codes": {"b", "a"},
        },
        run_dir=tmp_path,
    )
    assert path == tmp_path / "findings" / "02_data_map.json"
    json.loads(path.read_text())  # plain JSON: NaN would make strict parsers fail
    assert "NaN" not in path.read_text()
    found = report.read_findings(tmp_path)["02_data_map"]
    assert found == {
        "n": 3,
        "share": 0.25,
        "missing": None,
        "flag": True,
        "period": "2024Q3",
        "table": [{"code": "A", "rv": 1.5}, {"code": "B", "rv": None}],
        "codes": ["a", "b"],
    }


def test_record_findings_overwrites_the_step_and_rejects_odd_names(tmp_path):
    report.record_findings("06_rv_backtest", {"x": 1}, run_dir=tmp_path)
    report.record_findings("06_rv_backtest", {"x": 2}, run_dir=tmp_path)
    assert report.read_findings(tmp_path) == {"06_rv_backtest": {"x": 2}}
    with pytest.raises(ValueError, match="plain word"):
        report.record_findings("../escape", {"x": 1}, run_dir=tmp_path)


def test_unknown_objects_are_refused_not_stringified(tmp_path):
    with pytest.raises(TypeError, match="cannot record"):
        report.record_findings("s", {"f": object()}, run_dir=tmp_path)


# --------------------------------------------------------------------------- contract 3


def test_a_valid_summary_passes_the_contract_check():
    summary = valid_summary()
    assert report.check_summary(summary) == []
    assert summary["rvq_version"] == __version__


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda s: s.pop("run_id"), "run_id"),
        (lambda s: s["data"].update(events_set_aside=11), "events_read must equal"),
        (lambda s: s["data"].update(accounts=-1), "data.accounts"),
        (lambda s: s["data"].pop("first_period"), "data.first_period"),
        (lambda s: s["leading_indicator"].pop("revenue_growth"), "revenue_growth: Field required"),
        (lambda s: s["leading_indicator"]["profit"].update(verdict="maybe"), "profit.verdict"),
        (lambda s: s["leading_indicator"]["profit"].update(best_horizon=0), "best_horizon"),
        (lambda s: s["leading_indicator"]["profit"].update(p_adjusted=1.2), "p_adjusted"),
        (lambda s: s["leading_indicator"]["profit"].update(effect=None), "effect: a number"),
        (lambda s: s["leading_indicator"]["profit"].update(ci_low=0.9), "ci_low > ci_high"),
        (lambda s: s["leading_indicator"]["profit"].update(effect=math.nan), "not plain JSON"),
        (lambda s: s["leading_indicator"]["share_of_wallet"].pop("reason"), "must say why"),
        (lambda s: s.update(segments=[]), "segments"),
        (lambda s: s["segments"]["community"].update(roles=[]), "segments.community.roles"),
        (lambda s: s["segments"]["segment:team"].pop("question"), "segment:team.question"),
        (lambda s: s["do_vs_say"]["horse_race"]["profit"]["nps"].pop("leads_better"), "profit"),
        (lambda s: s["leading_indicator"]["profit"].update(tests={"granger": {}}), "tests"),
        (lambda s: s["leading_indicator"]["profit"].update(conditions=[]), "conditions"),
        (lambda s: s["leading_indicator"]["profit"].update(feedback="yes"), "feedback"),
    ],
)
def test_each_contract_breach_is_named(breakage, message):
    summary = copy.deepcopy(valid_summary())
    breakage(summary)
    problems = report.check_summary(summary)
    assert any(message in p for p in problems), problems


def test_the_demo_summary_keeps_the_contract_and_the_schema_file_is_current():
    assert report.check_summary(json.loads(GOLDEN.read_text())) == []
    committed = Path(__file__).parents[1] / "docs" / "summary.schema.json"
    assert committed.read_text(encoding="utf-8") == schema_text(), (
        f"docs/summary.schema.json is out of date: regenerate it with `{WRITE_SCHEMA}`"
    )


def test_build_summary_reads_the_run_and_backtest_records(tmp_path):
    expected = valid_summary()
    report.record_findings(
        report.RUN_RECORD,
        {"client": "acme", "run_id": expected["run_id"], "data": DATA, "parameters": {"seed": 7}},
        run_dir=tmp_path,
    )
    report.record_findings(
        report.BACKTEST_STEP,
        {k: expected[k] for k in ("leading_indicator", "segments", "do_vs_say")},
        run_dir=tmp_path,
    )
    summary = report.build_summary(tmp_path)
    assert report.check_summary(summary) == []
    assert summary["client"] == "acme" and summary["run_id"] == expected["run_id"]
    assert summary["leading_indicator"] == expected["leading_indicator"]
    assert summary["parameters"] == {"seed": 7}
    # arguments win over the run record (interactive use has no run record)
    assert report.build_summary(tmp_path, client="other")["client"] == "other"


def test_build_summary_without_backtest_record_says_which_is_missing(tmp_path):
    report.record_findings(report.RUN_RECORD, {"data": DATA}, run_dir=tmp_path)
    with pytest.raises(KeyError, match="06_rv_backtest"):
        report.build_summary(tmp_path)


# --------------------------------------------------------------------------- typed results


def golden_sections() -> dict:
    golden = json.loads(GOLDEN.read_text())
    return {k: golden[k] for k in ("leading_indicator", "segments", "do_vs_say")}


def test_results_read_back_from_summary_json_write_the_same_sections():
    sections = golden_sections()
    result = BacktestResult.from_dict(sections)
    assert result.to_dict() == sections
    profit = result.leading_indicator.outcomes["profit"]
    assert (profit.verdict, profit.best_horizon, profit.feedback) == ("leading", 2, False)
    assert profit.tests["fixed_effects"]["horizon"].tolist() == [1, 2, 3, 4]
    assert [c["name"] for c in profit.conditions] == list(RULE)
    assert isinstance(result.segments.questions["community"], CommunityResult)
    assert set(result.segments.extremes) == {
        f"segment:{s}"
        for s in ("industry", "territory", "team", "contact_source", "community_role")
    }


def test_each_result_carries_its_verdict_and_a_summary_table():
    result = BacktestResult.from_dict(golden_sections())
    verdicts = result.summary()["verdict"]
    assert verdicts["leading indicator (6)"] == "leading"
    assert verdicts["profit_extremes"] == "differs_before"
    assert verdicts["community"] == "differs"  # the leaders' RV interval lies above 0
    assert verdicts["segment:industry"] == "differs"
    assert verdicts["segment:contact_source"] == "no_clear_difference"  # interval spans 0
    assert verdicts["DO vs SAY (7)"] == "do_leads"  # RV wins 2 of 6 races, the rest tie
    assert result.segments.extremes_verdict == "differs"
    assert "<table" in result._repr_html_()
    table = result.leading_indicator.summary()
    assert list(table.index) == ["profit", "revenue_growth", "share_of_wallet"]
    assert table.loc["profit", "best_horizon"] == 2
    races = result.do_vs_say.summary()
    assert len(races) == 6 and races["leads_better"].value_counts()["do"] == 2


def test_insufficient_results_write_the_reason_without_tests():
    assert INSUFFICIENT.to_dict() == {
        "verdict": "insufficient_data",
        "best_horizon": None,
        "effect": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "p_adjusted": None,
        "coef": None,
        "reverse_p_value": None,
        "feedback": False,
        "reason": "no wallet or share_of_wallet column",
    }
    community = CommunityResult(reason="no community_role in the accounts table")
    assert community.verdict == "insufficient_data"
    assert community.to_dict()["verdict"] == "insufficient_data"
    assert DoVsSayResult().verdict == "insufficient_data"


# --------------------------------------------------------------------------- plain words


def test_leading_sentence_gives_horizon_effect_interval_and_adjusted_p():
    text = report.leading_indicator_sentence(LEADING, "quarter")
    assert text.startswith("Profit: RV moves first, by 2 quarters")
    assert "0.31" in text and "0.18 to 0.44" in text and "p = 0.003" in text
    not_leading = report.leading_indicator_sentence(NOT_LEADING, "month")
    assert "no reliable sign" in not_leading and "1 month)" in not_leading
    assert not_leading.endswith("but not confirmed out of time nor by the panel Granger test.")
    insufficient = report.leading_indicator_sentence(INSUFFICIENT)
    assert "not enough data" in insufficient and "wallet" in insufficient


def test_segment_sentence_names_the_family_level_of_the_outcome_questions():
    """Asked together, the outcome questions' adjusted interval and band are at 98.3%: the
    sentence says so instead of the 95% of a single comparison."""
    result = SEGMENTS.questions["profit_extremes"]
    adjusted = {**result.rv_difference, "ci_level": 1 - 0.05 / 3}
    family = replace(
        result,
        before_divergence={**result.before_divergence, "rv_flow_mean_given_outcome": adjusted},
    )
    text = report.segment_sentence(family, "quarter")
    assert "RV gained differs: d = 0.41 (98.3% interval 0.12 to 0.70, as the outcome " in text
    assert "(simultaneous 98.3% band over the scanned periods)" in text


def test_executive_summary_answers_each_question_in_order_with_its_evidence():
    answers = {a["question"]: a for a in report.executive_summary(valid_summary(), "quarter")}
    assert list(answers) == [1, 3, 4, 5, 6, 7]  # no revenue-growth segment result given
    assert answers[1]["verdict"] == "differs_before"
    assert answers[1]["evidence"] == (
        "Highest profit (40 accounts) against money lost (28): RV per quarter changed by 5.7 "
        "against -2.0 from each account's start before they parted ways on the outcome (2024Q3), "
        "d = 0.96 (95% interval 0.51 to 1.36). Given the outcome each group already had in those "
        "quarters, RV gained differs: d = 0.41 (95% interval 0.12 to 0.70). RV differed clearly "
        "in each of the last 3 quarters before that (simultaneous 95% band over the scanned "
        "periods)."
    )
    assert answers[3]["verdict"] == "insufficient_data" and "no wallet" in answers[3]["evidence"]
    assert answers[4]["verdict"] == "no_clear_difference"  # the doers' interval spans zero
    assert answers[4]["evidence"].startswith("Leaders: too few accounts (6). Doers (14 accounts)")
    assert answers[5]["verdict"] == "differs"
    assert plain_text(answers[5]["evidence"]) == (  # the Markdown, as the index shows it
        "Industry: retail (highest mean profit) against energy (x), RV per period d = 0.83 "
        "(95% interval 0.42 to 1.29). No clear RV difference between the extremes of: team."
    )
    assert answers[6]["verdict"] == "leading"  # one outcome leads
    assert "Profit: RV moves first" in answers[6]["evidence"]
    assert answers[7]["verdict"] == "do_leads"
    assert "accounts that do more say more (r = 0.74" in answers[7]["evidence"]
    assert (
        "chosen on the early periods only: RV forecasts profit better than NPS (1 period "
        "ahead); no clear winner in the other 1" in (answers[7]["evidence"])
    )


def test_in_short_names_what_rv_leads_and_what_it_does_not():
    assert report.in_short(valid_summary(), "quarter") == (
        "RV is a leading indicator of profit (by 2 quarters); it is not a leading indicator "
        "of revenue growth; the data could not test share of wallet."
    )
    none = valid_summary(profit=replace(NOT_LEADING, outcome="profit"))
    assert report.in_short(none).startswith(
        "RV is not a leading indicator of profit or revenue growth;"
    )


def test_numbers_and_tables_read_as_a_reviewer_expects():
    values = (0.4992, 2.8e-08, 20075, 20075.0, np.nan, -0.027, 0, 134.5, 22.351, 4630.26)
    texts = [report.number_text(v) for v in values]
    assert texts == [
        "0.499",
        "2.8e-08",
        "20,075",
        "20,075",
        "",
        "-0.027",
        "0",
        "134",
        "22.4",
        "4,630",
    ]
    frame = pd.DataFrame({"code": ["x", "y", "z"], "p": [0.5, 1e-9, np.nan], "n": [1000, 2, 3]})
    page = report.table(frame, rows=2).to_html()
    assert "1,000" in page and "1.0e-09" in page and ">z<" not in page
    assert "The first 2 of 3 rows." in page
    assert "row_heading" not in page  # the meaningless 0..n row numbers are hidden
    assert report.table(frame.iloc[:0], empty="Nothing here.").data == "*Nothing here.*"
    client_text = pd.DataFrame({"name": ["<b>Acme</b>"], "n": [1]}, index=pd.Index(["<i>"]))
    escaped = report.table(client_text).to_html()
    assert "<b>Acme</b>" not in escaped and "&lt;b&gt;Acme&lt;/b&gt;" in escaped
    assert "&lt;i&gt;" in escaped  # index labels too


def test_next_steps_recommend_rv_tracking_only_when_rv_leads():
    leading = report.next_steps(valid_summary())
    assert "Build ongoing RV tracking" in leading[0] and "profit" in leading[0]
    assert any("share of wallet" in s for s in leading)  # insufficient data: collect it
    none = valid_summary(profit=replace(NOT_LEADING, outcome="profit"))
    assert "Do not build RV tracking" in report.next_steps(none)[0]


# --------------------------------------------------------------------------- HTML


def _png() -> str:
    import io

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def executed_notebook() -> nbformat.NotebookNode:
    code = new_code_cell("secret_code_line = 41 + 1\nsecret_code_line", execution_count=1)
    code.outputs = [
        new_output("stream", name="stdout", text="printed text\n"),
        new_output("execute_result", data={"text/plain": "42"}, execution_count=1),
        new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}),
    ]
    return new_notebook(
        cells=[new_markdown_cell("# A step\n\nProse for the reviewer."), code],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def test_notebook_page_has_outputs_and_prose_but_no_code_and_no_cdn(tmp_path):
    nb_path = tmp_path / "01_step.ipynb"
    nbformat.write(executed_notebook(), nb_path)
    page = report.render_notebook_html(
        nb_path, tmp_path / "01_step.html", title="a. Step"
    ).read_text()
    assert "Prose for the reviewer." in page and "printed text" in page
    assert "secret_code_line" not in page
    assert report.page_problems(page) == []
    body = page[page.index("<body") :]
    assert "In&nbsp;[" not in body and "Out[" not in body  # no prompts
    assert "data:image/png;base64," in page  # figures embedded: the page stands alone
    assert "<script src=" not in page and "cdn" not in page.lower()  # opens offline
    assert 'href="index.html"' in page and "a. Step" in page


def test_page_problems_catch_code_stderr_tracebacks_and_warnings():
    clean = '<html><style>.jp-InputArea {}</style><body><div class="jp-Cell">ok</div></body>'
    assert report.page_problems(clean) == []  # the stylesheet naming a class is not a cell
    leaks = {
        '<body><div class="jp-Cell jp-InputArea">x = 1</div></body>': "code cell",
        '<body><div data-mime-type="application/vnd.jupyter.stderr">w</div></body>': "stderr",
        "<body><pre>Traceback (most recent call last):</pre></body>": "traceback",
        "<body><pre>/x.py:3: FutureWarning: old</pre></body>": "FutureWarning",
        "<body><pre>KeyError: 'profit'</pre></body>": "KeyError",
    }
    for page, what in leaks.items():
        assert any(what in p for p in report.page_problems(page)), page


def test_index_puts_executive_summary_first_and_escapes_client_text(tmp_path):
    summary = valid_summary()
    summary["client"] = "<script>alert(1)</script>"
    steps = [
        {"html": "01_a.html", "notebook": "01_a.ipynb", "title": "a. One", "description": "first"},
        {"html": "02_b.html", "notebook": "02_b.ipynb", "title": "b. Two", "description": "second"},
    ]
    page = report.write_index_html(
        tmp_path,
        summary,
        steps=steps,
        parameters={"seed": 7, "horizons": [1, 2]},
        table_counts={"interactions": {"read": 1000, "used": 990, "set_aside": 10}},
        period="quarter",
    ).read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert page.index("Executive summary") < page.index("The seven steps") < page.index("Data used")
    assert "Profit: RV moves first, by 2 quarters" in page
    assert 'href="01_a.html"' in page and 'href="02_b.html"' in page
    assert "Interactions set aside" in page and ">10<" in page
    assert "[1, 2]" in page and __version__ in page and "Build ongoing RV tracking" in page


def test_error_page_names_step_cell_and_strips_terminal_colours(tmp_path):
    page = report.write_error_html(
        tmp_path,
        message="step 03 failed at cell 4: ValueError: bad",
        step="03_lifecycle_report",
        cell_source="x = compute()",
        traceback="\x1b[31mValueError\x1b[0m: bad",
        links=[{"href": "03_lifecycle_report.ipynb", "text": "03_lifecycle_report.ipynb"}],
    ).read_text()
    assert "03_lifecycle_report" in page and "x = compute()" in page
    assert "ValueError: bad" in page and "\x1b[" not in page


@pytest.fixture
def restore_logging_and_mpl():
    saved_rc = mpl.rcParams.copy()
    loggers = {n: logging.getLogger(n) for n in ("py.warnings", "rvq", "")}
    saved = {n: (lg.handlers[:], lg.propagate) for n, lg in loggers.items()}
    yield
    mpl.rcParams.update(saved_rc)
    logging.captureWarnings(False)
    for n, lg in loggers.items():
        for h in lg.handlers:
            if h not in saved[n][0]:
                h.close()
        lg.handlers[:], lg.propagate = saved[n]
    warnings.resetwarnings()


def test_notebook_setup_sends_warnings_to_the_run_log_not_the_page(
    tmp_path, capsys, restore_logging_and_mpl
):
    report.notebook_setup(tmp_path)
    warnings.warn("a deprecation nobody should read in the report", FutureWarning, stacklevel=1)
    logging.getLogger("rvq.scoring.panels").warning("a log line")
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    log = (tmp_path / "warnings.log").read_text()
    assert "a deprecation nobody should read" in log and "a log line" in log
    assert tuple(mpl.rcParams["figure.figsize"]) == report.FIGURE_SIZE
    assert mpl.rcParams["figure.dpi"] == report.FIGURE_DPI
