"""The lead test in words: the page's rule table and text come from the rule itself, the
"how far to trust this" numbers are right by hand, and synthetic data are named."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest
from lead_fixtures import conditions

from rvq.pilot import Pilot
from rvq.report import lead_test
from rvq.stats.backtest import LeadingIndicatorResult, LeadingIndicatorResults
from rvq.stats.identification import FEEDBACK_MIN_EFFECT, MIN_HELD_OUT, RULE
from rvq.stats.trust import critical_z, detectable_effect, power_for


def _result(verdict: str = "leading") -> LeadingIndicatorResult:
    return LeadingIndicatorResult(
        outcome="profit",
        verdict=verdict,
        reason="RV leads by 2 period(s): every condition of the rule that applies holds.",
        best_horizon=2,
        effect=0.3,
        ci_low=0.3 - 1.959964 * 0.1,
        ci_high=0.3 + 1.959964 * 0.1,
        p_value=1e-3,
        p_adjusted=2e-2,
        coef=12.5,
        conditions=conditions(verdict),
    )


def test_the_rule_table_is_the_conditions_in_order_with_their_results():
    result = _result()
    table = lead_test.rule_table(result, "quarter")
    assert len(table) == len(RULE) == len(result.conditions)
    assert list(table["condition"]) == [lead_test.CONDITION_LABELS[n] for n in RULE]
    by_name = {c["name"]: c["passed"] for c in result.conditions}
    assert table["result"].tolist() == [
        (lead_test.FINDING_WORDS if RULE[n][0] == "reported" else lead_test.RESULT_WORDS)[
            by_name[n]
        ]
        for n in RULE
    ]
    forward = table.iloc[0]["evidence"]
    assert "adjusted p" in forward and "t = 12.0" in forward
    failing = lead_test.rule_table(_result("not_leading"))
    assert failing.iloc[0]["result"] == "fails"


def test_the_verdict_text_lists_every_condition_and_the_rule_constants():
    text = lead_test.rule_markdown()
    for _, question in RULE.values():
        assert question in text
    assert f"at least {MIN_HELD_OUT} periods" in text
    assert f"{FEEDBACK_MIN_EFFECT:.2f} SD per SD" in text
    assert "Granger and out-of-time" not in text


def test_power_and_detectable_effect_by_hand():
    assert critical_z(1) == pytest.approx(1.959964, abs=1e-6)
    assert critical_z(24) == pytest.approx(3.0782, abs=1e-3)  # Bonferroni: 0.05 / 48 per side
    mde = detectable_effect(0.1, 1)
    assert mde == pytest.approx((1.959964 + 0.841621) * 0.1, abs=1e-6)
    assert power_for(mde, 0.1, 1) == pytest.approx(0.8, abs=1e-3)
    assert power_for(0.0, 0.1, 1) == pytest.approx(0.05, abs=1e-9)
    assert power_for(0.3, 0.1, 24) < power_for(0.3, 0.1, 1)  # a larger family asks more


def test_the_trust_box_reads_the_result_and_names_synthetic_data():
    result = _result()
    four = pd.DataFrame({"horizon": [1, 2, 3, 4], "p_value": [0.5, 1e-3, 0.2, 0.3]})
    oot = pd.DataFrame({"horizon": [2], "gain": [0.02], "ci_low": [0.015], "ci_high": [0.03],
                        "test_periods": [3]})  # fmt: skip
    result.tests = {"fixed_effects": four, "account_trends": four, "out_of_time": oot}
    results = LeadingIndicatorResults({"profit": result})
    assert results.family_size == 4  # the forward search; the trend checks are not searched
    trust = results.trust()["profit"]
    assert trust.n_tests == 4 and trust.power == pytest.approx(power_for(0.3, 0.1, 4), rel=1e-6)
    assert not trust.oot_counts  # the rule's out-of-time condition did not apply
    lines = lead_test.trust_lines(results, "quarter", synthetic=False)
    assert "3 held-out quarters: too few to count" in lines[0]
    assert "1,250 more profit" in lines[0] and "2 quarters later" in lines[0]
    assert any("not causes" in line for line in lines)
    assert not any("synthetic" in line for line in lines)
    assert any("synthetic" in line for line in lead_test.trust_lines(results, synthetic=True))


def _pilot_on(folder) -> Pilot:
    dataset = SimpleNamespace(config=SimpleNamespace(data=folder))
    return Pilot(source=folder, key="k", dataset=dataset, events=None, panel=None)


def test_a_pilot_knows_when_its_data_are_a_synthetic_world(tmp_path):
    truth = {"spec": {}, "model": {}, "outcomes": {}}
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    assert _pilot_on(tmp_path).synthetic
    (tmp_path / "truth.json").write_text('{"notes": "a client file of this name"}')
    assert not _pilot_on(tmp_path).synthetic
    (tmp_path / "truth.json").unlink()
    assert not _pilot_on(tmp_path).synthetic
