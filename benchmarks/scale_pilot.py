"""Benchmark: the whole `rvq pilot` at 2,000 to 1,000,000 accounts (issue 15's scale table).

    nice .venv/bin/python benchmarks/scale_pilot.py --accounts 2000 20000 100000
    nice .venv/bin/python benchmarks/scale_pilot.py --accounts 2000 --keep /tmp/scale
    nice .venv/bin/python benchmarks/scale_pilot.py --accounts 1000000 --format parquet \
        --data /work/big1m/demo --keep /work/big1m/scale

For each size, `rvq demo --accounts N --format F --out <tmp>/data` writes the demo's book
as CSV or Parquet (above 200,000 accounts shard by shard, `rvq.synth.shards`; timed apart
with its peak resident memory: "generate s", "gen GB"), or `--data DIR` names a book
already written (one size only; its generation time is truth.json's), then the real
`rvq pilot <data> --out <tmp>/reports`
runs as a subprocess with every default and a cold cache (`RVQ_CACHE_DIR=<tmp>/cache`).
Every `--every` seconds (default 0.2) psutil reads the resident memory (RSS) of the `rvq`
process, of each of its children (the notebook kernels) and their sum over the process
tree. The table shows, per size:

* setup s: the parent's time before the first step's kernel appears (read, validate,
  score, cache the pilot);
* per step: its seconds and its kernel's peak, as the pipeline writes them to the run
  folder's run.log ("step 04_process_gaps: 21.99 s, kernel peak 4.0 GB resident");
* parent GB: the `rvq` process's own peak; sum GB: the peak of the RSS summed over the
  tree (issue 15's bound: under 8 GB at 100,000 accounts), and the phase it was reached in;
* wall s: the pilot command, end to end.

Under the table, per size: the path line (whole or streamed, and why: run.log's line
about how the interactions are read), the summed peak per phase and the verdicts of
summary.json. The generated data is deleted after each size unless `--keep DIR`.
Measured figures are at the end of this file (``RESULTS``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GB = 1e9
#: run.log's line for one finished step (written by `rvq.pipeline.run_pilot`)
STEP_LINE = re.compile(r"step (\S+): ([\d.]+) s, kernel peak ([\d.]+) ([KMGT]?B) resident")
UNIT = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
#: run.log's path line: how the interactions are read (in memory or streamed) and why
PATH_WORDS = ("stream", "in memory", "whole")


def rvq_command() -> str:
    """The `rvq` console script beside this interpreter."""
    return str(Path(sys.executable).with_name("rvq"))


def generate(accounts: int, folder: Path, fmt: str, every: float) -> tuple[Path, float, int]:
    """Write the demo book of `accounts` accounts as `fmt` (csv or parquet); return its
    folder, seconds and the generating process's peak resident bytes."""
    import psutil

    started = time.perf_counter()
    command = [rvq_command(), "demo", "--accounts", str(accounts), "--format", fmt]
    child = subprocess.Popen([*command, "--out", str(folder), "--quiet"], stdout=subprocess.DEVNULL)
    process, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(every)
    if child.wait():
        raise SystemExit(f"rvq demo failed ({child.returncode})")
    seconds = time.perf_counter() - started
    return book_folder(folder, fmt), seconds, peak


def book_folder(folder: Path, fmt: str) -> Path:
    """The one folder under `folder` holding interactions.<fmt>."""
    books = [p.parent for p in folder.rglob(f"interactions.{fmt}")]
    if len(books) != 1:
        raise SystemExit(f"expected one interactions.{fmt} under {folder}, found {len(books)}")
    return books[0]


def _is_kernel(process) -> bool:
    try:
        return "ipykernel" in " ".join(process.cmdline())
    except Exception:  # gone between listing and reading
        return False


