"""Detection table of the lead test in worlds with real-world confounders (issue 11).

    nice .venv/bin/python benchmarks/identification_worlds.py --accounts 2000 --seeds 20
    nice .venv/bin/python benchmarks/identification_worlds.py --rules new --seeds 3   # quick
    nice .venv/bin/python benchmarks/identification_worlds.py --curve --seeds 10      # effect x lag
    nice .venv/bin/python benchmarks/identification_worlds.py --timing 2000 100000    # seconds

Every world comes from ``tests/stat_worlds.simulate_world`` (its docstring has the
process; ``WORLDS`` the parameters): null, planted (the demo's effects: profit 0.35,
revenue growth 0.30, share of wallet 0.30, lag 2), trend (account growth drives RV and
money, no lead), rescue (RV answers last period's revenue dip; revenue reverts), feedback
(the planted lead plus profit feeding back into RV), mechanical (RV in t moves with
revenue in t), lagging (RV follows profit by one period), modest (effect 0.2 at lags 2
and 3). Each pilot runs through both rules:

- ``old``: ``rvq.stats.backtest.leading_indicator_summary`` with its defaults;
- ``new``: ``rvq.stats.identification.lead_decisions`` with its defaults.

The table gives per world x outcome x rule the share of seeds called ``leading``, the share
of those whose best horizon is the planted lag, and (new rule) the share flagged
``feedback``, and of those called leading, the share where Dumitrescu-Hurlin (reported,
not deciding) agreed, among those where it can see the horizon. The truth column says
what a correct rule answers. ``--curve`` instead runs planted worlds over effect x lag and
gives the share called leading at the planted lag.
Pilots run one after the other in this process, one BLAS thread: the machine is shared.
Measured tables are at the end of this file (``RESULTS``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
from statsmodels.stats.proportion import proportion_confint  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from stat_worlds import WORLD_OUTCOMES, WORLDS, simulate_world  # noqa: E402

from rvq.stats.identification import lead_decisions  # noqa: E402

CURVE_EFFECTS = "0.03,0.05,0.075,0.1,0.15,0.2"
CURVE_LAGS = (1, 2, 3)


def old_rule(panel: pd.DataFrame, seed: int) -> dict:
    """Per outcome (verdict, best horizon, feedback=None, reason, {}) of today's back-test."""
    from rvq.stats.backtest import leading_indicator_summary

    summary = leading_indicator_summary(panel, seed=seed)
    return {
        o: (r["verdict"], r["best_horizon"], None, r.get("reason", ""), {})
        for o, r in summary.items()
    }


def new_rule(panel: pd.DataFrame, seed: int) -> dict:
    """Per outcome (verdict, best horizon, feedback, failed conditions, numbers) of the
    new rule; the numbers are the forward, account-trend and placebo t statistics and
    whether Dumitrescu-Hurlin agreed (None where it cannot see the horizon)."""
    out = {}
    for o, d in lead_decisions(panel, seed=seed).items():
        failed = ",".join(
            c.name for c in d.conditions if c.passed is False and c.role != "reported"
        )
        numbers = {}
        if d.conditions:
            numbers = {
                "t_forward": d.condition("forward").numbers.get("t"),
                "t_trends": d.condition("account_trends").numbers.get("t"),
                "t_placebo": d.condition("placebo").numbers.get("t"),
                "granger_agrees": d.condition("granger").passed,
            }
        out[o] = (d.verdict, d.best_horizon, d.feedback, failed, numbers)
    return out


RULES = {"old": old_rule, "new": new_rule}


def run(kind: str, seed: int, args, rules: list[str], **changes) -> list[dict]:
    """One world, every rule: one row per rule x outcome."""
    world = simulate_world(kind, args.accounts, args.periods, seed=seed, **changes)
    rows = []
    for rule in rules:
        started = time.perf_counter()
        result = RULES[rule](world.panel, seed)
        seconds = time.perf_counter() - started
        for o in WORLD_OUTCOMES:
            verdict, horizon, feedback, why, numbers = result[o]
            truth = world.truth[o]
            rows.append(
                {
                    "world": kind,
                    "seed": seed,
                    "rule": rule,
                    "outcome": o,
                    "truth": truth["verdict"],
                    "lag": truth["lag"],
                    "true_feedback": truth["feedback"],
                    "leading": verdict == "leading",
                    "at_lag": verdict == "leading" and horizon == truth["lag"],
                    "feedback": feedback,
                    "why": why,
                    "seconds": seconds,
                    **numbers,
                    **{k: v for k, v in changes.items() if k in ("effect", "lag")},
                }
            )
    return rows


def _rate(k: int, n: int) -> str:
    return f"{k}/{n} = {k / n:.0%}" if n else "-"


