"""The seven notebooks under nbval (lax mode) with their default parameters.

A BI analyst opens a notebook and runs it top to bottom; its defaults point at
`../data/demo`. The test builds exactly that layout in a temporary folder -- a copy of
`notebooks/` next to `data/demo` holding a small synthetic world -- and runs nbval over it
in a separate pytest, with rvq's cache in the temporary folder. Lax mode checks that
every cell runs without error (outputs are not compared: the notebooks are committed
without them). Notebook 07 reads what 01-06 recorded, so the order matters and is the
files' order.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_notebook_runs_top_to_bottom_on_a_small_demo(tmp_path):
    from rvq import synth

    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert [p.stem[:2] for p in notebooks] == ["01", "02", "03", "04", "05", "06", "07"]
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    world = synth.generate_world(synth.WorldSpec(accounts=200, periods=8, seed=5))
    synth.write_world(world, tmp_path / "data" / "demo")

    env = {**os.environ, "RVQ_CACHE_DIR": str(tmp_path / "cache"), "MPLBACKEND": "agg"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(tmp_path), str(tmp_path / "notebooks")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    tail = done.stdout[-4000:]
    assert done.returncode == 0, tail
    passed = re.search(r"(\d+) passed", tail)
    assert passed and int(passed.group(1)) >= 7 * 4, tail  # every code cell of every notebook
    assert "failed" not in tail, tail
    # interactive runs record their findings next to the cached pilot, for notebook 07
    records = {p.stem for p in (tmp_path / "cache").glob("*/findings/*.json")}
    assert {p.stem for p in notebooks} <= records
