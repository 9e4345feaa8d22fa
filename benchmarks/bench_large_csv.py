"""An interactions CSV larger than the memory the run may use, validated and scored whole.

Writes a dataset whose `interactions.csv` is `--gb` gigabytes (accounts, outcomes and the
shipped catalog are small), then runs `rvq.scoring.stream.streamed_panel` on it in a child
process and reports the file size, the child's peak resident memory (ru_maxrss), the
rows read / used / set aside and the wall time. With `--limit-gb` the child runs under
an address-space limit (RLIMIT_AS, like `ulimit -v`) smaller than the file. The child
also times its phases (block validation, panel, event cells) and counts the event cells.

With `--pilot` it first runs a whole `rvq pilot` on the dataset (a config with
`stream: always` unless `--stream` says otherwise; the scored pilot is cached under
`<out>/cache`, the report goes to `<out>/reports`) and reports its wall time, the peak
resident memory of every process of the run (`rvq` itself and each notebook's kernel,
sampled every half second, summed and per process, per phase: scoring, then each
notebook), `ru_maxrss` of its children, the `data` block of `summary.json` and the
per-notebook timings. The run is stopped (its process group killed) when its processes
together hold more than `--max-rss-gb`; the report then names the phase it was in.

    .venv/bin/python benchmarks/bench_large_csv.py --gb 3 --out /tmp/rvq-large
    .venv/bin/python benchmarks/bench_large_csv.py --gb 3 --out /tmp/rvq-large --pilot
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = """
import json, resource, sys, time
from rvq import scoring
from rvq.scoring import stream
phases = {}

