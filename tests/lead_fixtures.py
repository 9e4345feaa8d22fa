"""The lead test's rule applied to hand-made evidence: conditions for result fixtures.

`conditions(verdict)` gives the `conditions` list of a `LeadingIndicatorResult` as
`rvq.stats.identification.decide_lead` writes it (a clean lead at horizon 2, or the same
with the forward evidence too weak), so fixtures carry real conditions, not copies."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
from scipy import stats

from rvq.jsonable import to_jsonable
from rvq.stats.identification import Check, Evidence, HorizonTest, decide_lead


def horizon_tests(t_by_horizon: dict[int, float], effect: float = 0.2, n: int = 10_000):
    """Horizon tests with the given t statistics (Holm over the 12 searched forward tests,
    approximated by 12 x p)."""
    out = []
    for h, t in t_by_horizon.items():
        p = float(2 * stats.norm.sf(abs(t)))
        coef = np.sign(t) * abs(effect) if t else 0.0
        se = abs(coef / t) if t else 1.0
        out.append(
            HorizonTest(h, coef=coef, se=se, t=t, p_value=p, effect=coef,
                        ci_low=coef - 1.96 * se, ci_high=coef + 1.96 * se, n_obs=n,
                        n_accounts=n // 10, p_adjusted=min(1.0, 12 * p))
        )  # fmt: skip
    return tuple(out)


def evidence(outcome: str = "profit", forward_t: float = 12.0) -> Evidence:
    """A clean lead at horizon 2 (no feedback, placebo clean, out of time without power)."""
    return Evidence(
        outcome,
        forward=horizon_tests({1: 1.0, 2: forward_t, 3: forward_t / 2}),
        trends=horizon_tests({1: 0.5, 2: 8.0, 3: 4.0}),
        reverse=horizon_tests({1: 0.5, 2: -0.3, 3: 0.2}, effect=0.01),
        reverse_trends=horizon_tests({1: 0.4, 2: -0.2, 3: 0.1}, effect=0.01),
        placebo=horizon_tests({2: -1.0})[0],
        out_of_time=Check(False, numbers={"held_out_periods": 3}, note="too few periods"),
        granger=Check(True, True, {"order": 2, "z": 4.0, "p_value": 3e-5}),
    )


def conditions(verdict: str = "leading", outcome: str = "profit") -> list[dict]:
    """The `conditions` entry of a result with this verdict (leading or not_leading)."""
    decision = decide_lead(evidence(outcome, 12.0 if verdict == "leading" else 1.5))
    assert decision.verdict == verdict, decision
    return [to_jsonable(asdict(c)) for c in decision.conditions]
