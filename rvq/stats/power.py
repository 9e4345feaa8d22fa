"""Power: how many accounts and periods does a pilot need to detect a given effect?

The pilot sponsor's first question. `power` simulates pilots with `rvq.synth` (a planted
effect of size `effect` on one outcome at lag `lag`, every other outcome null), scores
each with `rvq.scoring.panels.account_period_panel`, runs the back-test on that outcome
(`rvq.stats.backtest.leading_indicator_summary`, the pilot's horizons, Holm over them) and
counts how often the verdict is `leading` (the detection rate, with a Wilson score
interval) and how often the best horizon is the planted lag. `effect` is in the
generator's units: the correlation between the latent relationship strength `lag`
periods earlier and the outcome (`rvq.synth.WorldSpec.effect`; the demo plants 0.3-0.35).
The answer is only as good as the simulated world is like the client's: read it as an
order of magnitude, and `effect = 0` as a check of the false-alarm rate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from rvq.schema import OUTCOME_NAMES


def synth_panel(
    effect: float,
    lag: int,
    accounts: int,
    periods: int,
    seed: int,
    *,
    outcome: str = "profit",
    freq: str = "Q",
) -> pd.DataFrame:
    """One simulated pilot's account x period panel (rvq.synth -> rvq.scoring.panels).

    `effect` is planted on `outcome` at `lag`; the other outcomes have no effect.
    """
    from rvq.inputs.catalog import shipped_catalog
    from rvq.scoring.panels import account_period_panel
    from rvq.synth import WorldSpec, generate_world

    effects = dict.fromkeys(OUTCOME_NAMES, 0.0) | {outcome: float(effect)}
    spec = WorldSpec(
        accounts=accounts,
        periods=periods,
        freq=freq,
        seed=seed,
        effect=effects,
        lag=dict.fromkeys(OUTCOME_NAMES, int(lag)),
    )
    tables = generate_world(spec).tables
    return account_period_panel(
        tables["interactions"], shipped_catalog(), tables["outcomes"], tables.get("voc"), freq=freq
    )


def pilot_verdict(
    seed: int,
    *,
    effect: float,
    lag: int,
    accounts: int,
    periods: int,
    outcome: str,
    horizons: tuple[int, ...],
    alpha: float,
    simulate: Callable[..., pd.DataFrame],
) -> dict:
    """One simulated pilot: `simulate(effect, lag, accounts, periods, seed)` back-tested on
    `outcome`; returns its `leading_indicator_summary` entry."""
    from rvq.stats.backtest import leading_indicator_summary

    panel = simulate(effect, lag, accounts, periods, seed)
    return leading_indicator_summary(
        panel,
        outcomes=(outcome,),
        horizons=horizons,
        seed=seed,
        alpha=alpha,
        n_boot=100,
        granger_boot=19,
    )[outcome]


def power(
    effect: float,
    lag: int,
    accounts: int,
    periods: int,
    n_sims: int = 50,
    seed: int = 0,
    *,
    outcome: str = "profit",
    horizons: Sequence[int] | None = None,
    freq: str = "Q",
    alpha: float = 0.05,
    simulate: Callable[..., pd.DataFrame] | None = None,
    workers: int = 1,
) -> dict:
    """Detection rate of `leading` for `outcome` over `n_sims` simulated pilots.

    `simulate(effect, lag, accounts, periods, seed)` returns a panel (default:
    `synth_panel`, through `rvq.synth` and `rvq.scoring.panels`). `horizons` default to the
    pilot's (1-4, and up to lag + 1). Only `outcome` is tested in each pilot (Holm over
    its horizons), so the rate is for a pilot that asks about this one outcome.
    `workers > 1` runs the pilots in that many processes (`simulate` must then be
    picklable: a module-level function or a `functools.partial` of one).

    Returns effect, lag, accounts, periods, n_sims, detection_rate with its 95% Wilson
    interval (ci_low, ci_high), and lag_recovered_rate: among the detections, the share
    whose best horizon is the planted lag.
    """
    from rvq.stats.backtest import DEFAULT_HORIZONS

    simulate = simulate or partial(synth_panel, outcome=outcome, freq=freq)
    horizons = tuple(horizons or range(1, max(max(DEFAULT_HORIZONS), lag + 1) + 1))
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(n_sims)]
    one = partial(
        pilot_verdict,
        effect=effect,
        lag=lag,
        accounts=accounts,
        periods=periods,
        outcome=outcome,
        horizons=horizons,
        alpha=alpha,
        simulate=simulate,
    )
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, seeds))
    else:
        results = [one(s) for s in seeds]
    leading = [r for r in results if r["verdict"] == "leading"]
    detected = len(leading)
    right_lag = sum(r["best_horizon"] == lag for r in leading)
    lo, hi = proportion_confint(detected, n_sims, method="wilson")
    return {
        "effect": effect,
        "lag": lag,
        "accounts": accounts,
        "periods": periods,
        "n_sims": n_sims,
        "detection_rate": detected / n_sims,
        "ci_low": float(lo),
        "ci_high": float(hi),
        "lag_recovered_rate": right_lag / max(detected, 1),
    }


def power_grid(
    effect: float,
    lag: int,
    accounts: Sequence[int],
    periods: Sequence[int],
    n_sims: int = 50,
    seed: int = 0,
    **options,
) -> pd.DataFrame:
    """`power` over a grid of pilot sizes: one row per (accounts, periods)."""
    rows = [power(effect, lag, a, p, n_sims, seed, **options) for a in accounts for p in periods]
    return pd.DataFrame(rows)
