"""`summary.json` (contract 3, `docs/contracts.md`): the pydantic model that is the contract, and
the document built from the run's findings records.

`Summary` and the models it is made of say which keys and types the document has; the
contract may only grow, so every model accepts keys it does not know. Its JSON Schema is
committed as `docs/summary.schema.json`: regenerate it with `WRITE_SCHEMA` after changing a
model (a test fails while the two differ).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from rvq import __version__
from rvq.jsonable import to_jsonable
from rvq.report.findings import BACKTEST_STEP, RUN_RECORD, findings_dir, read_findings
from rvq.schema import OUTCOME_NAMES, VERDICTS

#: where the committed JSON Schema of `Summary` lives
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "summary.schema.json"

Count = Annotated[int, Field(ge=0)]
Number = Annotated[float, Field(allow_inf_nan=False)]
PValue = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Text = Annotated[str, Field(min_length=1)]


class Part(BaseModel):
    """A part of `summary.json`: JSON types only (no coercion), unknown keys kept."""

    model_config = ConfigDict(extra="allow", strict=True)


class DataCounts(Part):
    """What the back-test ran on: interactions read, used and set aside, accounts, periods."""

    events_read: Count
    events_used: Count
    events_set_aside: Count
    accounts: Count
    periods: Count
    first_period: str
    last_period: str

    @model_validator(mode="after")
    def _events_reconcile(self) -> DataCounts:
        if self.events_read != self.events_used + self.events_set_aside:
            raise ValueError(
                "events_read must equal events_used + events_set_aside "
                f"({self.events_read} != {self.events_used} + {self.events_set_aside})"
            )
        return self


# ------------------------------------------------------------------ leading indicator


class FixedEffectsTest(Part):
    """One horizon of one lead-test regression (`rvq.stats.identification.HorizonTest`):
    the focal coefficient, its test (Holm-adjusted over the family it belongs to) and
    the standardized effect with its 95% interval."""

    horizon: int
    coef: Number | None = None
    se: Number | None = None
    t: Number | None = None
    p_value: PValue | None = None
    p_adjusted: PValue | None = None
    effect: Number | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None
    n_obs: Count
    n_accounts: Count


class OutOfTimeTest(Part):
    """One horizon out of time: R² (and grows-vs-shrinks AUC) with and without RV."""

    horizon: int
    r2_baseline: Number | None = None
    r2_with_rv: Number | None = None
    gain: Number | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None
    n_train: Count | None = None
    n_test: Count | None = None
    test_periods: Count | None = None
    auc_baseline: Number | None = None
    auc_with_rv: Number | None = None
    auc_gain: Number | None = None
    auc_ci_low: Number | None = None
    auc_ci_high: Number | None = None
    auc_n_test: Count | None = None


class LeadingIndicatorTests(Part):
    """The regressions behind a leading-indicator verdict, per horizon
    (`rvq.stats.backtest.TEST_TABLES`): forward (`fixed_effects`), with account trends,
    reverse, reverse with account trends, the placebo (one row, at the best horizon) and
    out of time."""

    fixed_effects: list[FixedEffectsTest]
    account_trends: list[FixedEffectsTest]
    reverse_fixed_effects: list[FixedEffectsTest]
    reverse_trends: list[FixedEffectsTest]
    placebo: list[FixedEffectsTest]
    out_of_time: list[OutOfTimeTest]


ConditionNumber = Number | int | bool | str | None


class RuleCondition(Part):
    """One condition of the lead test's rule as it was applied
    (`rvq.stats.identification.Condition`): `passed` is null where it does not apply."""

    name: Literal[
        "forward", "account_trends", "placebo", "rescue", "out_of_time", "granger", "reverse"
    ]
    role: Literal["required", "confirmation", "reported"]
    question: Text
    passed: bool | None
    numbers: dict[str, ConditionNumber]
    note: str


class LeadingIndicator(Part):
    """Is RV a leading indicator of one outcome (`rvq.stats.backtest.LeadingIndicatorResult`).

    A verdict from data (``leading``, ``not_leading``) carries the best horizon (>= 1), its
    finite effect, interval (ci_low <= ci_high) and p-values, and every condition of the
    rule; ``insufficient_data`` carries the `reason` instead. `feedback`: the outcome also
    moves RV (a finding beside the verdict, never a veto).
    """

    verdict: Literal[VERDICTS]
    best_horizon: int | None = None
    effect: Number | None = None
    ci_low: Number | None = None
    ci_high: Number | None = None
    p_value: PValue | None = None
    p_adjusted: PValue | None = None
    reverse_p_value: PValue | None = None
    reverse_horizon: int | None = None
    coef: Number | None = None
    feedback: bool = False
    reason: str | None = None
    conditions: list[RuleCondition] | None = None
    tests: LeadingIndicatorTests | None = None

    @model_validator(mode="after")
    def _verdict_has_its_evidence(self) -> LeadingIndicator:
        if self.verdict == "insufficient_data":
            if not self.reason:
                raise ValueError("insufficient_data must say why (a non-empty reason)")
            return self
        if self.best_horizon is None or self.best_horizon < 1:
            raise ValueError(f"best_horizon: an integer >= 1 is required, got {self.best_horizon}")
        if not self.conditions:
            raise ValueError(f"conditions: the rule's conditions are required for {self.verdict}")
        for key in ("effect", "ci_low", "ci_high", "p_value", "p_adjusted"):
            if getattr(self, key) is None:
                raise ValueError(f"{key}: a number is required for a {self.verdict} verdict")
        if self.ci_low > self.ci_high:
            raise ValueError(f"ci_low > ci_high ({self.ci_low} > {self.ci_high})")
        return self


#: `summary.json["leading_indicator"]`: every outcome of `rvq.schema.OUTCOME_NAMES`
LeadingIndicators = create_model(
    "LeadingIndicators",
    __base__=Part,
    __doc__="Question 6 per outcome: every outcome the pilot reports on is required.",
    **{outcome: (LeadingIndicator, ...) for outcome in OUTCOME_NAMES},
)


# ------------------------------------------------------------------------ segments


class EffectSizes(Part):
    """Group A against group B (`rvq.stats.segments.effect_sizes`): Cohen's d and Cliff's
    delta with 95% bootstrap intervals."""

    n_a: Count
    n_b: Count
    mean_a: Number | None = None
    mean_b: Number | None = None
    cohens_d: Number | None = None
    cliffs_delta: Number | None = None
    d_ci_low: Number | None = None
    d_ci_high: Number | None = None
    delta_ci_low: Number | None = None
    delta_ci_high: Number | None = None


class Groups(Part):
    """The two groups compared, by label (and size, unless privacy suppresses it)."""

    a: str
    b: str
    n_a: Count | None = None
    n_b: Count | None = None


class RawDifference(EffectSizes):
    """RV gained before divergence, group A against B, not adjusted (`measure` says what)."""

    measure: str | None = None


class AdjustedDifference(Part):
    """RV gained before divergence given the outcome so far: the group coefficient in pooled
    SDs (`cohens_d`) with its whole-procedure bootstrap-t interval at `ci_level` (the
    questions' family level); `controls` says which."""

    n_a: Count
    n_b: Count
    measure: str | None = None
    cohens_d: Number | None = None
    d_ci_low: Number | None = None
    d_ci_high: Number | None = None
    ci_level: Number | None = None
    controls: str | None = None


class BeforeDivergence(Part):
    """RV gained before the outcomes part ways: raw, and given the outcome (which decides)."""

    rv_flow_mean: RawDifference
    rv_flow_mean_given_outcome: AdjustedDifference | None = None


class Scan(Part):
    """The periods scanned for "how early" and their simultaneous (sup-t) band at `level`."""

    first_index: int
    last_index: int
    band: Number | None = None
    level: Number | None = None
    periods_clear: list[int]


class DivergenceQuestion(Part):
    """Questions 1-3 (`rvq.stats.divergence.DivergenceResult`)."""

    question: str
    verdict: Literal["differs_before", "no_difference_before", "insufficient_data"]
    reason: str | None = None
    groups: Groups | None = None
    divergence_index: int | None = None
    divergence_period: str | None = None
    periods_early: dict[str, int] | None = None
    scan: Scan | None = None
    before_divergence: BeforeDivergence | None = None
    n_boot: Count | None = None


class RoleComparison(Part):
    """One community role against non-participants: RV and profit."""

    rv_flow: EffectSizes
    profit: EffectSizes | None = None


class SmallRole(Part):
    """A community role too small to compare (its size, or the privacy text instead)."""

    n: int | str
    verdict: Literal["insufficient_data"]


class CommunityQuestion(Part):
    """Question 4 (`rvq.stats.segments.CommunityResult`)."""

    question: str
    verdict: Literal["insufficient_data"] | None = None
    reason: str | None = None
    roles: dict[str, SmallRole | RoleComparison] | None = None


class SegmentExtremes(Part):
    """Question 5 for one configured segment (`rvq.stats.segments.SegmentExtremesResult`)."""

    question: str
    verdict: Literal["insufficient_data"] | None = None
    reason: str | None = None
    groups: Groups | None = None
    rv_flow: EffectSizes | None = None
    profit: EffectSizes | None = None


class Segments(Part):
    """Questions 1-5: the outcome questions, ``community``, and one ``segment:<column>``
    entry per configured segment (the additional keys)."""

    profit_extremes: DivergenceQuestion | None = None
    revenue_growth: DivergenceQuestion | None = None
    share_of_wallet: DivergenceQuestion | None = None
    community: CommunityQuestion | None = None
    __pydantic_extra__: dict[str, SegmentExtremes] = Field(init=False)


# ------------------------------------------------------------------------ DO vs SAY


class Insufficient(Part):
    """A comparison the data could not carry, and why."""

    verdict: Literal["insufficient_data"]
    reason: str


class Association(Part):
    """RV against a survey score: within- and between-account correlations."""

    within_corr: Number | None = None
    within_ci_low: Number | None = None
    within_ci_high: Number | None = None
    between_corr: Number | None = None
    between_ci_low: Number | None = None
    between_ci_high: Number | None = None
    n_pairs: Count
    n_accounts: Count


class HorseRace(Part):
    """RV against a survey out of time (`rvq.stats.dovssay.horse_race`), on the same
    features of each, at one horizon for both chosen on the training periods, and the
    winner (its intervals include the choice of horizon). The candidates and the share
    of bootstrap replicates choosing each are absent in summaries written before the race
    chose its horizon."""

    horizon: int
    candidate_horizons: list[int] | None = None
    horizon_share: dict[str, Number | None] | None = None
    say: str
    n_test: Count
    n_train: Count
    gain_rv: Number | None = None
    gain_rv_ci: list[Number | None]
    gain_say: Number | None = None
    gain_say_ci: list[Number | None]
    difference: Number | None = None
    difference_ci_low: Number | None = None
    difference_ci_high: Number | None = None
    leads_better: Literal["do", "say", "tie"]


class DoVsSay(Part):
    """Question 7 (`rvq.stats.dovssay.DoVsSayResult`): per survey the association with RV,
    per outcome and survey the horse race."""

    association: dict[str, Insufficient | dict[str, Association]] | None = None
    horse_race: dict[str, Insufficient | dict[str, Insufficient | HorseRace]] | None = None


# --------------------------------------------------------------------------- summary


class Summary(Part):
    """`summary.json`: the run, its data counts and the answers of step f."""

    rvq_version: Text
    client: Text
    run_id: Text
    data: DataCounts
    leading_indicator: LeadingIndicators
    segments: Segments
    do_vs_say: DoVsSay
    created: str | None = None
    parameters: dict[str, Any] | None = None


def summary_json_schema() -> dict[str, Any]:
    """The JSON Schema of `Summary` (committed as `docs/summary.schema.json`)."""
    return Summary.model_json_schema()


def schema_text() -> str:
    """`summary_json_schema()` as the committed file's text."""
    return json.dumps(summary_json_schema(), indent=2, ensure_ascii=False) + "\n"


#: the command that regenerates the committed schema
WRITE_SCHEMA = 'python -c "from rvq.report.summary import write_schema; write_schema()"'


def write_schema(path: str | os.PathLike = SCHEMA_PATH) -> Path:
    """Write the JSON Schema of `Summary` to `path` (the committed file by default)."""
    path = Path(path)
    path.write_text(schema_text(), encoding="utf-8")
    return path


def check_summary(summary: Any) -> list[str]:
    """The ways `summary` breaks contract 3 (an empty list when it keeps it): plain JSON
    without NaN, validated by `Summary`, one message per problem naming the key at fault."""
    if not isinstance(summary, dict):
        return [f"summary is a {type(summary).__name__}, not a JSON object"]
    return contract_problems(summary, Summary, "summary")


def contract_problems(document: Any, model: type[BaseModel], name: str) -> list[str]:
    """The ways `document` breaks the contract `model` describes: not plain JSON (NaN
    included), then one message per field the model refuses, naming its key (`name` for
    the document as a whole). Shared by summary.json and track.json."""
    problems = []
    try:
        json.dumps(document, allow_nan=False)
    except (TypeError, ValueError) as exc:
        problems.append(f"{name} is not plain JSON: {exc}")
    try:
        model.model_validate(document)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or name
            problems.append(f"{where}: {error['msg']}")
    return problems


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
