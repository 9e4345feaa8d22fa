"""`rvq pilot`: the seven pilot notebooks run with papermill into one report folder.

`run_pilot(source)` validates the parameters and the dataset first (a fatal problem stops
with a one-line reason before any folder exists), then writes a new run folder
`<out>/<client>/<run-id>.partial`, runs the notebooks in order, renders each to a page
without code, writes `summary.json` and `index.html`, and only then renames the folder to
`<run-id>`. A failing step stops the run: the folder becomes `<run-id>.failed` with an
`error.html`, and `PilotError` carries the step, cell and error in one line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import importlib.resources
import json
import logging
import os
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from rvq import __version__, report
from rvq.errors import folder_error_line
from rvq.inputs.dataset import table_file_notes
from rvq.pilot import (
    Pilot,
    PilotInputError,
    entry_checked_files,
    one_line,
    open_pilot,
    pilot_info,
)
from rvq.scoring.footprint import gigabytes

KERNEL_NAME = "python3"


class PilotError(Exception):
    """A pilot run that could not start or did not finish: a one-line reason."""


@dataclass(frozen=True)
class Step:
    """One pilot step: its notebook (by stem), its title and its line on the index."""

    name: str
    title: str
    description: str


STEPS: tuple[Step, ...] = (
    Step(
        "01_process_model",
        "a. Process model",
        "The pro forma model: every interaction by stage, function and value aspect, "
        "its RV and cost, the checks, and a sign-off table for the team.",
    ),
    Step(
        "02_data_map",
        "b. Data map",
        "Which interactions, sources and teams the data covers over time, and the gaps "
        "that matter most.",
    ),
    Step(
        "03_lifecycle_report",
        "c. Lifecycle report",
        "Where in Acquisition, Closing and Retention the RV of good and poor outcomes "
        "parts ways: what needs further analysis.",
    ),
    Step(
        "04_process_gaps",
        "d. Process gaps",
        "The most critical gaps, with their cost and the Brand, Product and Experience "
        "value aspects, and a roadmap for improvement.",
    ),
    Step(
        "05_historical_record",
        "e. Historical record",
        "How complete the record of priority customers is, and the data to request from each team.",
    ),
    Step(
        "06_rv_backtest",
        "f. RV back-test",
        "Is RV a leading indicator of profit, revenue growth and share of wallet, and by "
        "how many periods?",
    ),
    Step(
        "07_findings",
        "g. Findings",
        "The pilot's seven questions answered with verdicts, evidence and next steps.",
    ),
)


class NotebookParameters(BaseModel):
    """Every parameter a pilot notebook declares, with its type: what `run_pilot` may
    inject. Unknown names and wrong types are errors (papermill itself only warns)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    source: str = "../data/demo"
    run_dir: str = ""
    cache_dir: str = ""
    top_components: int = 10
    n_gaps: int = 3
    priority_top_n: int = 0
    horizons: list[int] = []
    seed: int = -1


def shipped_notebooks() -> Path:
    """The step notebooks that came with the rvq being run.

    From a source checkout (`pip install -e`, or the checkout on PYTHONPATH) they are its
    top-level `notebooks/` folder, beside `rvq/`; a wheel installs that folder as package
    `rvq.notebooks`. The checkout is looked at first: under PYTHONPATH the import system
    could resolve `rvq.notebooks` to another checkout's editable install.
    """
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "notebooks").is_dir():
        return checkout / "notebooks"
    try:
        return Path(str(importlib.resources.files("rvq.notebooks")))
    except ModuleNotFoundError:
        raise PilotError("the pilot notebooks (package rvq.notebooks) are not installed") from None


def check_parameters(parameters: Mapping[str, Any]) -> NotebookParameters:
    """`parameters` validated against `NotebookParameters`; a `PilotError` naming the first
    unknown or mistyped parameter otherwise."""
    try:
        return NotebookParameters.model_validate(dict(parameters))
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(p) for p in error["loc"])
        if error["type"] == "extra_forbidden":
            known = ", ".join(NotebookParameters.model_fields)
            raise PilotError(f"unknown parameter {name!r} (known: {known})") from None
        raise PilotError(
            f"parameter {name!r}: {error['msg']} (got {error.get('input')!r})"
        ) from None


