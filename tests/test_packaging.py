"""Packaging stays honest: environment.yml lists what pyproject.toml installs, and the
console script and version answer."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

#: PyPI name -> conda-forge name, where they differ
CONDA_NAMES = {"duckdb": "python-duckdb"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower()


def pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for reqs in project["optional-dependencies"].values():
        names |= {_name(r) for r in reqs if not r.startswith("rvq[")}
    return {CONDA_NAMES.get(n, n) for n in names}


def environment_requirements() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    return names - {"python", "pip"}


def test_environment_yml_matches_pyproject():
    in_pyproject, in_environment = pyproject_requirements(), environment_requirements()
    assert in_pyproject - in_environment == set(), "missing from environment.yml"
    assert in_environment - in_pyproject == set(), "in environment.yml but not pyproject.toml"


def test_environment_yml_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section
    assert env["channels"][0] == "conda-forge"


def _rvq(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rvq.cli", *args], capture_output=True, text=True, check=False
    )


def test_version_and_help_on_every_command():
    from rvq import __version__
    from rvq.cli import COMMANDS

    version = _rvq("--version")
    assert version.returncode == 0 and __version__ in version.stdout
    assert {"demo", "validate", "backtest", "pilot"} <= set(COMMANDS)
    for command in COMMANDS:
        result = _rvq(command, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage: rvq " + command in result.stdout


def test_missing_source_is_a_one_line_error(tmp_path):
    result = _rvq("validate", str(tmp_path / "nowhere"))
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "nowhere" in result.stderr