def timed(name, function):
    def run(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases[name] = {
                "seconds": round(time.perf_counter() - started, 1),
                "peak_rss_mb_so_far": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
    return run

stream.streamed_validation = timed("validate_blocks", stream.streamed_validation)
scoring.account_period_panel = timed("panel_duckdb", scoring.account_period_panel)
stream.streamed_cells = timed("cells_duckdb", stream.streamed_cells)
started = time.perf_counter()
result = stream.streamed_panel(sys.argv[1], work_dir=sys.argv[2], memory_limit=sys.argv[3])
seconds = round(time.perf_counter() - started, 1)
print(json.dumps({
    "counts": result.validation.counts["interactions"],
    "panel_rows": len(result.panel),
    "accounts": int(result.panel["account_id"].nunique()),
    "cells": len(result.cells),
    "cell_events": int(result.cells["n_events"].sum()),
    "cells_mb": round(result.cells.memory_usage(deep=True).sum() / 1e6),
    "panel_mb": round(result.panel.memory_usage(deep=True).sum() / 1e6),
    "phases": phases,
    "seconds": seconds,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

#: runs `rvq pilot` (argv[2:]) and writes its children's ru_maxrss to argv[1]
WRAPPER = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as fh:
    json.dump({"returncode": code,
               "children_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}, fh)
sys.exit(code)
"""

#: a notebook name in the progress bar's postfix (`rvq.pipeline.STEPS`)
STEP_NAME = re.compile(r"\b(0\d_[a-z_]+)")


def write_dataset(out: Path, gigabytes: float, accounts: int = 20_000, seed: int = 1) -> Path:
    """A dataset folder with an interactions CSV of about `gigabytes` GB, written in chunks."""
    from rvq.inputs.catalog import shipped_catalog

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{i:06d}" for i in range(accounts)])
    other = np.random.default_rng(seed + 1)  # segments and wallet: the interactions stay the same
    pd.DataFrame(
        {
            "account_id": ids,
            "name": [f"Customer {i}" for i in range(accounts)],
            "industry": other.choice(["energy", "retail", "manufacturing", "finance"], accounts),
            "territory": other.choice(["north", "south", "east", "west"], accounts),
            # every default segment (`PilotConfig.segments`) has values, as in the demo
            "contact_source": other.choice(["inbound", "partner", "marketing_list"], accounts),
            "company_revenue": other.lognormal(17, 1.5, accounts).round(-3),
            "team": other.choice(["sales-north", "sales-south", "inside-sales"], accounts),
            "community_role": other.choice(["none", "member", "advocate"], accounts),
        }
    ).to_csv(out / "accounts.csv", index=False)
    periods = pd.period_range("2022Q1", "2024Q4", freq="Q")
    outcomes = pd.DataFrame(
        {
            "account_id": np.repeat(ids, len(periods)),
            "period": np.tile(periods.astype(str), accounts),
        }
    )
    outcomes["revenue"] = rng.gamma(2.0, 10_000, len(outcomes)).round(2)
    outcomes["profit"] = (outcomes["revenue"] * rng.normal(0.1, 0.2, len(outcomes))).round(2)
    outcomes["share_of_wallet"] = other.uniform(0.05, 0.6, len(outcomes)).round(4)
    outcomes["wallet"] = (outcomes["revenue"] / outcomes["share_of_wallet"]).round(2)
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


def _role(process) -> str:
    """`rvq` (the pilot command), `kernel` (a notebook's), or the process name."""
    try:
        line = " ".join(process.cmdline())
    except Exception:
        return "gone"
    if "ipykernel" in line:
        return "kernel"
    if " pilot " in f" {line} " and "rvq" in line:
        return "rvq" if "-c" not in process.cmdline()[:2] else "wrapper"
    return process.name()


def run_pilot(out: Path, data: Path, stream: str, max_rss_gb: float, every: float = 0.5) -> dict:
    """`rvq pilot` on `data` in a child process group, watched: wall time, peak memory of
    its processes (summed and the largest one, per phase), `summary.json`'s data block."""
    import psutil

    config = out / "large.yaml"
    text = f"client: large\ndata: {data}\nstream: {stream}\n"
    if not config.exists() or config.read_text(encoding="utf-8") != text:  # else: a cache hit
        config.write_text(text, encoding="utf-8")
    reports, cache, rusage = out / "reports", out / "cache", out / "pilot-rusage.json"
    rvq = Path(sys.executable).with_name("rvq")
    command = [str(rvq), "pilot", str(config), "--out", str(reports)]
    env = {**os.environ, "RVQ_CACHE_DIR": str(cache)}
    log = (out / "pilot-stderr.log").open("w", encoding="utf-8")
    earlier_runs = set((reports / "large").glob("*"))
    start_ns = time.time_ns()
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(rusage), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # its own process group: stopped whole when over the cap
    )
    state = {"phase": "score", "stdout": [], "stderr": ""}

    def follow_stderr() -> None:  # the progress bar names the notebook being run
        tail = ""  # os.read: what is there now, not a full buffer (the bar writes little)
        for raw in iter(lambda: os.read(child.stderr.fileno(), 4096), b""):
            chunk = raw.decode("utf-8", errors="replace")
            log.write(chunk)
            tail = tail[-64:] + chunk  # a name split between two reads
            state["stderr"] = (state["stderr"] + chunk)[-3000:]
            names = STEP_NAME.findall(tail)
            if names:
                state["phase"] = names[-1]

    def follow_stdout() -> None:
        state["stdout"].append(child.stdout.read().decode("utf-8", errors="replace"))

    readers = [threading.Thread(target=f, daemon=True) for f in (follow_stderr, follow_stdout)]
    for reader in readers:
        reader.start()

    phases: dict[str, dict] = {}
    per_process: dict[int, dict] = {}
    root = psutil.Process(child.pid)
    stopped = None
    while child.poll() is None:
        phase = state["phase"]
        if phase == "score" and any(cache.glob("*/.pilot-*.tmp")):
            phase = "score: pickling the pilot"
        elif phase == "score" and set((reports / "large").glob("*")) - earlier_runs:
            phase = "score: done, opening notebooks"  # run_pilot made the run folder
        try:
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        total, largest = 0, (0, "")
        for process in processes:
            try:
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            seen = per_process.setdefault(process.pid, {"role": _role(process), "peak_mb": 0})
            seen["peak_mb"] = max(seen["peak_mb"], round(rss / 2**20))
            seen.setdefault("first_phase", phase)
            seen["last_phase"] = phase
            largest = max(largest, (rss, seen["role"]))
        now = round(time.perf_counter() - started, 1)
        record = phases.setdefault(phase, {"from_s": now, "peak_total_mb": 0})
        record["to_s"] = now
        if total / 2**20 > record["peak_total_mb"]:
            record["peak_total_mb"] = round(total / 2**20)
            record["largest_process_mb"] = round(largest[0] / 2**20)
            record["largest_process"] = largest[1]
        if max_rss_gb and total > max_rss_gb * 2**30:
            stopped = f"over {max_rss_gb} GB in phase {phase!r}"
            os.killpg(child.pid, signal.SIGKILL)
            break
        time.sleep(every)
    child.wait()
    for reader in readers:
        reader.join(timeout=10)
    log.close()
    seconds = round(time.perf_counter() - started, 1)

    result: dict = {
        "command": " ".join(command),
        "returncode": child.returncode,
        "succeeded": child.returncode == 0 and stopped is None,
        "stopped": stopped,
        "seconds": seconds,
        "peak_total_rss_mb": max((r["peak_total_mb"] for r in phases.values()), default=0),
        "phases": phases,
        "processes": sorted(per_process.values(), key=lambda r: -r["peak_mb"])[:12],
    }
    if rusage.exists():
        result.update(json.loads(rusage.read_text()))
    entries = sorted(cache.glob("*/pilot-*/manifest.json"), key=lambda p: p.stat().st_mtime_ns)
    if entries:
        files = [p for p in entries[-1].parent.iterdir() if p.is_file()]
        result["cached_pilot_mb"] = round(sum(p.stat().st_size for p in files) / 1e6)
        result["scored_now"] = entries[-1].stat().st_mtime_ns > start_ns  # else a cache hit
    runs = sorted(set((reports / "large").glob("*")) - earlier_runs)
    if runs:
        run = runs[-1]
        result["run_dir"] = str(run)
        if (run / "summary.json").exists():
            result["data"] = json.loads((run / "summary.json").read_text())["data"]
        record = run / "findings" / "run.json"
        if record.exists():
            result["notebook_seconds"] = json.loads(record.read_text())["findings"]["timings"]
    if not result["succeeded"]:
        result["stderr_tail"] = state["stderr"]
        result["stdout_tail"] = "".join(state["stdout"])[-2000:]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=3.0, help="size of interactions.csv")
    parser.add_argument("--out", type=Path, default=Path("/tmp/rvq-large-csv"))
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB's memory limit")
    parser.add_argument("--limit-gb", type=float, default=0, help="RLIMIT_AS of the run (0: none)")
    parser.add_argument("--pilot", action="store_true", help="also run a whole `rvq pilot` first")
    parser.add_argument("--pilot-only", action="store_true", help="the pilot, not streamed_panel")
    parser.add_argument(
        "--stream", default="always", choices=("always", "auto"), help="the pilot config's"
    )
    parser.add_argument(
        "--max-rss-gb", type=float, default=12, help="stop the pilot above this (0: never)"
    )
    args = parser.parse_args()

    data = args.out / "data"
    csv = data / "interactions.csv"
    if not csv.exists() or csv.stat().st_size < args.gb * 1e9 * 0.99:
        started = time.perf_counter()
        write_dataset(data, args.gb)
        print(f"wrote {csv} in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    results = {"file_gb": round(csv.stat().st_size / 1e9, 2)}
    if args.pilot or args.pilot_only:
        results["pilot"] = run_pilot(args.out, data, args.stream, args.max_rss_gb)
        print(json.dumps(results["pilot"], indent=2), file=sys.stderr)

    def limit() -> None:
        if args.limit_gb:
            size = int(args.limit_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    if not args.pilot_only:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(data), str(args.out / "work"), args.memory_limit],
            capture_output=True,
            text=True,
            preexec_fn=limit,
        )
        if done.returncode:
            sys.exit(done.stderr[-3000:])
        results["streamed_panel"] = json.loads(done.stdout.strip().splitlines()[-1])
        results["streamed_panel"]["address_space_limit_gb"] = args.limit_gb or None
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
