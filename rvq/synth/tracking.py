"""The `rvq track` truths planted in the demo (`plant_tracking`): what `rvq demo` adds to a
generated world so that every tracking list has real rows and a truth to recover.

In the order applied (each a module of its own; ``truth.json`` gains one key per plant):

1. `rvq.synth.teams`: a best sales rep and a lucky rep with a tiny book (``rep_performance``);
2. `rvq.synth.transitions`: a best and a setback interaction type per stage (``transitions``);
3. `rvq.synth.campaigns`: an effective and a null A/B campaign, a ``campaigns`` table;
4. `rvq.synth.units`: a ``business_unit`` accounts column, one unit serving the deeper
   relationships (``units``; tilted assignment, no new interactions);
5. `rvq.synth.prospects`: new acquisition-stage accounts, some stalled top prospects;
6. `rvq.synth.plans`: past renewals / up-sells won more often after RV growth and upcoming
   ones, a ``plans`` table (last: its success follows the RV the lists will read).

The sizes (`DEMO_PLANTS`) are the smallest the lists recover at the demo's 2,000 accounts,
because the plants that add or change interactions (1-3, 5) also move what the pilot
measures: the extra RV is independent of the outcomes, so it dilutes the planted lead a
little and never creates one. Tables and columns (4, 6) change nothing the pilot reads.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial
from typing import Any

from rvq.synth.campaigns import plant_campaigns
from rvq.synth.plans import plant_plans
from rvq.synth.prospects import plant_prospects
from rvq.synth.spec import World
from rvq.synth.teams import plant_rep_performance
from rvq.synth.transitions import plant_transitions
from rvq.synth.units import plant_units


@dataclass(frozen=True)
class TrackPlants:
    """The sizes of the planted tracking truths (see each plant's module)."""

    rep_skill: float = 0.6
    transition_boost: float = 1.0
    campaign_rate: float = 1.0
    campaign_share: float = 0.6
    unit_tilt: float = 0.3
    prospect_share: float = 0.06
    plan_past_share: float = 0.5
    plan_upcoming_share: float = 0.15
    plan_slope: float = 0.6


#: the demo's sizes
DEMO_PLANTS = TrackPlants()


def _as_generated(world: World, dtypes: dict) -> World:
    """The world with its interactions in the generator's column types: a plant's rows
    come as Python objects, which hold a large book at three times the memory."""
    interactions = world.tables["interactions"]
    changed = {c: t for c, t in dtypes.items() if interactions[c].dtype != t}
    if not changed:
        return world
    tables = {**world.tables, "interactions": interactions.astype(changed)}
    return dataclasses.replace(world, tables=tables)


def plant_tracking(
    world: World, plants: TrackPlants = DEMO_PLANTS, *, like: dict[str, Any] | None = None
) -> World:
    """``world`` with every tracking truth planted (module doc).

    ``like``: the truth of another part of the same book (a sharded book's first shard):
    the best rep and the planted interaction types are taken from it, and the lucky rep
    is not planted again, so the book holds one best rep and one set of transitions.
    """
    first = like or {}
    reps = first.get("rep_performance")
    chosen = first.get("transitions", {}).get("stages")
    pairs = {s: {"best": c["best"], "setback": c["setback"]} for s, c in (chosen or {}).items()}
    dtypes = world.tables["interactions"].dtypes.to_dict()
    steps = [
        partial(
            plant_rep_performance,
            skill=plants.rep_skill,
            best=reps["best_rep"] if reps else None,
            tiny_accounts=0 if reps else 3,
        ),
        partial(plant_transitions, boost=plants.transition_boost, pairs=pairs or None),
        partial(plant_campaigns, rate=plants.campaign_rate, share=plants.campaign_share),
        partial(plant_units, extra=0.0, tilt=plants.unit_tilt),
        partial(plant_prospects, share=plants.prospect_share),
        partial(
            plant_plans,
            past_share=plants.plan_past_share,
            upcoming_share=plants.plan_upcoming_share,
            slope=plants.plan_slope,
        ),
    ]
    for step in steps:
        world = _as_generated(step(world), dtypes)
    interactions = world.tables["interactions"]
    counts = {
        **world.truth["counts"],
        "interactions": len(interactions),
        "generated_interactions": world.truth["counts"]["interactions"],
        "prospects": world.truth["prospects"]["count"],
    }
    truth = {
        **world.truth,
        "counts": counts,
        "tracking": {
            **dataclasses.asdict(plants),
            "note": "the rvq track truths planted by rvq.synth.tracking: rep_performance, "
            "transitions, campaigns, units, prospects, plans",
        },
    }
    return dataclasses.replace(world, truth=truth)
