"""Planted renewal and up-sell plans whose success rises with the RV growth before them.

:func:`plant_plans` takes a generated world and adds a ``plans`` table (account_id, date,
kind, won):

* **past plans**: ``past_share`` of the accounts seen since the first period get one plan
  in a period ``p`` drawn after the first ``lookback`` periods; it succeeded (``won``)
  with probability ``sigmoid(intercept + slope * g)``, where ``g`` is the account's RV
  growth over the ``lookback`` periods before ``p`` (its RV flow summed over them, scored
  with the shipped catalog) standardized across the plans. ``slope = 0`` is a world where
  RV growth says nothing about success;
* **upcoming plans**: ``upcoming_share`` of the accounts get a plan dated in one of the
  ``horizon`` periods after the window (``won`` missing): what `upsell_readiness` lists.

Only the plans table is new; ``truth["plans"]`` records the rule.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from rvq.inputs.catalog import shipped_catalog
from rvq.synth.campaigns import established_accounts
from rvq.synth.spec import World

KINDS = ("renewal", "upsell")


def _random_dates(periods: list[pd.Period], rng: np.random.Generator) -> pd.DatetimeIndex:
    start = np.array([p.start_time.value for p in periods])
    span = np.array([(p.end_time.normalize() - p.start_time).value for p in periods])
    return pd.to_datetime(start + (rng.random(len(periods)) * span).astype(np.int64)).normalize()


def plant_plans(
    world: World,
    *,
    past_share: float = 0.5,
    upcoming_share: float = 0.15,
    lookback: int = 2,
    horizon: int = 2,
    intercept: float = 0.0,
    slope: float = 0.6,
    seed: int = 0,
) -> World:
    """The world with a ``plans`` table of past plans (``won`` planted) and upcoming ones."""
    spec = world.spec
    rng = np.random.default_rng((spec.seed, seed, 14_4))
    window = spec.period_index
    interactions = world.tables["interactions"]
    rv = interactions["interaction_code"].map(shipped_catalog().set_index("interaction_code")["rv"])
    period = interactions["timestamp"].dt.to_period(spec.freq)
    flows = rv.groupby([interactions["account_id"], period]).sum().unstack(fill_value=0.0)
    flows = flows.reindex(columns=window, fill_value=0.0)
    seen = established_accounts(interactions, window[1])

    past = rng.choice(seen, round(past_share * seen.size), replace=False)
    at = rng.integers(lookback, len(window), past.size)  # the plan's period index
    before = flows.loc[past].to_numpy()
    growth = np.array(
        [row[t - lookback : t].sum() for row, t in zip(before, at, strict=True)], dtype=float
    )
    g = (growth - growth.mean()) / (growth.std() or 1.0)
    won = rng.random(past.size) < 1.0 / (1.0 + np.exp(-(intercept + slope * g)))
    past_plans = pd.DataFrame(
        {
            "account_id": past,
            "date": _random_dates([window[t] for t in at], rng),
            "kind": rng.choice(KINDS, past.size),
            "won": pd.array(won, dtype="boolean"),
        }
    )

    coming = rng.choice(seen, round(upcoming_share * seen.size), replace=False)
    ahead = [window[-1] + int(k) for k in rng.integers(1, horizon + 1, coming.size)]
    upcoming = pd.DataFrame(
        {
            "account_id": coming,
            "date": _random_dates(ahead, rng),
            "kind": rng.choice(KINDS, coming.size),
            "won": pd.array([pd.NA] * coming.size, dtype="boolean"),
        }
    )
    plans = pd.concat([past_plans, upcoming], ignore_index=True).sort_values(
        ["date", "account_id"], ignore_index=True
    )
    truth = {
        "rule": "P(won) = sigmoid(intercept + slope * g), g = the account's RV flow summed over "
        "the lookback periods before the plan's period, standardized across past plans",
        "intercept": intercept,
        "slope": slope,
        "lookback": lookback,
        "horizon": horizon,
        "past": int(past.size),
        "won": int(won.sum()),
        "upcoming": int(coming.size),
    }
    return replace(
        world, tables={**world.tables, "plans": plans}, truth={**world.truth, "plans": truth}
    )
