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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ExtraRows:
    """Draws extra interactions like the generator's main stream draws them (weight
    ``1 / sqrt(1 + cost)`` among a stage's forward or backward rows), for templates
    (rows of the interactions table: same contact, rep, team) in given window periods."""

    world: World
    catalog: pd.DataFrame
    cat: Catalog
    main: np.ndarray
    latent_stage: pd.DataFrame

    @classmethod
    def of(cls, world: World, catalog: pd.DataFrame | None = None) -> ExtraRows:
        if catalog is None:
            from rvq.inputs.catalog import shipped_catalog

            catalog = shipped_catalog()
        catalog = catalog.reset_index(drop=True)
        cat = Catalog.build(catalog)
        latent = world.latent.pivot(index="account_id", columns="period_index", values="stage")
        return cls(world, catalog, cat, _main_stream(cat), latent)

    def periods(self, interactions: pd.DataFrame) -> np.ndarray:
        """Each interaction's window period index (0 = the first period)."""
        window = self.world.spec.period_index
        period = pd.PeriodIndex(interactions["timestamp"], freq=self.world.spec.freq)
        return (period.asi8 - window[0].ordinal).astype(np.int64)

    def draw(
        self, templates: pd.DataFrame, t: np.ndarray, forward: bool, rng: np.random.Generator
    ) -> pd.DataFrame:
        """One new interaction per template row in window period ``t`` (of the account's
        stage then; none where it has no stage), forward or backward."""
        window = self.world.spec.period_index
        stage = self.latent_stage.to_numpy()[
            self.latent_stage.index.get_indexer(templates["account_id"]), t
        ]
        cat, rows_stage = self.cat, self.catalog["stage"].to_numpy()
        weight = 1.0 / np.sqrt(1.0 + np.clip(cat.cost, 0, None))
        codes = np.empty(len(templates), dtype=object)
        for s in STAGES:
            sel = stage == s
            sign = (cat.rv > 0) if forward else (cat.rv < 0)
            pool = np.flatnonzero(self.main & (rows_stage == s) & sign)
            if not sel.any() or pool.size == 0:
                continue
            p = weight[pool] / weight[pool].sum()
            codes[sel] = cat.codes[rng.choice(pool, sel.sum(), p=p)]
        keep = codes != None  # noqa: E711 (elementwise on an object array)
        templates, codes, t = templates.loc[keep], codes[keep], t[keep]
        start = window[t].start_time.values.astype("datetime64[s]")
        days = np.asarray((window[t].end_time.normalize() - window[t].start_time).days)
        offset = np.floor(rng.random(len(codes)) * (days + 1)).astype(np.int64) * 86_400
        offset += 9 * 3600 + np.floor(rng.random(len(codes)) * 8 * 3600).astype(np.int64)
        function = self.catalog.set_index("interaction_code").loc[codes, "function"].to_numpy()
        return templates.assign(
            timestamp=start + offset.astype("timedelta64[s]"),
            interaction_code=codes,
            cost=np.nan,
            source_system=[SOURCE_SYSTEMS[f] for f in function],
        )


def with_rows(interactions: pd.DataFrame, added: list[pd.DataFrame], prefix: str) -> pd.DataFrame:
    """``interactions`` with the ``added`` rows (event ids ``<prefix>000001``...), by time."""
    added = pd.concat(added, ignore_index=True) if added else interactions.iloc[:0]
    width = max(7, len(str(len(added))))
    added = added.assign(event_id=[f"{prefix}{i:0{width}d}" for i in range(1, len(added) + 1)])
    merged = pd.concat([interactions, added[interactions.columns]], ignore_index=True)
    return merged.sort_values("timestamp", kind="stable", ignore_index=True)


def plant_transitions(
    world: World,
    *,
    boost: float = DEFAULT_BOOST,
    catalog: pd.DataFrame | None = None,
    seed: int | None = None,
    pairs: dict[str, dict[str, str]] | None = None,
) -> World:
    """``world`` with planted best and setback interaction types per stage (module doc).

    ``seed`` defaults to the world's; ``catalog`` to the shipped one (what ``rvq.synth``
    scores with); ``pairs`` (stage -> ``{"best": code, "setback": code}``) plants those
    types instead of choosing them (the shards of one book share theirs). Returns a new World: its interactions gain the extra rows (event ids
    ``T...``), its truth gains ``transitions``.
    """
    extra_rows = ExtraRows.of(world, catalog)
    rng = np.random.default_rng([world.spec.seed if seed is None else seed, 14])
    interactions = world.tables["interactions"]
    chosen = _choose(interactions, extra_rows.catalog, extra_rows.main, rng)
    chosen = chosen if pairs is None else pairs
    t = extra_rows.periods(interactions)
    last = world.spec.periods - 1
    stage_of = extra_rows.catalog.set_index("interaction_code")["stage"]
    extra, summary = [], {}
    for stage, pair in chosen.items():
        summary[stage] = {**pair, "added_forward": 0, "added_backward": 0}
        for role, forward in (("best", True), ("setback", False)):
            hit = (interactions["interaction_code"] == pair[role]).to_numpy() & (t < last)
            triggers = interactions.loc[hit].assign(_t=t[hit])
            triggers = triggers.drop_duplicates(["account_id", "_t"])
            counts = rng.poisson(boost, len(triggers))
            triggers = triggers.loc[triggers.index.repeat(counts)]
            rows = extra_rows.draw(
                triggers.drop(columns="_t"), triggers["_t"].to_numpy() + 1, forward, rng
            )
            extra.append(rows)
            summary[stage]["added_forward" if forward else "added_backward"] = len(rows)
            summary[stage][f"{role}_occurrences"] = len(counts)
        summary[stage]["stage_of_codes"] = {c: str(stage_of[c]) for c in pair.values()}

    merged = with_rows(interactions, extra, "T")
    truth: dict[str, Any] = {
        **world.truth,
        "transitions": {
            "boost": boost,
            "stages": summary,
            "rows_added": len(merged) - len(interactions),
            "note": "extra interactions in the period after each planted type; latent "
            "strength and outcomes unchanged",
        },
    }
    return dataclasses.replace(world, tables={**world.tables, "interactions": merged}, truth=truth)
