"""Planted next best actions: per lifecycle stage, one interaction type that moves a
relationship forward and one that sets it back (`plant_transitions`).

The base world's interaction types have no effect of their own on what happens next: the
next period's interactions follow the account's propensity only. This module plants one
on the observable tables. Per stage ``s`` (acquisition, closing, retention) it picks two
frequent forward interaction types of that stage (positive RV, main stream: not VoC,
community or emotional), ``best`` and ``setback``; then for every account and period
``t`` in which ``best`` occurred it adds, in period ``t + 1``, ``Poisson(boost)`` extra
forward interactions of the account's stage at ``t + 1`` (drawn like the generator draws
them: weight ``1 / sqrt(1 + cost)``); after ``setback`` it adds as many backward ones.
The extra rows go to the same contact, by the same rep and team, on a random day of
``t + 1``. So the planted truth is exactly what `rvq.track.actions.next_best_actions`
should find: in comparable relationships of stage ``s``, ``best`` is followed by the
largest forward movement (and, costing no more than it did, by the most per unit of
cost), ``setback`` by a step back.

The latent strength, the outcomes and the VoC are not changed (the extra RV is observed
only); ``truth["transitions"]`` records the choice and the sizes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from rvq.schema import FUNCTIONS, STAGES
from rvq.synth.catalog import Catalog
from rvq.synth.spec import World
from rvq.synth.tables import SOURCE_SYSTEMS

#: extra interactions (Poisson mean) in the period after a planted type
DEFAULT_BOOST = 3.0


def _main_stream(cat: Catalog) -> np.ndarray:
    """Catalog rows the generator's main stream draws from (not VoC, community, emotional)."""
    community = cat.function == FUNCTIONS.index("community")
    return ~cat.is_voc & ~community & ~cat.emotional


def _choose(
    interactions: pd.DataFrame, catalog: pd.DataFrame, main: np.ndarray, rng: np.random.Generator
) -> dict[str, dict[str, str]]:
    """Per stage, a ``best`` and a ``setback`` type among its frequent forward main-stream
    types (at least as frequent as the median of them)."""
    counts = interactions["interaction_code"].value_counts()
    chosen = {}
    for stage in STAGES:
        pool = catalog.loc[main & (catalog["stage"] == stage).to_numpy() & (catalog["rv"] > 0)]
        seen = counts.reindex(pool["interaction_code"]).fillna(0)
        frequent = seen.index[seen >= seen.median()].to_numpy()
        if frequent.size < 2:
            continue
        best, setback = rng.choice(np.sort(frequent), 2, replace=False)
        chosen[stage] = {"best": str(best), "setback": str(setback)}
    return chosen


def plant_transitions(
    world: World,
    *,
    boost: float = DEFAULT_BOOST,
    catalog: pd.DataFrame | None = None,
    seed: int | None = None,
) -> World:
    """``world`` with planted best and setback interaction types per stage (module doc).

    ``seed`` defaults to the world's; ``catalog`` to the shipped one (what ``rvq.synth``
    scores with). Returns a new World: its interactions gain the extra rows (event ids
    ``T...``), its truth gains ``transitions``.
    """
    if catalog is None:
        from rvq.inputs.catalog import shipped_catalog

        catalog = shipped_catalog()
    catalog = catalog.reset_index(drop=True)
    cat = Catalog.build(catalog)
    main = _main_stream(cat)
    rng = np.random.default_rng([world.spec.seed if seed is None else seed, 14])
    interactions = world.tables["interactions"]
    chosen = _choose(interactions, catalog, main, rng)

    freq = world.spec.freq
    window = world.spec.period_index
    period = pd.PeriodIndex(interactions["timestamp"], freq=freq)
    t = (period.asi8 - window[0].ordinal).astype(np.int64)
    latent_stage = world.latent.pivot(index="account_id", columns="period_index", values="stage")

    stage_of = catalog.set_index("interaction_code")["stage"]
    rows_stage = catalog["stage"].to_numpy()
    weight = 1.0 / np.sqrt(1.0 + np.clip(cat.cost, 0, None))
    extra, summary = [], {}
    for stage, pair in chosen.items():
        summary[stage] = {**pair, "added_forward": 0, "added_backward": 0}
        for role, forward in (("best", True), ("setback", False)):
            code = pair[role]
            hit = (interactions["interaction_code"] == code).to_numpy() & (t < len(window) - 1)
            triggers = interactions.loc[hit].assign(_t=t[hit])
            triggers = triggers.drop_duplicates(["account_id", "_t"])
            if triggers.empty:
                continue
            counts = rng.poisson(boost, len(triggers))
            triggers = triggers.loc[triggers.index.repeat(counts)]
            next_t = triggers["_t"].to_numpy() + 1
            next_stage = latent_stage.to_numpy()[
                latent_stage.index.get_indexer(triggers["account_id"]), next_t
            ]
            codes = np.empty(len(triggers), dtype=object)
            for s in STAGES:
                sel = next_stage == s
                pool = np.flatnonzero(
                    main & (rows_stage == s) & ((cat.rv > 0) if forward else (cat.rv < 0))
                )
                if not sel.any() or pool.size == 0:
                    continue
                p = weight[pool] / weight[pool].sum()
                codes[sel] = cat.codes[rng.choice(pool, sel.sum(), p=p)]
            keep = codes != None  # noqa: E711 (elementwise on an object array)
            triggers, codes, next_t = triggers.loc[keep], codes[keep], next_t[keep]
            start = window[next_t].start_time.values.astype("datetime64[s]")
            days = np.asarray(
                (window[next_t].end_time.normalize() - window[next_t].start_time).days
            )
            offset = np.floor(rng.random(len(codes)) * (days + 1)).astype(np.int64) * 86_400
            offset += 9 * 3600 + np.floor(rng.random(len(codes)) * 8 * 3600).astype(np.int64)
            function = catalog.set_index("interaction_code").loc[codes, "function"].to_numpy()
            extra.append(
                triggers.drop(columns="_t").assign(
                    timestamp=start + offset.astype("timedelta64[s]"),
                    interaction_code=codes,
                    cost=np.nan,
                    source_system=[SOURCE_SYSTEMS[f] for f in function],
                )
            )
            summary[stage]["added_forward" if forward else "added_backward"] = int(len(codes))
            summary[stage][f"{role}_occurrences"] = int(len(counts))
        summary[stage]["stage_of_codes"] = {c: str(stage_of[c]) for c in pair.values()}

    added = pd.concat(extra, ignore_index=True) if extra else interactions.iloc[:0]
    width = max(7, len(str(len(added))))
    added = added.assign(event_id=[f"T{i:0{width}d}" for i in range(1, len(added) + 1)])
    merged = pd.concat([interactions, added[interactions.columns]], ignore_index=True)
    merged = merged.sort_values("timestamp", kind="stable", ignore_index=True)
    truth: dict[str, Any] = {
        **world.truth,
        "transitions": {
            "boost": boost,
            "stages": summary,
            "rows_added": int(len(added)),
            "note": "extra interactions in the period after each planted type; latent "
            "strength and outcomes unchanged",
        },
    }
    return dataclasses.replace(world, tables={**world.tables, "interactions": merged}, truth=truth)
