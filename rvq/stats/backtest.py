"""Is RV a leading indicator of the money? The back-test of pilot step f.

Three questions, one entry point (`run_backtest`, used by `rvq backtest` and notebook 06,
so the command and the report cannot disagree):

- question 6, the lead test (`leading_indicator_results`): per outcome (profit, revenue
  growth, share of wallet) the evidence of `rvq.stats.identification` (local projections
  with the outcome's own history and level, account trends, a placebo on future RV, the
  reverse direction, out of time where it has power, Dumitrescu-Hurlin at the claimed
  order) and its verdict from `decide_lead`, the rule written once; beside it the
  out-of-time gain at every horizon and a lead-lag profile (`rvq.stats.leadlag`), for the
  figures;
- questions 1-5, segments (`rvq.stats.segments`);
- question 7, DO vs SAY (`rvq.stats.dovssay`).

The design is `docs/identification.md`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from rvq.config import PilotConfig
from rvq.jsonable import to_jsonable
from rvq.privacy import privacy_settings
from rvq.schema import OUTCOME_NAMES
from rvq.scoring.outcomes import derive_outcomes, untestable_reason, with_entity_codes
from rvq.stats.dovssay import DoVsSayResult, do_vs_say
from rvq.stats.identification import (
    Decision,
    Evidence,
    at_horizon,
    decide_lead,
    evidence_table,
    lead_evidence,
    strongest_reverse,
)
from rvq.stats.leadlag import LEAD_LAG_COLUMNS, lead_lag_profile
from rvq.stats.oot import forecast_features, out_of_time_gain
from rvq.stats.parallel import Beside, usable_cores
from rvq.stats.results import Result, number
from rvq.stats.segments import SegmentResults, segment_results
from rvq.stats.trust import TrustNumbers, trust_numbers

DEFAULT_HORIZONS = (1, 2, 3, 4)
#: bootstrap replicates of the lead test's intervals (out of time, lead-lag)
N_BOOT = 200
#: panels of at least this many rows are answered in two processes where two cores are
#: free (`run_backtest`); below it a fork costs more than it saves
PARALLEL_MIN_ROWS = 100_000


# --------------------------------------------------------------- the lead test's results

#: the regressions behind a verdict, per horizon (summary.json's `tests`): the lead test's
#: specifications (`rvq.stats.identification`: `fixed_effects` is the forward local
#: projection, `reverse_fixed_effects` the reverse one), the placebo, out of time
TEST_TABLES = (
    "fixed_effects",
    "account_trends",
    "reverse_fixed_effects",
    "reverse_trends",
    "placebo",
    "out_of_time",
)
#: the columns each regression keeps
TEST_COLUMNS = (
    "horizon",
    "coef",
    "se",
    "t",
    "p_value",
    "p_adjusted",
    "effect",
    "ci_low",
    "ci_high",
    "n_obs",
    "n_accounts",
)
#: the numbers of the best horizon a result reports (NaN where the data could not give one)
RESULT_NUMBERS = (
    "effect",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "coef",
    "reverse_p_value",
)


@dataclass
class LeadingIndicatorResult(Result):
    """Is RV a leading indicator of one outcome? The verdict of the lead test
    (`rvq.stats.identification.decide_lead`, or ``insufficient_data`` with the reason) and
    the evidence behind it.

    The numbers are the forward regression's at the best horizon (the largest forward t):
    the standardized effect with its 95% interval, the raw coefficient (outcome units per
    RV unit), the p-value and its Holm adjustment; and the strongest reverse regression's
    p-value and horizon. `feedback`: the outcome also moves RV later. `conditions`: every
    condition of the rule with its numbers and pass/fail (None: does not apply), as
    `rvq.stats.identification.Condition` dicts. `tests`: the per-horizon regressions
    (`TEST_TABLES`); a result without them was not tested (too little data).
    """

    outcome: str
    verdict: str
    reason: str
    best_horizon: int | None = None
    effect: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    p_adjusted: float = math.nan
    coef: float = math.nan
    reverse_p_value: float = math.nan
    reverse_horizon: int | None = None
    feedback: bool = False
    conditions: list[dict] = field(default_factory=list, repr=False)
    tests: dict[str, pd.DataFrame] | None = field(default=None, repr=False)

    @property
    def tested(self) -> bool:
        """Whether the tests ran (they did not when the data could not carry them)."""
        return self.tests is not None

    def condition(self, name: str) -> dict | None:
        """One condition of the rule by name (`forward`, `placebo`, ...), or None."""
        return next((c for c in self.conditions if c["name"] == name), None)

    @classmethod
    def from_decision(
        cls, decision: Decision, evidence: Evidence, out_of_time: pd.DataFrame | None = None
    ) -> LeadingIndicatorResult:
        """The result of `decide_lead` on `evidence`, with the regressions as tables."""
        if not decision.conditions:
            return _insufficient(decision.outcome, decision.reason)
        fwd = at_horizon(evidence.forward, decision.best_horizon)
        rev = strongest_reverse(evidence.reverse)
        specs = {
            "fixed_effects": evidence.forward,
            "account_trends": evidence.trends,
            "reverse_fixed_effects": evidence.reverse,
            "reverse_trends": evidence.reverse_trends,
            "placebo": (evidence.placebo,) if evidence.placebo is not None else (),
        }
        tests = {
            name: pd.DataFrame([asdict(t) for t in rows], columns=list(TEST_COLUMNS))
            for name, rows in specs.items()
        }
        tests["out_of_time"] = out_of_time if out_of_time is not None else pd.DataFrame()
        return cls(
            outcome=decision.outcome,
            verdict=decision.verdict,
            reason=decision.reason,
            best_horizon=decision.best_horizon,
            **{k: getattr(fwd, k) for k in ("effect", "ci_low", "ci_high", "p_value", "coef")},
            p_adjusted=fwd.p_adjusted,
            reverse_p_value=rev.p_value if rev is not None else math.nan,
            reverse_horizon=rev.horizon if rev is not None else None,
            feedback=decision.feedback,
            conditions=[to_jsonable(asdict(c)) for c in decision.conditions],
            tests=tests,
        )

    def to_dict(self) -> dict:
        """This outcome's `summary.json["leading_indicator"]` entry (plain JSON data)."""
        out: dict = {"verdict": self.verdict, "best_horizon": self.best_horizon}
        out.update({k: getattr(self, k) for k in RESULT_NUMBERS})
        if self.tested:
            out["reverse_horizon"] = self.reverse_horizon
        out["feedback"] = self.feedback
        out["reason"] = self.reason
        if self.conditions:
            out["conditions"] = self.conditions
        if self.tested:
            out["tests"] = dict(self.tests)
        return to_jsonable(out)

    @classmethod
    def from_dict(cls, outcome: str, data: Mapping) -> LeadingIndicatorResult:
        """The result again from its `to_dict()` entry (e.g. read back from summary.json)."""
        tests = data.get("tests")
        return cls(
            outcome=outcome,
            verdict=data["verdict"],
            reason=data.get("reason") or "",
            best_horizon=data.get("best_horizon"),
            **{k: number(data.get(k)) for k in RESULT_NUMBERS},
            reverse_horizon=data.get("reverse_horizon"),
            feedback=bool(data.get("feedback")),
            conditions=list(data.get("conditions") or []),
            tests=(
                {name: pd.DataFrame(tests.get(name) or []) for name in TEST_TABLES}
                if tests is not None
                else None
            ),
        )

    def summary(self) -> pd.DataFrame:
        """One row: the verdict, the best horizon, the effect with its interval, the
        adjusted p-value, feedback and the reason."""
        return pd.DataFrame(
            [
                {
                    "outcome": self.outcome,
                    "verdict": self.verdict,
                    "best_horizon": self.best_horizon,
                    "effect": self.effect,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "p_adjusted": self.p_adjusted,
                    "feedback": self.feedback,
                    "reason": self.reason,
                }
            ]
        ).set_index("outcome")


