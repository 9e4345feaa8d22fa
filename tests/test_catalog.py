"""The shipped pro forma model and the rules that judge any catalog (rvq.inputs.catalog)."""

from __future__ import annotations

import fnmatch
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rvq.inputs.catalog import (
    SIGNOFF_COLUMNS,
    catalog_checks,
    coverage_matrix,
    shipped_catalog,
    shipped_catalog_resource,
    signoff_table,
)
from rvq.schema import CATALOG, FUNCTIONS, STAGES, VALUE_ASPECTS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return shipped_catalog()


def failed(checks: pd.DataFrame) -> set[str]:
    return set(checks.loc[~checks["passed"], "check"])


def detail(checks: pd.DataFrame, name: str) -> str:
    return checks.set_index("check").loc[name, "detail"]


# --- the shipped model -------------------------------------------------------------------


def test_shipped_counts_in_range(shipped):
    counts = shipped["kind"].value_counts()
    assert 90 <= counts["major"] <= 110
    assert 25 <= counts["voc"] <= 35
    assert set(counts.index) == {"major", "voc"}


def test_shipped_covers_every_function_and_stage(shipped):
    major = shipped[shipped["kind"] == "major"]
    cells = set(zip(major["function"], major["stage"], strict=True))
    assert {(f, s) for f in FUNCTIONS for s in STAGES} <= cells
    assert set(shipped["value_aspect"]) == set(VALUE_ASPECTS)


def test_shipped_has_both_signs_and_large_emotional_moments(shipped):
    assert (shipped["rv"] > 0).any() and (shipped["rv"] < 0).any()
    assert shipped["rv"].max() >= 25 and shipped["rv"].min() <= -25
    # VoC answers that signal a detractor move the relationship backward
    assert shipped.set_index("interaction_code").loc["VOC_NPS_DETRACTOR", "rv"] < 0


def test_shipped_passes_all_its_checks(shipped):
    checks = catalog_checks(shipped)
    assert checks["passed"].all(), checks.loc[~checks["passed"]].to_dict("records")


def test_shipped_columns_dtypes_and_conventions(shipped):
    assert list(shipped.columns) == list(CATALOG.columns)
    assert shipped["rv"].dtype == np.float64 and shipped["cost"].dtype == np.float64
    assert (shipped["cost"] >= 0).all()
    assert shipped["interaction_code"].str.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+").all()
    assert shipped["name"].is_unique
    assert shipped["rationale"].notna().all() and (shipped["rationale"].str.len() > 20).all()


@pytest.mark.parametrize(
    "code",
    [
        "CS_COMPLAINT_ESCALATION",
        "CS_MISSED_DELIVERY",
        "CS_BILLING_ERROR",
        "CS_TICKET_UNANSWERED",
        "CS_SLA_BREACH",
        "CS_WRONG_INVOICE",
        "CS_IMPLEMENTATION_MILESTONE_FAILED",
        "SLS_CONTRACT_DISPUTE",
        "SLS_CHURN_RISK_ESCALATION",
        "CS_MISSED_EXPECTATION_CRITICAL",
        "CS_HANDOFF_FAILURE_ENRAGED",
    ],
)
def test_backward_interactions_present_and_negative(shipped, code):
    assert shipped.set_index("interaction_code").loc[code, "rv"] < 0


@pytest.mark.parametrize(
    "code",
    [
        "COM_WORD_OF_MOUTH",
        "SLS_CUSTOMER_REFERRAL",
        "COM_EMPLOYEE_REFERRAL",
        "SLS_REFERENCE_GIVEN",
        "SLS_NETWORK_INTRODUCTION",
        "COM_IDEA_POSTED",
        "COM_IDEA_ADOPTED",
        "MKT_CASE_STUDY_PUBLISHED",
        "COM_USER_GROUP_HOST",
    ],
)
def test_ecosystem_interactions_present_and_positive(shipped, code):
    assert shipped.set_index("interaction_code").loc[code, "rv"] > 0


def test_shipped_catalog_returns_an_independent_copy():
    first = shipped_catalog()
    first.loc[0, "rv"] = 12345.0
    first["name"] = "changed"
    second = shipped_catalog()
    assert second.loc[0, "rv"] != 12345.0 and (second["name"] != "changed").all()


