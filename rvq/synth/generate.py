"""`generate_world`: the latent dynamics period by period (propensity, interactions drawn
from the catalog's streams, the RV flow and the relationship strength), then the tables,
the latent frame and the planted truth made from them."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from rvq.schema import ACCOUNTS, COMMUNITY_ROLES, INTERACTIONS, OUTCOMES, STAGES, VOC
from rvq.synth.accounts import draw_accounts
from rvq.synth.catalog import Catalog
from rvq.synth.confounders import any_on, draw_confounders, money_shift, propensity_shift
from rvq.synth.spec import (
    MODEL,
    OUTCOME_NAMES,
    SEASON_VOLUME,
    World,
    WorldSpec,
    period_format,
    quarter_of,
)
from rvq.synth.tables import (
    accounts_table,
    draw_outcomes,
    draw_voc,
    event_details,
    interactions_table,
)
from rvq.synth.truth import planted_truth, within

#: community interactions per account and quarter, by role (none: 0)
_COMMUNITY_RATE = {"leader": 3.0, "doer": 1.5, "watcher": 0.6, "none": 0.0}


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
    cat = Catalog.build(catalog)
    # a fifth stream for the confounders: the first four are those of a world without
    seeds = np.random.SeedSequence(spec.seed).spawn(5)
    rng_acc, rng_latent, rng_events, rng_tables, rng_conf = (
        np.random.default_rng(s) for s in seeds
    )

    T = spec.periods
    max_lag = max(spec.lag.values())
    burn_in = max_lag + 6
    steps = burn_in + T  # simulated periods: burn_in before the window, then the window
    acc = draw_accounts(spec, rng_acc, burn_in)
    n = acc.n
    confounded = any_on(spec)
    conf = draw_confounders(spec, acc, rng_conf, burn_in) if confounded else None
    window = spec.period_index
    all_periods = pd.period_range(window[0] - burn_in, periods=steps)
    quarter = quarter_of(all_periods)
    volume = np.asarray(SEASON_VOLUME)[quarter]

    # the outcomes' own noise (unit variance); exogenous, also what reverse mode responds to
    own = {
        "profit": _ar1(rng_latent, n, steps, MODEL.profit_phi),
        "revenue_growth": _ar1(rng_latent, n, steps, MODEL.growth_phi),
        "share_of_wallet": _ar1(rng_latent, n, steps, MODEL.share_phi),
    }
    shock_p = rng_latent.standard_normal((n, steps))
    shock_s = rng_latent.standard_normal((n, steps))

    strength = np.zeros((n, steps))
    z_period = np.zeros((n, steps))  # strength standardized per period (the confounders)
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
        if confounded:
            p_eff = p_eff + propensity_shift(spec, conf, acc, own, z_period, k, burn_in)
        propensity[:, k] = p_eff
        active = t >= acc.first_touch
        if confounded:
            active &= t < conf.leave
        stage = np.where(t < acc.closing, 0, np.where(t == acc.closing, 1, 2))
        s_active = s_prev[active]
        s_sd = s_active.std() if s_active.size > 1 and s_active.std() > 0 else 1.0
        s_z = (s_prev - (s_active.mean() if s_active.size else 0.0)) / s_sd

        stage_volume = np.asarray(MODEL.stage_volume)[stage]
        quarter_share = spec.quarter_fraction
        main = acc.n_contacts * rate * stage_volume * np.exp(MODEL.intensity_slope * p_eff)
        lam = {
            "main": main * conf.size if confounded else main,
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
        if confounded:
            s_act = s_now[active]
            sd_now = s_act.std() if s_act.size > 1 and s_act.std() > 0 else 1.0
            z_period[:, k] = np.where(active, (s_now - s_act.mean()) / sd_now, 0.0)
        s_prev = s_now
        if t >= 0:
            n_emotional += int(cat.emotional[rows].sum())
            events.append(event_details(acc, cat, who, rows, window[t], t, rng_events))

    # latent strength in within-SD units (account- and period-demeaned over the periods
    # any outcome looks back to); its level keeps the between-account differences
    lo = burn_in - max_lag
    act = np.arange(steps)[None, :] - burn_in >= acc.first_touch[:, None]
    act[:, :lo] = False
    if confounded:  # accounts that left have no strength
        act &= np.arange(steps)[None, :] - burn_in < conf.leave[:, None]
    ai, ki = np.nonzero(act)
    s_vals = strength[ai, ki]
    strength_sd = float(np.std(within(s_vals, ai, ki)))
    strength_mean = float(s_vals.mean())
    z = (strength - strength_mean) / strength_sd

    shift = money_shift(spec, conf, burn_in) if confounded else None
    leave = conf.leave if confounded else None
    outcomes, locked, model_metric = draw_outcomes(
        spec, acc, z, own, burn_in, rng_tables, shift=shift, leave=leave
    )
    voc, n_nps, n_csat = draw_voc(spec, acc, z, burn_in, rng_tables, leave=leave)
    interactions = interactions_table(acc, cat, events, spec)
    accounts = accounts_table(acc)
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
            "period": np.tile(window.strftime(period_format(spec.freq)), n),
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
    truth = planted_truth(
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
