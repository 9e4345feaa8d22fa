"""Planted rep performance: one truly better rep and one tiny book with a lucky quarter.

:func:`plant_rep_performance` takes a generated world and changes its sales interactions:

* the **best rep** (a sales rep with at least the median book, drawn at random) has real
  skill: each of their forward interactions, with probability ``skill``, is the efficient
  kind -- replaced by a forward sales row of the same stage drawn with probability
  proportional to its RV per unit of cost (a referral rather than an executive visit) --
  and each of their backward interactions, with the same probability, is avoided (turned
  into such a forward row). Their RV per unit of cost is higher in every period;
* the **lucky rep** is a new sales rep (``R-<territory>-900``) who took over
  ``tiny_accounts`` accounts of another rep (seen since the first period); in one quarter (``lucky_period``,
  default the last) every sales interaction with those accounts went the efficient way, and
  each account added ``lucky_extra`` such interactions. A ranking by raw RV per cost puts
  them near the top; over a longer record their RV per cost is ordinary.

Only the interactions table changes (its scored RV and cost follow); the latent strength
and outcomes do not respond. ``truth["rep_performance"]`` names both reps.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from rvq.inputs.catalog import shipped_catalog
from rvq.synth.campaigns import extra_interactions
from rvq.synth.spec import World

SALES_PREFIX = "R-"


def _efficient_draw(catalog: pd.DataFrame, stages: np.ndarray, rng: np.random.Generator):
    """A forward sales code per stage in ``stages``, drawn with probability ~ RV / cost."""
    forward = catalog[(catalog["function"] == "sales") & (catalog["rv"] > 0)]
    out = np.empty(stages.size, dtype=object)
    for stage, rows in forward.groupby("stage"):
        hit = stages == stage
        weight = (rows["rv"] / rows["cost"]).to_numpy()
        codes = rows["interaction_code"].to_numpy()
        out[hit] = rng.choice(codes, hit.sum(), p=weight / weight.sum())
    return out


def _made_efficient(
    interactions: pd.DataFrame, rows: np.ndarray, catalog: pd.DataFrame, rng
) -> pd.DataFrame:
    """``interactions`` with the rows ``rows`` (positions) turned into efficient forward rows."""
    stage_of = catalog.set_index("interaction_code")["stage"]
    stages = interactions["interaction_code"].iloc[rows].map(stage_of).to_numpy()
    codes = _efficient_draw(catalog, stages, rng)
    keep = pd.notna(codes)
    column = interactions.columns.get_loc("interaction_code")
    interactions.iloc[rows[keep], column] = codes[keep]
    interactions.iloc[rows[keep], interactions.columns.get_loc("cost")] = np.nan
    return interactions


def plant_rep_performance(
    world: World,
    *,
    skill: float = 0.6,
    tiny_accounts: int = 3,
    lucky_period: str | None = None,
    lucky_extra: int = 2,
    seed: int = 0,
    best: str | None = None,
) -> World:
    """The world with a planted best sales rep and a lucky rep with a tiny book.

    ``best`` names the best rep instead of drawing one (the shards of one book share
    theirs); ``tiny_accounts=0`` plants no lucky rep."""
    spec = world.spec
    rng = np.random.default_rng((spec.seed, seed, 14_5))
    catalog = shipped_catalog()
    interactions = world.tables["interactions"].copy()
    if isinstance(interactions["rep_id"].dtype, pd.CategoricalDtype):  # takes a new name
        interactions["rep_id"] = interactions["rep_id"].astype(str)
    sales = interactions["rep_id"].str.startswith(SALES_PREFIX).to_numpy()
    book = interactions[sales].groupby("rep_id")["account_id"].nunique()
    if best is None:
        best = str(rng.choice(np.sort(book.index[book >= book.median()].to_numpy(str))))

    # the best rep: efficient forward rows, setbacks avoided
    mine = np.flatnonzero((interactions["rep_id"] == best).to_numpy())
    changed = mine[rng.random(mine.size) < skill]
    interactions = _made_efficient(interactions, changed, catalog, rng)

    # the lucky rep: takes over a few established accounts of another sales rep
    window = spec.period_index
    lucky = pd.Period(lucky_period, freq=spec.freq) if lucky_period else window[-1]
    period = interactions["timestamp"].dt.to_period(spec.freq)
    first = interactions.groupby("account_id")["timestamp"].transform("min")
    established = (first < window[1].start_time).to_numpy()  # seen from the first period on
    donors = np.sort(book.index[(book.index != best) & (book >= 10)].to_numpy(str))
    name, taken, donor = None, [], None
    if tiny_accounts > 0 and donors.size:  # a small world may have no rep to take over from
        donor = str(rng.choice(donors))
        donor_accounts = np.sort(
            interactions.loc[
                (interactions["rep_id"] == donor).to_numpy() & established, "account_id"
            ]
            .astype(str)
            .unique()
        )
        taken = rng.choice(donor_accounts, min(tiny_accounts, donor_accounts.size), replace=False)
        territory = donor.split("-")[1]
        name = f"{SALES_PREFIX}{territory}-900"
        moved = (interactions["rep_id"] == donor).to_numpy() & interactions["account_id"].isin(
            taken
        ).to_numpy()
        interactions.loc[moved, "rep_id"] = name
        in_luck = np.flatnonzero(moved & (period == lucky).to_numpy())
        interactions = _made_efficient(interactions, in_luck, catalog, rng)
        extra = extra_interactions(
            interactions[moved],
            taken,
            [lucky],
            np.full((len(taken), 1), lucky_extra),
            "SLS_CUSTOMER_REFERRAL",
            rng,
            prefix="L",
        )
        # the extra rows' codes: drawn like the lucky quarter's, not all referrals
        extra["interaction_code"] = _efficient_draw(catalog, np.full(len(extra), "retention"), rng)
        interactions = pd.concat([interactions, extra], ignore_index=True)
        interactions = interactions.sort_values("timestamp", kind="stable", ignore_index=True)

    truth = {
        "best_rep": best,
        "best_skill": skill,
        "lucky_rep": name,
        "lucky_accounts": sorted(map(str, taken)),
        "lucky_period": str(lucky),
        "took_over_from": donor,
        "rule": "best rep: forward rows swapped for efficient ones and setbacks avoided with "
        "probability best_skill; lucky rep: every sales interaction in lucky_period efficient "
        "plus lucky_extra efficient interactions per account",
    }
    tables = {**world.tables, "interactions": interactions}
    return replace(world, tables=tables, truth={**world.truth, "rep_performance": truth})