def declared_parameters(notebook: str | os.PathLike) -> set[str]:
    """The parameter names a notebook's `parameters` cell declares (papermill's reading)."""
    import papermill

    return set(papermill.inspect_notebook(os.fspath(notebook)))


def this_interpreter_kernel_manager(log: Path | None = None):
    """A jupyter KernelManager class whose kernel is always this Python interpreter.

    The pilot must run in the environment rvq is installed in, on a fresh machine with
    no `jupyter kernelspec install` and whatever kernelspecs a user has lying around.
    The kernel process's own messages (start-up notices, shutdown noise) go to `log`
    instead of the terminal, where they would break the progress bar; what the notebook's
    code prints is unaffected (it travels to the notebook, not to the process's stderr).
    """
    from ipykernel.kernelspec import get_kernel_dict
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    class ThisInterpreterKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            if self._kernel_spec is None:
                self._kernel_spec = KernelSpec(resource_dir="", **get_kernel_dict())
            return self._kernel_spec

        async def start_kernel(self, **kw):
            if log is None:
                return await super().start_kernel(**kw)
            # the kernel process gets its own copy of the file; ours closes once it started
            with open(log, "a", encoding="utf-8") as stream:
                kw.setdefault("stdout", stream)
                kw.setdefault("stderr", stream)
                return await super().start_kernel(**kw)

    return ThisInterpreterKernelManager


def new_run_id(key: str = "") -> str:
    """A run id: UTC timestamp plus a short hash, e.g. `20261124T101500Z-3fa9c2`."""
    now = dt.datetime.now(dt.UTC)
    salt = f"{key}:{time.time_ns()}:{os.getpid()}".encode()
    return f"{now:%Y%m%dT%H%M%SZ}-{hashlib.sha256(salt).hexdigest()[:6]}"


#: Latin letters that Unicode does not decompose into a base letter and a mark
_LATIN_LETTERS = str.maketrans(
    {"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
     "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D"}
)  # fmt: skip


def client_folder_name(name: str) -> str:
    """A client's name as a folder name people can still read: accents dropped
    (`Müller & Söhne` → `Muller-Sohne`), letters of other scripts kept as they are
    (`Газпром`), every other run of characters one `-`; at most 80 characters, and
    `client` only when nothing readable is left."""
    decomposed = unicodedata.normalize("NFKD", str(name).translate(_LATIN_LETTERS))
    kept = "".join(
        c if c.isascii() or c.isalnum() else ("" if unicodedata.combining(c) else "-")
        for c in decomposed
    )
    slug = re.sub(r"[^\w.-]+", "-", unicodedata.normalize("NFC", kept)).strip("-.")
    return slug[:80].rstrip("-.") or "client"


def unfinished_runs(client_dir: Path) -> list[Path]:
    """Run folders in `client_dir` still named `.partial`: a run killed before it could
    rename its folder (an interrupted or failed run renames it `.failed`), or one running
    now beside this one."""
    if not client_dir.is_dir():
        return []
    return sorted(p for p in client_dir.glob("*.partial") if p.is_dir())


def unfinished_runs_line(client_dir: Path) -> str | None:
    """One line naming the `.partial` folders of `client_dir`, or None when there are none."""
    stale = unfinished_runs(client_dir)
    if not stale:
        return None
    names = ", ".join(str(p) for p in stale)
    return (
        f"unfinished run folder{'s' if len(stale) > 1 else ''} left by a run that was killed "
        f"(or is still running): {names}; delete once no run is using it"
    )


#: what to do when the reports folder cannot be written
_OUT_FIX = "choose another folder with --out (or the config's `output`)"


def check_reports_folder(out_dir: Path) -> None:
    """A `PilotError` when `out_dir` cannot hold run folders: it, or a folder above it,
    is a file, or a link to nothing (a dangling link, e.g. to an unmounted drive: rvq
    will not create its target)."""
    for path in (out_dir, *out_dir.parents):
        if path.is_symlink() and not path.exists():
            raise PilotError(
                f"reports folder {out_dir}: {path} is a link to {os.readlink(path)}, "
                f"which does not exist; create it or {_OUT_FIX}"
            )
        if path.exists():
            if not path.is_dir():
                raise PilotError(
                    f"reports folder {out_dir}: {path} is a file, not a folder; {_OUT_FIX}"
                )
            return


