"""A wheel runs the pilot: `pip install rvq-*.whl`, then `rvq demo` and `rvq pilot` from a
folder outside the checkout, with the notebooks the wheel carries (package `rvq.notebooks`).

The wheel is built with `pip wheel` (the build tools come with the `test` extra, so the
build downloads nothing) from a copy of the sources, so the checkout gets no `build/` folder. It is installed with `--no-deps` into a
fresh venv; to spare downloading every dependency again, that venv then sees this test
environment's packages through a `.pth` file naming its site-packages (a path line is
appended to sys.path; the `.pth` files in that folder, such as an editable install's
import hook, are not run), and its Jupyter data files (nbconvert's templates) through
JUPYTER_PATH. rvq itself and its notebooks come from the wheel: asserted, for the command
and for every notebook kernel (an IPython startup file records what each kernel ran).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from rvq.pipeline import STEPS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: what building the wheel reads
SOURCES = ("pyproject.toml", "README.md", "rvq", "notebooks")

KERNEL_PROBE = """\
import json, os, sys
import rvq
with open(os.environ["RVQ_TEST_KERNELS"], "a", encoding="utf-8") as record:
    record.write(json.dumps({"python": sys.executable, "rvq": rvq.__file__}) + "\\n")
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """rvq's wheel, built from a copy of the sources."""
    root = tmp_path_factory.mktemp("wheel")
    (root / "src").mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
            shutil.copytree(source, root / "src" / name, ignore=ignore)
        else:
            shutil.copy2(source, root / "src" / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--wheel-dir", str(root / "dist"), str(root / "src")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (found,) = (root / "dist").glob("rvq-*.whl")
    return found


def test_the_wheel_carries_every_module_data_file_and_notebook(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "rvq"
    for path in package.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert path.relative_to(ROOT).as_posix() in names
    for step in STEPS:
        assert f"rvq/notebooks/{step.name}.ipynb" in names
    assert "rvq/notebooks/__init__.py" in names
    assert not any(n.startswith(("notebooks/", "tests/", "data/")) for n in names)


def fresh_venv(folder: Path, wheel: Path) -> tuple[Path, Path]:
    """A venv with the wheel installed (no dependencies) that sees this environment's
    packages; returns its `bin` and site-packages folders."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install",
         "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-3000:]
    # the .pth only after the install: with this environment's rvq in sight, pip would find
    # rvq installed already and set about replacing it
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    Path(site, "rvq-test-environment.pth").write_text("\n".join(ours) + "\n")
    return folder / "bin", Path(site)


def test_rvq_pilot_runs_from_the_wheel_outside_the_checkout(wheel, tmp_path):
    bin_dir, site = fresh_venv(tmp_path / "venv", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert ROOT not in elsewhere.parents
    (tmp_path / "ipython" / "profile_default" / "startup").mkdir(parents=True)
    (tmp_path / "ipython" / "profile_default" / "startup" / "probe.py").write_text(KERNEL_PROBE)
    kernels = tmp_path / "kernels.jsonl"
    hidden = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "JUPYTER_PATH"}
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_PATH=str(Path(sys.prefix, "share", "jupyter")),
        RVQ_CACHE_DIR=str(tmp_path / "cache"),
        MPLBACKEND="agg",
        IPYTHONDIR=str(tmp_path / "ipython"),
        RVQ_TEST_KERNELS=str(kernels),
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    where = run(
        str(bin_dir / "python"), "-c", "import sys, rvq; print(rvq.__file__, sys.meta_path)"
    )
    rvq_file, meta_path = where.stdout.split(" ", 1)
    assert Path(rvq_file).is_relative_to(site), rvq_file
    assert "Editable" not in meta_path  # the test environment's editable install is not active

    demo, reports = tmp_path / "demo", tmp_path / "reports"
    run(str(bin_dir / "rvq"), "demo", "--out", str(demo), "--accounts", "150", "--periods", "8")
    done = run(str(bin_dir / "rvq"), "pilot", str(demo), "--out", str(reports))

    index = Path(done.stdout.strip().splitlines()[-1].removeprefix("report: "))
    run_dir = index.parent
    assert run_dir.parent.parent == reports and index.is_file()
    summary = json.loads((run_dir / "summary.json").read_text())
    prospects = json.loads((demo / "truth.json").read_text())["prospects"]["count"]
    assert summary["data"]["accounts"] == 150 + prospects and summary["data"]["periods"] == 8
    for step in STEPS:
        executed = json.loads((run_dir / f"{step.name}.ipynb").read_text())
        source = Path(executed["metadata"]["papermill"]["input_path"])
        assert source.parent.name == "notebooks" and source.is_relative_to(site), source
    assert kernels.is_file(), "no kernel ran the IPython startup probe"
    records = [json.loads(line) for line in kernels.read_text().splitlines()]
    assert len(records) == len(STEPS)
    for record in records:
        assert Path(record["python"]).parent == bin_dir, record
        assert Path(record["rvq"]).is_relative_to(site), record