@dataclass
class LeadingIndicatorResults(Result):
    """Question 6 for every outcome: one `LeadingIndicatorResult` each, and the tidy tables
    behind them for the figures: `table` (outcome x specification x horizon, the
    regressions of `rvq.stats.identification.evidence_table`) and `lead_lag`."""

    outcomes: dict[str, LeadingIndicatorResult]
    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    lead_lag: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(LEAD_LAG_COLUMNS)), repr=False
    )

    @property
    def verdict(self) -> str:
        """The answer over all outcomes: ``leading`` if RV leads any of them,
        ``insufficient_data`` if none could be tested, else ``not_leading``."""
        verdicts = {r.verdict for r in self.outcomes.values()}
        if "leading" in verdicts:
            return "leading"
        return "insufficient_data" if verdicts == {"insufficient_data"} else "not_leading"

    def to_dict(self) -> dict:
        """`summary.json["leading_indicator"]`."""
        return {outcome: result.to_dict() for outcome, result in self.outcomes.items()}

    @classmethod
    def from_dict(cls, data: Mapping) -> LeadingIndicatorResults:
        return cls({o: LeadingIndicatorResult.from_dict(o, r) for o, r in data.items()})

    def summary(self) -> pd.DataFrame:
        """One row per outcome (see `LeadingIndicatorResult.summary`)."""
        rows = [r.summary() for r in self.outcomes.values()]
        return pd.concat(rows) if rows else pd.DataFrame()

    @property
    def family_size(self) -> int:
        """How many tests the Holm adjustment of the lead test covered: every estimated
        forward regression over outcomes and horizons (the search for the best horizon)."""
        tables = [
            r.tests.get("fixed_effects", pd.DataFrame()) for r in self.outcomes.values() if r.tested
        ]
        return sum(int(t["p_value"].notna().sum()) for t in tables if "p_value" in t)

    def trust(self) -> dict[str, TrustNumbers]:
        """Per tested outcome, the numbers of the "how far to trust this" box."""
        n = self.family_size
        return {o: trust_numbers(r, n) for o, r in self.outcomes.items() if r.tested}

    def with_lead_lag(self, profiles: Mapping[str, pd.DataFrame]) -> None:
        """Keep the lead-lag profiles of the tested outcomes (in the outcomes' order) as
        `lead_lag`, the figure's table; untested outcomes have none."""
        frames = [profiles[o] for o, r in self.outcomes.items() if r.tested]
        if frames:
            self.lead_lag = pd.concat(frames, ignore_index=True)

    def out_of_time(self) -> pd.DataFrame:
        """Out of time per outcome and horizon (what adding RV does to held-out forecasts)."""
        frames = [
            r.tests["out_of_time"].assign(outcome=o)
            for o, r in self.outcomes.items()
            if r.tested and len(r.tests["out_of_time"])
        ]
        if not frames:
            return pd.DataFrame()
        table = pd.concat(frames, ignore_index=True)
        return table[["outcome"] + [c for c in table if c != "outcome"]]


