"""Segment questions 1-3 ("did RV differ before the outcome did?") in worlds with a known
answer (issue 11).

    nice .venv/bin/python benchmarks/segments_worlds.py                       # 20 seeds, 600 accounts
    nice .venv/bin/python benchmarks/segments_worlds.py --accounts 2000 --seeds 20

Worlds from ``tests/stat_worlds.simulate_world``: ``lagging`` (RV follows profit by one
period: no question should say RV differed first), ``planted`` (RV leads every outcome at
lag 2: they should, a couple of periods early), ``null`` (nothing), ``size`` (the null
world where bigger accounts have more RV and more money all along,
``stat_worlds.simulate_size_only``), and ``trend`` (account growth drives RV and the
money together: reported, no target). Per world x question: the share of seeds called
``differs_before``, the median "periods early" and the median number of periods scanned
(the maximum "periods early" could be), and the mean seconds per pilot (all three
questions); then per world the share of pilots where any question says
``differs_before`` (the family the questions' level controls). One BLAS thread; pilots
run one after the other. Measured tables are at the end of this file (``RESULTS``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from stat_worlds import simulate_size_only, simulate_world  # noqa: E402

from rvq.stats.segments import segment_comparisons  # noqa: E402

QUESTIONS = ("profit_extremes", "revenue_growth", "share_of_wallet")
WORLDS = ("lagging", "planted", "null", "size", "trend")


def world(kind: str, accounts: int, seed: int):
    if kind == "size":
        w = simulate_size_only(accounts, seed=seed)
    else:
        w = simulate_world(kind, accounts, seed=seed)
    return w.panel, w.accounts


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=600)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--worlds", default=",".join(WORLDS))
    args = parser.parse_args(argv)
    rows = []
    for kind in args.worlds.split(","):
        for seed in range(args.seeds):
            panel, accounts = world(kind, args.accounts, seed)
            start = time.perf_counter()
            seg = segment_comparisons(panel, accounts, segments=(), n_boot=args.n_boot, seed=seed)
            seconds = time.perf_counter() - start
            for q in QUESTIONS:
                r = seg[q]
                scan = r.get("scan") or {}
                rows.append(
                    {
                        "world": kind,
                        "question": q,
                        "seed": seed,
                        "differs_before": r["verdict"] == "differs_before",
                        "periods_early": (r.get("periods_early") or {}).get("rv_flow", np.nan),
                        "scanned": scan.get("last_index", np.nan)
                        - scan.get("first_index", np.nan)
                        + 1,
                        "seconds": seconds,
                    }
                )
    frame = pd.DataFrame(rows)
    table = frame.groupby(["world", "question"], sort=False).agg(
        differs_before=("differs_before", "mean"),
        median_periods_early=("periods_early", "median"),
        median_scanned=("scanned", "median"),
        seconds=("seconds", "mean"),
    )
    print(f"{args.accounts} accounts x 12 periods, {args.seeds} seeds, {args.n_boot} replicates")
    print(table.round(2).to_string())
    per_pilot = frame.groupby(["world", "seed"], sort=False)["differs_before"].any()
    print("share of pilots saying RV differed first on any question (the family):")
    print(per_pilot.groupby(level="world", sort=False).mean().round(2).to_string())
    return frame


if __name__ == "__main__":
    main()


RESULTS = """
Measured 2026-12-05 on the shared 2-core machine (load ~3-5), `nice .venv/bin/python
benchmarks/segments_worlds.py` (each question's interval at 98.3%: the three questions are
one 5% family; symmetric bootstrap-t over the whole procedure):

600 accounts x 12 periods, 20 seeds, 200 replicates
                         differs_before  median_periods_early  median_scanned  seconds
world   question
lagging profit_extremes            0.00                   0.0             4.0     1.10
        revenue_growth             0.00                   0.0             3.0     1.10
        share_of_wallet            0.05                   0.0             3.0     1.10
planted profit_extremes            0.15                   0.0             3.5     2.10
        revenue_growth             1.00                   3.0             3.0     2.10
        share_of_wallet            0.95                   2.5             3.0     2.10
null    profit_extremes            0.00                   0.0             4.0     0.81
        revenue_growth             0.00                   0.0             3.0     0.81
        share_of_wallet            0.00                   0.0             3.0     0.81
size    profit_extremes            0.00                   0.0             4.0     1.00
        revenue_growth             0.00                   0.0             3.0     1.00
        share_of_wallet            0.00                   0.0             3.0     1.00
trend   profit_extremes            0.35                   0.0             3.0     1.22
        revenue_growth             0.90                   2.0             3.0     1.22
        share_of_wallet            0.20                   0.0             3.0     1.22
share of pilots saying RV differed first on any question (the family):
world
lagging    0.05
planted    1.00
null       0.00
size       0.00
trend      0.95

`--accounts 2000 --seeds 10 --worlds planted,lagging,null,size`:

2000 accounts x 12 periods, 10 seeds, 200 replicates
                         differs_before  median_periods_early  median_scanned  seconds
world   question
planted profit_extremes             0.8                   3.0             4.0     4.36
        revenue_growth              1.0                   3.0             3.0     4.36
        share_of_wallet             1.0                   3.0             3.0     4.36
lagging profit_extremes             0.0                   0.0             4.0     3.10
        revenue_growth              0.1                   0.0             3.0     3.10
        share_of_wallet             0.0                   0.0             3.0     3.10
null    profit_extremes             0.0                   0.0             4.0     3.19
        revenue_growth              0.0                   0.0             3.0     3.19
        share_of_wallet             0.0                   0.0             3.0     3.19
size    profit_extremes             0.0                   0.0             4.0     2.76
        revenue_growth              0.0                   0.0             3.0     2.76
        share_of_wallet             0.0                   0.0             3.0     2.76
share of pilots saying RV differed first on any question (the family):
world
planted    1.0
lagging    0.1
null       0.0
size       0.0

More seeds (the same code, seeds 20-59, 600 accounts): null world 1 of 40 pilots with any
question `differs_before` (revenue growth once); lagging world 2 of 40 (revenue growth
once, share of wallet once; profit extremes never). Lagging world at 2,000 accounts,
seeds 10-29: 0 of 60 questions. Before the family level and bootstrap-t (95% percentile
interval per question), revenue growth said `differs_before` in 4 of 20 null and
size-only seeds: there the adjusted d is exactly centred on 0 given the outcome (RV is
independent of revenue) and its robust SE matched its spread when RV was redrawn with the
revenue held fixed (0.115-0.129 against 0.119-0.123), so those were 2.2-2.4 SD draws of a
calibrated 5% test per question (about 14% per report of three), not a biased estimate.
Profit extremes have little power at 600 accounts (15% of planted seeds; 80% at 2,000);
the trend world (account growth drives RV and the money) still says RV "differed first"
in 95% of pilots: a documented limit, these questions are descriptive.
"""
