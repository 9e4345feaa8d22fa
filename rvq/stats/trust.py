"""How far to trust a lead: the numbers of the report's "how far to trust this" box.

A verdict alone does not say whether a lead is worth acting on. Per outcome this module
gives, from the lead test's own results (`rvq.stats.backtest.LeadingIndicatorResult`):

- the effect in business units: the outcome's change h* periods later per 100 more RV
  units gained in a period (the forward regression's coefficient x 100);
- the out-of-time gain and whether it is material (an R² gain of at least
  `MATERIAL_R2_GAIN`), or that too few periods were held out for it to count;
- the power at this book's size: the chance that the test finds an effect as large as the
  one estimated, and the smallest effect it finds with 80% power (the minimum detectable
  effect), both from the forward regression's standard error and the Bonferroni threshold
  of the searched family (Holm's first and strictest step, so the power is a lower bound).

Power from the estimate's own standard error is the usual normal approximation
(power = P(|Z + effect/se| > z_crit)); it reads the book's size through the standard
error, not through a simulation (`rvq.stats.power` simulates whole pilots).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from rvq.stats.results import number

#: smallest out-of-time R² gain called material: one point of explained variance
MATERIAL_R2_GAIN = 0.01
#: the power the minimum detectable effect is quoted at
TARGET_POWER = 0.8
_Z95 = stats.norm.ppf(0.975)


@dataclass(frozen=True)
class TrustNumbers:
    """The box's numbers for one outcome (NaN where the data could not give one)."""

    outcome: str
    horizon: int | None
    per_100_rv: float  # outcome units at t+h per 100 RV units at t
    effect: float  # outcome SDs per SD of RV
    oot_gain: float  # held-out R² gain from adding RV (at the best horizon)
    oot_ci_low: float
    oot_ci_high: float
    oot_held_out: int  # held-out periods behind that gain
    oot_counts: bool  # whether the rule used it (enough periods held out)
    power: float  # chance of finding an effect this large at this book's size
    detectable_effect: float  # smallest effect (SD per SD) found with TARGET_POWER
    n_tests: int  # the family the threshold is adjusted for

    @property
    def oot_material(self) -> bool:
        """The held-out gain is material: its interval lies above `MATERIAL_R2_GAIN`."""
        return math.isfinite(self.oot_ci_low) and self.oot_ci_low >= MATERIAL_R2_GAIN


def critical_z(n_tests: int, alpha: float = 0.05) -> float:
    """The two-sided z a test must pass after Bonferroni over `n_tests` (Holm's first step)."""
    return float(stats.norm.ppf(1 - alpha / (2 * max(n_tests, 1))))


def power_for(effect: float, se: float, n_tests: int, alpha: float = 0.05) -> float:
    """P(|Z + effect/se| > z_crit): the chance of finding `effect` with standard error `se`."""
    if not (math.isfinite(effect) and math.isfinite(se) and se > 0):
        return math.nan
    z, shift = critical_z(n_tests, alpha), abs(effect) / se
    return float(stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift))


def detectable_effect(
    se: float, n_tests: int, alpha: float = 0.05, power: float = TARGET_POWER
) -> float:
    """The smallest effect found with probability `power` (in the units of `se`)."""
    if not (math.isfinite(se) and se > 0):
        return math.nan
    return float((critical_z(n_tests, alpha) + stats.norm.ppf(power)) * se)


def trust_numbers(result, n_tests: int, alpha: float = 0.05) -> TrustNumbers:
    """The box's numbers for a tested `LeadingIndicatorResult`, its family of `n_tests`."""
    h = result.best_horizon
    se_effect = (result.ci_high - result.ci_low) / (2 * _Z95)  # the effect's SE
    oot = result.condition("out_of_time") or {"numbers": {}, "passed": None}
    row = _oot_row(result, h)
    return TrustNumbers(
        outcome=result.outcome,
        horizon=h,
        per_100_rv=100 * result.coef,
        effect=result.effect,
        oot_gain=number(row.get("gain")),
        oot_ci_low=number(row.get("ci_low")),
        oot_ci_high=number(row.get("ci_high")),
        oot_held_out=_count(row.get("test_periods")),
        oot_counts=oot["passed"] is not None,
        power=power_for(result.effect, se_effect, n_tests, alpha),
        detectable_effect=detectable_effect(se_effect, n_tests, alpha),
        n_tests=n_tests,
    )


def _oot_row(result, h) -> dict:
    table = result.tests.get("out_of_time") if result.tests else None
    if table is None or not len(table) or "horizon" not in table:
        return {}
    rows = table[table["horizon"] == h]
    return rows.iloc[0].to_dict() if len(rows) else {}


def _count(value) -> int:
    value = number(value)
    return int(value) if math.isfinite(value) else 0
