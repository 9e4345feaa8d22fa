"""Power and false alarms of whole simulated pilots at pilot size (issue 11).

    nice .venv/bin/python benchmarks/power_pilot.py            # the full tables (~20 min quiet)
    nice .venv/bin/python benchmarks/power_pilot.py --quick    # a smoke run

Every row is what ``rvq.stats.power.power`` returns for those arguments (the same seeds:
``power(effect, lag, accounts, periods, n_sims, seed=SEED, outcome=outcome)`` reproduces
it): ``rvq.synth`` worlds with ``effect`` planted on one outcome at ``lag``, the others null,
scored through the shipped catalog, each pilot decided as the pilot is
(``rvq.stats.power.pilot_decisions``: all outcomes x horizons 1-4, Holm over the 24
forward and account-trend tests, bootstrap sizes 200 / 49, ``decide_lead``). The pilots of
all rows run in one pool of ``--workers`` processes, one BLAS thread each.

Two tables per size (accounts x periods):

1. **null** (effect 0 on every outcome), ``--null-pilots`` pilots: per outcome the share
   called ``leading``, the share of (pilot, outcome) pairs, and family-wise the share of
   pilots where any outcome is (nominal at most 5%), with 95% Wilson intervals;
2. **planted**, ``--sims`` pilots per outcome x effect x lag: the planted outcome's
   detection rate (Wilson interval), the share of detections at the planted lag, and the
   false alarms on the two null outcomes of the same pilots (per outcome-pair and
   family-wise).

The time of one pilot per size is measured first (serially), and the run's length
estimated from it.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # the workers are the parallelism

import argparse  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

from rvq.schema import OUTCOME_NAMES  # noqa: E402
from rvq.stats.power import (  # noqa: E402
    detection_summary,
    pilot_decisions,
    pilot_horizons,
    synth_panel,
)

SEED = 11  # power(..., seed=SEED): the same worlds for every effect (common random numbers)
NULL_SEED = 12


def _seeds(seed: int, n: int) -> list[int]:
    """The pilots' seeds, as `power` draws them."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n)]


def run_pilot(task: tuple) -> tuple[tuple, dict]:
    """One pilot: its row key and per outcome (verdict, best horizon) as a `Decision`."""
    key, seed = task
    accounts, periods, outcome, effect, lag = key
    decisions = pilot_decisions(
        seed,
        effect=effect,
        lag=lag,
        accounts=accounts,
        periods=periods,
        horizons=pilot_horizons(lag),
        alpha=0.05,
        simulate=partial(synth_panel, outcome=outcome, freq="Q"),
    )
    return key, decisions


def tasks(args) -> list[tuple]:
    out = []
    for accounts, periods in args.sizes:
        null_key = (accounts, periods, "profit", 0.0, 2)
        out += [(null_key, s) for s in _seeds(NULL_SEED, args.null_pilots)]
        if not args.sims:
            continue
        for outcome in OUTCOME_NAMES:
            for effect in args.effects:
                for lag in args.lags:
                    key = (accounts, periods, outcome, effect, lag)
                    out += [(key, s) for s in _seeds(SEED, args.sims)]
    return out


def _rate(hits: int, n: int) -> str:
    lo, hi = proportion_confint(hits, n, method="wilson")
    return f"{hits}/{n} = {hits / n:.1%} [{lo:.1%}, {hi:.1%}]"


def null_table(pilots: list[dict], size: tuple[int, int]) -> pd.DataFrame:
    """Per outcome, pooled and family-wise: the share of null pilots called leading."""
    n = len(pilots)
    rows = []
    for outcome in OUTCOME_NAMES:
        hits = sum(p[outcome].verdict == "leading" for p in pilots)
        rows.append({"outcome": outcome, "called leading": _rate(hits, n)})
    pairs = sum(p[o].verdict == "leading" for p in pilots for o in OUTCOME_NAMES)
    rows.append({"outcome": "any of 3 pairs (pooled)", "called leading": _rate(pairs, 3 * n)})
    anyone = sum(any(p[o].verdict == "leading" for o in OUTCOME_NAMES) for p in pilots)
    rows.append({"outcome": "family-wise (any outcome)", "called leading": _rate(anyone, n)})
    frame = pd.DataFrame(rows)
    frame.insert(0, "size", f"{size[0]} x {size[1]}")
    return frame


def planted_table(results: dict[tuple, list[dict]]) -> pd.DataFrame:
    """One `detection_summary` row per planted outcome x effect x lag, formatted."""
    rows = []
    for key, pilots in results.items():
        accounts, periods, outcome, effect, lag = key
        if effect == 0:
            continue
        r = detection_summary(
            pilots, outcome=outcome, effect=effect, lag=lag, accounts=accounts, periods=periods
        )
        n = r["n_sims"]
        found = round(r["detection_rate"] * n)
        rows.append(
            {
                "size": f"{accounts} x {periods}",
                "outcome": outcome,
                "effect": effect,
                "lag": lag,
                "detected": f"{r['detection_rate']:.0%} [{r['ci_low']:.0%}, {r['ci_high']:.0%}]",
                "at lag": f"{round(r['lag_recovered_rate'] * found)}/{found}" if found else "-",
                "false alarms (2 null outcomes)": f"{r['false_alarm_rate']:.1%}",
                "family-wise": f"{r['familywise_false_alarm_rate']:.0%}"
                f" [≤{r['familywise_ci_high']:.0%}]",
            }
        )
    return pd.DataFrame(rows)


def _size(text: str) -> tuple[int, int]:
    accounts, periods = text.lower().split("x")
    return int(accounts), int(periods)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda s: [_size(x) for x in s.split(",")],
        default=[(2000, 12), (600, 12)],
        help="accounts x periods, comma-separated",
    )
    parser.add_argument(
        "--effects",
        type=lambda s: [float(x) for x in s.split(",") if x],
        default=[0.05, 0.1, 0.2, 0.3],
    )
    parser.add_argument("--lags", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 3])
    parser.add_argument("--sims", type=int, default=25, help="pilots per planted row")
    parser.add_argument("--null-pilots", type=int, default=250, help="null pilots per size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 300 x 8, few pilots")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.effects, args.lags = [(300, 8)], [0.3], [1]
        args.sims, args.null_pilots = 2, 4

    work = tasks(args)
    per_pilot = {}
    for size in args.sizes:
        t0 = time.perf_counter()
        run_pilot(((*size, "profit", 0.2, 2), 0))
        per_pilot[size] = time.perf_counter() - t0
        print(f"one pilot at {size[0]} x {size[1]}: {per_pilot[size]:.2f} s", flush=True)
    estimate = sum(per_pilot[(k[0], k[1])] for k, _ in work) / args.workers
    print(
        f"{len(work)} pilots in {args.workers} workers: about {estimate / 60:.1f} min", flush=True
    )

    t0 = time.perf_counter()
    results: dict[tuple, list[dict]] = {}
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for key, decisions in pool.map(run_pilot, work, chunksize=4):
            results.setdefault(key, []).append(decisions)
    print(f"ran in {(time.perf_counter() - t0) / 60:.1f} min\n")

    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 500)
    for size in args.sizes:
        if args.null_pilots:
            null = results[(*size, "profit", 0.0, 2)]
            print(null_table(null, size).to_string(index=False), "\n")
    if args.effects:
        print(planted_table(results).to_string(index=False))


if __name__ == "__main__":
    main()
