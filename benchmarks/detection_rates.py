"""Detection rates of the back-test on planted, null and reverse synthetic pilots.

    nice .venv/bin/python benchmarks/detection_rates.py            # the full tables (~15 min)
    nice .venv/bin/python benchmarks/detection_rates.py --quick    # a smoke run

Every pilot goes through the product's own path: ``rvq.synth.generate_world`` ->
``rvq.scoring.panels.account_period_panel`` (shipped catalog, quarters) ->
``rvq.stats.backtest.leading_indicator_summary`` with its defaults (profit, revenue growth and
share of wallet; horizons 1-4; Holm over the 12 tests; the verdict rule of
``rvq.stats.backtest.leading_verdict``). Three tables:

1. **planted**: effect in {0.2, 0.35, 0.5} (``WorldSpec.effect``: the correlation between
   the latent strength L periods earlier and the outcome, on every outcome) x lag L in
   {1, 2, 3}, ``--seeds`` worlds each of ``--accounts`` x ``--periods``: per outcome, the
   share of pilots called ``leading`` and the share whose best horizon is the planted lag;
2. **null** (effect 0 on every outcome), ``--null-pilots`` small pilots: per outcome the
   share called ``leading`` (the false-alarm rate; nominal 5%) with its 95% Wilson
   interval, and the share of pilots where any outcome is;
3. **reverse** (``WorldSpec(reverse=True)``: the money drives RV), ``--seeds`` worlds:
   per outcome the share called ``leading`` (should be 0).

Pilots run in ``--workers`` processes (2 on this machine), one BLAS thread each. World
seeds are fixed (setting x seed), so a rerun prints the same tables.
Measured tables are at the end of this file (``RESULTS``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # the workers are the parallelism

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import pandas as pd  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

from rvq.schema import OUTCOME_NAMES as OUTCOMES  # noqa: E402

EFFECTS = (0.2, 0.35, 0.5)
LAGS = (1, 2, 3)


def pilot(task: tuple[str, dict, int]) -> dict:
    """One simulated pilot: generate, score, back-test. Returns the task and per outcome
    the verdict and best horizon."""
    from rvq.inputs.catalog import shipped_catalog
    from rvq.scoring.panels import account_period_panel
    from rvq.stats.backtest import leading_indicator_summary
    from rvq.synth import WorldSpec, generate_world

    kind, spec, seed = task
    world = generate_world(WorldSpec(seed=seed, **spec))
    t = world.tables
    panel = account_period_panel(
        t["interactions"], shipped_catalog(), t["outcomes"], t.get("voc"), freq="Q"
    )
    summary = leading_indicator_summary(panel, seed=seed)
    row = {"kind": kind, "seed": seed, **{k: v for k, v in spec.items() if k != "accounts"}}
    for outcome in OUTCOMES:
        row[f"{outcome}:verdict"] = summary[outcome]["verdict"]
        row[f"{outcome}:best_horizon"] = summary[outcome]["best_horizon"]
        row[f"{outcome}:reason"] = summary[outcome].get("reason", "")
    return row


def tasks(args) -> list[tuple[str, dict, int]]:
    """Every pilot to run, with its world spec and seed."""
    size = {"accounts": args.accounts, "periods": args.periods}
    out = []
    for i, effect in enumerate(EFFECTS):
        for lag in LAGS:
            for s in range(args.seeds):
                seed = 1000 * (3 * i + lag) + s
                out.append(("planted", {**size, "effect": effect, "lag": lag}, seed))
    small = {"accounts": args.null_accounts, "periods": args.null_periods}
    out += [("null", {**small, "effect": 0.0}, 50_000 + s) for s in range(args.null_pilots)]
    out += [("reverse", {**size, "reverse": True}, 90_000 + s) for s in range(args.seeds)]
    return out


def _rate(hits: int, n: int) -> str:
    return f"{hits}/{n} = {hits / n:.0%}" if n else "n/a"


def planted_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per effect x lag x outcome: leading k/n, best horizon = lag k/n (all pilots)."""
    out = []
    for (effect, lag), grp in rows.astype({"lag": int}).groupby(["effect", "lag"]):
        for outcome in OUTCOMES:
            leading = grp[f"{outcome}:verdict"] == "leading"
            at_lag = grp[f"{outcome}:best_horizon"] == lag
            out.append(
                {
                    "effect": effect,
                    "lag": lag,
                    "outcome": outcome,
                    "leading": _rate(int(leading.sum()), len(grp)),
                    "best_horizon = lag": _rate(int(at_lag.sum()), len(grp)),
                    "leading at lag": _rate(int((leading & at_lag).sum()), len(grp)),
                }
            )
    return pd.DataFrame(out)


