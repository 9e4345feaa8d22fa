"""Power: how many accounts and periods does a pilot need to detect a given effect?

Simulates pilots with `rvq.synth` (a planted effect of size `effect` on one outcome at
lag `lag`, every other outcome null), scores them with `rvq.score`, runs the back-test
and counts how often the verdict is `leading` (the detection rate) and how often the
best horizon equals the planted lag. The rate's interval is the Wilson score interval.
The answer is only as good as the simulated world is like the client's: read it as an
order of magnitude.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint


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
    """One simulated pilot's account x period panel (rvq.synth -> rvq.score)."""
    from rvq.catalog import shipped_catalog
    from rvq.score import account_period_panel
    from rvq.synth import OUTCOME_NAMES, WorldSpec, generate_world

    effects = dict.fromkeys(OUTCOME_NAMES, 0.0) | {outcome: float(effect)}
    spec = WorldSpec(
        accounts=accounts,
        periods=periods,
        freq=freq,
        seed=seed,
        effect=effects,
        lag={outcome: int(lag)},
    )
    tables = generate_world(spec).tables
    return account_period_panel(
        tables["interactions"], shipped_catalog(), tables["outcomes"], tables.get("voc"), freq=freq
    )


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
) -> dict:
    """Detection rate of `leading` for `outcome` over `n_sims` simulated pilots.

    `simulate(effect, lag, accounts, periods, seed)` returns a panel (default:
    `synth_panel`). Only `outcome` is tested in each pilot (Holm over its horizons), so
    the rate is for a pilot that asks about this one outcome.
    """
    from rvq.backtest import leading_indicator_summary

    simulate = simulate or (
        lambda e, L, a, p, s: synth_panel(e, L, a, p, s, outcome=outcome, freq=freq)
    )
    horizons = tuple(horizons or range(1, max(lag, 1) + 2))
    seeds = np.random.SeedSequence(seed).generate_state(n_sims)
    detected = right_lag = 0
    for s in seeds:
        panel = simulate(effect, lag, accounts, periods, int(s))
        res = leading_indicator_summary(
            panel,
            outcomes=(outcome,),
            horizons=horizons,
            seed=int(s),
            alpha=alpha,
            n_boot=100,
            granger_boot=19,
        )[outcome]
        if res["verdict"] == "leading":
            detected += 1
            right_lag += res["best_horizon"] == lag
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