#: runs only some steps (`--steps`), through `rvq.pipeline.run_pilot`
STEPS_SCRIPT = """
import sys
from rvq import pipeline
chosen = tuple(s for s in pipeline.STEPS if s.name[:2] in sys.argv[3:])
pipeline.run_pilot(sys.argv[1], sys.argv[2], progress=False, steps=chosen)
"""


def watch_pilot(
    data: Path, work: Path, every: float, steps: list[str], kill_above: float | None
) -> dict:
    """Run `rvq pilot` on `data` (only `steps`, by number, when given) with the cache in
    `work` and sample its process tree's memory; stop the tree when the summed resident
    memory passes `kill_above` bytes (the machine is shared)."""
    import psutil

    reports, cache = work / "reports", work / "cache"
    env = {**os.environ, "RVQ_CACHE_DIR": str(cache)}
    stdout, stderr = (work / "pilot-stdout.log").open("ab"), (work / "pilot-stderr.log").open("ab")
    command = [rvq_command(), "pilot", str(data), "--out", str(reports)]
    if steps:
        command = [sys.executable, "-c", STEPS_SCRIPT, str(data), str(reports), *steps]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)
    killed = None
    root = psutil.Process(child.pid)
    parent_peak = sum_peak = 0
    first_kernel_s = None
    kernels: list[int] = []  # pids in the order they appeared: one per step
    kernel_peak: dict[int, int] = {}
    phase_sum_peak: dict[str, int] = {}  # "setup", then the i-th kernel's phase
    while child.poll() is None:
        try:
            parent_rss = root.memory_info().rss
            children = root.children(recursive=True)
        except psutil.Error:
            break
        total = parent_rss
        for process in children:
            try:
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            if process.pid in kernel_peak or _is_kernel(process):
                if process.pid not in kernel_peak:
                    kernels.append(process.pid)
                    kernel_peak[process.pid] = 0
                    if first_kernel_s is None:
                        first_kernel_s = time.perf_counter() - started
                kernel_peak[process.pid] = max(kernel_peak[process.pid], rss)
        phase = f"kernel {len(kernels)}" if kernels else "setup"
        if kill_above and total > kill_above and killed is None:
            killed = (total, phase, time.perf_counter() - started)
            for process in [*children, root]:
                with contextlib.suppress(psutil.Error):
                    process.kill()
        parent_peak = max(parent_peak, parent_rss)
        sum_peak = max(sum_peak, total)
        phase_sum_peak[phase] = max(phase_sum_peak.get(phase, 0), total)
        time.sleep(every)
    child.wait()
    wall = time.perf_counter() - started
    stdout.close()
    stderr.close()

    result: dict = {
        "returncode": child.returncode,
        "wall_s": wall,
        "setup_s": first_kernel_s,
        "parent_peak": parent_peak,
        "sum_peak": sum_peak,
        "kernel_peaks_sampled": [kernel_peak[pid] for pid in kernels],
        "phase_sum_peak": phase_sum_peak,
        "killed": killed,
        "stderr_tail": (work / "pilot-stderr.log").read_text(errors="replace")[-1500:],
    }
    runs = sorted(
        (p for p in reports.glob("*/*") if (p / "run.log").is_file()),
        key=lambda p: p.stat().st_mtime,
    )
    if runs:
        result.update(read_run(runs[-1]))
    return result


def read_run(run: Path) -> dict:
    """The steps (seconds, kernel peak), the path line and the verdicts of one run folder."""
    lines = (run / "run.log").read_text(encoding="utf-8").splitlines()
    steps = []
    for line in lines:
        match = STEP_LINE.search(line)
        if match:
            name, seconds, peak, unit = match.groups()
            steps.append((name, float(seconds), float(peak) * UNIT[unit]))
    path = next((line[20:] for line in lines if any(w in line for w in PATH_WORDS)), "")
    out = {"run": str(run), "steps": steps, "path_line": path}
    summary_file = run / "summary.json"
    if summary_file.is_file():
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
        out["interactions"] = summary["data"]["events_read"]
        out["verdicts"] = verdicts(summary)
    return out


