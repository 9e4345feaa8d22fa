"""Planted prospects: new accounts still in acquisition, some of them stalled top prospects
(`plant_prospects`).

The base world's new accounts all reach retention before its last period, so a book made by
`generate_world` has no leads for `rvq.track.leads.priority_leads` to rank. This module adds
``share`` x accounts **prospects**: new accounts (ids after the last one; an accounts row
copied from a random existing account, renamed, outside the community) whose first
interaction falls in one of the last ``periods`` periods and which have had acquisition-stage
interactions only -- rows drawn from the book's own acquisition-stage interactions (code,
rep, team, source system), to a contact of their own. In each period from its first on a
prospect has ``Poisson(rate_i)`` interactions, at least one in its first period
(``rate_i`` ~ Gamma(2, 2): mean 4), each
forward with its own probability ``q_i`` ~ Beta(4, 2).

The **stalled top prospects** (``stalled`` of those first seen at least
``stalled_periods + 1`` periods before the last): twice the rate and ``q_i`` = 0.95 until
``stalled_periods`` periods before the last -- deep for their age -- and then backward
interactions only (Poisson(1) per period): deep enough to matter, and going nowhere.

Prospects have no outcome rows (no revenue yet) and no VoC; the existing accounts' rows are
not touched. ``truth["prospects"]`` names the stalled ones.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from rvq.inputs.catalog import shipped_catalog
from rvq.synth.accounts import CONTACT_ROLES
from rvq.synth.spec import World
from rvq.synth.transitions import with_rows

#: prospects per existing account
DEFAULT_SHARE = 0.06
#: prospects are first seen in one of this many last periods
DEFAULT_PERIODS = 4
#: share of the eligible prospects planted as stalled top prospects
DEFAULT_STALLED = 0.15
#: periods without forward movement that make a stalled prospect
STALLED_PERIODS = 2


def _new_ids(accounts: pd.DataFrame, count: int) -> list[str]:
    """``count`` account ids after the last one, written with the same number of digits
    (fewer prospects when those digits run out: the ids keep one width)."""
    ids = accounts["account_id"].astype(str)
    width = ids.str.len().max() - 1
    last = int(ids.str[1:].astype(int).max())
    count = max(0, min(count, 10**width - 1 - last))
    return [f"A{last + i:0{width}d}" for i in range(1, count + 1)]


def plant_prospects(
    world: World,
    *,
    share: float = DEFAULT_SHARE,
    periods: int = DEFAULT_PERIODS,
    stalled: float = DEFAULT_STALLED,
    stalled_periods: int = STALLED_PERIODS,
    seed: int | None = None,
) -> World:
    """``world`` with acquisition-stage prospects and stalled top prospects (module doc)."""
    spec = world.spec
    rng = np.random.default_rng([spec.seed if seed is None else seed, 14, 2])
    window = spec.period_index
    accounts = world.tables["accounts"]
    interactions = world.tables["interactions"]
    ids = _new_ids(accounts, round(share * len(accounts)))
    n = len(ids)
    catalog = shipped_catalog().set_index("interaction_code")
    stage = interactions["interaction_code"].map(catalog["stage"])
    rv = interactions["interaction_code"].map(catalog["rv"])
    acquisition = (stage == "acquisition").to_numpy()
    forward_pool = np.flatnonzero(acquisition & (rv > 0).to_numpy())
    backward_pool = np.flatnonzero(acquisition & (rv < 0).to_numpy())

    T, k = len(window), min(periods, len(window))
    first = rng.integers(T - k, T, n)
    rate = rng.gamma(2.0, 2.0, n)
    q = rng.beta(4.0, 2.0, n)
    eligible = np.flatnonzero(first <= T - 1 - stalled_periods - 1)
    chosen = rng.choice(eligible, min(eligible.size, round(stalled * n)), replace=False)
    is_stalled = np.zeros(n, dtype=bool)
    is_stalled[chosen] = True
    rate[is_stalled] *= 2.0
    q[is_stalled] = 0.95

    roles = np.array(sorted(CONTACT_ROLES))
    contacts = [f"{a}-C01-{r}" for a, r in zip(ids, rng.choice(roles, n), strict=True)]
    rows: list[pd.DataFrame] = []
    for t in range(T):
        active = np.flatnonzero(first <= t)
        if active.size == 0:
            continue
        quiet = is_stalled[active] & (t >= T - stalled_periods)
        counts = np.where(quiet, rng.poisson(1.0, active.size), rng.poisson(rate[active]))
        counts = np.where(first[active] == t, np.maximum(counts, 1), counts)  # seen from `first`
        who = np.repeat(active, counts)
        forward = ~np.repeat(quiet, counts) & (rng.random(who.size) < q[who])
        pick = np.where(
            forward,
            rng.choice(forward_pool, who.size),
            rng.choice(backward_pool, who.size),
        )
        start = window[t].start_time.value
        span = (window[t].end_time - window[t].start_time).value
        stamps = start + (rng.random(who.size) * span).astype(np.int64)
        rows.append(
            interactions.iloc[pick].assign(
                account_id=np.asarray(ids, dtype=object)[who],
                contact_id=np.asarray(contacts, dtype=object)[who],
                timestamp=pd.to_datetime(stamps).astype(interactions["timestamp"].dtype),
                cost=np.nan,
            )
        )
    merged = with_rows(interactions, rows, "P")

    template = accounts.iloc[rng.integers(0, len(accounts), n)].reset_index(drop=True)
    new_accounts = template.assign(
        account_id=ids,
        name=[f"Customer {a[1:]}" for a in ids],
        **({"community_role": "none"} if "community_role" in accounts else {}),
    )
    truth: dict[str, Any] = {
        "count": n,
        "first_id": ids[0] if ids else None,
        "stalled_top_prospects": sorted(np.asarray(ids)[is_stalled].tolist()),
        "stalled_periods": stalled_periods,
        "interactions": len(merged) - len(interactions),
        "rule": "new accounts first seen in one of the last `periods` periods with "
        "acquisition-stage interactions only (Poisson(rate) per period, rate ~ Gamma(2, 2), "
        "forward with probability ~ Beta(4, 2)); stalled top prospects: twice the rate and "
        "95% forward until the last `stalled_periods` periods, then backward only; no "
        "outcomes or VoC",
    }
    tables = {
        **world.tables,
        "accounts": pd.concat([accounts, new_accounts], ignore_index=True),
        "interactions": merged,
    }
    return dataclasses.replace(world, tables=tables, truth={**world.truth, "prospects": truth})
