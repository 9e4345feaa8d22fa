"""Planted A/B campaigns: a ``campaigns`` table and, for one campaign, a known effect on RV.

:func:`plant_campaigns` takes a generated world and randomises its established accounts
(first interaction before the pre-period) into ``treatment`` / ``control`` arms of two
campaigns that start at the same period, independently:

* ``effective`` (default name ``"success-calls"``): every treated account gets, in each
  period from the start on, a Poisson(``rate``) number of extra interactions of one
  forward catalog row (RV ``r``), so its RV flow rises by ``rate * r`` per period on
  average -- the planted difference-in-differences, ``truth["campaigns"][name]["effect"]``;
* ``null`` (default ``"newsletter"``): nothing happens to either arm (effect 0).

The extra interactions change only the interactions table (the panel the lists read is
scored from it); the latent strength and the outcomes do not respond to them.
:func:`extra_interactions` is the row builder (also used by `rvq.synth.teams`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from rvq.inputs.catalog import shipped_catalog
from rvq.synth.spec import World

#: the catalog row the effective campaign's extra interactions use (a retention check-in)
CAMPAIGN_CODE = "CS_HEALTH_CHECK"


def extra_interactions(
    interactions: pd.DataFrame,
    accounts: np.ndarray,
    periods: pd.PeriodIndex | list[pd.Period],
    counts: np.ndarray,
    code: str,
    rng: np.random.Generator,
    *,
    prefix: str,
) -> pd.DataFrame:
    """New interaction rows: ``counts[i, t]`` rows of ``code`` for account ``accounts[i]``
    in ``periods[t]``, at random times in the period, with a contact, rep and team taken
    from a random existing interaction of that account (source system and cost as there,
    cost left to the catalog); event ids ``<prefix>0000001``..."""
    counts = np.asarray(counts, dtype=int)
    ai, ti = np.nonzero(counts)
    reps = counts[ai, ti]
    ai, ti = np.repeat(ai, reps), np.repeat(ti, reps)
    if ai.size == 0:
        return interactions.iloc[:0]
    own = interactions.reset_index(drop=True)
    rows_of = own.groupby("account_id", observed=True).indices
    donors = np.array([rng.choice(rows_of[accounts[a]]) for a in ai])
    new = own.iloc[donors].reset_index(drop=True)
    periods = list(periods)
    start = np.array([p.start_time.value for p in periods])[ti]
    span = np.array([(p.end_time - p.start_time).value for p in periods])[ti]
    stamps = start + (rng.random(ai.size) * span).astype(np.int64)
    new["timestamp"] = pd.to_datetime(stamps).astype(own["timestamp"].dtype)
    new["interaction_code"] = code
    new["cost"] = np.nan
    new["event_id"] = [f"{prefix}{i:07d}" for i in range(1, ai.size + 1)]
    return new


def established_accounts(interactions: pd.DataFrame, before: pd.Period) -> np.ndarray:
    """Accounts whose first interaction falls before the period ``before``."""
    first = interactions.groupby("account_id", observed=True)["timestamp"].min()
    return np.sort(first.index[first < before.start_time].to_numpy(dtype=str))


def plant_campaigns(
    world: World,
    *,
    start: str | None = None,
    pre_periods: int = 4,
    rate: float = 1.0,
    share: float = 0.6,
    names: tuple[str, str] = ("success-calls", "newsletter"),
    seed: int = 0,
) -> World:
    """The world with a ``campaigns`` table (account_id, campaign, arm, start_date) and a
    planted effect for the first campaign of ``names`` (the second is a null campaign).

    ``start`` (period text) defaults to four periods before the last one; ``share`` of the
    accounts established ``pre_periods`` before the start join each campaign, half in each
    arm; ``rate`` is the treated accounts' extra interactions per period.
    """
    spec = world.spec
    window = spec.period_index
    start_period = window[-4] if start is None else pd.Period(start, freq=spec.freq)
    rng = np.random.default_rng((spec.seed, seed, 14_6))
    interactions = world.tables["interactions"]
    eligible = established_accounts(interactions, start_period - pre_periods)
    rows, truth = [], {}
    post = pd.period_range(start_period, window[-1], freq=spec.freq)
    rv_of = shipped_catalog().set_index("interaction_code")["rv"]
    added = interactions.iloc[:0]
    for k, name in enumerate(names):
        joined = rng.choice(eligible, round(share * eligible.size), replace=False)
        treated = rng.random(joined.size) < 0.5
        rows.append(
            pd.DataFrame(
                {
                    "account_id": joined,
                    "campaign": name,
                    "arm": np.where(treated, "treatment", "control"),
                    "start_date": start_period.start_time.normalize(),
                }
            )
        )
        effect = rate * float(rv_of[CAMPAIGN_CODE]) if k == 0 else 0.0
        if k == 0:
            counts = rng.poisson(rate, (int(treated.sum()), len(post)))
            added = extra_interactions(
                interactions, joined[treated], post, counts, CAMPAIGN_CODE, rng, prefix="X"
            )
        truth[name] = {
            "effect": effect,
            "unit": "RV flow per account and period, treatment minus control",
            "start": str(start_period),
            "pre_periods": pre_periods,
            "accounts": int(joined.size),
            "treated": int(treated.sum()),
            "code": CAMPAIGN_CODE if k == 0 else None,
        }
    interactions = pd.concat([interactions, added], ignore_index=True)
    interactions = interactions.sort_values("timestamp", kind="stable", ignore_index=True)
    tables = {
        **world.tables,
        "interactions": interactions,
        "campaigns": pd.concat(rows, ignore_index=True),
    }
    return replace(world, tables=tables, truth={**world.truth, "campaigns": truth})
