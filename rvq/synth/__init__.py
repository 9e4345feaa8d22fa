"""Synthetic pilot worlds with a planted truth (``rvq demo``; the back-test's ground truth).

A world is a B2B customer history in the canonical layout (ARCHITECTURE contract 1):
``interactions``, ``accounts``, ``outcomes`` and ``voc`` (the shipped catalog scores the
interactions; no catalog table is written). Its causal model is known exactly and written
to ``truth.json``; ``docs/synthetic-worlds.md`` explains it in words. In short:

* every account has a time-varying *propensity* P (AR(1) around an account baseline made
  of industry, contact source, rep skill and noise) that shifts how many interactions
  happen and their mix between forward (RV >= 0) and backward (RV < 0) catalog rows;
* the realised RV flow F (sum of catalog RV over the account's interactions in a period)
  drives a latent relationship strength S_t = rho * S_{t-1} + F~_t + sigma_eta * eta_t,
  where F~ is F standardized across the accounts active in that period;
* each outcome o (profit, revenue growth, share of wallet) depends on z_{t-L_o}, the
  strength L_o periods earlier in within-SD units, with correlation beta_o
  (``effect``); beta = 0 is the null world, where nothing links RV to the outcome;
* ``reverse=True`` cuts that link and lets the propensity respond to past outcomes
  instead, so RV follows the money.

Generation is vectorized over accounts and events; the only Python loop is over periods.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rvq import __version__
from rvq.schema import ACCOUNTS, COMMUNITY_ROLES, FUNCTIONS, INTERACTIONS, OUTCOMES, STAGES, VOC

#: the three outcomes the pilot tests RV against, in the order of summary.json
OUTCOME_NAMES = ("profit", "revenue_growth", "share_of_wallet")
DEFAULT_EFFECT = {"profit": 0.35, "revenue_growth": 0.3, "share_of_wallet": 0.3}
DEFAULT_LAG = 2

#: buying-center roles; the code is the last part of every contact_id (``A00042-C03-DM``)
CONTACT_ROLES = {"DM": "decision_maker", "IN": "influencer", "US": "user", "BU": "buyer"}
_ROLE_CODES = tuple(CONTACT_ROLES)
#: the role a function mostly talks to (half of its interactions go to that contact)
_FUNCTION_ROLE = {
    "marketing": "IN",
    "sales": "DM",
    "inside_sales": "BU",
    "customer_service": "US",
    "community": "US",
}
_FUNCTION_TEAM = {
    "marketing": "marketing",
    "inside_sales": "inside-sales",
    "customer_service": "customer-service",
    "community": "community",
}
SOURCE_SYSTEMS = {
    "marketing": "marketing_automation",
    "sales": "crm",
    "inside_sales": "crm",
    "customer_service": "support_desk",
    "community": "community_platform",
    "voc": "survey_tool",
}
INDUSTRIES = (
    "manufacturing",
    "retail",
    "financial_services",
    "healthcare",
    "technology",
    "logistics",
    "energy",
    "public_sector",
)
TERRITORIES = ("north", "south", "east", "west", "central")
CONTACT_SOURCES = ("inbound_web", "outbound", "event", "referral", "partner", "marketing_list")
#: baseline-propensity shift by contact source (referred customers start warmer)
_SOURCE_EFFECT = (0.1, -0.2, 0.0, 0.35, 0.15, -0.1)
_SOURCE_PROBS = (0.3, 0.2, 0.15, 0.1, 0.1, 0.15)
_COMMUNITY_MIX = {"leader": 0.1, "doer": 0.3, "watcher": 0.6}
#: community interactions per account and quarter, by role (none: 0)
_COMMUNITY_RATE = {"leader": 3.0, "doer": 1.5, "watcher": 0.6, "none": 0.0}

#: quarter-of-year seasonality: interaction volume multiplier and log-revenue offset
_SEASON_VOLUME = (0.95, 1.0, 0.85, 1.3)
_SEASON_LOG_REVENUE = (-0.04, 0.0, -0.05, 0.09)


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


MODEL = ModelConstants()


class WorldSpec(BaseModel):
    """What world to generate. Defaults give the demo: 2,000 accounts over 12 quarters.

    ``effect`` and ``lag`` take one value for every outcome or a dict per outcome
    (missing outcomes keep their defaults). ``effect`` is the planted correlation beta
    between the latent strength L periods earlier and the outcome (|beta| <= 0.95).
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


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class _Stream:
    """Weighted sampling of catalog rows for one stream, by (stage, sign) group.

    Group g = stage * 2 + (rv >= 0). Slots of group g carry cumulative weights in
    (g, g + 1], so one ``searchsorted`` draws a row for events of any group at once.
    A group with no rows of its sign takes the stage's rows of the other sign; a stage
    with no rows at all in the stream draws -1 (no event): stages are never mixed.
    """

    rows: np.ndarray
    cdf: np.ndarray

    @classmethod
    def build(cls, mask: np.ndarray, stage: np.ndarray, up: np.ndarray, weight: np.ndarray):
        rows, cdf = [], []
        for g in range(2 * len(STAGES)):
            s, sign = divmod(g, 2)
            idx = np.flatnonzero(mask & (stage == s) & (up == bool(sign)))
            if idx.size == 0:
                idx = np.flatnonzero(mask & (stage == s))
            if idx.size == 0:
                rows.append(np.array([-1]))
                cdf.append(np.array([g + 1.0]))
                continue
            w = np.cumsum(weight[idx]) / weight[idx].sum()
            w[-1] = 1.0
            rows.append(idx)
            cdf.append(g + w)
        return cls(np.concatenate(rows), np.concatenate(cdf))

    @property
    def empty(self) -> bool:
        return bool((self.rows < 0).all())

    def draw(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One catalog row per event (-1 where the event's stage has no row)."""
        return self.rows[np.searchsorted(self.cdf, group + u, side="right")]


@dataclass(frozen=True)
class _Catalog:
    codes: np.ndarray
    rv: np.ndarray
    cost: np.ndarray
    function: np.ndarray  # index into FUNCTIONS
    is_voc: np.ndarray
    emotional: np.ndarray
    streams: dict[str, _Stream]

    @classmethod
    def build(cls, catalog: pd.DataFrame) -> _Catalog:
        """Streams by attributes: main (major, not community, not emotional), community
        (function community, both kinds: members only), emotional (top |RV| among major
        rows, both signs), voc (kind voc, not community)."""
        cat = catalog.reset_index(drop=True)
        rv = cat["rv"].to_numpy(dtype=float)
        cost = cat["cost"].to_numpy(dtype=float)
        stage = cat["stage"].map({s: i for i, s in enumerate(STAGES)}).to_numpy()
        function = cat["function"].map({f: i for i, f in enumerate(FUNCTIONS)}).to_numpy()
        if np.isnan(stage.astype(float)).any() or np.isnan(function.astype(float)).any():
            raise ValueError("catalog has stages or functions outside the canonical enums")
        stage, function = stage.astype(int), function.astype(int)
        is_voc = (cat["kind"] == "voc").to_numpy()
        major = ~is_voc
        community = function == FUNCTIONS.index("community")
        up = rv >= 0
        emotional = np.zeros(len(cat), bool)
        if major.any():
            threshold = np.quantile(np.abs(rv[major]), MODEL.emotional_quantile)
            emotional = major & (np.abs(rv) >= threshold) & (rv != 0)
            for sign in (True, False):  # at least one delight and one missed expectation
                pool = major & (up == sign) & (rv != 0)
                if pool.any() and not (emotional & (up == sign)).any():
                    emotional[np.flatnonzero(pool)[np.argmax(np.abs(rv[pool]))]] = True
        weight = 1.0 / np.sqrt(1.0 + np.clip(cost, 0, None))
        streams = {
            "main": _Stream.build(major & ~community & ~emotional, stage, up, weight),
            "community": _Stream.build(community & ~emotional, stage, up, weight),
            "emotional": _Stream.build(emotional, stage, up, np.ones(len(cat))),
            "voc": _Stream.build(is_voc & ~community, stage, up, weight),
        }
        codes = cat["interaction_code"].astype(str).to_numpy()
        return cls(codes, rv, cost, function, is_voc, emotional, streams)


# --------------------------------------------------------------------------- accounts


@dataclass
class _Accounts:
    n: int
    ids: np.ndarray  # str
    industry: np.ndarray
    territory: np.ndarray
    source: np.ndarray
    company_revenue: np.ndarray
    community: np.ndarray  # index into COMMUNITY_ROLES
    n_contacts: np.ndarray
    contact_start: np.ndarray
    contact_account: np.ndarray
    contact_rank: np.ndarray
    contact_role: np.ndarray  # index into _ROLE_CODES
    contact_ids: np.ndarray  # str, "<account_id>-C<rank>-<role code>"
    primary_contact: np.ndarray  # (n, 4) global contact index per role, -1 when absent
    rep: np.ndarray  # index into staff names (sales reps)
    inside_rep: np.ndarray  # index into staff names
    baseline: np.ndarray
    first_touch: np.ndarray  # period index (0 = window start) of the first interaction
    closing: np.ndarray  # period of closing; first purchase is the next period
    hostage: np.ndarray  # bool
    contract_end: np.ndarray  # first period no longer locked (hostage only; else -inf)
    revenue_scale: np.ndarray
    margin_level: np.ndarray
    growth_drift: np.ndarray
    share_level: np.ndarray
    staff_names: np.ndarray
    staff_pools: dict[str, tuple[int, int]]  # function -> (first index, size)
    rep_skill: dict[str, float]


def _accounts(spec: WorldSpec, rng: np.random.Generator, burn_in: int) -> _Accounts:
    n, periods = spec.accounts, spec.periods
    width = max(5, len(str(n)))
    ids = np.array([f"A{i:0{width}d}" for i in range(1, n + 1)])
    industry = rng.choice(len(INDUSTRIES), n)
    territory = rng.choice(len(TERRITORIES), n)
    source = rng.choice(len(CONTACT_SOURCES), n, p=_SOURCE_PROBS)
    company_revenue = np.round(np.exp(rng.normal(np.log(5e7), 1.3, n)), -3)
    member = rng.random(n) < spec.community_share
    role = rng.choice(3, n, p=list(_COMMUNITY_MIX.values()))
    community = np.where(member, role, COMMUNITY_ROLES.index("none"))

    # buying center: at least two contacts; the first four ranks hold distinct roles
    n_contacts = 2 + rng.poisson(spec.contacts_per_account - 2, n)
    contact_start = np.concatenate([[0], np.cumsum(n_contacts)[:-1]])
    contact_account = np.repeat(np.arange(n), n_contacts)
    contact_rank = np.arange(n_contacts.sum()) - contact_start[contact_account]
    perm = np.argsort(rng.random((n, 4)), axis=1)
    extra_role = rng.choice(4, n_contacts.sum(), p=[0.15, 0.3, 0.4, 0.15])
    contact_role = np.where(
        contact_rank < 4,
        perm[contact_account, np.minimum(contact_rank, 3)],
        extra_role,
    )
    contact_ids = pc.binary_join_element_wise(
        pa.array(ids[contact_account]),
        "-C",
        pc.utf8_lpad(pc.cast(pa.array(contact_rank + 1), pa.string()), 2, "0"),
        "-",
        pa.array(np.array(_ROLE_CODES)[contact_role]),
        "",
    ).to_numpy(zero_copy_only=False)
    position = np.argsort(perm, axis=1)  # rank at which each role sits
    primary_contact = np.where(
        position < n_contacts[:, None], contact_start[:, None] + position, -1
    )

    # staff: sales reps per territory team (~60 accounts each), then function pools
    names: list[str] = []
    rep = np.empty(n, int)
    skill_of: dict[str, float] = {}
    for t, terr in enumerate(TERRITORIES):
        members = np.flatnonzero(territory == t)
        k = max(2, math.ceil(members.size / 60))
        first = len(names)
        team_names = [f"R-{terr}-{j:03d}" for j in range(1, k + 1)]
        names += team_names
        skill = rng.normal(0, MODEL.rep_skill_sigma, k)
        skill_of.update(zip(team_names, skill.round(4).tolist(), strict=True))
        rep[members] = first + rng.integers(0, k, members.size)
    pools: dict[str, tuple[int, int]] = {}
    for function, prefix, per in (
        ("inside_sales", "ISR", 250),
        ("marketing", "MKT", 400),
        ("customer_service", "CSA", 100),
        ("community", "COM", 800),
    ):
        k = max(2, n // per)
        pools[function] = (len(names), k)
        names += [f"{prefix}-{j:03d}" for j in range(1, k + 1)]
    inside_rep = pools["inside_sales"][0] + rng.integers(0, pools["inside_sales"][1], n)
    staff_names = np.array(names)
    skill_by_index = np.zeros(len(names))
    skill_by_index[: len(skill_of)] = list(skill_of.values())

    industry_effect = rng.normal(0, MODEL.industry_sigma, len(INDUSTRIES))
    baseline = (
        industry_effect[industry]
        + np.asarray(_SOURCE_EFFECT)[source]
        + skill_by_index[rep]
        + rng.normal(0, MODEL.baseline_sigma, n)
    )

    # lifecycle: existing customers bought long before the window; new accounts are
    # first touched from 3 periods before it on, and buy by the window's second-last period
    new = rng.random(n) < spec.new_account_share
    acquisition_length = 1 + rng.binomial(2, 0.5, n)
    latest = np.maximum(periods - 3 - acquisition_length, -3)
    first_new = -3 + np.floor(rng.random(n) * (latest + 4)).astype(int)
    first_touch = np.where(new, first_new, -(burn_in + 10))
    closing = first_touch + acquisition_length

    existing = np.flatnonzero(~new)
    n_hostage = min(existing.size, round(spec.hostage_share * n))
    hostage = np.zeros(n, bool)
    hostage[rng.choice(existing, n_hostage, replace=False)] = True
    contract_end = np.where(
        hostage, rng.integers(periods // 3, periods + 4, n), np.iinfo(np.int64).min
    )

    revenue_scale = (
        MODEL.revenue_median
        * spec.quarter_fraction
        * (company_revenue / 5e7) ** 0.5
        * np.exp(rng.normal(0, 0.5, n))
    )
    margin_level = rng.normal(MODEL.profit_margin_mean, MODEL.profit_margin_sd, n)
    growth_drift = rng.normal(0, MODEL.growth_drift_sd * spec.quarter_fraction, n)
    share_level = rng.uniform(MODEL.share_low, MODEL.share_high, n)
    return _Accounts(
        n=n,
        ids=ids,
        industry=industry,
        territory=territory,
        source=source,
        company_revenue=company_revenue,
        community=community,
        n_contacts=n_contacts,
        contact_start=contact_start,
        contact_account=contact_account,
        contact_rank=contact_rank,
        contact_role=contact_role,
        contact_ids=contact_ids,
        primary_contact=primary_contact,
        rep=rep,
        inside_rep=inside_rep,
        baseline=baseline,
        first_touch=first_touch,
        closing=closing,
        hostage=hostage,
        contract_end=contract_end,
        revenue_scale=revenue_scale,
        margin_level=margin_level,
        growth_drift=growth_drift,
        share_level=share_level,
        staff_names=staff_names,
        staff_pools=pools,
        rep_skill=skill_of,
    )


# --------------------------------------------------------------------------- helpers


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _ar1(rng: np.random.Generator, n: int, steps: int, phi: float) -> np.ndarray:
    """Unit-variance stationary AR(1) paths, shape (n, steps)."""
    out = np.empty((n, steps))
    out[:, 0] = rng.standard_normal(n)
    scale = math.sqrt(1.0 - phi**2)
    for t in range(1, steps):
        out[:, t] = phi * out[:, t - 1] + scale * rng.standard_normal(n)
    return out


def _quarter_of(periods: pd.PeriodIndex) -> np.ndarray:
    return np.asarray(periods.quarter) - 1


def _within(values: np.ndarray, account: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Values minus their account mean, then minus the period mean of that (one pass)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = values - (np.bincount(account, values) / np.bincount(account))[account]
        return out - (np.bincount(period, out) / np.bincount(period))[period]


def _within_corr(x, y, account, period) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return float("nan")
    acc, per = np.unique(account[ok], return_inverse=True)[1], period[ok]
    xw, yw = _within(x[ok], acc, per), _within(y[ok], acc, per)
    denom = math.sqrt((xw**2).sum() * (yw**2).sum())
    return float((xw * yw).sum() / denom) if denom > 0 else float("nan")


# --------------------------------------------------------------------------- generation


def generate_world(
    spec: WorldSpec | None = None,
    *,
    catalog: pd.DataFrame | None = None,
    progress: bool = False,
) -> World:
    """Generate the world ``spec`` describes (the demo world by default).

    ``catalog`` is the pro forma model that scores the interactions (default: the shipped
    one, ``rvq.inputs.catalog.shipped_catalog()``); interaction types are chosen by their stage,
    function, kind and the sign and size of their RV, never by code. ``progress`` shows a
    bar over periods. The same spec and catalog give identical tables.
    """
    started = time.perf_counter()
    spec = spec or WorldSpec()
    if catalog is None:
        from rvq.inputs.catalog import shipped_catalog

        catalog = shipped_catalog()
    cat = _Catalog.build(catalog)
    seeds = np.random.SeedSequence(spec.seed).spawn(4)
    rng_acc, rng_latent, rng_events, rng_tables = (np.random.default_rng(s) for s in seeds)

    T = spec.periods
    max_lag = max(spec.lag.values())
    burn_in = max_lag + 6
    steps = burn_in + T  # simulated periods: burn_in before the window, then the window
    acc = _accounts(spec, rng_acc, burn_in)
    n = acc.n
    window = spec.period_index
    all_periods = pd.period_range(window[0] - burn_in, periods=steps)
    quarter = _quarter_of(all_periods)
    volume = np.asarray(_SEASON_VOLUME)[quarter]

    # the outcomes' own noise (unit variance); exogenous, also what reverse mode responds to
    own = {
        "profit": _ar1(rng_latent, n, steps, MODEL.profit_phi),
        "revenue_growth": _ar1(rng_latent, n, steps, MODEL.growth_phi),
        "share_of_wallet": _ar1(rng_latent, n, steps, MODEL.share_phi),
    }
    shock_p = rng_latent.standard_normal((n, steps))
    shock_s = rng_latent.standard_normal((n, steps))

    strength = np.zeros((n, steps))
    propensity = np.zeros((n, steps))
    flow = np.zeros((n, steps))
    flow_std = np.zeros((n, steps))
    n_emotional = 0
    events: list[dict[str, np.ndarray]] = []
    p_ar = np.zeros(n)
    s_prev = np.zeros(n)
    rate = spec.main_rate
    community_rate = np.array([_COMMUNITY_RATE[r] for r in COMMUNITY_ROLES])[acc.community]

    from tqdm import tqdm

    for k in tqdm(range(steps), desc="periods", disable=not progress, leave=False):
        t = k - burn_in  # period index relative to the window start
        p_ar = MODEL.propensity_phi * p_ar + MODEL.propensity_sigma * shock_p[:, k]
        p_eff = acc.baseline + p_ar
        if acc.hostage.any():
            decay = MODEL.hostage_decay * np.clip((t + 2) / (T + 2), 0.0, 1.0)
            p_eff = p_eff - decay * acc.hostage
        if spec.reverse:
            for o in OUTCOME_NAMES:
                if spec.effect[o] != 0 and k - spec.lag[o] >= 0:
                    p_eff = (
                        p_eff + MODEL.reverse_kappa * spec.effect[o] * own[o][:, k - spec.lag[o]]
                    )
        propensity[:, k] = p_eff
        active = t >= acc.first_touch
        stage = np.where(t < acc.closing, 0, np.where(t == acc.closing, 1, 2))
        s_active = s_prev[active]
        s_sd = s_active.std() if s_active.size > 1 and s_active.std() > 0 else 1.0
        s_z = (s_prev - (s_active.mean() if s_active.size else 0.0)) / s_sd

        stage_volume = np.asarray(MODEL.stage_volume)[stage]
        quarter_share = spec.quarter_fraction
        lam = {
            "main": acc.n_contacts * rate * stage_volume * np.exp(MODEL.intensity_slope * p_eff),
            "community": community_rate * quarter_share,
            "emotional": acc.n_contacts * MODEL.emotional_rate * quarter_share,
            "voc": acc.n_contacts * MODEL.voc_rate * quarter_share,
        }
        logit_up = {
            "main": MODEL.sign_intercept + MODEL.sign_slope * p_eff,
            "community": MODEL.sign_intercept + 0.5 + MODEL.sign_slope * p_eff,
            "emotional": MODEL.emotional_slope * p_eff,
            "voc": 1.0 + MODEL.voc_slope * s_z,
        }
        parts_acc, parts_row = [], []
        for name, stream in cat.streams.items():
            if stream.empty:
                continue
            counts = rng_events.poisson(np.where(active, lam[name] * volume[k], 0.0))
            who = np.repeat(np.arange(n), counts)
            up = rng_events.random(who.size) < _sigmoid(logit_up[name])[who]
            rows = stream.draw(stage[who] * 2 + up, rng_events.random(who.size))
            parts_acc.append(who[rows >= 0])
            parts_row.append(rows[rows >= 0])
        who = np.concatenate(parts_acc)
        rows = np.concatenate(parts_row)
        f = np.bincount(who, weights=cat.rv[rows], minlength=n)
        f_active = f[active]
        sd = f_active.std() if f_active.size > 1 and f_active.std() > 0 else 1.0
        f_std = np.where(active, (f - (f_active.mean() if f_active.size else 0.0)) / sd, 0.0)
        s_now = MODEL.gamma * f_std + MODEL.sigma_eta * shock_s[:, k] + spec.rho * s_prev
        s_now = np.where(active, s_now, 0.0)
        strength[:, k], flow[:, k], flow_std[:, k] = s_now, f, f_std
        s_prev = s_now
        if t >= 0:
            n_emotional += int(cat.emotional[rows].sum())
            events.append(_event_details(acc, cat, who, rows, window[t], t, rng_events))

    # latent strength in within-SD units (account- and period-demeaned over the periods
    # any outcome looks back to); its level keeps the between-account differences
    lo = burn_in - max_lag
    act = np.arange(steps)[None, :] - burn_in >= acc.first_touch[:, None]
    act[:, :lo] = False
    ai, ki = np.nonzero(act)
    s_vals = strength[ai, ki]
    strength_sd = float(np.std(_within(s_vals, ai, ki)))
    strength_mean = float(s_vals.mean())
    z = (strength - strength_mean) / strength_sd

    outcomes, locked, model_metric = _outcomes(spec, acc, z, own, burn_in, rng_tables)
    voc, n_nps, n_csat = _voc(spec, acc, z, burn_in, rng_tables)
    interactions = _interactions_table(acc, cat, events, spec)
    accounts = _accounts_table(acc)
    tables = {
        spec_.name: frame[[c for c in spec_.columns if c in frame.columns]]
        for spec_, frame in (
            (INTERACTIONS, interactions),
            (ACCOUNTS, accounts),
            (OUTCOMES, outcomes),
            (VOC, voc),
        )
    }

    win = slice(burn_in, steps)
    stage_names = np.array(["prospect", *STAGES])
    t_grid = np.arange(T)[None, :]
    stage_grid = np.where(
        t_grid < acc.first_touch[:, None],
        0,
        np.where(t_grid < acc.closing[:, None], 1, np.where(t_grid == acc.closing[:, None], 2, 3)),
    )
    latent = pd.DataFrame(
        {
            "account_id": np.repeat(acc.ids, T),
            "period": np.tile(window.strftime(_period_format(spec.freq)), n),
            "period_index": np.tile(np.arange(T), n),
            "stage": stage_names[stage_grid.ravel()],
            "strength": strength[:, win].ravel(),
            "strength_z": z[:, win].ravel(),
            "propensity": propensity[:, win].ravel(),
            "rv_flow": flow[:, win].ravel(),
            "rv_flow_std": flow_std[:, win].ravel(),
            "revenue_locked": locked.ravel(),
        }
    )
    truth = _truth(
        spec,
        acc,
        cat,
        tables,
        latent,
        model_metric,
        strength_sd=strength_sd,
        strength_mean=strength_mean,
        n_emotional=n_emotional,
        n_nps=n_nps,
        n_csat=n_csat,
        seconds=time.perf_counter() - started,
    )
    return World(spec=spec, tables=tables, truth=truth, latent=latent)


def _period_format(freq: str) -> str:
    return "%Y-Q%q" if freq == "Q" else "%Y-%m"


def _event_details(
    acc: _Accounts,
    cat: _Catalog,
    who: np.ndarray,
    rows: np.ndarray,
    period: pd.Period,
    t: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Who, when, by whom and at what cost: the observable columns of one period's events."""
    m = who.size
    function = cat.function[rows]
    # contact: half of a function's interactions go to the role it mostly serves
    role_of_function = np.array([_ROLE_CODES.index(_FUNCTION_ROLE[f]) for f in FUNCTIONS])
    primary = acc.primary_contact[who, role_of_function[function]]
    uniform = acc.contact_start[who] + (rng.random(m) * acc.n_contacts[who]).astype(int)
    contact = np.where((primary >= 0) & (rng.random(m) < 0.5), primary, uniform)
    # staff: the account's own reps for sales and inside sales, a pool member otherwise
    staff = np.empty(m, int)
    for f, fname in enumerate(FUNCTIONS):
        sel = function == f
        if fname == "sales":
            staff[sel] = acc.rep[who[sel]]
        elif fname == "inside_sales":
            staff[sel] = acc.inside_rep[who[sel]]
        else:
            first, size = acc.staff_pools[fname]
            staff[sel] = first + rng.integers(0, size, sel.sum())
    start = np.datetime64(period.start_time.date(), "s").astype(np.int64)
    days = (period.end_time.normalize() - period.start_time).days + 1
    seconds = (
        start
        + np.floor(rng.random(m) * days).astype(np.int64) * 86_400
        + (8 * 3600 + np.floor(rng.random(m) * 10 * 3600)).astype(np.int64)
    )
    override = rng.random(m) < MODEL.cost_override_share
    cost = np.full(m, np.nan)
    cost[override] = np.round(
        cat.cost[rows[override]] * np.exp(rng.normal(0, 0.3, override.sum())), 2
    )
    order = np.argsort(seconds, kind="stable")
    return {
        "account": who[order],
        "contact": contact[order],
        "row": rows[order],
        "staff": staff[order],
        "seconds": seconds[order],
        "cost": cost[order],
        "period": np.full(m, t),
    }


def _outcomes(spec, acc, z, own, burn_in, rng):
    """The money: profit, revenue (via its growth rate), share of wallet and wallet.

    Returns the outcomes table, the (n, T) hostage lock mask and each outcome's model
    metric (profit margin, log growth, share) as (n, T) arrays for the truth's checks.
    """
    n, T = acc.n, spec.periods
    t_grid = np.arange(T)[None, :]
    exists = t_grid >= acc.closing[:, None] + 1  # from the first purchase on
    locked = acc.hostage[:, None] & (t_grid < acc.contract_end[:, None])
    forward = not spec.reverse
    std_part = {}
    for o in OUTCOME_NAMES:
        beta = spec.effect[o] if forward else 0.0
        lagged = z[:, burn_in - spec.lag[o] : burn_in - spec.lag[o] + T]
        noise = own[o][:, burn_in : burn_in + T]
        std_part[o] = beta * lagged + math.sqrt(1.0 - beta**2) * noise

    margin = acc.margin_level[:, None] + MODEL.profit_sigma * std_part["profit"]
    profit = acc.revenue_scale[:, None] * margin

    season = np.asarray(_SEASON_LOG_REVENUE)[_quarter_of(spec.period_index)]
    prev_season = np.asarray(_SEASON_LOG_REVENUE)[_quarter_of(spec.period_index - 1)]
    growth_sigma = MODEL.growth_sigma * math.sqrt(spec.quarter_fraction)
    growth = acc.growth_drift[:, None] + growth_sigma * std_part["revenue_growth"]
    growth = np.where(locked, 0.0, growth) + (season - prev_season)[None, :]
    first = exists & ~np.concatenate([np.zeros((n, 1), bool), exists[:, :-1]], axis=1)
    step = np.where(first, np.log(acc.revenue_scale)[:, None] + season[None, :], growth)
    log_revenue = np.cumsum(np.where(exists, step, 0.0), axis=1)

    share = acc.share_level[:, None] + MODEL.share_sigma * std_part["share_of_wallet"]
    share = np.where(locked, acc.share_level[:, None], share)
    clipped = exists & ((share < 0.01) | (share > 0.99))
    share = np.clip(share, 0.01, 0.99)

    ai, ti = np.nonzero(exists)
    revenue = np.round(np.exp(log_revenue[ai, ti]), 2)
    share_out = np.round(share[ai, ti], 4)
    table = pd.DataFrame(
        {
            "account_id": acc.ids[ai],
            "period": spec.period_index.strftime(_period_format(spec.freq))[ti],
            "revenue": revenue,
            "profit": np.round(profit[ai, ti], 2),
            "wallet": np.round(revenue / share_out, 2),
            "share_of_wallet": share_out,
        }
    )
    metric = {
        "profit": np.where(exists, margin, np.nan),
        "revenue_growth": np.where(exists & ~first & ~locked, growth, np.nan),
        "share_of_wallet": np.where(exists & ~locked, share, np.nan),
    }
    metric["share_clipped"] = int(clipped.sum())
    return table, np.where(exists, locked, False), metric


def _voc(spec, acc, z, burn_in, rng):
    """Survey answers of customers: NPS (0-10) or CSAT (1-5), each a noisy read of the
    current strength z_t (what customers SAY)."""
    T = spec.periods
    t_grid = np.arange(T)[None, :]
    customer = t_grid > acc.closing[:, None]
    lam = np.where(customer, acc.n_contacts[:, None] * MODEL.surveys_per_contact, 0.0)
    counts = rng.poisson(lam * spec.quarter_fraction)
    ai, ti = np.nonzero(counts)
    reps = counts[ai, ti]
    ai, ti = np.repeat(ai, reps), np.repeat(ti, reps)
    m = ai.size
    zt = z[ai, burn_in + ti]
    is_nps = rng.random(m) < 0.55
    noise = rng.standard_normal(m)
    nps = np.clip(np.rint(MODEL.nps_mean + MODEL.nps_slope * zt + MODEL.nps_noise * noise), 0, 10)
    csat = np.clip(
        np.rint(MODEL.csat_mean + MODEL.csat_slope * zt + MODEL.csat_noise * noise), 1, 5
    )
    contact = acc.contact_start[ai] + (rng.random(m) * acc.n_contacts[ai]).astype(int)
    window = spec.period_index
    starts = np.asarray(window.start_time.normalize().values.astype("datetime64[D]"))
    days = np.asarray((window.end_time.normalize() - window.start_time).days + 1)
    when = starts[ti] + np.floor(rng.random(m) * days[ti]).astype("timedelta64[D]")
    order = np.lexsort((ai, when))
    table = pd.DataFrame(
        {
            "account_id": acc.ids[ai][order],
            "contact_id": acc.contact_ids[contact][order],
            "date": pd.to_datetime(when[order]),
            "nps": pd.array(np.where(is_nps, nps, np.nan)[order], dtype="Int64"),
            "csat": pd.array(np.where(is_nps, np.nan, csat)[order], dtype="Int64"),
        }
    )
    return table, int(is_nps.sum()), int((~is_nps).sum())


def _interactions_table(acc, cat, events, spec) -> pd.DataFrame:
    """Concatenate the window's events into the canonical interactions table (Arrow-built:
    ids stay dictionary-encoded until the end, so 10M+ rows stay fast)."""
    cols = {k: np.concatenate([e[k] for e in events]) for k in events[0]} if events else {}
    m = cols["account"].size if cols else 0
    if m == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in INTERACTIONS.columns})

    def dict_col(indices: np.ndarray, values: np.ndarray) -> pa.Array:
        return pc.take(pa.array(values, pa.string()), pa.array(indices.astype(np.int32)))

    function = cat.function[cols["row"]]
    team_names = np.array(
        [f"sales-{t}" for t in TERRITORIES]
        + ["inside-sales", "marketing", "customer-service", "community"]
    )
    # sales interactions carry the account's territory team; other functions their own
    function_team = np.array(
        [
            len(TERRITORIES) + [*team_names[len(TERRITORIES) :]].index(_FUNCTION_TEAM[f])
            if f != "sales"
            else -1
            for f in FUNCTIONS
        ]
    )
    team = np.where(
        function == FUNCTIONS.index("sales"),
        acc.territory[cols["account"]],
        function_team[function],
    )
    source_names = np.array([SOURCE_SYSTEMS[f] for f in (*FUNCTIONS, "voc")])
    source = np.where(cat.is_voc[cols["row"]], len(FUNCTIONS), function)
    width = max(7, len(str(m)))
    event_id = pc.binary_join_element_wise(
        "E", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, m + 1)), pa.string()), width, "0"), ""
    )
    table = pa.table(
        {
            "account_id": dict_col(cols["account"], acc.ids),
            "contact_id": dict_col(cols["contact"], acc.contact_ids),
            "timestamp": pa.array(cols["seconds"].astype("datetime64[s]")),
            "interaction_code": dict_col(cols["row"], cat.codes),
            "rep_id": dict_col(cols["staff"], acc.staff_names),
            "team": dict_col(team, team_names),
            "cost": pa.array(cols["cost"], from_pandas=True),
            "source_system": dict_col(source, source_names),
            "event_id": event_id,
        }
    )
    return table.to_pandas()