def test_csv_ships_as_package_data():
    resource = shipped_catalog_resource()
    assert resource.is_file()
    assert (resources.files("rvq") / "data" / "catalog_assumptions.md").is_file()
    # the packaging config really includes both files in built distributions
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["rvq"]
    for name in ("data/catalog.csv", "data/catalog_assumptions.md"):
        assert any(fnmatch.fnmatch(name, p) for p in patterns), name


def test_assumptions_document_every_check_and_the_replacement_route(shipped):
    text = (resources.files("rvq") / "data" / "catalog_assumptions.md").read_text("utf-8")
    for name in catalog_checks(shipped)["check"]:
        assert f"`{name}`" in text, name
    assert "catalog" in text and "interaction_code" in text


# --- the checks fail on broken catalogs, one rule at a time ---------------------------------


def test_duplicate_code_fails(shipped):
    broken = shipped.copy()
    broken.loc[1, "interaction_code"] = broken.loc[0, "interaction_code"]
    checks = catalog_checks(broken)
    assert failed(checks) == {"unique_codes"}
    assert broken.loc[0, "interaction_code"] in detail(checks, "unique_codes")


def test_blank_code_fails(shipped):
    broken = shipped.copy()
    broken.loc[3, "interaction_code"] = np.nan
    assert "unique_codes" in failed(catalog_checks(broken))


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        ("kind", "journey"),
        ("stage", "Retention"),
        ("function", "finance"),
        ("value_aspect", "price"),
    ],
)
def test_value_outside_schema_enum_fails(shipped, column, bad):
    broken = shipped.copy()
    broken.loc[5, column] = bad
    checks = catalog_checks(broken)
    assert f"{column}_allowed" in failed(checks)
    assert repr(bad) in detail(checks, f"{column}_allowed")
    assert broken.loc[5, "interaction_code"] in detail(checks, f"{column}_allowed")


def test_negative_cost_fails(shipped):
    broken = shipped.copy()
    broken.loc[7, "cost"] = -1.0
    checks = catalog_checks(broken)
    assert failed(checks) == {"cost_non_negative"}
    assert broken.loc[7, "interaction_code"] in detail(checks, "cost_non_negative")


def test_non_numeric_cost_fails(shipped):
    broken = shipped.astype({"cost": object})
    broken.loc[2, "cost"] = "about ten"
    assert failed(catalog_checks(broken)) == {"cost_numeric"}


def test_non_numeric_rv_fails(shipped):
    broken = shipped.astype({"rv": object})
    broken.loc[2, "rv"] = "high"
    assert failed(catalog_checks(broken)) == {"rv_numeric"}


def test_missing_function_stage_cell_fails(shipped):
    cell = (shipped["function"] == "inside_sales") & (shipped["stage"] == "retention")
    broken = shipped[~(cell & (shipped["kind"] == "major"))]
    checks = catalog_checks(broken, major_range=None, voc_share_range=None)
    assert failed(checks) == {"function_stage_coverage"}
    assert "inside_sales x retention" in detail(checks, "function_stage_coverage")


def test_no_negative_rv_fails(shipped):
    broken = shipped.assign(rv=shipped["rv"].abs())
    checks = catalog_checks(broken)
    assert failed(checks) == {"rv_both_signs"}


def test_missing_name_fails(shipped):
    broken = shipped.copy()
    broken.loc[4, "name"] = "  "
    assert failed(catalog_checks(broken)) == {"names_present"}


def test_missing_value_aspect_fails(shipped):
    broken = shipped.assign(value_aspect=shipped["value_aspect"].replace({"experience": "brand"}))
    assert failed(catalog_checks(broken)) == {"value_aspects_covered"}


def test_missing_required_column_fails_without_crashing(shipped):
    checks = catalog_checks(shipped.drop(columns=["stage"]))
    assert {"required_columns", "stage_allowed", "function_stage_coverage"} <= failed(checks)
    assert "stage" in detail(checks, "required_columns")


