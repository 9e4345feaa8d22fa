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
run one after the other.
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