def _accounts_table(acc: _Accounts) -> pd.DataFrame:
    width = len(acc.ids[0]) - 1
    return pd.DataFrame(
        {
            "account_id": acc.ids,
            "name": [f"Customer {i:0{width}d}" for i in range(1, acc.n + 1)],
            "industry": np.array(INDUSTRIES)[acc.industry],
            "territory": np.array(TERRITORIES)[acc.territory],
            "contact_source": np.array(CONTACT_SOURCES)[acc.source],
            "company_revenue": acc.company_revenue,
            "team": np.array([f"sales-{t}" for t in TERRITORIES])[acc.territory],
            "community_role": np.array(COMMUNITY_ROLES)[acc.community],
        }
    )


# --------------------------------------------------------------------------- truth


def _truth(spec, acc, cat, tables, latent, metric, **facts) -> dict[str, Any]:
    """The planted truth, as written to truth.json."""
    T = spec.periods
    n = acc.n
    account = np.repeat(np.arange(n), T)
    period = np.tile(np.arange(T), n)
    z = latent["strength_z"].to_numpy()
    rv = latent["rv_flow"].to_numpy().reshape(n, T)
    observed = _observed_outcomes(tables["outcomes"], acc, spec)
    outcomes: dict[str, Any] = {}
    for o in OUTCOME_NAMES:
        beta, lag = spec.effect[o], spec.lag[o]
        direction = "none" if beta == 0 else "outcome_leads" if spec.reverse else "rv_leads"
        y = metric[o]
        z_lag = np.full((n, T), np.nan)
        z_lag[:, lag:] = z.reshape(n, T)[:, : T - lag]
        profile = {}
        for h in range(-(lag + 2), lag + 3):
            x = np.full((n, T), np.nan)
            if h >= 0:
                x[:, h:] = rv[:, : T - h]
            else:
                x[:, :h] = rv[:, -h:]
            profile[str(h)] = round(
                _within_corr(x.ravel(), observed[o].ravel(), account, period), 4
            )
        outcomes[o] = {
            "effect": beta,
            "lag": lag,
            "direction": direction,
            "metric": _METRIC_TEXT[o],
            "realized_latent_corr": None
            if spec.reverse
            else round(_within_corr(z_lag.ravel(), y.ravel(), account, period), 4),
            "rv_flow_profile": profile,
        }
    locked_any = acc.hostage
    role_counts = tables["accounts"]["community_role"].value_counts()
    interactions = tables["interactions"]
    return {
        "rvq_version": __version__,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generation_seconds": round(facts["seconds"], 3),
        "spec": spec.model_dump(mode="json"),
        "as_of": spec.as_of_date.isoformat(),
        "first_period": str(latent["period"].iloc[0]),
        "last_period": str(latent["period"].iloc[T - 1]),
        "direction": "outcome_leads" if spec.reverse else "rv_leads",
        "outcomes": outcomes,
        "model": {
            **{k: v for k, v in vars(MODEL).items()},
            "rho": spec.rho,
            "strength_mean": round(facts["strength_mean"], 6),
            "strength_sd_within": round(facts["strength_sd"], 6),
            "equations": _EQUATIONS,
            "emotional_codes": cat.codes[cat.emotional].tolist(),
        },
        "counts": {
            "accounts": n,
            "contacts": int(acc.n_contacts.sum()),
            "interactions": len(interactions),
            "outcome_rows": len(tables["outcomes"]),
            "voc_answers": len(tables["voc"]),
            "nps_answers": facts["n_nps"],
            "csat_answers": facts["n_csat"],
            "emotional_moments": facts["n_emotional"],
            "cost_overrides": int(interactions["cost"].notna().sum()),
            "share_of_wallet_clipped": metric["share_clipped"],
            "new_accounts_in_window": int((acc.first_touch >= 0).sum()),
            "accounts_losing_money": int(
                (tables["outcomes"].groupby("account_id")["profit"].sum() < 0).sum()
            ),
        },
        "hostage": {
            "count": int(locked_any.sum()),
            "rule": _HOSTAGE_TEXT,
            "contract_end": {
                str(a): (spec.period_index[0] + int(e)).strftime(_period_format(spec.freq))
                for a, e in zip(acc.ids[locked_any], acc.contract_end[locked_any], strict=True)
            },
        },
        "community": {r: int(role_counts.get(r, 0)) for r in COMMUNITY_ROLES},
        "reps": {"count": len(acc.rep_skill), "skill": acc.rep_skill},
    }


