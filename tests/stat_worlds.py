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


# ------------------------------------------------------------- confounder worlds (issue 11)

#: the demo's planted effects (`rvq.synth.DEFAULT_EFFECT`, lag 2): the strength the
#: issue's detection targets are stated at
DEMO_EFFECT = {"profit": 0.35, "revenue_growth": 0.30, "share_of_wallet": 0.30}
DEMO_LAG = 2
WORLD_OUTCOMES = ("profit", "revenue_growth", "share_of_wallet")


@dataclass(frozen=True)
class WorldParams:
    """What drives what in a confounder world (see `simulate_world`).

    Effects are correlations, as `rvq.synth.WorldSpec.effect`: the outcome's standardized
    innovation is ``beta * z(strength[t - lag]) + sqrt(1 - beta^2) * own noise``. The
    confounders are in SDs of RV's own noise (per SD of what RV responds to).
    """

    effect: dict = field(default_factory=lambda: dict.fromkeys(WORLD_OUTCOMES, 0.0))
    lag: dict = field(default_factory=lambda: dict.fromkeys(WORLD_OUTCOMES, DEMO_LAG))
    trend: float = 0.0  # SD across accounts of RV's growth per period (g_i)
    money_trend: float = 1.0  # the money's growth per unit of RV's (profit SDs per period)
    rescue: float = 0.0  # RV per SD of last period's revenue dip (reps rescue accounts)
    feedback: float = 0.0  # RV per SD of last period's profit (money brings meetings)
    mechanical: float = 0.0  # RV per SD of this period's revenue (records revenue won)
    revenue_phi: float = 0.5  # AR(1) of log revenue around the account's level: reverts
    profit_on_revenue: float = 0.5  # share of profit's own noise that is revenue's
    rampup: float = 0.0  # share of accounts that start inside the window and ramp up
    churn: float = 0.0  # share of accounts that decline and leave inside the window
    lifecycle: float = 1.5  # RV (its noise SDs) at the bottom of a ramp-up / churn curve
    lifecycle_money: float = 3.0  # the money (its SDs) there


#: the worlds of issue 11, each with the parameters that make it
WORLDS = {
    "null": WorldParams(),
    "planted": WorldParams(effect=dict(DEMO_EFFECT)),
    # (a) growing accounts get more RV and more money; RV never moves first
    "trend": WorldParams(trend=0.15, money_trend=0.5),
    # (b) reps answer last period's revenue dip with more RV; revenue reverts on its own
    "rescue": WorldParams(rescue=1.0),
    # (c) a real lead on every outcome, and profit feeding back into RV
    "feedback": WorldParams(effect=dict(DEMO_EFFECT), feedback=0.8),
    # (d) interactions that record revenue already won: RV in t moves with revenue in t
    "mechanical": WorldParams(mechanical=1.0),
    # (e) RV lags profit by one period
    "lagging": WorldParams(feedback=0.8),
    # (g) new accounts ramp up, others decline and leave: RV and money move together
    "rampup": WorldParams(rampup=0.4, churn=0.2),
    # (f) modest real leads at lags 2 and 3
    "modest": WorldParams(
        effect=dict.fromkeys(WORLD_OUTCOMES, 0.2),
        lag={"profit": 2, "revenue_growth": 3, "share_of_wallet": 3},
    ),
}


