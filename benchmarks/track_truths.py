"""Planted truths of the tracking lists (issue 14), over many seeds.

    nice .venv/bin/python benchmarks/track_truths.py                 # every check
    nice .venv/bin/python benchmarks/track_truths.py --only campaigns --seeds 200
    nice .venv/bin/python benchmarks/track_truths.py --quick         # a smoke run (3 seeds)

`TRUTHS` maps a check's name to a function ``(seeds, accounts) -> list of rows`` (one row
per measured rate: what, the rate, its 95% Wilson interval, the seeds); another helper adds
its own checks in ``benchmarks/track_truths_actions.py``. Each seed is one
``rvq.synth.generate_world`` world of the ``planted`` preset, with the list's planted truth
added by its ``rvq.synth`` module, scored by ``rvq.track.history.history_from_tables`` and
judged by the list as ``rvq track`` runs it (default options):

* **teams** (``rvq.synth.teams`` -> ``team_performance``): the skilled sales rep ranked
  first among the sales reps; the lucky rep with three accounts ranked first (and, for
  comparison, first by the raw figure a list without shrinkage would rank by); the same
  with half the planted skill;
* **campaigns** (``rvq.synth.campaigns`` -> ``campaign_effects``): the effective
  campaign's interval covers its planted RV effect; the null campaign's interval excludes
  zero (and the same for the outcome rows, where neither campaign had any effect);
* **upsell** (``rvq.synth.plans`` -> ``upsell_readiness``): the AUC of RV growth before
  past plans for their success, and how often its interval lies above 0.5 -- in the
  planted worlds (slope 0.6) and in worlds where growth says nothing (slope 0).

Seeds run in ``--workers`` processes (default 2), one BLAS thread each. Measured: RESULTS
at the end of this docstring.

RESULTS (2026-12-05, defaults, 2 workers on the shared 2-core machine; rate [95% Wilson])

teams: 40 seeds of 1000 accounts (181 s; ~20 sales reps of ~50 accounts each)
  best rep ranked first (shrunk)                                   1.000  [0.912, 1.000]
  lucky tiny rep ranked first (shrunk)                             0.000  [0.000, 0.088]
  lucky tiny rep first by the raw figure                           0.725  [0.572, 0.839]
  best rep first by the raw figure                                 0.275  [0.161, 0.428]
  weaker skill (0.3): best rep ranked first                        0.650  [0.495, 0.779]
  weaker skill (0.3): lucky rep ranked first                       0.075  [0.026, 0.199]

campaigns: 200 seeds of 400 accounts (162 s; ~120 accounts per arm, planted effect +8 RV
per account and period)
  effective campaign: interval covers the planted effect           0.965  [0.930, 0.983]
  effective campaign: interval above zero                          0.395  [0.330, 0.464]
  null campaign: interval excludes zero                            0.070  [0.042, 0.114]
  outcome rows (no planted effect): interval excludes zero         0.044  [0.034, 0.057]  1200 rows
  effective campaign: mean estimate minus truth (RV per period)   -0.377  [-1.008, 0.255]

upsell: 40 seeds of 1000 accounts (154 s; ~390 past plans a seed, slope 0.6)
  AUC interval above 0.5                                           1.000  [0.912, 1.000]
  null world (slope 0): AUC interval above 0.5                     0.000  [0.000, 0.088]
  AUC of RV growth before past plans (median, 10th-90th pct)       0.659  [0.636, 0.686]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # the workers are the parallelism

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

#: a smaller planted skill than the default (0.6), to show where the ranking stops finding it
WEAK_SKILL = 0.3


def _world(seed: int, accounts: int):
    from rvq.synth import generate_world
    from rvq.synth.worlds import world_spec

    return generate_world(world_spec("planted", accounts=accounts, seed=seed))


def _teams_seed(task: tuple[int, int], skill: float | None = None) -> dict:
    from rvq.synth.teams import plant_rep_performance
    from rvq.track.history import history_from_tables
    from rvq.track.teams import team_performance

    seed, accounts = task
    options = {} if skill is None else {"skill": skill}
    world = plant_rep_performance(_world(seed, accounts), **options)
    truth = world.truth["rep_performance"]
    table = team_performance(history_from_tables(world.tables)).table
    sales = table[(table["level"] == "rep") & (table["function"] == "sales")].set_index("name")
    raw_first = sales["rv_per_100_cost_raw"].idxmax()
    return {
        "best_first": sales.loc[truth["best_rep"], "rank"] == 1,
        "lucky_first": sales.loc[truth["lucky_rep"], "rank"] == 1,
        "lucky_raw_first": raw_first == truth["lucky_rep"],
        "best_raw_first": raw_first == truth["best_rep"],
        "sales_reps": len(sales),
    }


def _teams_weak_seed(task: tuple[int, int]) -> dict:
    return _teams_seed(task, skill=WEAK_SKILL)


def _campaigns_seed(task: tuple[int, int]) -> dict:
    from rvq.synth.campaigns import plant_campaigns
    from rvq.track.campaigns import campaign_effects
    from rvq.track.history import history_from_tables

    seed, accounts = task
    world = plant_campaigns(_world(seed, accounts))
    effective, null = world.truth["campaigns"]
    effect = world.truth["campaigns"][effective]["effect"]
    table = campaign_effects(history_from_tables(world.tables)).table.set_index(
        ["campaign", "measure"]
    )
    eff, nul = table.loc[(effective, "rv_flow")], table.loc[(null, "rv_flow")]
    money = table[table.index.get_level_values("measure") != "rv_flow"]
    return {
        "effective_covers": eff["ci_low"] <= effect <= eff["ci_high"],
        "effective_found": eff["ci_low"] > 0,
        "null_excludes_zero": not nul["ci_low"] <= 0 <= nul["ci_high"],
        "outcome_rows_exclude_zero": int(((money["ci_low"] > 0) | (money["ci_high"] < 0)).sum()),
        "outcome_rows": len(money),
        "estimate_minus_truth": eff["difference"] - effect,
    }


def _upsell_seed(task: tuple[int, int], slope: float | None = None) -> dict:
    from rvq.synth.plans import plant_plans
    from rvq.track.history import history_from_tables
    from rvq.track.upsell import upsell_readiness

    seed, accounts = task
    world = plant_plans(_world(seed, accounts), **({} if slope is None else {"slope": slope}))
    result = upsell_readiness(history_from_tables(world.tables))
    auc = result.evidence["past_plans"]
    return {
        "auc": auc["auc"],
        "above_chance": auc["ci_low"] > 0.5,
        "past_plans": auc["n_plans"],
        "upcoming": len(result.table),
    }


def _rate(what: str, hits: list[bool]) -> dict:
    k, n = int(np.sum(hits)), len(hits)
    low, high = proportion_confint(k, n, method="wilson") if n else (np.nan, np.nan)
    return {"what": what, "rate": k / n if n else np.nan, "low": low, "high": high, "seeds": n}


def _run(seed_fn: Callable, seeds: int, accounts: int, workers: int) -> list[dict]:
    tasks = [(seed, accounts) for seed in range(1, seeds + 1)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            return list(pool.map(seed_fn, tasks))
    return [seed_fn(t) for t in tasks]


def teams(seeds: int, accounts: int, workers: int) -> list[dict]:
    runs = _run(_teams_seed, seeds, accounts, workers)
    weak = _run(_teams_weak_seed, seeds, accounts, workers)
    return [
        _rate("best rep ranked first (shrunk)", [r["best_first"] for r in runs]),
        _rate("lucky tiny rep ranked first (shrunk)", [r["lucky_first"] for r in runs]),
        _rate("lucky tiny rep first by the raw figure", [r["lucky_raw_first"] for r in runs]),
        _rate("best rep first by the raw figure", [r["best_raw_first"] for r in runs]),
        _rate(
            f"weaker skill ({WEAK_SKILL}): best rep ranked first", [r["best_first"] for r in weak]
        ),
        _rate(
            f"weaker skill ({WEAK_SKILL}): lucky rep ranked first", [r["lucky_first"] for r in weak]
        ),
    ]


def campaigns(seeds: int, accounts: int, workers: int) -> list[dict]:
    runs = _run(_campaigns_seed, seeds, accounts, workers)
    bias = np.array([r["estimate_minus_truth"] for r in runs])
    outcome_hits = sum(r["outcome_rows_exclude_zero"] for r in runs)
    outcome_rows = sum(r["outcome_rows"] for r in runs)
    rows = [
        _rate(
            "effective campaign: interval covers the planted effect",
            [r["effective_covers"] for r in runs],
        ),
        _rate("effective campaign: interval above zero", [r["effective_found"] for r in runs]),
        _rate("null campaign: interval excludes zero", [r["null_excludes_zero"] for r in runs]),
    ]
    hits = [True] * outcome_hits + [False] * (outcome_rows - outcome_hits)
    rows.append(_rate("outcome rows (no planted effect): interval excludes zero", hits))
    rows[-1]["seeds"] = f"{outcome_rows} rows"
    rows.append(
        {
            "what": "effective campaign: mean estimate minus truth (RV per period)",
            "rate": float(bias.mean()),
            "low": float(bias.mean() - 1.96 * bias.std(ddof=1) / np.sqrt(len(bias))),
            "high": float(bias.mean() + 1.96 * bias.std(ddof=1) / np.sqrt(len(bias))),
            "seeds": len(bias),
        }
    )
    return rows


def _upsell_null_seed(task: tuple[int, int]) -> dict:
    return _upsell_seed(task, slope=0.0)


def upsell(seeds: int, accounts: int, workers: int) -> list[dict]:
    runs = _run(_upsell_seed, seeds, accounts, workers)
    null = _run(_upsell_null_seed, seeds, accounts, workers)
    aucs = np.array([r["auc"] for r in runs])
    return [
        _rate("AUC interval above 0.5", [r["above_chance"] for r in runs]),
        _rate("null world (slope 0): AUC interval above 0.5", [r["above_chance"] for r in null]),
        {
            "what": "AUC of RV growth before past plans (median, 10th-90th pct)",
            "rate": float(np.median(aucs)),
            "low": float(np.percentile(aucs, 10)),
            "high": float(np.percentile(aucs, 90)),
            "seeds": len(aucs),
        },
    ]


#: check name -> (function, default seeds, default accounts)
TRUTHS: dict[str, tuple[Callable[[int, int, int], list[dict]], int, int]] = {
    "teams": (teams, 40, 1000),
    "campaigns": (campaigns, 200, 400),
    "upsell": (upsell, 40, 1000),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(TRUTHS), action="append")
    parser.add_argument("--seeds", type=int, help="seeds per check (default: the check's)")
    parser.add_argument("--accounts", type=int, help="accounts per world (default: the check's)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="3 seeds of 300 accounts")
    args = parser.parse_args()
    for name in args.only or TRUTHS:
        check, seeds, accounts = TRUTHS[name]
        seeds = 3 if args.quick else args.seeds or seeds
        accounts = 300 if args.quick else args.accounts or accounts
        started = time.perf_counter()
        rows = check(seeds, accounts, args.workers)
        print(
            f"\n{name}: {seeds} seeds of {accounts} accounts ({time.perf_counter() - started:.0f} s)"
        )
        for row in rows:
            print(
                f"  {row['what']:<62} {row['rate']:7.3f}  [{row['low']:.3f}, {row['high']:.3f}]"
                f"  n={row['seeds']}"
            )


if __name__ == "__main__":
    main()