def _new_run_folder(client_dir: Path, key: str) -> tuple[str, Path]:
    """Create `<client_dir>/<run-id>.partial`, never reusing an earlier run's id."""
    client_dir.mkdir(parents=True, exist_ok=True)
    while True:
        run_id = new_run_id(key)
        taken = [client_dir / f"{run_id}{s}" for s in ("", ".partial", ".failed")]
        if any(p.exists() for p in taken):
            continue
        try:
            taken[1].mkdir()
        except FileExistsError:
            continue
        return run_id, taken[1]


def _config_parameters(pilot: Pilot) -> dict[str, Any]:
    config = pilot.config
    if hasattr(config, "model_dump"):
        return report.to_jsonable(config.model_dump(mode="json"))
    return {}


def _step_error_line(step: Step, exc: Exception) -> tuple[str, str, str]:
    """One readable line for a failed step, with the failing cell's source and traceback."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        source = exc.source or ""
        first = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
        evalue = (str(exc.evalue).strip().splitlines() or [""])[0]
        cell = f"cell {exc.exec_count}" if exc.exec_count else f"cell #{exc.cell_index}"
        line = f"step {step.name} failed at {cell} (`{first[:60]}`): {exc.ename}: {evalue}"
        return line, source, report.strip_ansi("\n".join(exc.traceback or []))
    return f"step {step.name} failed: {type(exc).__name__}: {one_line(exc)}", "", ""


def _fail(run_dir: Path, message: str, **details: Any) -> Path:
    """Write error.html into the run folder and rename it `<run-id>.failed`."""
    links = [
        {"href": p.name, "text": p.name}
        for p in sorted(run_dir.glob("*.ipynb")) + sorted(run_dir.glob("*.html"))
        if p.name != "error.html"
    ]
    try:
        report.write_error_html(run_dir, message=message, links=links, **details)
    finally:
        failed = run_dir.with_name(run_dir.name.removesuffix(".partial") + ".failed")
        if run_dir.exists():
            run_dir.rename(failed)
    return failed


class KernelWatch:
    """The peak resident memory of this process's children (a step's kernel) while a
    step runs: a thread samples them every `interval` seconds. Used as a context manager;
    `peak` is the largest summed RSS seen, `least_free` the least memory the system had
    available meanwhile (how close it came to the OOM killer)."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak = 0
        self.least_free: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            rss = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # gone between listing and reading
                    rss += child.memory_info().rss
            self.peak = max(self.peak, rss)
            free = psutil.virtual_memory().available
            self.least_free = free if self.least_free is None else min(self.least_free, free)
            self._stop.wait(self.interval)

    def __enter__(self) -> KernelWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def dead_kernel_line(step: Step, watch: KernelWatch, streamed: bool) -> str:
    """One line for a step whose kernel died: which step, its peak memory and the
    setting that avoids it (a kernel killed mid-step is almost always out of memory)."""
    peak = f"peak {gigabytes(watch.peak)} resident" if watch.peak else "peak memory unknown"
    free = f", {gigabytes(watch.least_free)} left free" if watch.least_free is not None else ""
    fix = (
        "run on a machine with more memory (the interactions were already streamed)"
        if streamed
        else "set `stream: always` in the config (reads the interactions in blocks), "
        "or run on a machine with more memory"
    )
    return (
        f"step {step.name} failed: its kernel died ({peak}{free}), most likely out of memory; {fix}"
    )


def execute_notebook(
    source: Path,
    executed: Path,
    parameters: Mapping[str, Any],
    *,
    cwd: Path,
    log: Path,
    kernel_name: str = KERNEL_NAME,
) -> None:
    """Run the notebook `source` with papermill into `executed`, quietly, in a kernel of
    this interpreter whose output goes to `log` (a pilot step's and the tracking page's)."""
    import papermill

    papermill.execute_notebook(
        str(source),
        str(executed),
        parameters=dict(parameters),
        kernel_name=kernel_name,
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        cwd=str(cwd),
        kernel_manager_class=this_interpreter_kernel_manager(log),
        shutdown_kernel="immediate",  # the executed notebook is saved: no need to wait
    )