def _observed_outcomes(outcomes: pd.DataFrame, acc: _Accounts, spec: WorldSpec):
    """The written outcomes back on the (n, T) grid: profit, log revenue growth, share."""
    n, T = acc.n, spec.periods
    pos = {a: i for i, a in enumerate(acc.ids)}
    labels = spec.period_index.strftime(_period_format(spec.freq))
    tpos = {p: i for i, p in enumerate(labels)}
    ai = outcomes["account_id"].map(pos).to_numpy()
    ti = outcomes["period"].map(tpos).to_numpy()
    grid = {}
    for col in ("profit", "revenue", "share_of_wallet"):
        g = np.full((n, T), np.nan)
        g[ai, ti] = outcomes[col].to_numpy(dtype=float)
        grid[col] = g
    growth = np.full((n, T), np.nan)
    growth[:, 1:] = np.log(grid["revenue"][:, 1:] / grid["revenue"][:, :-1])
    return {
        "profit": grid["profit"],
        "revenue_growth": growth,
        "share_of_wallet": grid["share_of_wallet"],
    }


_METRIC_TEXT = {
    "profit": "profit level; beta is in within-account SDs of the margin profit / revenue_scale",
    "revenue_growth": "log(revenue_t / revenue_{t-1}); beta in within SDs of that rate",
    "share_of_wallet": "share_of_wallet level (0-1); beta in within SDs of the share",
}
_HOSTAGE_TEXT = (
    "existing customers under long contracts: revenue (deseasonalized) and share of wallet "
    "stay fixed for every period before contract_end (a period index, 0 = first window "
    "period; may lie beyond the window) and do not follow RV there; their propensity "
    "decays linearly over the window, so their RV falls. Profit follows the model always."
)
_EQUATIONS = [
    "P_it = baseline_i + x_it - hostage_decay * clip((t+2)/(T+2), 0, 1) * hostage_i"
    " [+ reverse_kappa * sum_o effect_o * u^o_i,t-lag_o in reverse mode];"
    " x_it = propensity_phi * x_i,t-1 + propensity_sigma * e_it",
    "F_it = sum of catalog rv over the account's interactions in period t;"
    " F~_it = (F_it - mean_t F) / sd_t F over accounts active in t",
    "S_it = rho * S_i,t-1 + gamma * F~_it + sigma_eta * eta_it (S = 0 before first touch)",
    "z_it = (S_it - strength_mean) / strength_sd_within",
    "Y*_o,it = b_o * z_i,t-lag_o + sqrt(1 - b_o^2) * u^o_it, u^o unit-variance AR(1);"
    " b_o = effect_o (forward) or 0 (reverse)",
    "margin_it = margin_level_i + profit_sigma * Y*_profit; profit = revenue_scale_i * margin",
    "log(rev_it / rev_i,t-1) = growth_drift_i + growth_sigma * Y*_growth + season_t - season_t-1"
    " (hostage, before contract_end: season_t - season_t-1 only)",
    "share_it = share_level_i + share_sigma * Y*_share (hostage: share_level_i), clipped to"
    " [0.01, 0.99]; wallet = revenue / share",
    "nps = clip(round(nps_mean + nps_slope * z_it + nps_noise * e), 0, 10);"
    " csat = clip(round(csat_mean + csat_slope * z_it + csat_noise * e), 1, 5)",
]


