"""Power: how many accounts and periods does a pilot need to detect a given effect?

The pilot sponsor's first question. `power` simulates WHOLE pilots with `rvq.synth` (a
planted effect of size `effect` on one outcome at lag `lag`, the other outcomes null),
scores each with `rvq.scoring.panels.account_period_panel` and decides it exactly as the
pilot does: `rvq.stats.identification.lead_decisions` over every outcome x horizon, Holm
over the same searched family (3 outcomes x 4 horizons = 12 forward tests; the
account-trend and placebo checks at the best horizon), the pilot's bootstrap sizes (`PILOT_N_BOOT`, `PILOT_GRANGER_BOOT`) and the
rule `decide_lead`. It counts how often the planted outcome is called `leading` (the
detection rate, with a Wilson score interval), how often its best horizon is the planted
lag, and how often the outcomes WITHOUT an effect are called `leading` in the same pilots
(the false-alarm rate per outcome, and family-wise: any of them in a pilot; with
`effect = 0` every outcome is null and the family-wise rate is the pilot's).
`effect` is in the generator's units: the correlation between the latent relationship
strength `lag` periods earlier and the outcome (`rvq.synth.WorldSpec.effect`; the demo
plants 0.3-0.35). The answer is only as good as the simulated world is like the client's:
read it as an order of magnitude.

Measured (`benchmarks/power_pilot.py`, details in benchmarks/README.md), with the rule's
rescue condition and one-sided account-trend check, lag 2, 15 pilots per cell (100 null
pilots per size): share of pilots calling the planted outcome `leading` (profit / revenue
growth / share of wallet), and the family-wise false-alarm rate:

    effect        2,000 x 12 quarters     600 x 12 quarters
    0.05          7% / 33% / 80%          7% / 0% / 20%
    0.10          93% / 100% / 100%       40% / 33% / 73%
    0.20          100% / 100% / 100%      93% / 100% / 100%
    0.30          100% / 93% / 100%       100% / 93% / 100%
    null pilots   2/100 any outcome       2/100 any outcome

Detections were at the planted lag in 257 of 265; the null outcomes of the planted
pilots were called `leading` in 0 of 720 (pilot, outcome) pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from rvq.schema import OUTCOME_NAMES
from rvq.stats.identification import HORIZONS, Decision, lead_decisions

#: the pilot's bootstrap sizes (out-of-time interval, Dumitrescu-Hurlin), as
#: `rvq.stats.backtest.leading_indicator_results` runs the lead test
PILOT_N_BOOT = 200
PILOT_GRANGER_BOOT = 49


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


def pilot_decisions(
    seed: int,
    *,
    effect: float,
    lag: int,
    accounts: int,
    periods: int,
    horizons: tuple[int, ...],
    alpha: float,
    simulate: Callable[..., pd.DataFrame],
) -> dict[str, Decision]:
    """One simulated pilot, decided as the pilot decides it: `simulate(effect, lag,
    accounts, periods, seed)` -> `lead_decisions` over every outcome (one Holm family),
    with the pilot's bootstrap sizes. Returns the `Decision` per outcome."""
    panel = simulate(effect, lag, accounts, periods, seed)
    return lead_decisions(
        panel,
        outcomes=OUTCOME_NAMES,
        horizons=horizons,
        seed=seed,
        alpha=alpha,
        n_boot=PILOT_N_BOOT,
        granger_boot=PILOT_GRANGER_BOOT,
    )


def _wilson(hits: int, n: int) -> tuple[float, float]:
    lo, hi = proportion_confint(hits, n, method="wilson")
    return float(lo), float(hi)


def detection_summary(
    pilots: Sequence[dict[str, Decision]],
    *,
    outcome: str,
    effect: float,
    lag: int,
    accounts: int,
    periods: int,
) -> dict:
    """The `power` row of simulated pilots' decisions (see `power` for the columns).

    The null outcomes are those without a planted effect: the others, or all of them
    when `effect` is 0.
    """
    n = len(pilots)
    found = [p[outcome] for p in pilots if p[outcome].verdict == "leading"]
    null = [o for o in OUTCOME_NAMES if effect == 0 or o != outcome]
    alarms = [sum(p[o].verdict == "leading" for o in null) for p in pilots]
    familywise = sum(a > 0 for a in alarms)
    lo, hi = _wilson(len(found), n)
    fw_lo, fw_hi = _wilson(familywise, n)
    return {
        "effect": effect,
        "lag": lag,
        "accounts": accounts,
        "periods": periods,
        "n_sims": n,
        "detection_rate": len(found) / n,
        "ci_low": lo,
        "ci_high": hi,
        "lag_recovered_rate": sum(d.best_horizon == lag for d in found) / max(len(found), 1),
        "false_alarm_rate": sum(alarms) / (n * len(null)),
        "familywise_false_alarm_rate": familywise / n,
        "familywise_ci_low": fw_lo,
        "familywise_ci_high": fw_hi,
    }


def pilot_horizons(lag: int) -> tuple[int, ...]:
    """The horizons a pilot tests (`rvq.stats.identification.HORIZONS`, 1-4), up to the
    planted lag where it is longer."""
    return tuple(range(1, max(max(HORIZONS), lag) + 1))


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
    """Detection and false-alarm rates of `n_sims` simulated pilots with `effect` planted
    on `outcome` at `lag`.

    `simulate(effect, lag, accounts, periods, seed)` returns a panel with every outcome
    (default: `synth_panel`, through `rvq.synth` and `rvq.scoring.panels`). Each pilot is
    decided as the pilot is (`pilot_decisions`: all outcomes x `horizons`, default
    `pilot_horizons(lag)`, one Holm family, the pilot's bootstrap sizes). `workers > 1`
    runs the pilots in that many processes (`simulate` must then be picklable: a
    module-level function or a `functools.partial` of one).

    Returns effect, lag, accounts, periods, n_sims; detection_rate (`outcome` called
    `leading`) with its 95% Wilson interval (ci_low, ci_high); lag_recovered_rate: among
    the detections, the share whose best horizon is the planted lag; false_alarm_rate: the
    share of (pilot, null outcome) pairs called `leading`; familywise_false_alarm_rate:
    the share of pilots where any null outcome is, with its Wilson interval
    (familywise_ci_low, familywise_ci_high). With `effect = 0` all outcomes are null (and
    detection_rate is `outcome`'s own false-alarm rate).
    """
    simulate = simulate or partial(synth_panel, outcome=outcome, freq=freq)
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(n_sims)]
    one = partial(
        pilot_decisions,
        effect=effect,
        lag=lag,
        accounts=accounts,
        periods=periods,
        horizons=tuple(horizons or pilot_horizons(lag)),
        alpha=alpha,
        simulate=simulate,
    )
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pilots = list(pool.map(one, seeds))
    else:
        pilots = [one(s) for s in seeds]
    return detection_summary(
        pilots, outcome=outcome, effect=effect, lag=lag, accounts=accounts, periods=periods
    )


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