def execute_step(
    step: Step,
    run_dir: Path,
    parameters: NotebookParameters,
    *,
    notebooks: Path,
    kernel_name: str = KERNEL_NAME,
) -> Path:
    """Run one step's notebook with papermill into the run folder and render its page."""
    source = notebooks / f"{step.name}.ipynb"
    declared = declared_parameters(source)
    values = parameters.model_dump()
    inject = {k: v for k, v in values.items() if k in declared and k in parameters.model_fields_set}
    executed = run_dir / f"{step.name}.ipynb"
    execute_notebook(
        source, executed, inject, cwd=notebooks, log=run_dir / "kernel.log", kernel_name=kernel_name
    )
    report.render_notebook_html(executed, run_dir / f"{step.name}.html", title=step.title)
    return executed


def _release_memory() -> None:
    """Collect garbage and hand freed heap back to the system (glibc and Arrow's memory
    pool keep it otherwise: after scoring a large book the process would sit on gigabytes
    while notebooks run; at 20,000 demo accounts Arrow's pool alone kept 0.3 GB)."""
    gc.collect()
    import pyarrow

    pyarrow.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        pass


def run_pilot(
    source: str | os.PathLike,
    out: str | os.PathLike | None = None,
    progress: bool = True,
    *,
    parameters: Mapping[str, Any] | None = None,
    notebooks: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    steps: tuple[Step, ...] = STEPS,
    refresh: bool = False,
) -> Path:
    """Run the whole pilot on `source` (dataset folder or YAML config); return the run folder.

    `out` is the reports folder (default: the config's `output`, else `reports`);
    `parameters` are notebook parameters to override (validated: unknown or mistyped is an
    error); `notebooks` the folder of the step notebooks (default: `shipped_notebooks()`);
    `cache_dir` where the scored pilot is cached; `refresh` re-scores the inputs even on
    a cache hit (the notebooks then open the fresh pilot). Raises `PilotError` with a one-line reason.
    """
    from tqdm.auto import tqdm

    logging.getLogger("papermill").setLevel(logging.WARNING)
    notebooks = Path(notebooks or shipped_notebooks()).resolve()
    missing = [s.name for s in steps if not (notebooks / f"{s.name}.ipynb").is_file()]
    if missing:
        raise PilotError(f"notebooks missing from {notebooks}: {', '.join(missing)}")
    overrides = dict(parameters or {})
    reserved = {"source", "run_dir", "cache_dir"} & set(overrides)
    if reserved:
        raise PilotError(f"parameter {sorted(reserved)[0]!r} is set by the pilot itself")
    check_parameters(overrides)
    undeclared = set(overrides) - set().union(
        *(declared_parameters(notebooks / f"{s.name}.ipynb") for s in steps)
    )
    if undeclared:
        raise PilotError(f"parameter {sorted(undeclared)[0]!r} is declared by no notebook")

    try:
        pilot = open_pilot(source, cache_dir=cache_dir, refresh=refresh)
    except PilotInputError as exc:
        raise PilotError(str(exc)) from None

    out_dir = Path(out or getattr(pilot.config, "output", None) or "reports").expanduser()
    check_reports_folder(out_dir)
    client_dir = out_dir.resolve() / client_folder_name(pilot.client)
    notes = [*table_file_notes(pilot.config)]
    notes += [line] if (line := unfinished_runs_line(client_dir)) else []
    for note in notes if progress else ():
        print(f"note: {note}", file=sys.stderr)
    try:
        run_id, run_dir = _new_run_folder(client_dir, pilot.key)
    except OSError as exc:  # read-only, or a file where a folder should be
        raise PilotError(folder_error_line(exc, "the run folder", _OUT_FIX)) from None
    if pilot.path_line:  # in memory or streamed, and why: said once the run has its folder,
        notes.append(pilot.path_line)  # so a run that cannot start stays one line
        if progress:
            print(f"note: {pilot.path_line}", file=sys.stderr)
    for note in notes:
        _log(run_dir, note)
    params = check_parameters(
        {
            "source": str(pilot.source),
            "run_dir": str(run_dir),
            "cache_dir": str(pilot.cache_dir.parent),
            **overrides,
        }
    )
    timings: dict[str, float] = {}
    peaks: dict[str, float] = {}
    run_record = {
        "client": pilot.client,
        "run_id": run_id,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "rvq_version": __version__,
        "period": pilot.period_word,
        "pilot": pilot_info(pilot),
        "parameters": {**_config_parameters(pilot), **overrides},
        "data": pilot.data_counts(),
        "tables": pilot.table_counts(),
        "timings": timings,
        "kernel_peak_gb": peaks,
        "notes": notes,
        "entry_checked": entry_checked_files(pilot),  # the kernels hash only what changed
    }
    report.record_findings(report.RUN_RECORD, run_record, run_dir=run_dir)
    streamed = bool(pilot.streamed)
    del pilot  # each notebook opens it from the cache: do not hold a second copy meanwhile
    _release_memory()

    bar = tqdm(steps, desc="rvq pilot", unit="step", disable=not progress, file=sys.stderr)
    step, watch = steps[0], KernelWatch()  # bound for the failure line, whatever fails
    try:
        for step in bar:
            bar.set_postfix_str(step.name)
            started = time.perf_counter()
            with KernelWatch() as watch:
                execute_step(step, run_dir, params, notebooks=notebooks)
            timings[step.name] = round(time.perf_counter() - started, 2)
            peaks[step.name] = round(watch.peak / 1e9, 2)
            _log(run_dir, f"step {step.name}: {timings[step.name]} s, kernel peak "
                 f"{gigabytes(watch.peak)} resident")  # fmt: skip
        bar.close()
        report.record_findings(report.RUN_RECORD, run_record, run_dir=run_dir)
        finish_report(run_dir, steps=steps, run_record=run_record)
    except Exception as exc:
        bar.close()
        if isinstance(exc, _ReportError):
            line, cell, tb = str(exc), "", ""
            where = None
        else:
            line, cell, tb = _step_error_line(step, exc)
            where = step.name
        if _kernel_died(exc):
            line = dead_kernel_line(step, watch, streamed)
        _log(run_dir, line)
        failed = _fail(run_dir, line, step=where, cell_source=cell, traceback=tb)
        raise PilotError(f"{line} (see {failed / 'error.html'})") from None
    except BaseException:  # interrupted: never leave a folder that looks in progress
        bar.close()
        _fail(run_dir, "the run was interrupted")
        raise
    final = run_dir.with_name(run_id)
    run_dir.rename(final)
    return final