def detection_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per world x outcome x rule: leading share, best horizon = lag among leading, feedback."""
    out = []
    for (world, outcome, rule), g in rows.groupby(["world", "outcome", "rule"], sort=False):
        n, k = len(g), int(g["leading"].sum())
        truth = g["truth"].iloc[0] + (
            f" @{int(g['lag'].iloc[0])}" if g["lag"].notna().any() else ""
        )
        fb = g["feedback"].dropna()
        called = g[g["leading"]]
        dh = called["granger_agrees"].dropna() if "granger_agrees" in g else pd.Series([])
        out.append(
            {
                "world": world,
                "outcome": outcome,
                "truth": truth + (" +fb" if g["true_feedback"].iloc[0] else ""),
                "rule": rule,
                "leading": _rate(k, n),
                "95% CI": "{:.0%} - {:.0%}".format(*proportion_confint(k, n, method="wilson")),
                "h = lag | leading": _rate(int(g["at_lag"].sum()), k)
                if g["lag"].notna().any()
                else "-",
                "feedback": _rate(int(fb.astype(bool).sum()), len(fb)) if len(fb) else "-",
                "DH agrees | leading": _rate(int(dh.astype(bool).sum()), len(dh)),
                "s/pilot": round(float(g["seconds"].mean()), 1),
            }
        )
    return pd.DataFrame(out)


def failure_table(rows: pd.DataFrame) -> pd.DataFrame:
    """New rule, true leads not called leading: the conditions that failed."""
    miss = rows[(rows["rule"] == "new") & (rows["truth"] == "leading") & ~rows["leading"]]
    if miss.empty:
        return pd.DataFrame()
    return miss.groupby(["world", "outcome", "why"]).size().rename("pilots").reset_index()


def curve_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Planted worlds: share called leading at the planted lag, per effect x lag x outcome."""
    rows = rows.assign(effect=rows["effect"].astype(float), lag=rows["lag"].astype(int))
    table = rows.groupby(["rule", "outcome", "lag", "effect"])["at_lag"].mean().unstack("effect")
    return (100 * table).round(0)


def timing(sizes: list[int], periods: int) -> None:
    """Wall and CPU seconds of `lead_decisions` on planted worlds of each size."""
    for n in sizes:
        world = simulate_world("planted", n, periods, seed=1)
        wall, cpu = time.perf_counter(), time.process_time()
        decisions = lead_decisions(world.panel, seed=1)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        verdicts = {o: d.verdict for o, d in decisions.items()}
        print(
            f"{n:>7} accounts x {periods} periods: {wall:6.1f} s wall, {cpu:6.1f} s CPU, "
            f"peak RSS so far {peak:,.0f} MB; {verdicts}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--seeds", type=int, default=20, help="worlds per setting")
    parser.add_argument("--worlds", default=",".join(WORLDS), help="comma-separated")
    parser.add_argument("--rules", default="old,new", help="old, new or both")
    parser.add_argument("--curve", action="store_true", help="planted effect x lag instead")
    parser.add_argument("--effects", default=CURVE_EFFECTS, help="the curve's effects")
    parser.add_argument("--timing", type=int, nargs="*", help="time the new rule at these sizes")
    parser.add_argument("--out", help="also write every pilot's row to this CSV")
    args = parser.parse_args(argv)
    if args.timing:
        timing(args.timing, args.periods)
        return 0
    rules = args.rules.split(",")
    started = time.perf_counter()
    rows: list[dict] = []
    if args.curve:
        settings = [
            ("planted", {"effect": float(e), "lag": lag})
            for lag in CURVE_LAGS
            for e in args.effects.split(",")
        ]
    else:
        settings = [(w, {}) for w in args.worlds.split(",")]
    todo = [(kind, changes, s) for kind, changes in settings for s in range(args.seeds)]
    for i, (kind, changes, s) in enumerate(todo, 1):
        rows += run(kind, 1000 + s, args, rules, **changes)
        if i % 10 == 0 or i == len(todo):
            print(f"{i}/{len(todo)} pilots, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    frame = pd.DataFrame(rows)
    if args.out:
        frame.to_csv(args.out, index=False)
    size = f"{args.accounts} accounts x {args.periods} periods, {args.seeds} seeds per setting"
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        if args.curve:
            print(f"share called leading at the planted lag, % ({size})")
            print(curve_table(frame).to_string())
        else:
            print(f"detection table ({size})")
            print(detection_table(frame).to_string(index=False))
            fails = failure_table(frame)
            if not fails.empty:
                print("\nnew rule, true leads not called leading: failed conditions")
                print(fails.to_string(index=False))
    print(f"\n{len(todo)} pilots in {(time.perf_counter() - started) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())


RESULTS = """
(filled in after the measured runs)
"""
