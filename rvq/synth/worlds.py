"""Named worlds: the demo world, a null world, and one world per confounder of issue 11
(`rvq demo --world NAME`; the detection benchmark and the tests run on them).

Each preset is a set of `WorldSpec` fields; `world_spec(name, **changes)` builds the spec
(``changes`` override the preset, e.g. ``accounts=500, seed=3``). The worlds without a
planted lead have effect 0 on every outcome: whatever links RV to the money there is the
confounder alone, and a correct lead test says ``not_leading``.
"""

from __future__ import annotations

from typing import Any

from rvq.synth.spec import WorldSpec

#: preset name -> the WorldSpec fields that make it (everything else: the demo's)
WORLDS: dict[str, dict[str, Any]] = {
    # the demo world: RV leads every outcome by 2 periods (profit 0.35, growth and share 0.30)
    "planted": {},
    # nothing links RV to the money
    "null": {"effect": 0.0},
    # RV follows the money: the outcomes' own noise moves RV 2 periods later
    "reverse": {"reverse": True},
    # accounts' own growth and size: RV and the money trend together, RV never first
    "trend": {"effect": 0.0, "account_trend": 0.15, "size_link": 0.5},
    # new accounts ramp up, others decline and leave: RV and money move together
    "rampup": {"effect": 0.0, "new_account_share": 0.5, "ramp_up": 4, "churn_share": 0.2},
    # reps answer last period's revenue dip with more and better interactions
    "rescue": {"effect": 0.0, "rescue": 1.0},
    # the demo's real leads, plus profit and revenue growth feeding back into RV
    "feedback": {"feedback": {"profit": 0.8, "revenue_growth": 0.8}},
    # interactions that record this period's money (orders, invoices)
    "mechanical": {"effect": 0.0, "mechanical": 0.8},
    # RV follows profit by one period (and nothing else)
    "lagging": {"effect": 0.0, "feedback": {"profit": 0.8}},
}


def world_spec(name: str, **changes: Any) -> WorldSpec:
    """The spec of the preset world ``name`` with ``changes`` applied."""
    if name not in WORLDS:
        raise ValueError(f"unknown world {name!r}; one of {', '.join(WORLDS)}")
    return WorldSpec(**{**WORLDS[name], **changes})