#: the run's own log in its folder: how the interactions were read, each step's time and
#: its kernel's peak memory, and why a run failed
RUN_LOG = "run.log"


def _log(run_dir: Path, line: str) -> None:
    """Append one time-stamped line to the run folder's `RUN_LOG`."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    with open(run_dir / RUN_LOG, "a", encoding="utf-8") as log:
        log.write(f"{stamp} {line}\n")


def _kernel_died(exc: BaseException) -> bool:
    """True for nbclient's error when a step's kernel process died under it."""
    from nbclient.exceptions import DeadKernelError

    return isinstance(exc, DeadKernelError)


class _ReportError(Exception):
    """The notebooks ran but their records do not make a report that keeps contract 3."""


def finish_report(
    run_dir: Path, *, steps: tuple[Step, ...], run_record: Mapping[str, Any]
) -> dict[str, Any]:
    """Write `summary.json` and `index.html` from the run's findings records."""
    try:
        summary = report.build_summary(run_dir)
    except KeyError as exc:
        reason = exc.args[0] if exc.args else "a findings record is missing"
        raise _ReportError(f"cannot build summary.json: {reason}") from None
    problems = report.check_summary(summary)
    if problems:
        raise _ReportError(f"summary.json breaks contract 3: {problems[0]}")
    (run_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, allow_nan=False, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    records = report.read_findings(run_dir)
    final = records.get(report.FINDINGS_STEP, {})
    report.write_index_html(
        run_dir,
        summary,
        steps=[
            {
                "html": f"{s.name}.html",
                "notebook": f"{s.name}.ipynb",
                "title": s.title,
                "description": s.description,
                "headline": str(records.get(s.name, {}).get("headline") or ""),
            }
            for s in steps
        ],
        parameters=run_record.get("parameters", {}),
        answers=final.get("answers"),
        recommendations=final.get("next_steps"),
        table_counts=run_record.get("tables"),
        period=str(run_record.get("period", "")),
    )
    return summary
