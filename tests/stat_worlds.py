"""Small simulated account x period panels with a known answer, for the statistics tests.

These worlds are deliberately simpler than `rvq.synth`: they generate the panel directly
(no interactions to score), so a statistical test can run hundreds of pilots in seconds.

The data-generating process (per account i, period t, all vectorized over accounts):

- RV flow: ``rv_flow[i,t] = level_i + sd * u[i,t]``, u AR(1) with coefficient 0.3, plus,
  in a reverse world, ``gamma * z(outcome[i,t-1])`` (RV responds to the past money);
- latent relationship strength: ``s[i,t] = rho * s[i,t-1] + rv_flow[i,t]`` (AR(1));
- each outcome: ``y[i,t] = base_i + beta * z(s[i,t-lag]) + e[i,t]``, e AR(1) with 0.5,
  so y depends on RV that happened ``lag`` periods earlier; beta is in outcome-noise SDs
  per SD of strength. ``beta = 0`` is a null world.

Revenue is positive (a log-linear model), profit can be negative, share of wallet is a
logistic transform, wallet = revenue / share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

OUTCOMES = ("profit", "revenue", "share_of_wallet")


@dataclass(frozen=True)
class StatWorld:
    """A simulated pilot: the account x period panel, the accounts table and the truth."""

    panel: pd.DataFrame
    accounts: pd.DataFrame
    truth: dict = field(default_factory=dict)


def _z(a: np.ndarray) -> np.ndarray:
    sd = np.nanstd(a)
    return (a - np.nanmean(a)) / (sd if sd > 0 else 1.0)


def simulate_panel(
    accounts: int = 300,
    periods: int = 12,
    *,
    effect: dict[str, float] | float = 0.0,
    lag: dict[str, int] | int = 2,
    reverse: float = 0.0,
    rho: float = 0.6,
    seed: int = 0,
    freq: str = "Q",
    start: str = "2021Q1",
    with_wallet: bool = True,
    with_voc: bool = True,
    burn_in: int = 12,
) -> StatWorld:
    """Simulate one pilot panel (see the module docstring for the process).

    `effect` / `lag` are per outcome (profit, revenue, share_of_wallet) or one value for
    all; `reverse` > 0 makes RV respond to the previous period's profit (and no outcome
    responds to RV unless `effect` says so).
    """
    rng = np.random.default_rng(seed)
    eff = effect if isinstance(effect, dict) else dict.fromkeys(OUTCOMES, float(effect))
    lags = lag if isinstance(lag, dict) else dict.fromkeys(OUTCOMES, int(lag))
    n, total = accounts, periods + burn_in

    level = rng.gamma(2.0, 1.0, n)  # how active each account is
    base_profit = rng.normal(2.0, 2.0, n)  # some accounts lose money on average
    base_logrev = rng.normal(3.0, 0.7, n)
    base_share = rng.normal(-0.5, 0.8, n)

    u = np.zeros((n, total))
    s = np.zeros((n, total))
    rv = np.zeros((n, total))
    e = {k: np.zeros((n, total)) for k in OUTCOMES}
    y = {k: np.zeros((n, total)) for k in OUTCOMES}
    noise_sd = {"profit": 1.0, "revenue": 0.15, "share_of_wallet": 0.3}
    base = {"profit": base_profit, "revenue": base_logrev, "share_of_wallet": base_share}
    s_sd = 1.0  # strength SD is re-estimated once the burn-in has run
    for t in range(total):
        u[:, t] = (0.3 * u[:, t - 1] if t else 0) + rng.normal(0, 1, n)
        rv[:, t] = level + u[:, t]
        if reverse and t:
            prev = (y["profit"][:, t - 1] - base_profit) / noise_sd["profit"]
            rv[:, t] += reverse * prev
        s[:, t] = (rho * s[:, t - 1] if t else 0) + rv[:, t]
        if t == burn_in // 2:
            s_sd = np.std(s[:, : t + 1] - s[:, : t + 1].mean(axis=1, keepdims=True)) or 1.0
        for k in OUTCOMES:
            e[k][:, t] = (0.5 * e[k][:, t - 1] if t else 0) + rng.normal(0, noise_sd[k], n)
            L = lags.get(k, 1)
            drive = 0.0
            if eff.get(k, 0.0) and t - L >= 0:
                s_lag = s[:, t - L]
                drive = eff[k] * noise_sd[k] * (s_lag - s_lag.mean()) / s_sd
            y[k][:, t] = base[k] + drive + e[k][:, t]

    keep = slice(burn_in, total)
    revenue = np.exp(y["revenue"][:, keep])
    share = 1.0 / (1.0 + np.exp(-y["share_of_wallet"][:, keep]))
    profit = y["profit"][:, keep]
    rv_flow = rv[:, keep]
    ids = np.array([f"A{i:05d}" for i in range(n)])
    per = pd.period_range(start, periods=periods, freq=freq)

    panel = pd.DataFrame(
        {
            "account_id": np.repeat(ids, periods),
            "period": np.tile(per, n),
            "period_index": np.tile(np.arange(periods), n),
            "rv_flow": rv_flow.ravel(),
            "revenue": revenue.ravel(),
            "profit": profit.ravel(),
        }
    )
    panel["account_id"] = panel["account_id"].astype(str)
    panel["rv_cum"] = panel.groupby("account_id")["rv_flow"].cumsum()
    panel["n_interactions"] = rng.poisson(np.clip(rv_flow.ravel(), 0.1, None) * 3 + 1)
    panel["age"] = panel["period_index"].astype(float) + burn_in
    if with_wallet:
        panel["share_of_wallet"] = share.ravel()
        panel["wallet"] = panel["revenue"] / panel["share_of_wallet"]
    else:
        panel["share_of_wallet"] = np.nan
        panel["wallet"] = np.nan
    if with_voc:
        # what customers SAY: noisy, partly tied to the latent strength, often missing
        s_keep = s[:, keep].ravel()
        nps = np.clip(np.round(7 + 0.8 * _z(s_keep) + rng.normal(0, 1.5, s_keep.size)), 0, 10)
        csat = np.clip(np.round(3.5 + 0.4 * _z(s_keep) + rng.normal(0, 0.8, s_keep.size)), 1, 5)
        missing = rng.random(s_keep.size) < 0.4
        panel["nps"] = np.where(missing, np.nan, nps)
        panel["csat"] = np.where(missing, np.nan, csat)
    else:
        panel["nps"] = np.nan
        panel["csat"] = np.nan

    roles = np.array(["leader", "doer", "watcher", "none"])
    accounts_frame = pd.DataFrame(
        {
            "account_id": ids.astype(str),
            "industry": rng.choice(["tech", "retail", "health", "energy"], n),
            "territory": rng.choice(["north", "south", "east", "west"], n),
            "team": rng.choice(["t1", "t2", "t3"], n),
            "contact_source": rng.choice(["web", "event", "partner"], n),
            "company_revenue": np.exp(rng.normal(16, 1, n)),
            "community_role": rng.choice(roles, n, p=[0.05, 0.1, 0.15, 0.7]),
        }
    )
    truth = {
        k: {"effect": eff.get(k, 0.0), "lag": lags.get(k, 1), "reverse": bool(reverse)}
        for k in OUTCOMES
    }
    truth["revenue_growth"] = truth.pop("revenue")
    return StatWorld(panel=panel, accounts=accounts_frame, truth=truth)