# --------------------------------------------------------------------------- writing


def write_world(world: World, out_dir: str | os.PathLike, fmt: str = "csv") -> Path:
    """Write the world's tables (``<table>.csv`` or ``.parquet``) and ``truth.json``.

    Each file is written under a temporary name and moved into place, and a table's file
    in the other format is removed, so a folder never mixes two generations.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in world.tables.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if name == "voc":  # survey answers carry a date, not a time
            table = table.set_column(
                table.schema.get_field_index("date"), "date", pc.cast(table["date"], pa.date32())
            )
        target = out / f"{name}.{fmt}"
        tmp = out / f".{name}.{fmt}.tmp"
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, tmp)
        else:
            import pyarrow.csv as pcsv

            pcsv.write_csv(table, tmp)
        os.replace(tmp, target)
        for suffix in (".parquet", ".csv", ".csv.gz"):
            stale = out / f"{name}{suffix}"
            if stale != target and stale.exists():
                stale.unlink()
    tmp = out / ".truth.json.tmp"
    tmp.write_text(json.dumps(world.truth, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "truth.json")
    return out


def demo_from_args(
    out: str | os.PathLike,
    accounts: int = 2000,
    periods: int = 12,
    seed: int = 7,
    effect: float | dict[str, float] | None = None,
    lag: int | dict[str, int] | None = None,
    reverse: bool = False,
    freq: str = "Q",
    fmt: str = "csv",
    progress: bool = False,
) -> dict[str, Any]:
    """Generate and write a world in one call (for ``rvq demo``); returns its size facts."""
    started = time.perf_counter()
    overrides: dict[str, Any] = {}
    if effect is not None:
        overrides["effect"] = effect
    if lag is not None:
        overrides["lag"] = lag
    spec = WorldSpec(
        accounts=accounts, periods=periods, seed=seed, reverse=reverse, freq=freq, **overrides
    )
    world = generate_world(spec, progress=progress)
    path = write_world(world, out, fmt=fmt)
    return {
        "out": str(path),
        "seconds": round(time.perf_counter() - started, 2),
        "bytes": sum(p.stat().st_size for p in path.iterdir() if p.is_file()),
        **world.truth["counts"],
    }