def simulate_world(
    kind: str = "planted",
    accounts: int = 600,
    periods: int = 12,
    *,
    seed: int = 0,
    burn_in: int = 12,
    **changes,
) -> StatWorld:
    """One pilot panel from the world `kind` of `WORLDS`, with `changes` to its parameters
    (e.g. ``effect={"profit": 0.2}``: a partial dict keeps the other outcomes' values).

    Process, per account i and period t (vectorized over accounts):

    - RV flow: ``rv = level_i + u_t`` (u AR(1) 0.3, unit innovations) ``+ trend * g_i * t``
      ``- rescue * rev~_{t-1} + feedback * profit~_{t-1} + mechanical * rev~_t``, where
      rev~ is log revenue's own deviation from its level and profit~ profit's deviation
      from its account base, both in SDs;
    - latent strength ``s_t = 0.6 s_{t-1} + rv_t``, z = s in within-account SDs;
    - profit: ``b_i + sd * (beta z_{t-L} + sqrt(1 - beta^2) * own)`` where own mixes
      revenue's own noise (`profit_on_revenue`; not revenue's lead) and an AR(1) 0.5
      noise, ``+ g_i * t`` in the trend world;
    - log revenue: ``m_i + g_i * t + r_t`` with ``r_t = phi r_{t-1} + sd * innovation``
      and the innovation ``beta z_{t-L} + sqrt(1 - beta^2) * noise``: the lead moves
      revenue growth; revenue reverts to its level at rate 1 - phi;
    - share of wallet: ``h_i + sd * (beta z_{t-L} + sqrt(1 - beta^2) * AR(1) 0.6)``
      ``+ g_i * t * 0.1``, clipped to [0.01, 0.99]; wallet = revenue / share;
    - ramp-up and churn: a `rampup` share of accounts starts inside the window (no rows
      before) and a `churn` share leaves inside it (no rows after); over 4 periods after
      the start a curve c rises linearly from -1 to 0, over the 3 periods before leaving
      it falls to -1, and it adds ``lifecycle * c`` to RV and ``lifecycle_money * sd * c``
      to profit, log revenue and share, in the same period (RV never first).

    The truth says per outcome whether RV leads it (``leads``), at which lag, whether the
    outcome feeds back into RV, what else links them, and the verdict a correct rule gives.
    """
    if kind not in WORLDS:
        raise ValueError(f"unknown world {kind!r}; one of {sorted(WORLDS)}")
    base = WORLDS[kind]
    merged = {}
    for name in ("effect", "lag"):
        value = changes.pop(name, None)
        if value is None:
            merged[name] = dict(getattr(base, name))
        elif isinstance(value, dict):
            merged[name] = {**getattr(base, name), **value}
        else:
            merged[name] = dict.fromkeys(WORLD_OUTCOMES, value)
    p = WorldParams(**{**vars(base), **merged, **changes})
    rng = np.random.default_rng(seed)
    n, total = accounts, periods + burn_in
    eff, lags = p.effect, p.lag

    level = rng.gamma(2.0, 1.0, n)
    growth = rng.normal(0.0, 1.0, n) * p.trend  # g_i: shared by RV and the money
    start, leave, curve = _lifecycle(rng, n, periods, burn_in, p)
    base_profit = rng.normal(2.0, 2.0, n)
    base_logrev = rng.normal(3.0, 0.7, n)
    base_share = rng.uniform(0.2, 0.75, n)
    sd = {"profit": 1.0, "revenue_growth": 0.1, "share_of_wallet": 0.05}
    phi = p.revenue_phi
    rev_sd = sd["revenue_growth"] / np.sqrt(1 - phi**2)  # SD of log revenue's own part

    u = np.zeros(n)
    s = np.zeros((n, total))
    rv = np.zeros((n, total))
    e_profit = np.zeros(n)
    e_share = np.zeros(n)
    r = np.zeros((n, total))  # log revenue's deviation from its level (lead included)
    q = np.zeros(n)  # revenue's own noise alone (AR(1) phi, unit variance): profit shares it
    profit_dev = np.zeros((n, total))  # profit minus its base, in SDs (no trend)
    share = np.zeros((n, total))
    s_sd = 1.0
    for t in range(total):
        trend_t = t - burn_in  # trends are measured from the window's start
        u = 0.3 * u + rng.normal(0, 1, n)
        # the money's own innovations this period (drawn before RV: mechanical links)
        inn = {k: rng.normal(0, 1, n) for k in WORLD_OUTCOMES}
        z_lag = {
            k: (s[:, t - lags[k]] - s[:, t - lags[k]].mean()) / s_sd
            if eff[k] and t - lags[k] >= 0
            else 0.0
            for k in WORLD_OUTCOMES
        }
        b = {k: eff[k] for k in WORLD_OUTCOMES}
        r_inn = (
            b["revenue_growth"] * z_lag["revenue_growth"]
            + np.sqrt(1 - b["revenue_growth"] ** 2) * inn["revenue_growth"]
        )
        r[:, t] = (phi * r[:, t - 1] if t else 0.0) + sd["revenue_growth"] * r_inn
        q = phi * q + np.sqrt(1 - phi**2) * inn["revenue_growth"]
        rv[:, t] = level + u + growth * trend_t + p.lifecycle * curve[:, t]
        if t:
            rv[:, t] += -p.rescue * r[:, t - 1] / rev_sd + p.feedback * profit_dev[:, t - 1]
        rv[:, t] += p.mechanical * r[:, t] / rev_sd
        s[:, t] = (0.6 * s[:, t - 1] if t else 0.0) + rv[:, t]
        if t == burn_in // 2:
            past = s[:, : t + 1]
            s_sd = float(np.std(past - past.mean(axis=1, keepdims=True))) or 1.0
        e_profit = 0.5 * e_profit + np.sqrt(1 - 0.25) * inn["profit"]  # unit variance
        w = p.profit_on_revenue
        own_p = w * q + np.sqrt(1 - w**2) * e_profit
        bp = b["profit"]
        profit_dev[:, t] = bp * z_lag["profit"] + np.sqrt(1 - bp**2) * own_p
        e_share = 0.6 * e_share + np.sqrt(1 - 0.36) * inn["share_of_wallet"]
        bs = b["share_of_wallet"]
        share[:, t] = bs * z_lag["share_of_wallet"] + np.sqrt(1 - bs**2) * e_share

    keep = slice(burn_in, total)
    t_win = np.arange(periods)[None, :]
    money_growth = growth[:, None] * t_win * p.money_trend
    life = p.lifecycle_money * curve[:, keep]
    profit = base_profit[:, None] + sd["profit"] * (profit_dev[:, keep] + life) + money_growth
    log_rev = base_logrev[:, None] + r[:, keep] + money_growth * 0.1 + sd["revenue_growth"] * life
    share_w = np.clip(
        base_share[:, None] + sd["share_of_wallet"] * (share[:, keep] + life) + money_growth * 0.01,
        0.01,
        0.99,
    )
    revenue = np.exp(log_rev)
    ids = np.array([f"A{i:05d}" for i in range(n)])
    per = pd.period_range("2021Q1", periods=periods, freq="Q")
    panel = pd.DataFrame(
        {
            "account_id": np.repeat(ids, periods).astype(str),
            "period": np.tile(per, n),
            "period_index": np.tile(np.arange(periods), n),
            "rv_flow": rv[:, keep].ravel(),
            "revenue": revenue.ravel(),
            "profit": profit.ravel(),
            "share_of_wallet": share_w.ravel(),
        }
    )
    panel["wallet"] = panel["revenue"] / panel["share_of_wallet"]
    panel["n_interactions"] = rng.poisson(np.clip(panel["rv_flow"].to_numpy(), 0.1, None) * 3 + 1)
    first = np.repeat(start, periods)  # window index of each row's account start
    panel["age"] = panel["period_index"].astype(float) + burn_in
    panel.loc[first > 0, "age"] = (panel["period_index"] - first)[first > 0].astype(float)
    if p.rampup or p.churn:  # accounts exist from their start to before they leave
        pi = panel["period_index"].to_numpy()
        panel = panel[(pi >= first) & (pi < np.repeat(leave, periods))].reset_index(drop=True)
    panel["rv_cum"] = panel.groupby("account_id")["rv_flow"].cumsum()
    accounts_frame = pd.DataFrame({"account_id": ids.astype(str)})
    return StatWorld(panel=panel, accounts=accounts_frame, truth=_world_truth(kind, p))


