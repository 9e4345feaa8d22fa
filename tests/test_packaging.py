"""Packaging stays honest: environment.yml lists what pyproject.toml installs, the wheel
holds every folder of the package and the notebooks, what rvq imports comes with
`pip install rvq` (or an extra the command names), and the console script and version
answer. tests/test_wheel.py builds and runs the wheel itself."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_folder_of_the_package_is_listed_and_the_notebooks_are_mapped_in():
    package = ROOT / "rvq"
    folders = [package, *(p for p in package.rglob("*") if p.is_dir())]
    names = {
        ".".join(p.relative_to(ROOT).parts)
        for p in folders
        if all(part.isidentifier() and part != "__pycache__" for part in p.relative_to(ROOT).parts)
    }
    config = setuptools_config()
    assert set(config["packages"]) == names | {"rvq.notebooks"}
    assert config["package-dir"] == {"rvq.notebooks": "notebooks"}
    assert config["package-data"]["rvq.notebooks"] == ["*.ipynb"]
    # a regular package (a namespace one is not found by an editable install's import hook)
    assert (ROOT / "notebooks" / "__init__.py").is_file()


def imported_modules() -> set[str]:
    """The top-level third-party modules rvq's code and the pilot notebooks import."""
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "rvq").rglob("*.py")]
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        sources += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    names = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return names - set(sys.stdlib_module_names) - {"rvq", "__future__"}


def installed_with(requirements: list[str]) -> set[str]:
    """The distributions that installing `requirements` brings along, as installed here."""
    todo = [Requirement(r) for r in requirements]
    seen: set[tuple[str, str]] = set()
    while todo:
        req = todo.pop()
        for extra in {"", *req.extras}:
            key = (canonicalize_name(req.name), extra)
            if key in seen:
                continue
            seen.add(key)
            for line in importlib.metadata.requires(req.name) or []:
                dep = Requirement(line)
                if dep.marker is None or dep.marker.evaluate({"extra": extra}):
                    todo.append(dep)
    return {name for name, _ in seen}


def test_every_module_rvq_imports_comes_with_rvq_or_an_extra_the_command_names():
    from rvq.cli import EXTRAS

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = installed_with(project["dependencies"])
    providers = importlib.metadata.packages_distributions()
    for module in sorted(imported_modules()):
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        assert dists, f"{module} is imported but no installed distribution provides it"
        if dists & core:
            continue
        assert module in EXTRAS, f"{module} ({dists}) is neither a dependency nor in cli.EXTRAS"
        extra = project["optional-dependencies"][EXTRAS[module]]
        assert dists & {canonicalize_name(Requirement(r).name) for r in extra}, module
    for module in ("papermill", "nbconvert", "nbformat", "ipykernel", "jinja2"):
        assert module not in EXTRAS  # the pilot is the main job: its runners are core


def test_a_missing_dependency_is_one_line_naming_what_to_install():
    blocked = "import sys; sys.modules['papermill'] = None; from rvq.cli import main; "
    done = subprocess.run(
        [sys.executable, "-c", blocked + "sys.exit(main(['pilot', 'nowhere']))"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "rvq pilot: papermill is not installed: it comes with rvq's dependencies (pip install rvq)"
    ]


def test_a_missing_optional_module_names_its_extra_also_behind_another_import_error(monkeypatch):
    from rvq.cli import missing_module_line

    monkeypatch.setitem(sys.modules, "pyspark", None)
    try:  # what ibis does when a backend's package is missing
        try:
            import pyspark  # noqa: F401
        except ModuleNotFoundError as missing:
            raise ImportError("Failed to import the pyspark backend") from missing
    except ImportError as exc:
        line = missing_module_line(exc)
    assert line == "pyspark is not installed: pip install 'rvq[spark]'"
    assert missing_module_line(ModuleNotFoundError("no rvq.x", name="rvq.x")) is None
    assert missing_module_line(ImportError("cannot import name 'x'")) is None


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