def out_of_time_table(
    panel: pd.DataFrame, outcome: str, horizons: Sequence[int], *, n_boot: int, seed: int
) -> pd.DataFrame:
    """`rvq.stats.oot.out_of_time_gain` at every horizon (reported beside the rule, which
    uses it only where enough periods are held out: `identification.MIN_HELD_OUT`)."""
    feats = forecast_features(panel, outcome)
    rows = [
        {
            "horizon": int(h),
            **out_of_time_gain(
                panel, outcome, h, features=feats, n_boot=n_boot, seed=seed + 31 * h
            ),
        }
        for h in horizons
    ]
    return pd.DataFrame(rows)


def leading_indicator_results(
    panel: pd.DataFrame,
    *,
    outcomes: Sequence[str] = OUTCOME_NAMES,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    seed: int = 0,
    alpha: float = 0.05,
    rv: str = "rv_flow",
    granger_boot: int = 49,
    n_boot: int = N_BOOT,
    lead_lag: bool = True,
    progress: bool = False,
) -> LeadingIndicatorResults:
    """The lead test for every outcome (`rvq.stats.identification.lead_evidence`, Holm over
    outcomes x horizons x specifications) and its verdicts (`decide_lead`), with the
    out-of-time table per horizon and the lead-lag profile for the figures."""
    from tqdm import tqdm

    data = with_entity_codes(derive_outcomes(panel))
    testable = [o for o in outcomes if untestable_reason(data, o, rv) is None]
    out_of_time = {
        o: out_of_time_table(data, o, horizons, n_boot=n_boot, seed=seed + i)
        for i, o in enumerate(outcomes)
        if o in testable
    }
    evidence = lead_evidence(
        panel,
        outcomes=outcomes,
        horizons=horizons,
        rv=rv,
        alpha=alpha,
        seed=seed,
        granger_boot=granger_boot,
        n_boot=n_boot,
        out_of_time=out_of_time,
    )
    results = {}
    for outcome in tqdm(outcomes, desc="lead test", disable=not progress):
        ev = evidence[outcome]
        decision = decide_lead(ev, alpha=alpha)
        results[outcome] = LeadingIndicatorResult.from_decision(
            decision, ev, out_of_time.get(outcome) if decision.conditions else None
        )
    leading = LeadingIndicatorResults(outcomes=results, table=evidence_table(evidence))
    if lead_lag:
        tested = [o for o, r in results.items() if r.tested]
        profiles = lead_lag_profiles(data, outcomes, only=tested, n_boot=n_boot, seed=seed)
        leading.with_lead_lag(profiles)
    return leading


