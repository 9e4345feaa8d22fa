"""The confounders of a real book as options of a world (issue 11): account growth and
size, ramp-up and churn, rescue effort after revenue dips, two-way feedback and
mechanical links. Each is off by default (the demo world has none of them); each moves RV
and the money together *without* RV moving first, except feedback, which adds the money
moving RV to a lead that may or may not be planted.

Everything here draws from its own random stream, so switching a confounder on never
changes the draws of anything else, and a world with none is the demo world, byte for
byte. `propensity_shift` is what the confounders add to an account's propensity in one
period (the only way they reach RV); `money_shift` what they add to the outcomes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rvq.schema import OUTCOME_NAMES
from rvq.synth.accounts import Accounts
from rvq.synth.spec import MODEL, WorldSpec


@dataclass
class Confounders:
    """Per-account draws of the confounders a spec switches on (zeros when off)."""

    growth: np.ndarray  # g_i: the account's own propensity trend per period
    size: np.ndarray  # interaction-rate factor from the revenue scale (1 = no link)
    lifecycle: np.ndarray  # (n, steps) ramp-up / churn curve in [-1, 0]
    leave: np.ndarray  # first period (window index) the account is gone; huge = never
    dips: np.ndarray  # (n, steps) transitory log-revenue deviation (rescue worlds)


def draw_confounders(
    spec: WorldSpec, acc: Accounts, rng: np.random.Generator, burn_in: int
) -> Confounders:
    """The accounts' confounder traits; draws only for the confounders switched on."""
    n, steps = acc.n, burn_in + spec.periods
    t = np.arange(steps)[None, :] - burn_in  # window index of each simulated period
    growth = rng.normal(0.0, spec.account_trend, n) if spec.account_trend else np.zeros(n)
    if spec.size_link:
        size = (acc.revenue_scale / np.median(acc.revenue_scale)) ** spec.size_link
    else:
        size = np.ones(n)

    lifecycle = np.zeros((n, steps))
    if spec.ramp_up:
        # -1 until the first purchase, then rising linearly to 0 over `ramp_up` periods
        since = t - (acc.closing[:, None] + 1)
        lifecycle += np.clip(since / spec.ramp_up, 0.0, 1.0) - 1.0
    leave = np.full(n, np.iinfo(np.int64).max)
    if spec.churn_share:
        # existing customers not under contract; each leaves inside the window after a
        # decline of `churn_periods` periods
        eligible = np.flatnonzero((acc.first_touch < -3) & ~acc.hostage)
        k = min(eligible.size, round(spec.churn_share * n))
        who = rng.choice(eligible, k, replace=False)
        first = max(MODEL.churn_periods + 1, spec.periods // 3)
        leave[who] = rng.integers(first, spec.periods, k)
        d = MODEL.churn_periods
        decline = -np.clip((t - leave[:, None] + d + 1) / d, 0.0, 1.0)
        lifecycle += np.where((leave < np.iinfo(np.int64).max)[:, None], decline, 0.0)

    dips = np.zeros((n, steps))
    if spec.rescue:
        phi, scale = MODEL.dip_phi, MODEL.dip_sigma * math.sqrt(1 - MODEL.dip_phi**2)
        dips[:, 0] = MODEL.dip_sigma * rng.standard_normal(n)
        for k in range(1, steps):
            dips[:, k] = phi * dips[:, k - 1] + scale * rng.standard_normal(n)
    return Confounders(growth, size, lifecycle, leave, dips)


def any_on(spec: WorldSpec) -> bool:
    """Does the spec switch on any confounder?"""
    return bool(on(spec))


def on(spec: WorldSpec) -> list[str]:
    """The confounders the spec switches on, by name."""
    flags = {
        "account_trend": spec.account_trend,
        "size_link": spec.size_link,
        "ramp_up": spec.ramp_up,
        "churn": spec.churn_share,
        "rescue": spec.rescue,
        "feedback": any(spec.feedback.values()),
        "mechanical": any(spec.mechanical.values()),
    }
    return [name for name, value in flags.items() if value]


def outcome_drivers(
    spec: WorldSpec, own: dict[str, np.ndarray], z_period: np.ndarray, k: int
) -> dict[str, np.ndarray]:
    """Each outcome's standardized driver Y*_o in simulated period k as the reps see it
    during the period loop: ``beta_o * z~_{k-L_o} + sqrt(1 - beta_o^2) * u^o_k``, where
    z~ is the strength standardized across the accounts active in its period (the
    written outcomes use the strength standardized over the whole window, known only
    after the loop: the same strength up to a per-period shift and scale)."""
    out = {}
    for o in OUTCOME_NAMES:
        beta = 0.0 if spec.reverse else spec.effect[o]
        lead = z_period[:, k - spec.lag[o]] if beta and k - spec.lag[o] >= 0 else 0.0
        out[o] = beta * lead + math.sqrt(1.0 - beta**2) * own[o][:, k]
    return out


def propensity_shift(
    spec: WorldSpec,
    conf: Confounders,
    acc: Accounts,
    own: dict[str, np.ndarray],
    z_period: np.ndarray,
    k: int,
    burn_in: int,
) -> np.ndarray:
    """What the confounders add to every account's propensity in simulated period k."""
    t = k - burn_in
    shift = conf.growth * t + MODEL.lifecycle_propensity * conf.lifecycle[:, k]
    customer_now = t >= acc.closing + 1
    customer_before = t - 1 >= acc.closing + 1
    if k >= 1 and spec.rescue:  # reps answer last period's dip (in dip SDs)
        shift = shift - spec.rescue * np.where(
            customer_before, conf.dips[:, k - 1] / MODEL.dip_sigma, 0.0
        )
    if k >= 1 and any(spec.feedback.values()):  # last period's money brings meetings
        before = outcome_drivers(spec, own, z_period, k - 1)
        for o, weight in spec.feedback.items():
            if weight:
                shift = shift + weight * np.where(customer_before, before[o], 0.0)
    if any(spec.mechanical.values()):  # interactions that record this period's money
        now = outcome_drivers(spec, own, z_period, k)
        for o, weight in spec.mechanical.items():
            if weight:
                shift = shift + weight * np.where(customer_now, now[o], 0.0)
    return shift


def money_shift(spec: WorldSpec, conf: Confounders, burn_in: int) -> dict[str, np.ndarray]:
    """What the confounders add to the outcomes over the window, (n, T) each: the
    margin (profit / revenue scale), log revenue (its level; growth takes the change)
    and share of wallet."""
    T = spec.periods
    t = np.arange(T)[None, :]
    trend = conf.growth[:, None] * t * MODEL.trend_money
    life = conf.lifecycle[:, burn_in : burn_in + T]
    return {
        "margin": MODEL.profit_sigma * (trend + MODEL.lifecycle_money * life),
        "log_revenue": MODEL.growth_sigma * (trend + MODEL.lifecycle_money * life)
        + conf.dips[:, burn_in : burn_in + T],
        "share_of_wallet": MODEL.share_sigma * (trend + MODEL.lifecycle_money * life),
    }


def truth_of(spec: WorldSpec) -> tuple[dict, dict[str, dict]]:
    """The confounders for truth.json: the settings of those switched on, and per outcome
    whether RV leads it, whether it feeds back into RV, and the confounders on it."""
    names = on(spec)
    settings = {
        "account_trend": spec.account_trend,
        "size_link": spec.size_link,
        "ramp_up": spec.ramp_up,
        "churn": spec.churn_share,
        "rescue": spec.rescue,
        "feedback": spec.feedback,
        "mechanical": spec.mechanical,
    }
    per_outcome = {}
    for o in OUTCOME_NAMES:
        leads = spec.effect[o] != 0 and not spec.reverse
        feeds_back = bool(
            spec.feedback[o]
            or (spec.reverse and spec.effect[o] != 0)
            or (o == "revenue_growth" and spec.rescue)
        )
        mine = [
            c
            for c in names
            if not (c == "feedback" and not spec.feedback[o])
            and not (c == "mechanical" and not spec.mechanical[o])
            and not (c == "rescue" and o != "revenue_growth")
        ]
        per_outcome[o] = {
            "leads": leads,
            "lead_lag": spec.lag[o] if leads else None,
            "feeds_back": feeds_back,
            "confounders": mine,
            "expected_verdict": "leading" if leads else "not_leading",
        }
    text = {k: CONFOUNDER_TEXT[k] for k in names}
    return {"on": names, **{k: settings[k] for k in names}, "text": text}, per_outcome


CONFOUNDER_TEXT = {
    "account_trend": "each account's propensity trends by g_i per period, g_i ~ N(0, "
    "account_trend); its margin, log revenue and share trend by trend_money * g_i per period "
    "(in their within SDs): RV and the money grow together, RV never first",
    "size_link": "main-stream interaction rate times (revenue_scale / median)^size_link: "
    "bigger accounts have more interactions and more money (constant over time)",
    "ramp_up": "new accounts: a curve from -1 (until the first purchase) rising linearly to 0 "
    "over ramp_up periods moves propensity (lifecycle_propensity) and margin, log revenue "
    "and share (lifecycle_money within SDs) together",
    "churn": "that share of accounts (existing, not hostage) leaves inside the window after a "
    "linear decline over churn_periods periods of propensity and money together; no "
    "interactions, outcomes or surveys from the leaving period on",
    "rescue": "log revenue carries a transitory AR(1) dip (dip_phi, dip_sigma) that reverts "
    "on its own; the propensity responds to last period's dip: - rescue * dip / dip_sigma "
    "(reps work harder on accounts that just dipped)",
    "feedback": "propensity += feedback_o * Y*_o one period earlier (the outcome's "
    "standardized driver, strength standardized per period): the money moves RV",
    "mechanical": "propensity += mechanical_o * Y*_o of the same period: interactions that "
    "record money already won (orders, invoices)",
}