#: the verdict rule's conditions, as `leading_verdict` words their failure
CONDITIONS = {
    "FE: RV adds to own history": "own history",
    "FE: expected sign": "unexpected sign",
    "confirmed (out of time or DH)": "not confirmed",
    "not the other way round": "predicts RV",
}


def failure_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per outcome, among planted pilots not called leading: how often each condition of
    the verdict rule failed (a pilot can fail several)."""
    out = []
    for outcome in OUTCOMES:
        missed = rows[rows[f"{outcome}:verdict"] != "leading"]
        reasons = missed[f"{outcome}:reason"].fillna("")
        out.append(
            {"outcome": outcome, "not leading": len(missed)}
            | {name: int(reasons.str.contains(key).sum()) for name, key in CONDITIONS.items()}
        )
    return pd.DataFrame(out)


def false_alarm_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per outcome (and any outcome): share called leading, with a 95% Wilson interval."""
    n = len(rows)
    calls = {o: rows[f"{o}:verdict"] == "leading" for o in OUTCOMES}
    calls["any outcome"] = pd.concat(calls.values(), axis=1).any(axis=1)
    out = []
    for name, hit in calls.items():
        k = int(hit.sum())
        lo, hi = proportion_confint(k, n, method="wilson") if n else (float("nan"),) * 2
        out.append({"outcome": name, "leading": _rate(k, n), "95% CI": f"{lo:.1%} - {hi:.1%}"})
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=800)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=5, help="worlds per planted setting")
    parser.add_argument("--null-pilots", type=int, default=120)
    parser.add_argument("--null-accounts", type=int, default=200)
    parser.add_argument("--null-periods", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 seed, 10 null pilots")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.null_pilots = 1, 10
    todo = tasks(args)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = []
        for i, row in enumerate(pool.map(pilot, todo, chunksize=1), 1):
            rows.append(row)
            if i % 10 == 0 or i == len(todo):
                print(f"{i}/{len(todo)} pilots", file=sys.stderr, flush=True)
    rows = pd.DataFrame(rows)
    minutes = (time.perf_counter() - started) / 60
    print(
        f"planted: {args.seeds} worlds per setting, {args.accounts} accounts x "
        f"{args.periods} quarters, effect and lag on every outcome"
    )
    print(planted_table(rows[rows["kind"] == "planted"]).to_string(index=False))
    print("\nplanted pilots not called leading: the conditions that failed")
    print(failure_table(rows[rows["kind"] == "planted"]).to_string(index=False))
    print(
        f"\nnull (effect 0): {args.null_pilots} pilots of {args.null_accounts} accounts x "
        f"{args.null_periods} quarters"
    )
    print(false_alarm_table(rows[rows["kind"] == "null"]).to_string(index=False))
    print(f"\nreverse (the money drives RV): {args.seeds} worlds of {args.accounts} accounts")
    print(false_alarm_table(rows[rows["kind"] == "reverse"]).to_string(index=False))
    print(f"\n{len(todo)} pilots in {minutes:.1f} min with {args.workers} workers")
    return 0


if __name__ == "__main__":
    sys.exit(main())


RESULTS = """
Measured 2026-11-24 with `nice .venv/bin/python benchmarks/detection_rates.py` on the
shared 2-core machine at load ~4 (two runs gave identical tables):

planted: 5 worlds per setting, 800 accounts x 12 quarters, effect and lag on every outcome
 effect  lag         outcome    leading best_horizon = lag leading at lag
   0.20    1          profit 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.20    1  revenue_growth  3/5 = 60%         5/5 = 100%      3/5 = 60%
   0.20    1 share_of_wallet 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.20    2          profit   0/5 = 0%         5/5 = 100%       0/5 = 0%
   0.20    2  revenue_growth 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.20    2 share_of_wallet 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.20    3          profit  3/5 = 60%         5/5 = 100%      3/5 = 60%
   0.20    3  revenue_growth  1/5 = 20%         5/5 = 100%      1/5 = 20%
   0.20    3 share_of_wallet  3/5 = 60%         5/5 = 100%      3/5 = 60%
   0.35    1          profit 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.35    1  revenue_growth 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.35    1 share_of_wallet 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.35    2          profit  4/5 = 80%         5/5 = 100%      4/5 = 80%
   0.35    2  revenue_growth 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.35    2 share_of_wallet 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.35    3          profit  4/5 = 80%         5/5 = 100%      4/5 = 80%
   0.35    3  revenue_growth   0/5 = 0%         5/5 = 100%       0/5 = 0%
   0.35    3 share_of_wallet  4/5 = 80%         5/5 = 100%      4/5 = 80%
   0.50    1          profit 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.50    1  revenue_growth 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.50    1 share_of_wallet 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.50    2          profit  4/5 = 80%         5/5 = 100%      4/5 = 80%
   0.50    2  revenue_growth  4/5 = 80%         5/5 = 100%      4/5 = 80%
   0.50    2 share_of_wallet 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.50    3          profit 5/5 = 100%         5/5 = 100%     5/5 = 100%
   0.50    3  revenue_growth  1/5 = 20%         5/5 = 100%      1/5 = 20%
   0.50    3 share_of_wallet 5/5 = 100%         5/5 = 100%     5/5 = 100%

planted pilots not called leading: the conditions that failed
        outcome  not leading  FE: RV adds to own history  FE: expected sign  confirmed (out of time or DH)  not the other way round
         profit           10                           0                  0                             10                        0
 revenue_growth           16                           0                  0                             16                        0
share_of_wallet            3                           0                  0                              3                        0

null (effect 0): 120 pilots of 200 accounts x 10 quarters
        outcome    leading      95% CI
         profit 0/120 = 0% 0.0% - 3.1%
 revenue_growth 0/120 = 0% 0.0% - 3.1%
share_of_wallet 0/120 = 0% 0.0% - 3.1%
    any outcome 0/120 = 0% 0.0% - 3.1%

reverse (the money drives RV): 5 worlds of 800 accounts
        outcome  leading       95% CI
         profit 0/5 = 0% 0.0% - 43.4%
 revenue_growth 0/5 = 0% 0.0% - 43.4%
share_of_wallet 0/5 = 0% 0.0% - 43.4%
    any outcome 0/5 = 0% 0.0% - 43.4%

170 pilots in 2.9 min with 2 workers

Reading: the fixed-effects regression finds every planted effect (it never fails) and the
best horizon is the planted lag in all 135 planted pilots x outcomes. Misses come only
from the confirmation condition (out-of-time R² gain interval above 0, or DH p < 0.05):
with 12 quarters the R² gain is judged on 2-3 held-out periods, and DH at order 1 sees
little of an effect at lag 3 -- hence revenue growth at lag 3 (0-20%). In those pilots
(effect 0.5, lag 3) the out-of-time AUC gain of "grows vs shrinks" had its interval above
0 in 5 of 5 worlds while the R² gain did in 1. No null pilot and no reverse world was
called leading: at these sizes the rule is conservative (0/120, 95% CI 0-3.1%).
"""