def lead_lag_profiles(
    data: pd.DataFrame,
    outcomes: Sequence[str],
    *,
    only: Sequence[str] | None = None,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """The lead-lag profile (`rvq.stats.leadlag`) of each outcome in `only` (default: all
    of `outcomes`), drawn with seed ``seed + i``, i the outcome's position in `outcomes`.
    `data`: the panel with derived outcomes and entity codes."""
    return {
        outcome: lead_lag_profile(data, outcome, n_boot=n_boot, seed=seed + i)
        for i, outcome in enumerate(outcomes)
        if only is None or outcome in only
    }


def _insufficient(outcome: str, reason: str) -> LeadingIndicatorResult:
    return LeadingIndicatorResult(outcome=outcome, verdict="insufficient_data", reason=reason)


def leading_indicator_summary(
    panel: pd.DataFrame,
    *,
    outcomes: Sequence[str] = OUTCOME_NAMES,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    seed: int = 0,
    progress: bool = False,
    **options,
) -> dict:
    """`summary.json["leading_indicator"]`: per outcome the verdict, best_horizon, effect,
    CI, p-values, feedback, reason, the rule's conditions and the `tests` behind them.

    `options` go to `leading_indicator_results` (alpha, rv, n_boot, granger_boot, ...).
    """
    options.setdefault("lead_lag", False)
    return leading_indicator_results(
        panel, outcomes=outcomes, horizons=horizons, seed=seed, progress=progress, **options
    ).to_dict()


# ------------------------------------------------------------------------- step f


@dataclass
class BacktestResult(Result):
    """Step f, the three questions the back-test answers: is RV a leading indicator
    (`leading_indicator`, question 6), does it differ between groups (`segments`,
    questions 1-5), and how does DO relate to SAY (`do_vs_say`, question 7)."""

    leading_indicator: LeadingIndicatorResults
    segments: SegmentResults
    do_vs_say: DoVsSayResult
    seed: int = 0
    horizons: tuple[int, ...] = DEFAULT_HORIZONS

    def to_dict(self) -> dict:
        """The step-f sections of `summary.json`: leading_indicator, segments, do_vs_say."""
        return {
            "leading_indicator": self.leading_indicator.to_dict(),
            "segments": self.segments.to_dict(),
            "do_vs_say": self.do_vs_say.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> BacktestResult:
        """The result again from summary.json (or the step's findings record): the sections
        without the tables for the figures."""
        return cls(
            leading_indicator=LeadingIndicatorResults.from_dict(
                data.get("leading_indicator") or {}
            ),
            segments=SegmentResults.from_dict(data.get("segments") or {}),
            do_vs_say=DoVsSayResult.from_dict(data.get("do_vs_say") or {}),
        )

    def summary(self) -> pd.DataFrame:
        """One row per question: its verdict."""
        rows = [("leading indicator (6)", self.leading_indicator.verdict)]
        rows += [(name, result.verdict) for name, result in self.segments.questions.items()]
        rows.append(("DO vs SAY (7)", self.do_vs_say.verdict))
        return pd.DataFrame(rows, columns=["question", "verdict"]).set_index("question")


def run_backtest(
    panel: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    config: PilotConfig | None = None,
    *,
    seed: int | None = None,
    horizons: Sequence[int] | None = None,
    min_accounts: int | None = None,
    lead_lag: bool = True,
    progress: bool = False,
    workers: int | None = None,
) -> BacktestResult:
    """Step f: the leading-indicator tests, the segment comparisons and DO vs SAY.

    The one entry point of `rvq backtest` and of notebook 06, so the command and the
    pilot report cannot reach different verdicts. `config` (default: `PilotConfig()`)
    supplies outcomes, horizons, segments and seed; `seed` and `horizons` override it.
    `min_accounts` (default: the config's `privacy.min_cell_accounts`) is the small-cell
    floor of `rvq.stats.segments.segment_results`; `lead_lag=False` skips
    the lead-lag profile, which only the notebook's figure uses.

    `workers=2` answers the lead test in this process and the rest (segments, DO vs SAY,
    the lead-lag profiles) in a forked one at the same time (`rvq.stats.parallel`): the
    same numbers, about half the wall time on two free cores. Default: two processes for
    a panel of `PARALLEL_MIN_ROWS` rows or more where two cores are usable, else one.
    """
    config = config if config is not None else PilotConfig()
    outcomes = tuple(config.outcomes)
    horizons = tuple(int(h) for h in (horizons or config.horizons))
    seed = int(config.seed if seed is None else seed)
    floor = privacy_settings(config).min_cell_accounts if min_accounts is None else min_accounts
    others = (panel, accounts, outcomes, horizons, tuple(config.segments), seed, floor)
    if workers is None:
        workers = 2 if len(panel) >= PARALLEL_MIN_ROWS and usable_cores() >= 2 else 1
    if workers >= 2:
        with Beside(_other_questions, *others, lead_lag=lead_lag) as child:
            leading = leading_indicator_results(
                panel,
                outcomes=outcomes,
                horizons=horizons,
                seed=seed,
                lead_lag=False,
                progress=progress,
            )
            segments, dvs, profiles = child.result()
        if lead_lag:
            leading.with_lead_lag(profiles)
    else:
        leading = leading_indicator_results(
            panel,
            outcomes=outcomes,
            horizons=horizons,
            seed=seed,
            lead_lag=lead_lag,
            progress=progress,
        )
        segments, dvs, _ = _other_questions(*others, lead_lag=False)
    for outcome in OUTCOME_NAMES:  # contract 3 answers every outcome, tested or not
        if outcome not in leading.outcomes:
            leading.outcomes[outcome] = _insufficient(
                outcome, "not among the outcomes this pilot's config tests"
            )
    return BacktestResult(
        leading_indicator=leading,
        segments=segments,
        do_vs_say=dvs,
        seed=seed,
        horizons=horizons,
    )


def _other_questions(
    panel: pd.DataFrame,
    accounts: pd.DataFrame | None,
    outcomes: tuple[str, ...],
    horizons: tuple[int, ...],
    segments: tuple[str, ...],
    seed: int,
    min_accounts: int,
    *,
    lead_lag: bool,
) -> tuple[SegmentResults, DoVsSayResult, dict[str, pd.DataFrame]]:
    """Step f beside the lead test: the segment questions, DO vs SAY and (`lead_lag`) the
    lead-lag profile of every testable outcome (the lead test keeps those it tested)."""
    profiles = {}
    if lead_lag:
        data = with_entity_codes(derive_outcomes(panel))
        testable = [o for o in outcomes if untestable_reason(data, o, "rv_flow") is None]
        profiles = lead_lag_profiles(data, outcomes, only=testable, seed=seed)
    return (
        segment_results(panel, accounts, segments=segments, seed=seed, min_accounts=min_accounts),
        do_vs_say(panel, outcomes=outcomes, horizons=horizons, seed=seed),
        profiles,
    )
