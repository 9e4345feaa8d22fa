"""An interactions CSV larger than the memory the run may use, validated and scored whole.

Writes a dataset whose `interactions.csv` is `--gb` gigabytes (accounts, outcomes and the
shipped catalog are small), then runs `rvq.stream.streamed_panel` on it in a child
process and reports the file size, the child's peak resident memory (ru_maxrss), the
rows read / used / set aside and the wall time. With `--limit-gb` the child runs under
an address-space limit (RLIMIT_AS, like `ulimit -v`) smaller than the file.

    .venv/bin/python benchmarks/bench_large_csv.py --gb 3 --out /tmp/rvq-large
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = """
import json, resource, sys, time
from rvq import stream
started = time.perf_counter()
result = stream.streamed_panel(sys.argv[1], work_dir=sys.argv[2], memory_limit=sys.argv[3])
print(json.dumps({
    "counts": result.validation.counts["interactions"],
    "panel_rows": len(result.panel),
    "accounts": int(result.panel["account_id"].nunique()),
    "seconds": round(time.perf_counter() - started, 1),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def write_dataset(out: Path, gigabytes: float, accounts: int = 20_000, seed: int = 1) -> Path:
    """A dataset folder with an interactions CSV of about `gigabytes` GB, written in chunks."""
    from rvq.catalog import shipped_catalog

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{i:06d}" for i in range(accounts)])
    pd.DataFrame({"account_id": ids, "name": [f"Customer {i}" for i in range(accounts)]}).to_csv(
        out / "accounts.csv", index=False
    )
    periods = pd.period_range("2022Q1", "2024Q4", freq="Q")
    outcomes = pd.DataFrame(
        {
            "account_id": np.repeat(ids, len(periods)),
            "period": np.tile(periods.astype(str), accounts),
        }
    )
    outcomes["revenue"] = rng.gamma(2.0, 10_000, len(outcomes)).round(2)
    outcomes["profit"] = (outcomes["revenue"] * rng.normal(0.1, 0.2, len(outcomes))).round(2)
    outcomes.to_csv(out / "outcomes.csv", index=False)

    codes = shipped_catalog()["interaction_code"].to_numpy()
    start = pd.Timestamp("2022-01-01").value // 10**9
    span = 3 * 365 * 24 * 3600
    path = out / "interactions.csv"
    target = gigabytes * 1e9
    chunk, event = 1_000_000, 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("account_id,contact_id,timestamp,interaction_code,event_id\n")
        while fh.tell() < target:
            acc = rng.integers(0, accounts, chunk)
            contact = rng.integers(1, 9, chunk)
            seconds = start + rng.integers(0, span, chunk)
            frame = pd.DataFrame(
                {
                    "account_id": ids[acc],
                    "contact_id": pd.Series(ids[acc]) + "-C" + pd.Series(contact).astype(str),
                    "timestamp": pd.to_datetime(seconds, unit="s").strftime("%Y-%m-%dT%H:%M:%S"),
                    "interaction_code": codes[rng.integers(0, len(codes), chunk)],
                    "event_id": np.char.add("E", np.arange(event, event + chunk).astype(str)),
                }
            )
            event += chunk
            frame.to_csv(fh, header=False, index=False)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=3.0, help="size of interactions.csv")
    parser.add_argument("--out", type=Path, default=Path("/tmp/rvq-large-csv"))
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB's memory limit")
    parser.add_argument("--limit-gb", type=float, default=0, help="RLIMIT_AS of the run (0: none)")
    args = parser.parse_args()

    data = args.out / "data"
    csv = data / "interactions.csv"
    if not csv.exists() or csv.stat().st_size < args.gb * 1e9 * 0.99:
        started = time.perf_counter()
        write_dataset(data, args.gb)
        print(f"wrote {csv} in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    def limit() -> None:
        if args.limit_gb:
            size = int(args.limit_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), str(args.out / "work"), args.memory_limit],
        capture_output=True,
        text=True,
        preexec_fn=limit,
    )
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["file_gb"] = round(csv.stat().st_size / 1e9, 2)
    result["address_space_limit_gb"] = args.limit_gb or None
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
