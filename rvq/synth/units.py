"""Business units (or partners) with a planted depth difference (`plant_units`).

Every account is given a unit at random (the accounts table gains the ``column``,
``business_unit`` by default, or ``partner``): the ``units`` in equal shares, except
``small_accounts`` accounts that form a unit of their own (``small_unit``: a cell the
small-cell rule must hide). The accounts of the ``deep_unit`` (the first unit by default)
get, in every period in which they had an interaction, ``Poisson(extra)`` more forward
interactions of their stage (drawn as the generator draws them,
`rvq.synth.transitions.ExtraRows`): their relationships end deeper by a known amount.
``truth["units"]`` records the assignment's sizes and the added RV per account of the
deep unit (``mean_added_depth``).

With ``tilt`` > 0 the deep unit is planted without new interactions (``extra=0``, as
`rvq demo` does, so the pilot's figures barely move): an account joins it with odds
``exp(tilt * z)`` against 1 for each other unit, ``z`` its depth (RV summed over its
interactions) standardized across the accounts -- a unit that serves the deeper
relationships. ``truth["units"]["depth_difference"]`` is the realised difference in mean
depth between the deep unit and the rest (what `rvq.track.units` estimates).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from rvq.synth.spec import World
from rvq.synth.transitions import ExtraRows, with_rows

UNITS = ("North BU", "South BU", "West BU")
SMALL_UNIT = "Pilot BU"
#: extra forward interactions (Poisson mean) per active period of a deep-unit account
DEFAULT_EXTRA = 1.0


def plant_units(
    world: World,
    *,
    column: str = "business_unit",
    units: Sequence[str] = UNITS,
    deep_unit: str | None = None,
    extra: float = DEFAULT_EXTRA,
    small_unit: str = SMALL_UNIT,
    small_accounts: int = 3,
    tilt: float = 0.0,
    catalog: pd.DataFrame | None = None,
    seed: int | None = None,
) -> World:
    """``world`` with a unit per account and a deeper ``deep_unit`` (module doc)."""
    if column not in ("business_unit", "partner"):
        raise ValueError("column must be 'business_unit' or 'partner'")
    deep_unit = units[0] if deep_unit is None else deep_unit
    if deep_unit not in units:
        raise ValueError(f"deep_unit {deep_unit!r} is not one of {list(units)}")
    rng = np.random.default_rng([world.spec.seed if seed is None else seed, 7])
    accounts = world.tables["accounts"]
    extra_rows = ExtraRows.of(world, catalog)
    interactions = world.tables["interactions"]
    rv = extra_rows.catalog.set_index("interaction_code")["rv"]
    depth = (
        interactions["interaction_code"]
        .map(rv)
        .groupby(interactions["account_id"].to_numpy())
        .sum()
        .reindex(accounts["account_id"].to_numpy(), fill_value=0.0)
        .to_numpy()
    )
    if tilt == 0:
        picked = rng.integers(0, len(units), len(accounts))
    else:
        z = (depth - depth.mean()) / (depth.std() or 1.0)
        odds = np.ones((len(accounts), len(units)))
        odds[:, list(units).index(deep_unit)] = np.exp(tilt * z)
        cumulative = np.cumsum(odds / odds.sum(axis=1, keepdims=True), axis=1)
        picked = np.minimum(
            (rng.random(len(accounts))[:, None] > cumulative).sum(axis=1), len(units) - 1
        )
    unit = np.asarray(units, dtype=object)[picked]
    unit[rng.choice(len(accounts), small_accounts, replace=False)] = small_unit
    accounts = accounts.assign(**{column: unit})

    deep = set(accounts.loc[accounts[column] == deep_unit, "account_id"])
    if extra > 0:
        t = extra_rows.periods(interactions)
        templates = interactions.loc[interactions["account_id"].isin(deep).to_numpy()]
        templates = templates.assign(_t=t[templates.index]).drop_duplicates(["account_id", "_t"])
        templates = templates.loc[templates.index.repeat(rng.poisson(extra, len(templates)))]
        added = extra_rows.draw(templates.drop(columns="_t"), templates["_t"].to_numpy(), True, rng)
        merged = with_rows(interactions, [added], "U")
    else:  # the depth difference planted by the assignment alone (tilt): no new rows
        added, merged = interactions.iloc[:0], interactions
    added_rv = float(added["interaction_code"].map(rv).sum()) if len(added) else 0.0
    in_deep = unit == deep_unit
    sizes = accounts[column].value_counts()
    truth = {
        **world.truth,
        "units": {
            "column": column,
            "deep_unit": deep_unit,
            "extra": extra,
            "tilt": tilt,
            "depth_difference": float(depth[in_deep].mean() - depth[~in_deep].mean())
            + added_rv / max(len(deep), 1),
            "rows_added": len(added),
            "added_rv": added_rv,
            "mean_added_depth": added_rv / max(len(deep), 1),
            "small_unit": small_unit,
            "accounts": {str(k): int(v) for k, v in sizes.items()},
        },
    }
    tables = {**world.tables, "accounts": accounts, "interactions": merged}
    return dataclasses.replace(world, tables=tables, truth=truth)
