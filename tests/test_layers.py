"""The layers contract (pyproject's `[tool.importlinter]`, run by `make lint`) holds on the
package as it is, and breaks when a lower layer imports a higher one: a copy of the package
gets one upward import, and `lint-imports` must name it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True
    )


@pytest.fixture
def package_copy(tmp_path) -> Path:
    shutil.copytree(ROOT / "rvq", tmp_path / "rvq", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is in the test extra")
@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("stats/norms.py", "from rvq.report import table"),  # statistics importing the report
        ("inputs/readers.py", "from rvq.scoring import events"),  # inputs importing scoring
        ("steps/gaps.py", "from rvq.stats import backtest"),  # steps and stats side by side
    ],
)
def test_an_upward_import_breaks_the_layers_contract(package_copy, module, upward):
    kept = lint_imports(package_copy)
    assert kept.returncode == 0, kept.stdout[-2000:]
    assert "1 kept, 0 broken" in kept.stdout
    with (package_copy / "rvq" / module).open("a", encoding="utf-8") as source:
        source.write(f"\n{upward}  # noqa: E402, F401\n")
    broken = lint_imports(package_copy)
    assert broken.returncode != 0
    importer = "rvq." + module.removesuffix(".py").replace("/", ".")
    assert importer in broken.stdout and "BROKEN" in broken.stdout
