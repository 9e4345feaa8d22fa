"""What a synthetic world is: the model's fixed constants (`MODEL`), the spec of the world
to generate (`WorldSpec`) and the generated `World`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rvq.schema import OUTCOME_NAMES

#: the three outcomes the pilot tests RV against, in the order of summary.json
DEFAULT_EFFECT = {"profit": 0.35, "revenue_growth": 0.3, "share_of_wallet": 0.3}
DEFAULT_LAG = 2

#: quarter-of-year seasonality: interaction volume multiplier and log-revenue offset
SEASON_VOLUME = (0.95, 1.0, 0.85, 1.3)
SEASON_LOG_REVENUE = (-0.04, 0.0, -0.05, 0.09)


@dataclass(frozen=True)
class ModelConstants:
    """Fixed parameters of the causal model; written to truth.json under ``model``."""

    gamma: float = 1.0  # weight of the standardized RV flow in the strength equation
    sigma_eta: float = 0.5  # SD of the strength's own shock (not visible in RV)
    propensity_phi: float = 0.5  # AR(1) persistence of the propensity
    propensity_sigma: float = 0.6  # SD of the propensity's innovation
    baseline_sigma: float = 0.35  # SD of the account-level baseline noise
    rep_skill_sigma: float = 0.3  # SD of rep skill (added to the baseline)
    industry_sigma: float = 0.15  # SD of the industry effect on the baseline
    intensity_slope: float = 0.25  # log interaction rate per unit of propensity
    sign_intercept: float = 1.5  # logit P(RV >= 0) at propensity 0 (main stream)
    sign_slope: float = 1.0  # logit slope of P(RV >= 0) on propensity
    emotional_rate: float = 0.02  # emotional moments per contact and quarter
    emotional_slope: float = 1.5  # logit slope: delight vs missed expectations
    emotional_quantile: float = 0.95  # |RV| quantile (major rows) that marks an emotional row
    voc_rate: float = 0.15  # VoC-kind interactions per contact and quarter
    voc_slope: float = 1.0  # logit slope of a favourable VoC interaction on strength
    stage_volume: tuple[float, float, float] = (0.6, 1.3, 1.0)  # acquisition, closing, retention
    hostage_decay: float = 2.0  # propensity lost by hostage accounts over the window
    reverse_kappa: float = 1.0  # propensity per outcome-SD (reverse mode), times beta_o
    profit_margin_mean: float = 0.12  # mean of the account's margin level
    profit_margin_sd: float = 0.10  # SD of margin levels across accounts (some lose money)
    profit_sigma: float = 0.06  # within-account SD of the margin
    profit_phi: float = 0.5  # AR(1) persistence of the margin's own noise
    growth_drift_sd: float = 0.01  # SD of accounts' own drift in quarterly log revenue
    growth_sigma: float = 0.06  # within-account SD of quarterly revenue growth
    growth_phi: float = 0.0  # AR(1) persistence of growth's own noise
    share_low: float = 0.2  # account share-of-wallet levels are uniform on [low, high]
    share_high: float = 0.75
    share_sigma: float = 0.05  # within-account SD of share of wallet
    share_phi: float = 0.6  # AR(1) persistence of share's own noise
    revenue_median: float = 30_000.0  # median quarterly revenue of an account
    cost_override_share: float = 0.01  # events whose cost column overrides the catalog
    nps_mean: float = 7.0
    nps_slope: float = 0.8
    nps_noise: float = 2.0
    csat_mean: float = 3.8
    csat_slope: float = 0.35
    csat_noise: float = 0.8
    surveys_per_contact: float = 0.12  # VoC survey answers per contact and quarter
    # confounders (rvq.synth.confounders; used only when a WorldSpec switches them on)
    trend_money: float = 1.0  # the money's trend per unit of the propensity's (within SDs)
    lifecycle_propensity: float = 1.5  # propensity at the bottom of a ramp-up / churn curve
    lifecycle_money: float = 3.0  # margin, log revenue, share there (their within SDs)
    churn_periods: int = 3  # periods of decline before a churning account leaves
    dip_phi: float = 0.5  # AR(1) persistence of the transitory revenue dip (rescue worlds)
    dip_sigma: float = 0.06  # SD of that dip in log revenue


MODEL = ModelConstants()


class WorldSpec(BaseModel):
    """What world to generate. Defaults give the demo: 2,000 accounts over 12 quarters.

    ``effect`` and ``lag`` take one value for every outcome or a dict per outcome
    (missing outcomes keep their defaults). ``effect`` is the planted correlation beta
    between the latent strength L periods earlier and the outcome (|beta| <= 0.95).

    The confounder options (``account_trend`` ... ``mechanical``; all off by default) add
    what a real book has: accounts' own growth and size, ramp-up and churn, rescue effort
    after revenue dips, the money feeding back into RV, and interactions that record money
    already won (`rvq.synth.confounders`; named presets in `rvq.synth.worlds.WORLDS`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    accounts: int = Field(2000, ge=10)
    periods: int = Field(12, ge=4, le=240)
    freq: Literal["Q", "M"] = "Q"
    start: str = "2023Q1"
    seed: int = 7
    effect: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_EFFECT))
    lag: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(OUTCOME_NAMES, DEFAULT_LAG))
    reverse: bool = False
    contacts_per_account: float = Field(5.0, ge=2.0, le=50.0)
    #: main-stream interactions per contact and period; None: 2.2 per quarter, scaled
    interactions_per_contact_per_period: float | None = Field(None, gt=0)
    hostage_share: float = Field(0.08, ge=0.0, le=0.5)
    community_share: float = Field(0.25, ge=0.0, le=1.0)
    new_account_share: float = Field(0.35, ge=0.0, le=1.0)
    rho: float = Field(0.7, gt=0.0, lt=1.0)
    as_of: date | None = None
    # confounders (docs/synthetic-worlds.md, "Confounders"); all off in the demo world
    #: SD across accounts of the propensity's own trend per period; the money trends along
    account_trend: float = Field(0.0, ge=0.0, le=0.5)
    #: elasticity of the interaction rate on the account's revenue scale (size)
    size_link: float = Field(0.0, ge=0.0, le=2.0)
    #: periods over which new accounts ramp up (propensity and money together); 0: none
    ramp_up: int = Field(0, ge=0, le=24)
    #: share of accounts that decline and leave inside the window
    churn_share: float = Field(0.0, ge=0.0, le=0.5)
    #: propensity per SD of last period's transitory revenue dip (reps rescue accounts)
    rescue: float = Field(0.0, ge=0.0, le=3.0)
    #: per outcome, propensity per SD of the outcome one period earlier (money moves RV)
    feedback: dict[str, float] = Field(default_factory=lambda: dict.fromkeys(OUTCOME_NAMES, 0.0))
    #: per outcome, propensity per SD of the outcome in the same period (RV records it)
    mechanical: dict[str, float] = Field(default_factory=lambda: dict.fromkeys(OUTCOME_NAMES, 0.0))

    @field_validator("effect", mode="before")
    @classmethod
    def _effect_per_outcome(cls, value: Any) -> dict[str, float]:
        if isinstance(value, int | float):
            value = dict.fromkeys(OUTCOME_NAMES, float(value))
        if not isinstance(value, dict):
            raise ValueError("effect must be a number or a dict per outcome")
        unknown = set(value) - set(OUTCOME_NAMES)
        if unknown:
            raise ValueError(f"unknown outcomes in effect: {sorted(unknown)}")
        merged = {**DEFAULT_EFFECT, **{k: float(v) for k, v in value.items()}}
        if any(abs(v) > 0.95 for v in merged.values()):
            raise ValueError("an effect is a correlation: |effect| must be <= 0.95")
        return {k: merged[k] for k in OUTCOME_NAMES}

    @field_validator("feedback", "mechanical", mode="before")
    @classmethod
    def _link_per_outcome(cls, value: Any) -> dict[str, float]:
        if isinstance(value, int | float):
            value = dict.fromkeys(OUTCOME_NAMES, float(value))
        if not isinstance(value, dict):
            raise ValueError("feedback and mechanical take a number or a dict per outcome")
        unknown = set(value) - set(OUTCOME_NAMES)
        if unknown:
            raise ValueError(f"unknown outcomes: {sorted(unknown)}")
        merged = {**dict.fromkeys(OUTCOME_NAMES, 0.0), **{k: float(v) for k, v in value.items()}}
        if any(abs(v) > 3.0 for v in merged.values()):
            raise ValueError("feedback and mechanical links must be between -3 and 3")
        return {k: merged[k] for k in OUTCOME_NAMES}

    @field_validator("lag", mode="before")
    @classmethod
    def _lag_per_outcome(cls, value: Any) -> dict[str, int]:
        if isinstance(value, int):
            value = dict.fromkeys(OUTCOME_NAMES, value)
        if not isinstance(value, dict):
            raise ValueError("lag must be an integer or a dict per outcome")
        unknown = set(value) - set(OUTCOME_NAMES)
        if unknown:
            raise ValueError(f"unknown outcomes in lag: {sorted(unknown)}")
        merged = {**dict.fromkeys(OUTCOME_NAMES, DEFAULT_LAG), **value}
        return {k: int(merged[k]) for k in OUTCOME_NAMES}

    @model_validator(mode="after")
    def _consistent(self) -> WorldSpec:
        try:
            first = pd.Period(self.start, freq=self.freq)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"start {self.start!r} is not a {self.freq} period") from exc
        if any(not 0 <= lag < self.periods for lag in self.lag.values()):
            raise ValueError(f"every lag must be between 0 and periods - 1 ({self.periods - 1})")
        last_end = (first + self.periods - 1).end_time.date()
        if self.as_of is not None and self.as_of <= last_end:
            raise ValueError(f"as_of must come after the last period (ends {last_end})")
        return self

    @property
    def period_index(self) -> pd.PeriodIndex:
        """The study window's periods."""
        return pd.period_range(pd.Period(self.start, freq=self.freq), periods=self.periods)

    @property
    def as_of_date(self) -> date:
        """The date the data is 'pulled': given, or the day after the last period."""
        if self.as_of is not None:
            return self.as_of
        return (self.period_index[-1].end_time + pd.Timedelta(days=1)).date()

    @property
    def quarter_fraction(self) -> float:
        """Length of one period in quarters (1 for Q, 1/3 for M)."""
        return 1.0 if self.freq == "Q" else 1.0 / 3.0

    @property
    def main_rate(self) -> float:
        """Main-stream interactions per contact and period at the retention stage."""
        if self.interactions_per_contact_per_period is not None:
            return self.interactions_per_contact_per_period
        return 2.2 * self.quarter_fraction


@dataclass
class World:
    """A generated world: the canonical tables, the planted truth, and its latent state.

    ``latent`` (one row per account and window period: strength, propensity, realised RV
    flow, stage, whether revenue is locked by a hostage contract) is for tests and
    simulations; it is not written by :func:`write_world`.
    """

    spec: WorldSpec
    tables: dict[str, pd.DataFrame]
    truth: dict[str, Any]
    latent: pd.DataFrame = field(repr=False)


def quarter_of(periods: pd.PeriodIndex) -> np.ndarray:
    """Quarter of the year of each period, 0-3 (indexes the seasonality tuples)."""
    return np.asarray(periods.quarter) - 1


def period_format(freq: str) -> str:
    """The strftime format of the period labels written to the tables (2023-Q1, 2023-01)."""
    return "%Y-Q%q" if freq == "Q" else "%Y-%m"