def verdicts(summary: dict) -> list[str]:
    """Every `verdict` in summary.json as `section.question=verdict` (with the lead's horizon)."""
    found = []
    for section, questions in summary.items():
        if not isinstance(questions, dict):
            continue
        for name, answer in questions.items():
            if isinstance(answer, dict) and "verdict" in answer:
                horizon = answer.get("best_horizon")
                tail = f"@{horizon}" if section == "leading_indicator" and horizon else ""
                found.append(f"{section}.{name}={answer['verdict']}{tail}")
    return found


def phase_name(phase: str, step_names: list[str]) -> str:
    """'kernel 3' as the third step's name (kernels start one per step, in order)."""
    if phase.startswith("kernel "):
        index = int(phase.split()[1]) - 1
        return step_names[index] if index < len(step_names) else phase
    return phase


def table(rows: list[dict]) -> str:
    """The scale table: one line per size, then its path line, phase peaks and verdicts."""
    names = []
    for row in rows:
        names += [name for name, _, _ in row.get("steps", []) if name not in names]
    head = f"{'accounts':>8} {'interactions':>12} {'generate s':>10} {'gen GB':>6} {'setup s':>7}"
    head += "".join(f" {n[:2] + ' s/GB':>10}" for n in names)
    head += f" {'parent GB':>9} {'sum GB':>6} {'wall s':>7}"
    out = [head]
    for row in rows:
        steps = {name: (s, peak) for name, s, peak in row.get("steps", [])}
        line = f"{row['accounts']:>8} {row.get('interactions', 0):>12,} "
        gen_gb = row.get("generate_peak", float("nan")) / GB
        line += f"{row['generate_s']:>10.1f} {gen_gb:>6.1f} {row.get('setup_s') or 0:>7.1f}"
        for name in names:
            s, peak = steps.get(name, (float("nan"), float("nan")))
            line += f" {f'{s:.1f}/{peak / GB:.1f}':>10}"
        line += f" {row['parent_peak'] / GB:>9.2f} {row['sum_peak'] / GB:>6.2f}"
        line += f" {row['wall_s']:>7.1f}"
        out.append(line)
    out.append("")
    for row in rows:
        step_names = [name for name, _, _ in row.get("steps", [])]
        phases = ", ".join(
            f"{phase_name(phase, step_names)} {peak / GB:.2f}"
            for phase, peak in row["phase_sum_peak"].items()
        )
        out.append(f"{row['accounts']:>8}: path: {row.get('path_line') or '(none in run.log)'}")
        out.append(f"{'':>8}  summed peak GB by phase: {phases}")
        out.append(f"{'':>8}  verdicts: {' '.join(row.get('verdicts', [])) or '(no summary)'}")
        if row.get("killed"):
            total, phase, seconds = row["killed"]
            out.append(
                f"{'':>8}  STOPPED by the benchmark at {total / GB:.1f} GB summed, in "
                f"{phase_name(phase, step_names)}, after {seconds:.0f} s"
            )
        if row["returncode"]:
            out.append(f"{'':>8}  FAILED ({row['returncode']}): {row['stderr_tail'][-400:]}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[2000, 20000, 100000])
    parser.add_argument("--keep", type=Path, help="keep each size's data and reports here")
    parser.add_argument("--every", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--format", dest="fmt", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--data", type=Path, help="a book already written (one size only)")
    parser.add_argument("--steps", nargs="+", default=[], help="run only these steps (01 ...)")
    parser.add_argument(
        "--kill-above", type=float, help="stop the pilot when its processes pass this many GB"
    )
    args = parser.parse_args()
    if args.data and len(args.accounts) != 1:
        parser.error("--data takes one --accounts size (the book's)")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
    rows = []
    for accounts in args.accounts:
        if args.keep:  # kept, and reused by a later `--steps` run (its cached pilot)
            work = args.keep / f"accounts-{accounts}"
            work.mkdir(parents=True, exist_ok=bool(args.steps))
        else:
            work = Path(tempfile.mkdtemp(prefix=f"rvq-scale-{accounts}-"))
        try:
            if args.data:
                data = book_folder(args.data, args.fmt)
                truth = json.loads((data / "truth.json").read_text(encoding="utf-8"))
                row = {"accounts": accounts, "generate_s": truth["generation_seconds"]}
            else:
                data, generate_s, peak = generate(accounts, work / "data", args.fmt, args.every)
                row = {"accounts": accounts, "generate_s": generate_s, "generate_peak": peak}
            limit = args.kill_above * GB if args.kill_above else None
            row.update(watch_pilot(data, work, args.every, args.steps, limit))
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        rows.append(row)
        print(f"{accounts} accounts done in {row['wall_s']:.0f} s, load {os.getloadavg()}")
        sys.stdout.flush()
    print(table(rows))


if __name__ == "__main__":
    main()


RESULTS = """
Measured 2026-12-05 19:05-19:13 UTC on the project's machine (2 cores, 24 GB), load
0.8-1.6 (other engineers' jobs), code as of 691560d (the `auto` path from the expected
footprint per step), `nice .venv/bin/python benchmarks/scale_pilot.py --accounts 2000
20000 100000`, every default, cold cache, CSV. Step cells are "seconds / kernel peak GB"
from run.log; parent and sum are psutil samples every 0.2 s (GB = 1e9 bytes).

accounts interactions generate s setup s    01 s/GB    02 s/GB    03 s/GB    04 s/GB    05 s/GB    06 s/GB    07 s/GB parent GB sum GB  wall s
    2000      272,795        0.8     3.8    3.4/0.5    4.1/0.5    3.4/0.5    4.1/0.6    3.2/0.5    8.5/0.6    2.7/0.5      0.56   1.15    33.7
   20000    2,759,071        4.1    11.9    4.6/1.5    7.0/1.9    7.3/1.5   11.1/2.8    5.9/1.7   23.8/1.9    4.0/1.5      2.03   3.78    75.9
  100000   13,595,964       20.8   110.1    5.2/2.0   13.1/2.4   22.1/2.0   21.5/4.3   10.5/2.7  105.6/2.5    5.4/2.0      3.23   5.26   294.2

    2000: path: interactions: ~273,050 rows, expected ~0.81 GB per step in memory, 24 GB free: read whole (stream: auto; set `stream: always` to stream)
          summed peak GB by phase: setup 0.56, 01_process_model 1.00, 02_data_map 1.04, 03_lifecycle_report 1.04, 04_process_gaps 1.15, 05_historical_record 1.05, 06_rv_backtest 1.12, 07_findings 1.04
   20000: path: interactions: ~2.8M rows, expected ~4.5 GB per step in memory, 24 GB free: read whole (stream: auto; set `stream: always` to stream)
          summed peak GB by phase: setup 2.03, 01_process_model 2.40, 02_data_map 2.76, 03_lifecycle_report 2.47, 04_process_gaps 3.78, 05_historical_record 2.72, 06_rv_backtest 2.96, 07_findings 2.46
  100000: path: interactions: ~13.6M rows, expected ~21 GB per step in memory, 24 GB free: streamed (stream: auto; set `stream: never` to force reading whole)
          summed peak GB by phase: setup 3.23, 01_process_model 2.89, 02_data_map 3.32, 03_lifecycle_report 2.94, 04_process_gaps 5.26, 05_historical_record 3.49, 06_rv_backtest 3.42, 07_findings 2.95
  verdicts, all three sizes: leading_indicator profit / revenue_growth / share_of_wallet =
          leading@2 (the planted lag); segments profit_extremes / revenue_growth /
          share_of_wallet = differs_before

Issue 15's targets at 100,000 accounts with every default: 294 s (4 min 54 s, under 5
minutes by 6 s: at a higher load it would not be) and 5.26 GB summed over the process tree
(under 8 GB); the largest single process is step 04's kernel (4.3 GB), the `rvq` parent
peaks at 3.2 GB while scoring and holds about 1 GB while the notebooks run (summed peak
in 04 minus its kernel). The lead's run at 18:52 (load ~2): 4:51, steps
5/13/22/22/10/103/5 s, kernel peaks 2.0/2.5/2.0/4.0/2.4/2.3/2.0 GB: the same within noise.

What dominates at 100,000: time, two phases of about equal weight -- the parent's setup
(110 s, 37%: the streamed read, block validation and DuckDB scoring of the 1.8 GB CSV,
then caching the pilot) and 06_rv_backtest (106 s, 36%: the statistics on the 1.2M-row
account x quarter panel; bench_backtest.py times `run_backtest` alone at 79-153 s by load).
The other six steps add 78 s. Memory: step 04 (process gaps, on the event cells) sets
both the largest process and the summed peak; every other phase stays under 3.5 GB
summed. From 20,000 to 100,000 accounts (4.9x the interactions) setup grows 9x (read
whole at 20,000: 4.3 us per interaction; streamed at 100,000: 8.1 us) and 06 4.4x.

1,000,000 accounts (about 136M interactions, as Parquet through DuckDB) was not run in
this session: next session, once the DuckDB path of issue 15 is in.
After two speed-ups of the streamed setup (a date's leading year read only for values that
did not parse; raw rows hashed only where a row has no event_id, text written to Arrow
without Python objects), 2026-12-05 19:29 UTC, load ~1.5, 100,000 accounts only:

accounts interactions generate s setup s    01 s/GB    02 s/GB    03 s/GB    04 s/GB    05 s/GB    06 s/GB    07 s/GB parent GB sum GB  wall s
  100000   13,595,964       22.2    74.9    6.1/2.0   13.5/2.3   22.1/2.0   21.5/4.3   10.3/2.4  107.0/2.4    5.6/1.8      3.26   5.25   261.9

setup 110 -> 75 s (streamed: 5.5 us per interaction), whole pilot 294 -> 262 s, summed peak
unchanged (5.25 GB); verdicts unchanged. 06_rv_backtest (107 s) is now the largest part.

Every step bounded (issue 15): one copy of the interaction rows per process (the pilot's
`dataset.interactions` dropped once `events` exist; the parent lets go of its pilot and
Arrow's freed pool before the kernels), and above `CELLS_ABOVE_ROWS` (1M) rows a pilot
read whole keeps event cells (text as categories) and a row digest, as a streamed one
does; process_gaps copies only the columns it reads. 2026-12-05 20:21-20:53 UTC, load
8-12 (other engineers' jobs: the seconds are not comparable with the runs above, the
memory is), code as of 5653d9b; the row marked * is 20,000 before the change (code as
of 77e6cd3), measured at 20:07 (load 1-8):

accounts interactions generate s setup s    01 s/GB    02 s/GB    03 s/GB    04 s/GB    05 s/GB    06 s/GB    07 s/GB parent GB sum GB  wall s
    2000      272,795        2.3    16.3   14.1/0.4   12.6/0.5    9.8/0.5   16.5/0.5   10.9/0.5   38.7/0.5    9.2/0.4      0.51   0.90   133.7
  20000*   2,759,071        7.7    18.3    8.4/1.5   11.7/1.8   19.6/1.5   31.2/2.8   20.8/1.7  103.5/2.0   16.4/1.5      1.78   3.73   234.9
   20000    2,759,071       15.4    43.6   14.0/0.7   18.8/0.8   27.3/0.7   22.0/1.0   17.7/0.8  109.2/1.2   10.4/0.6      1.80   1.80   265.2

    2000: path: read whole (events: below CELLS_ABOVE_ROWS); summed peak GB by phase: setup 0.51,
          01 0.76, 02 0.83, 03 0.81, 04 0.85, 05 0.83, 06 0.90, 07 0.81 (was 1.15 at most)
   20000: path: read whole (2.76M rows: cells, 1.93M of them); summed peak GB by phase: setup
          1.80, 01 1.01, 02 1.13, 03 1.04, 04 1.41, 05 1.16, 06 1.59, 07 1.04 (before: 04 3.73)
  verdicts unchanged at both sizes; at 20,000 summary.json and the findings of steps 02, 04
  and 05 are identical to the * run's (events against cells).

At 20,000 accounts every kernel holds about half what it held (step 04: 2.8 -> 1.0 GB);
the summed peak (3.73 -> 1.80 GB) is now the parent's read, validation and scoring,
unchanged (load_dataset alone peaks at 1.7 GB). The parent holds about 0.3 GB while
the kernels run (was about 0.86). 100,000 accounts were not rerun (the machine had 4-7 GB
free under the other engineers' work); they are streamed by `auto`, and their step 04
kernel works on cells that are now categories and copied by column (4.3 GB before).

    @property
Everything of this session merged (code 57bc2d9: bounded steps, one copy per process, lazy
events in kernels, step f's second process and exact speed-ups), 100,000 accounts, CSV,
every default, cold cache, 2026-12-05 21:55 UTC, load 1.5-2.2 (the machine otherwise idle):

accounts interactions generate s setup s    01 s/GB    02 s/GB    03 s/GB    04 s/GB    05 s/GB    06 s/GB    07 s/GB parent GB sum GB  wall s
  100000   13,595,964       16.8    61.0    3.6/1.1   11.3/2.6   20.4/1.2   20.3/4.0    9.8/2.9   67.8/3.0    5.0/2.1      4.26   4.56   199.8

  path: ~13.6M rows, expected ~21 GB per step in memory, 24 GB free: streamed (stream: auto)
  summed peak GB by phase: setup 4.26, 01 1.61, 02 3.07, 03 1.67, 04 4.56, 05 3.48, 06 1.59,
  07 3.55; verdicts leading x3 at h = 2 (the planted lag), segments differs_before x3.

Issue 15's targets at 100,000 accounts: 200 s (3 min 20 s; was 262 s and 294 s before
that) against 5 minutes, and 4.56 GB summed (was 5.25) against 8 GB. 06_rv_backtest
107 -> 68 s (the lead test and the rest of step f in two processes); setup 75 -> 61 s.

1,000,000 accounts, 2026-12-05 20:08-21:40 UTC, load 5-14 on the 2 shared cores (five other
engineers' jobs; nice), Parquet. The whole pilot did NOT finish in this session.

Generation: `rvq demo --accounts 1000000 --format parquet` (10 shards of 100,000 accounts,
`rvq.synth.shards`): 138,680,978 interactions, 3.8 GB of Parquet (interactions 3.5 GB),
913 s, peak 5.5 GB resident (/usr/bin/time; one shard in memory at a time).

Run A (code 1c761bd, `--kill-above 14`): stopped by hand after 6 min: the streamed path
validated every Parquet block of 131,072 rows beside all 1,000,000 validated accounts
(the accounts table checked again per block): 16.7 s a block instead of 1.1 s (cProfile
of one block, load ~9): 1,058 blocks, some 4.9 hours. Fixed in 83d3093 (a block is
validated beside the accounts it names: the same verdicts).

Run B (code 83d3093): the parent's setup only. The small tables (outcomes: 12M rows) and
the 1,058 Parquet blocks were validated and written in 28 min 20 s (20:35:20-21:03:40,
load 8-12; the parent's RSS grew from 3.1 to 6.6 GB over the blocks, not found why:
nothing was set aside, so no state grows; allocator retention is the likely cause).
Then DuckDB's cross-block duplicate search (a window over whole rows, PARTITION BY the
event key, ORDER BY line, run twice) died after 4 min 40 s: `OutOfMemoryException:
failed to allocate data of size 1.0 MiB (2.7 GiB/2.7 GiB used)` under the limit of a
quarter of the 11 GB then free. `rvq pilot` exited with that error (exit 1), no step ran;
wall 2,003 s, parent peak 10.1 GB (= the summed peak: no kernel had started).
Fixed in 2d1c942: the keys seen twice are one aggregate over the keys, then a join
(on 14M rows: 70 s instead of 146 s, the same rows kept and set aside).

The DuckDB phases after the blocks, measured apart at 1,000,000 accounts on the demo
book's Parquet (benchmark script /work/big1m/phases/phases.py of this session, DuckDB
under 2.7 GB, load ~14; seconds, and the process's peak RSS so far):
  cross-block duplicates, the new aggregate over 138.7M event keys:  253 s, peak 2.0 GB
    (the join that writes the unique file, a streaming pass, was not timed)
  small tables read and validated (outcomes: 12M rows):             236 s, peak 3.4 GB
  account x quarter panel on DuckDB (12,000,000 rows x 32, 3.17 GB): 1,270 s, peak 7.9 GB
  sample of 200,000 accounts (priority customers first):             14 s
  event cells of the sample (19,346,228 cells, 1.16 GB):             192 s, peak 7.9 GB
  step e's row digest:                                               67 s, peak 9.2 GB
  total 2,034 s (34 min) at load ~14, one process, DuckDB under 2.7 GB.

What dominates at 1,000,000 accounts (load 8-14): the parent's setup, about an hour
before the first step: the 1,058 Parquet blocks' validation (28 min) and the DuckDB
panel (21 min) first, then the duplicates, the small tables and the cells (4 min each).
Memory: the parent peaks near 10 GB (6.6 GB left after the blocks, plus DuckDB's limit
and the panel); with the cells of 200,000 accounts (1.16 GB, the 100,000-account scale
is 0.6 GB) and the panel (3.2 GB, read by every kernel), each step kernel is expected at
4-9 GB: not measured. The steps were not reached in this session; the next run is
`--data /work/big1m/demo --kill-above 14` on a quieter machine (expect 1-1.5 h at load
~2).

Later the same evening (load 1-4): the whole pilot at 1,000,000 accounts, Parquet, every default,
cold cache, code 57bc2d9. Setup (blocks validated, duplicates, DuckDB panel, the sample's cells,
digest, cache write) **1,434 s (24 min), parent peak 11.52 GB**; `auto` streamed ("138.7M rows,
expected ~208 GB per step in memory, 24 GB free"; steps b, d, e on a fixed sample of 200,000
accounts). Step 01 then stopped because the code in the repository changed during the run (a
kernel imports the new code, whose cache key differs: the run refuses to mix code versions);
the steps were rerun on the cached pilot with the run's own code (57bc2d9 in a worktree):
  01 9 s / 7.9 GB, 02 31 s / 8.7 GB, 03 308 s / 8.0 GB, 04 49 s / 11 GB, 05 55 s / 9.8 GB
  (seconds / kernel peak resident), 06 still running after 7 min when the session ended
  (kernel 8.1 GB plus its forked worker 6.0 GB resident, much of it shared pages).
What dominates at 1,000,000 accounts: the parent's setup (24 min), then step 03 (5 min: the
lifecycle on the 12M-row panel) and step 06; every kernel holds 8-11 GB (the 12M-row panel,
3.2 GB as Parquet, and its copies): one kernel at a time fits this 24 GB machine, two would not.
The whole pilot at 1,000,000 accounts, end to end, one run (2026-12-05 23:03 - 00:34 UTC; code
3e0b982 frozen in a worktree; Parquet /work/big1m/demo, every default, cold cache; the machine
shared with three engineers' test suites and 100,000-account runs: load 4-12, so the seconds
are inflated, the memory is not):
accounts interactions generate s gen GB setup s    01 s/GB    02 s/GB    03 s/GB    04 s/GB    05 s/GB    06 s/GB    07 s/GB parent GB sum GB  wall s
 1000000  138,680,978      912.5    nan  1485.2   21.4/7.9   43.9/8.4  621.9/7.9  86.8/11.0  129.3/9.9 2972.9/17.0   69.0/7.9     11.60  17.62  5433.7
 path: 138.7M rows, expected ~208 GB per step in memory, 24 GB free: streamed (stream: auto);
 steps b, d and e read the events of 200,000 of 1,000,000 accounts (a fixed sample, the 50
 priority customers among them)
 verdicts: leading at h = 2 for profit, revenue growth and share of wallet (the planted lag);
 segments differs_before x3 -- as at 2,000, 20,000 and 100,000 accounts.
**It finishes: 1 h 31 min, summed peak 17.6 GB.** Step 06's 17 GB is its kernel plus the forked
worker (rvq.stats.parallel), whose copy-on-write pages RSS counts twice; it was reached late in
step 06 (the phase column above says 07 because the sampler dates a phase by the run.log line
that ends it). What dominates: step 06 (50 min at load ~10: the out-of-time AUC bootstrap, the
Granger bootstrap and the horizon fits on the 12M-row panel, each starved of CPU here), then
the parent's setup (25 min: block validation and the DuckDB panel), then step 03 (10 min: the
lifecycle bootstrap over 1M accounts).

Since then (scale1m, 888be19..7c9eb91), measured at 100,000 accounts (kernel peak GB):
  01 1.0 -> 0.31, 02 2.6 -> 1.8, 03 1.0 -> 0.66, 04 4.1 -> 2.4, 05 2.7 -> 2.1, 06 3.1 -> 2.8,
  07 2.1 -> 0.30, the same summary.json: a kernel reads a part of the cache entry on first use,
  the panel's columns a step needs only, and hashes no file whose stamp is unchanged since the
  parent checked the entry. Estimated at 1M from 100k and a 300k-account panel (a fixed part
  of ~0.3 GB plus panel parts x10, cell parts x2): 01 ~0.3, 02 ~3.5, 03 ~3.8, 04 ~4.8, 05 ~4.7,
  07 ~0.3 GB; 06 stays above 5 GB (it derives each question's outcomes from the whole panel, in
  both processes). Not yet measured at 1M.
100,000 accounts at c1434e9 (everything above merged: lazy parts and column projection in the
kernels, the demo now plants the tracking truths: 15.0M interactions instead of 13.6M), CSV,
every default, cold cache, 2026-12-06 00:42 UTC, load 1.3-2.0 (machine otherwise idle):
accounts interactions generate s gen GB setup s    01 s/GB    02 s/GB    03 s/GB    04 s/GB    05 s/GB    06 s/GB    07 s/GB parent GB sum GB  wall s
  100000   15,022,051       78.8    9.7    68.1    3.3/0.3   13.2/2.4   21.3/0.7   21.5/2.9    9.8/2.2   71.5/3.0    2.5/0.3      4.66   4.66   212.1
 path: ~15.0M rows, expected ~23 GB per step in memory, 23 GB free: streamed (stream: auto)
 summed peak by phase: setup 4.66, 01 0.88, 02 3.03, 03 1.28, 04 3.53, 05 2.90, 06 1.51, 07 3.60
 verdicts: leading at h = 2 x3, segments differs_before x3.
**3 min 32 s and 4.66 GB summed (the parent's setup) with 10% more interactions**: kernels
0.3 / 2.4 / 0.7 / 2.9 / 2.2 / 3.0 / 0.3 GB (were 1.1 / 2.6 / 1.2 / 4.0 / 2.9 / 3.0 / 2.1). The
demo's generation with the tracking plants peaks at 9.7 GB at 100,000 accounts (`rvq demo
--no-track` writes the world without them; a sharded book peaks at one shard's).
"""