def test_counts_and_share_out_of_range_fail_and_are_configurable(shipped):
    few_voc = (
        shipped[shipped["kind"] == "major"]
        .head(95)
        .pipe(lambda major: pd.concat([major, shipped[shipped["kind"] == "voc"].head(5)]))
    )
    checks = catalog_checks(few_voc)
    assert failed(checks) == {"voc_count", "voc_share"}
    relaxed = catalog_checks(few_voc, voc_range=(1, 10), voc_share_range=None)
    assert relaxed["passed"].all()
    assert "voc_share" not in set(relaxed["check"])
    assert failed(catalog_checks(shipped, major_range=(101, 200))) == {"major_count"}


def test_checks_table_shape(shipped):
    checks = catalog_checks(shipped)
    assert list(checks.columns) == ["check", "passed", "severity", "detail"]
    assert checks["passed"].dtype == bool
    assert set(checks["severity"]) == {"error", "warning"}
    assert checks["check"].is_unique


# --- views ---------------------------------------------------------------------------------


@pytest.fixture
def tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interaction_code": ["A", "B", "C", "D"],
            "name": ["a", "b", "c", "d"],
            "kind": ["major", "major", "voc", "major"],
            "stage": ["acquisition", "acquisition", "retention", "closing"],
            "function": ["sales", "sales", "marketing", "community"],
            "channel": ["phone"] * 4,
            "rv": [4.0, -2.0, 6.0, 10.0],
            "cost": [1.0, 2.0, 3.0, 4.0],
            "value_aspect": ["brand", "product", "brand", "experience"],
        }
    )


def test_coverage_matrix_counts_by_hand(tiny):
    table = coverage_matrix(tiny)
    assert list(table.index) == list(STAGES) and list(table.columns) == list(FUNCTIONS)
    assert table.loc["acquisition", "sales"] == 2
    assert table.loc["retention", "marketing"] == 1
    assert table.loc["closing", "community"] == 1
    assert table.to_numpy().sum() == 4 and table.loc["closing", "sales"] == 0


def test_coverage_matrix_rv_sum_mean_and_kind_filter(tiny):
    summed = coverage_matrix(tiny, value="rv")
    assert summed.loc["acquisition", "sales"] == 2.0
    assert summed.loc["closing", "sales"] == 0.0
    mean = coverage_matrix(tiny, value="rv", aggfunc="mean", kind="major")
    assert mean.loc["acquisition", "sales"] == 1.0
    assert np.isnan(mean.loc["retention", "marketing"])  # the only row there is VoC


def test_coverage_matrix_three_way_view(tiny):
    table = coverage_matrix(tiny, rows=["stage", "function"], cols="value_aspect")
    assert table.shape == (len(STAGES) * len(FUNCTIONS), len(VALUE_ASPECTS))
    assert table.loc[("acquisition", "sales"), "product"] == 1
    assert table.loc[("closing", "community"), "experience"] == 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=131), min_size=1, max_size=60, unique=True))
def test_coverage_matrix_reconciles_with_the_catalog(rows):
    subset = shipped_catalog().iloc[rows]
    assert coverage_matrix(subset).to_numpy().sum() == len(subset)
    assert coverage_matrix(subset, value="rv").to_numpy().sum() == pytest.approx(subset["rv"].sum())


def test_signoff_table(shipped):
    sheet = signoff_table(shipped)
    assert list(sheet.columns) == list(SIGNOFF_COLUMNS)
    assert len(sheet) == len(shipped)
    assert set(sheet["interaction_code"]) == set(shipped["interaction_code"])
    assert (sheet["owner_team"] == sheet["function"]).all()
    assert (sheet["approved"] == "").all() and (sheet["comments"] == "").all()
    # ordered by function in schema order, each block led by its largest forward step
    assert sheet["function"].iloc[0] == FUNCTIONS[0] and sheet["function"].iloc[-1] == FUNCTIONS[-1]
    block = sheet[(sheet["function"] == "marketing") & (sheet["stage"] == "acquisition")]
    assert list(block["kind"]) == sorted(block["kind"])  # major before voc
    assert block.loc[block["kind"] == "major", "rv"].is_monotonic_decreasing


def test_signoff_table_without_rationale_column(tiny):
    sheet = signoff_table(tiny)
    assert (sheet["rationale"] == "").all()
    # marketing before sales before community; within sales x acquisition, RV descending
    assert list(sheet["interaction_code"]) == ["C", "A", "B", "D"]
