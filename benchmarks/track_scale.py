"""Benchmark: `rvq track` on a large book with every default (issue 14: "time both on the
2,000-account demo and at 100,000 accounts").

    nice .venv/bin/python benchmarks/track_scale.py /tmp/rs/d100k --work /tmp/rs/tscache/run
    nice .venv/bin/python benchmarks/track_scale.py data/demo --first 2025Q3 --next 2025Q4

Three runs of `rvq.track.run.run_track` on SOURCE, each a subprocess with every default,
the cache in ``<work>/cache`` (cold before the first run) and the reports and store in
``<work>/reports``:

1. first: ``--first`` (default 2025Q3, the last complete period minus one), the store empty;
2. again: the same period (nothing to append);
3. next: ``--next`` (default 2025Q4, the last complete period): one period appended.

Every `--every` seconds (default 0.2) psutil sums the resident memory (RSS) over the
run's process tree (the run and the page's notebook kernel). Per run the table shows the
wall and CPU seconds of the process tree (CPU: `resource.getrusage` of the children,
kernels included), the periods appended, the seconds of each phase as `run_track` times
them (open the pilot, append, read the history back, lists, page) and the summed peak of
each phase. ``<work>`` is deleted at the end unless ``--keep``. Measured figures are at
the end of this file (``RESULTS``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GB = 1e9
#: the child: one `run_track`, its phases' seconds as JSON on the last line of stdout
RUN_SCRIPT = """
import json, sys, time
from rvq.track.run import run_track
started = time.time()
done = run_track(sys.argv[1], as_of=sys.argv[2], out=sys.argv[3])
print(json.dumps({"started": started, "seconds": done.seconds,
                  "appended": [str(p) for p in done.appended], "tracked": len(done.tracked)}))
"""
PHASES = ("open_pilot", "append", "read_history", "lists", "page")


def watch_run(
    source: str, period: str, work: Path, every: float, kill_above: float | None = None
) -> dict:
    """One `run_track` of ``source`` up to ``period`` as a subprocess, its tree's memory
    sampled every ``every`` seconds; the tree is stopped when it passes ``kill_above``
    bytes (the machine is shared)."""
    import psutil

    env = {**os.environ, "RVQ_CACHE_DIR": str(work / "cache")}
    command = [sys.executable, "-c", RUN_SCRIPT, source, period, str(work / "reports")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    root = psutil.Process(child.pid)
    samples: list[tuple[float, int]] = []
    while child.poll() is None:
        try:
            total = root.memory_info().rss
            for process in root.children(recursive=True):
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
        except psutil.Error:
            break
        samples.append((time.time(), total))
        if kill_above and total > kill_above:
            for process in [*root.children(recursive=True), root]:
                with contextlib.suppress(psutil.Error):
                    process.kill()
            raise SystemExit(f"run_track {period} stopped at {total / GB:.1f} GB resident")
        time.sleep(every)
    out, err = child.communicate()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if child.returncode:
        raise SystemExit(f"run_track {period} failed:\n{err.decode(errors='replace')[-3000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    phase_peak, edge = {}, result["started"]
    for phase in PHASES:
        end = edge + result["seconds"].get(phase, 0.0)
        inside = [rss for t, rss in samples if edge <= t < end]
        phase_peak[phase] = max(inside, default=0)
        edge = end
    return {
        **result,
        "wall_s": wall,
        "cpu_s": cpu,
        "sum_peak": max((rss for _, rss in samples), default=0),
        "phase_peak": phase_peak,
    }


def table(rows: list[tuple[str, dict]]) -> str:
    head = ["run", "appended", "wall s", "CPU s", "peak GB"]
    head += [f"{p} s (GB)" for p in PHASES]
    lines = [" | ".join(head)]
    for name, r in rows:
        cells = [
            name,
            str(len(r["appended"])),
            f"{r['wall_s']:.0f}",
            f"{r['cpu_s']:.0f}",
            f"{r['sum_peak'] / GB:.2f}",
        ]
        cells += [f"{r['seconds'].get(p, 0):.1f} ({r['phase_peak'][p] / GB:.2f})" for p in PHASES]
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="the dataset folder or config, as for `rvq track`")
    p.add_argument("--first", default="2025Q3", help="the first run's period")
    p.add_argument("--next", default="2025Q4", help="the new period of the third run")
    p.add_argument("--work", help="cache, reports and store (default: a temporary folder)")
    p.add_argument("--keep", action="store_true", help="keep --work")
    p.add_argument("--every", type=float, default=0.2, help="seconds between memory samples")
    p.add_argument("--kill-above", type=float, help="stop a run above this many GB resident")
    args = p.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="rvq-track-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for name, period in (("first", args.first), ("again", args.first), ("next", args.next)):
            kill = args.kill_above * GB if args.kill_above else None
            result = watch_run(args.source, period, work, args.every, kill)
            rows.append((f"{name} {period}", result))
            print(f"{name} {period}: {json.dumps(result)}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))


if __name__ == "__main__":
    main()

RESULTS = """
"""