def _lifecycle(rng, n: int, periods: int, burn_in: int, p: WorldParams):
    """Start and leaving period (window index) per account and the ramp-up / churn curve
    c (n x simulated periods, in [-1, 0]); without ramp-up or churn nothing is drawn."""
    total = periods + burn_in
    start, leave = np.full(n, -burn_in), np.full(n, periods)
    curve = np.zeros((n, total))
    if not (p.rampup or p.churn):
        return start, leave, curve
    t = np.arange(total)[None, :] - burn_in
    kind = rng.random(n)
    new, gone = kind < p.rampup, (kind >= p.rampup) & (kind < p.rampup + p.churn)
    start = np.where(new, rng.integers(1, periods - 4, n), start)
    leave = np.where(gone, rng.integers(5, periods, n), leave)
    ramp = np.clip((t - start[:, None]) / 4, 0.0, 1.0) - 1.0
    decline = -np.clip((t - leave[:, None] + 4) / 3, 0.0, 1.0)
    curve = np.where(new[:, None], ramp, 0.0) + np.where(gone[:, None], decline, 0.0)
    return start, leave, curve


def _world_truth(kind: str, p: WorldParams) -> dict:
    """Per outcome: does RV lead it, at which lag, does it feed back into RV, what else
    links them, and the verdict a correct rule gives."""
    # does RV respond to this outcome's past (or the revenue it is partly made of)? The
    # mechanical link is within the period: RV does not answer revenue's past
    via_profit = bool(p.feedback and p.profit_on_revenue)  # profit's noise is partly revenue's
    feeds_back = {
        "profit": bool(p.feedback or (p.rescue and p.profit_on_revenue)),
        "revenue_growth": bool(p.rescue or via_profit),
        "share_of_wallet": False,
    }
    links = [
        name
        for name, on in (
            ("trend", p.trend),
            ("rescue", p.rescue),
            ("feedback", p.feedback),
            ("mechanical", p.mechanical),
            ("rampup", p.rampup),
            ("churn", p.churn),
        )
        if on
    ]
    truth = {"world": kind, "params": {k: v for k, v in vars(p).items()}}
    for o in WORLD_OUTCOMES:
        leads = p.effect[o] != 0
        truth[o] = {
            "leads": leads,
            "effect": p.effect[o],
            "lag": p.lag[o] if leads else None,
            "feedback": feeds_back[o],
            "confounders": links,
            "verdict": "leading" if leads else "not_leading",
        }
    return truth


def simulate_size_only(accounts: int = 600, *, seed: int = 0) -> StatWorld:
    """The null world where bigger accounts (more RV all along) also have more profit,
    revenue and share of wallet all along: size alone, nothing moves first (RV leads no
    outcome; the segment questions must not say RV "differed first")."""
    w = simulate_world("null", accounts, seed=seed)
    panel = w.panel.copy()
    size = panel.groupby("account_id")["rv_flow"].transform("mean")
    z = ((size - size.mean()) / size.std()).to_numpy()
    panel["profit"] += 1.5 * z
    panel["revenue"] *= np.exp(0.3 * z)
    panel["share_of_wallet"] = (panel["share_of_wallet"] + 0.05 * z).clip(0.01, 0.99)
    panel["wallet"] = panel["revenue"] / panel["share_of_wallet"]
    truth = {**w.truth, "world": "size", "params": {**w.truth["params"], "size": 1.0}}
    return StatWorld(panel=panel, accounts=w.accounts, truth=truth)
