"""`rvq pilot` (rvq.pipeline): parameters, run folders, failures, and the whole pilot end to end.

The first part runs the pipeline's machinery on seven tiny stand-in notebooks with a
stand-in pilot (kernels are real, the data is not), so a failure here points at the
pipeline itself. The second part runs the real notebooks on a small synthetic world,
through the `rvq pilot` command, and checks the report a reviewer opens, also in a
headless browser.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import threading
import weakref
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pandas as pd
import papermill
import pytest
from lead_fixtures import conditions
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from rvq import pipeline, report
from rvq.pilot import PilotInputError
from rvq.stats.backtest import LeadingIndicatorResult

ROOT = Path(__file__).resolve().parents[1]
RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")
CHROMIUM = Path("/usr/bin/chromium")

LEADING = LeadingIndicatorResult(
    outcome="profit",
    verdict="leading",
    reason="all three conditions of the verdict rule hold",
    best_horizon=2,
    effect=0.3,
    ci_low=0.1,
    ci_high=0.5,
    p_value=0.001,
    p_adjusted=0.004,
    reverse_p_value=0.5,
    conditions=conditions("leading"),
)
BACKTEST = {
    "headline": "profit: leading",
    "leading_indicator": {
        "profit": LEADING.to_dict(),
        "revenue_growth": replace(
            LEADING, outcome="revenue_growth", verdict="not_leading", p_adjusted=0.4
        ).to_dict(),
        "share_of_wallet": LeadingIndicatorResult(
            "share_of_wallet", "insufficient_data", "no wallet column"
        ).to_dict(),
    },
    "segments": {},
    "do_vs_say": {"summary": "RV and NPS agree."},
}
DATA = {
    "events_read": 100,
    "events_used": 97,
    "events_set_aside": 3,
    "accounts": 10,
    "periods": 4,
    "first_period": "2024Q1",
    "last_period": "2024Q4",
}
PARAMETERS_CELL = 'source: str = "../data/demo"  # dataset\nrun_dir: str = ""  # run folder\ncache_dir: str = ""  # cache'


def stand_in_notebook(step: str, body: str) -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(f"# {step}\n\nWhat this step shows, in words."),
        new_code_cell(PARAMETERS_CELL, metadata={"tags": ["parameters"]}),
        new_code_cell(
            "from rvq.report import notebook_setup, record_findings\nnotebook_setup(run_dir)"
        ),
        new_code_cell(body),
    ]
    return new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


def write_stand_ins(folder: Path, fail_at: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for step in pipeline.STEPS:
        findings = BACKTEST if step.name == "06_rv_backtest" else {"headline": f"{step.name} ok"}
        body = f"record_findings({step.name!r}, {findings!r}, run_dir=run_dir)\nprint('done')"
        if step.name == fail_at:
            body = "x = 1\nraise ValueError('boom: the stand-in failed\\nsecond line')"
        nbformat.write(stand_in_notebook(step.name, body), folder / f"{step.name}.ipynb")
    return folder


class StandInPilot:
    """What run_pilot needs of a Pilot, without reading or scoring anything."""

    client = "acme & co"
    key = "0123456789abcdef0123"
    period_word = "quarter"
    streamed = False
    path_line = ""

    def __init__(self, root: Path):
        self.source = root / "data"
        self.cache_dir = root / "cache" / self.key
        self.config = SimpleNamespace(output=None, data=None, tables={})

    def data_counts(self):
        return dict(DATA)

    def table_counts(self):
        return {"interactions": {"read": 100, "used": 97, "set_aside": 3}}


@pytest.fixture
def stand_in(tmp_path, monkeypatch):
    monkeypatch.setattr(
        pipeline, "open_pilot", lambda source, cache_dir=None, refresh=False: StandInPilot(tmp_path)
    )
    return tmp_path


def run_folders(out: Path) -> list[Path]:
    return sorted(p for p in out.glob("*/*") if p.is_dir())


# --------------------------------------------------------------------------- parameters


def test_parameters_unknown_or_mistyped_are_errors_naming_them():
    assert pipeline.check_parameters({"n_gaps": 2}).n_gaps == 2
    with pytest.raises(pipeline.PilotError, match="unknown parameter 'n_gap'"):
        pipeline.check_parameters({"n_gap": 2})
    with pytest.raises(pipeline.PilotError, match="parameter 'n_gaps'.*'3'"):
        pipeline.check_parameters({"n_gaps": "3"})
    with pytest.raises(pipeline.PilotError, match=r"parameter 'horizons\.1'"):
        pipeline.check_parameters({"horizons": [1, "two"]})


def test_bad_parameters_stop_before_any_run_folder(stand_in):
    notebooks = write_stand_ins(stand_in / "nb")
    out = stand_in / "reports"
    for bad, message in (
        ({"n_gap": 3}, "unknown parameter 'n_gap'"),
        ({"seed": 1.5}, "parameter 'seed'"),
        ({"run_dir": "/elsewhere"}, "set by the pilot itself"),
        ({"n_gaps": 2}, "declared by no notebook"),  # the stand-ins declare only 3 parameters
    ):
        with pytest.raises(pipeline.PilotError, match=re.escape(message)) as caught:
            pipeline.run_pilot("src", out, progress=False, notebooks=notebooks, parameters=bad)
        assert "\n" not in str(caught.value)
    assert not out.exists() or run_folders(out) == []


def test_a_fatal_dataset_stops_with_one_line_before_any_folder(tmp_path, monkeypatch):
    def fatal(source, cache_dir=None, refresh=False):
        raise PilotInputError(f"{source}: interactions: missing column 'timestamp'")

    monkeypatch.setattr(pipeline, "open_pilot", fatal)
    out = tmp_path / "reports"
    with pytest.raises(pipeline.PilotError, match="missing column 'timestamp'") as caught:
        pipeline.run_pilot(
            "data/x", out, progress=False, notebooks=write_stand_ins(tmp_path / "nb")
        )
    assert "\n" not in str(caught.value)
    assert not out.exists()


def test_the_kernel_is_this_interpreter_whatever_kernelspecs_exist():
    manager = pipeline.this_interpreter_kernel_manager()(kernel_name="python3")
    assert manager.kernel_spec.argv[0] == sys.executable


# --------------------------------------------------------------------------- run folders


def test_a_run_writes_a_complete_folder_and_renames_it_at_the_end(stand_in):
    out = stand_in / "reports"
    run = pipeline.run_pilot("src", out, progress=False, notebooks=write_stand_ins(stand_in / "nb"))
    assert run.parent == out.resolve() / "acme-co"  # client name made safe for a path
    assert RUN_ID.match(run.name) and run_folders(out) == [run]
    for step in pipeline.STEPS:
        assert (run / f"{step.name}.ipynb").is_file() and (run / f"{step.name}.html").is_file()
        assert report.page_problems((run / f"{step.name}.html").read_text()) == []
    summary = json.loads((run / "summary.json").read_text())
    assert report.check_summary(summary) == []
    assert summary["run_id"] == run.name and summary["client"] == "acme & co"
    assert summary["data"] == DATA
    index = (run / "index.html").read_text()
    for href in re.findall(r'<a href="([^"#]+)"', index):
        assert (run / href).is_file(), href
    assert "01_process_model ok" in index  # each step's headline from its findings record
    record = report.read_findings(run)[report.RUN_RECORD]
    assert set(record["timings"]) == {s.name for s in pipeline.STEPS}


def test_a_second_run_gets_its_own_folder(stand_in):
    notebooks = write_stand_ins(stand_in / "nb")
    only_06 = (pipeline.STEPS[5],)
    runs = [
        pipeline.run_pilot("src", stand_in / "r", False, notebooks=notebooks, steps=only_06)
        for _ in range(2)
    ]
    assert runs[0] != runs[1] and all((r / "index.html").is_file() for r in runs)


def test_a_failing_step_stops_the_run_with_step_cell_and_error_in_one_line(stand_in):
    out = stand_in / "reports"
    notebooks = write_stand_ins(stand_in / "nb", fail_at="03_lifecycle_report")
    with pytest.raises(pipeline.PilotError) as caught:
        pipeline.run_pilot("src", out, progress=False, notebooks=notebooks)
    message = str(caught.value)
    assert "\n" not in message
    # In [4] of the executed notebook: parameters, injected parameters, set-up, the failure
    assert "step 03_lifecycle_report failed at cell 4 (`x = 1`)" in message
    assert "ValueError: boom: the stand-in failed" in message and "second line" not in message
    [failed] = run_folders(out)
    assert failed.name.endswith(".failed") and RUN_ID.match(failed.name.removesuffix(".failed"))
    assert not (failed / "index.html").exists() and not (failed / "summary.json").exists()
    assert not (failed / "04_process_gaps.ipynb").exists()  # later steps never ran
    error = (failed / "error.html").read_text()
    assert "03_lifecycle_report" in error and "raise ValueError" in error
    assert "second line" in error  # the full error is on the page


def test_the_parent_holds_no_pilot_while_the_step_kernels_run(tmp_path, monkeypatch):
    """One copy of the pilot per process: `run_pilot` lets go of the pilot it opened once
    the run record is written, before the first kernel starts."""
    opened = weakref.WeakSet()

    def open_stand_in(source, cache_dir=None, refresh=False):
        pilot = StandInPilot(tmp_path)
        opened.add(pilot)
        return pilot

    alive_at_step = []

    def step(step, run_dir, parameters, *, notebooks):
        alive_at_step.append(len(opened))
        raise RuntimeError("stop here: only the first step's start matters")

    monkeypatch.setattr(pipeline, "open_pilot", open_stand_in)
    monkeypatch.setattr(pipeline, "execute_step", step)
    with pytest.raises(pipeline.PilotError, match="stop here"):
        pipeline.run_pilot(
            "src", tmp_path / "r", progress=False, notebooks=write_stand_ins(tmp_path / "nb")
        )
    assert alive_at_step == [0]


# --------------------------------------------------------------------------- the cache


def test_input_version_follows_files_and_config_not_the_clock(tmp_path):
    import os

    from rvq import cache

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "interactions.csv").write_text("a,b\n1,2\n")
    (folder / ".hidden").write_text("ignored")
    first = cache.input_version(folder)
    assert cache.input_version(folder) == first  # same inputs, same key
    (folder / ".hidden").write_text("still ignored")
    assert cache.input_version(folder) == first
    stat = (folder / "interactions.csv").stat()
    os.utime(folder / "interactions.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    touched = cache.input_version(folder)
    assert touched != first  # a re-exported file is a new input version
    assert cache.input_version(folder, config={"seed": 8}) != touched  # so is another config


def test_a_yaml_source_keys_on_the_files_it_names(tmp_path):
    from rvq import cache

    data = tmp_path / "export"
    data.mkdir()
    (data / "interactions.csv").write_text("x\n")
    config = tmp_path / "pilot.yaml"
    config.write_text("client: acme\ndata: export\n")
    assert set(cache.input_files(config)) == {
        config.resolve(),
        (data / "interactions.csv").resolve(),
    }
    before = cache.input_version(config)
    (data / "interactions.csv").write_text("x\ny\n")
    assert cache.input_version(config) != before


def test_cached_builds_once_per_key(tmp_path):
    from rvq import cache

    built = []

    def build():
        built.append(1)
        return {"panel": [1, 2, 3]}

    assert cache.cached("k1", tmp_path, build) == ({"panel": [1, 2, 3]}, False)
    assert cache.cached("k1", tmp_path, build) == ({"panel": [1, 2, 3]}, True)
    assert len(built) == 1 and not list(tmp_path.glob("k1/.pilot-*"))  # no temp folder left
    (tmp_path / "k1" / "pilot" / "panel.json").write_bytes(b"[1, 2")  # a damaged entry is rebuilt
    assert cache.cached("k1", tmp_path, build) == ({"panel": [1, 2, 3]}, False)
    assert len(built) == 2


def test_changed_code_rescores_but_keeps_the_findings_of_the_input_version(tmp_path, monkeypatch):
    from rvq import cache

    module = tmp_path / "score.py"
    module.write_text("v1")
    monkeypatch.setattr(cache, "_code_files", lambda: [module])
    data = tmp_path / "data"
    data.mkdir()
    (data / "interactions.csv").write_text("x\n")
    key, code = cache.input_version(data), cache.code_version()
    findings = tmp_path / "cache" / key / "findings"
    findings.mkdir(parents=True)
    old, new = {"v": "old"}, {"v": "new"}
    assert cache.cached(key, tmp_path / "cache", lambda: old, code=code) == (old, False)
    module.write_text("v2, longer")  # a developer edits the scoring code
    assert cache.input_version(data) == key  # same inputs: same folder, same findings
    new_code = cache.code_version()
    assert new_code != code
    assert cache.cached(key, tmp_path / "cache", lambda: new, code=new_code) == (new, False)
    assert [p.name for p in (tmp_path / "cache" / key).glob("pilot*")] == [f"pilot-{new_code}"]
    assert findings.is_dir()


def test_open_pilot_scores_once_and_refuses_fatal_inputs(tmp_path, valid_tables, write_dataset):
    from rvq import pilot as pilots

    folder = write_dataset(tmp_path / "pilot", valid_tables)
    pilot = pilots.open_pilot(folder, cache_dir=tmp_path / "cache")
    assert pilot.client == "pilot" and pilot.run_dir == pilot.cache_dir
    assert pilot.data_counts()["events_read"] == len(valid_tables["interactions"])
    assert pilot.data_counts()["accounts"] == 5
    again = pilots.open_pilot(folder, cache_dir=tmp_path / "cache", run_dir=tmp_path / "run")
    assert again.key == pilot.key and again.run_dir == (tmp_path / "run").resolve()
    assert again.panel.equals(pilot.panel)
    broken = dict(valid_tables, interactions=valid_tables["interactions"].drop(columns="timestamp"))
    bad = write_dataset(tmp_path / "bad", broken)
    with pytest.raises(PilotInputError, match="timestamp") as caught:
        pilots.open_pilot(bad, cache_dir=tmp_path / "cache")
    assert "\n" not in str(caught.value)


def test_inside_a_run_the_pilot_is_the_one_the_run_record_names(
    tmp_path, valid_tables, write_dataset
):
    """A run's notebooks open the input version the run opened; when an input file has
    changed since, or that version is no longer cached, the step stops with one line
    (issue 12 item 15: a run never mixes two versions of the data); a record of another
    source is not used."""
    from rvq import cache
    from rvq import pilot as pilots

    folder = write_dataset(tmp_path / "pilot", valid_tables)
    store = tmp_path / "cache"
    pilot = pilots.open_pilot(folder, cache_dir=store)
    run = tmp_path / "run"
    report.record_findings(report.RUN_RECORD, {"pilot": pilots.pilot_info(pilot)}, run_dir=run)
    step = pilots.open_pilot(folder, run_dir=run, cache_dir=store)
    assert step.key == pilot.key and step.data_counts() == pilot.data_counts()

    other = tmp_path / "other-run"
    info = {**pilots.pilot_info(pilot), "source": str(tmp_path / "elsewhere")}
    report.record_findings(report.RUN_RECORD, {"pilot": info}, run_dir=other)

    events = folder / "interactions.csv"
    rows = events.read_text().splitlines()
    events.write_text("\n".join(rows[:-1]) + "\n")  # the export changes mid-run
    assert cache.input_version(folder, pilots.load_config(folder)) != pilot.key
    with pytest.raises(PilotInputError, match="never mixes two versions") as caught:
        pilots.open_pilot(folder, run_dir=run, cache_dir=store)
    assert f"the input file {events} changed since this run started" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert pilots.open_pilot(folder, run_dir=other, cache_dir=store).key != pilot.key

    events.write_text("\n".join(rows) + "\n")
    for entry in (store / pilot.key).glob("pilot*"):
        cache.remove_entry(entry)  # the run's version is gone from the cache
    with pytest.raises(PilotInputError, match="no longer in the cache.*rerun `rvq pilot`"):
        pilots.open_pilot(folder, run_dir=run, cache_dir=store)
    assert not list((store / pilot.key).glob("pilot*"))  # nothing was scored under its key


def test_pseudonymized_streamed_cells_stay_sorted_by_their_keys(tmp_path, monkeypatch):
    import yaml

    from rvq import pilot as pilots
    from rvq import synth
    from rvq.scoring import cells

    monkeypatch.setenv("RVQ_PSEUDONYM_KEY", "sorted-cells-key")
    world = synth.generate_world(synth.WorldSpec(accounts=40, periods=6, seed=5))
    data = synth.write_world(world, tmp_path / "data")
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump({"data": str(data), "stream": "always", "privacy": {"pseudonymize": True}})
    )
    pilot = pilots.open_pilot(config, cache_dir=tmp_path / "cache")
    assert pilot.streamed
    keys = [k for k in cells.CELL_KEYS if k in pilot.events]
    assert keys[:2] == ["account_id", "period"]
    got = pilot.events[keys]
    assert got.equals(got.sort_values(keys, ignore_index=True))
    assert pilot.events.index.equals(pd.RangeIndex(len(pilot.events)))


# --------------------------------------------------------------------------- the notebooks


def parameters_cells(nb) -> list:
    return [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("step", [s.name for s in pipeline.STEPS])
def test_each_notebook_is_thin_typed_and_committed_without_outputs(step):
    path = ROOT / "notebooks" / f"{step}.ipynb"
    nb = nbformat.read(path, as_version=4)
    [params] = parameters_cells(nb)
    declared = papermill.inspect_notebook(str(path))
    assignments = [ln for ln in params.source.splitlines() if "=" in ln.split("#")[0]]
    assert len(declared) == len(assignments), "papermill could not read every parameter line"
    fields = pipeline.NotebookParameters.model_fields
    for name, info in declared.items():
        assert name in fields, f"{step}: {name} is not in NotebookParameters"
        assert info["help"], f"{step}: {name} has no comment"
        assert info["inferred_type_name"] != "None", f"{step}: {name} has no type"
        assert ast.literal_eval(info["default"]) == fields[name].default, name
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    setup = code[1].source
    assert "notebook_setup(run_dir)" in setup and "open_pilot(source" in setup
    assert f'STEP = "{step}"' in setup and "record_findings(" in code[-1].source
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 2  # prose beside the output


def test_every_pipeline_parameter_is_declared_by_some_notebook():
    declared = set().union(
        *(set(papermill.inspect_notebook(str(p))) for p in (ROOT / "notebooks").glob("*.ipynb"))
    )
    assert set(pipeline.NotebookParameters.model_fields) == declared


# --------------------------------------------------------------------------- end to end


def small_world(folder: Path, seed: int = 11) -> Path:
    from rvq import synth

    world = synth.generate_world(synth.WorldSpec(accounts=200, periods=8, seed=seed))
    return synth.write_world(world, folder)


def rvq_command(*args: str, env_cache: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "RVQ_CACHE_DIR": str(env_cache)}
    return subprocess.run(
        [sys.executable, "-m", "rvq.cli", *args], capture_output=True, text=True, env=env
    )


@pytest.fixture(scope="module")
def pilot_runs(tmp_path_factory):
    """The report folders of two runs of the same small world and seed: `rvq pilot` as a
    user types it, then -- for the same-seed check -- a second run from a fresh cache
    (read, validate and score again) of the step that draws random numbers (06), which
    is all summary.json's findings come from."""
    root = tmp_path_factory.mktemp("e2e")
    data = small_world(root / "data" / "demo")
    done = rvq_command("pilot", str(data), "--out", str(root / "reports"), env_cache=root / "cache")
    assert done.returncode == 0, done.stderr[-3000:]
    first = Path(done.stdout.strip().splitlines()[-1].removeprefix("report: ")).parent
    second = pipeline.run_pilot(
        data,
        root / "reports",
        progress=False,
        cache_dir=root / "cache2",
        steps=(pipeline.STEPS[5],),
    )
    return [first, second]


def test_rvq_pilot_end_to_end_leaves_a_complete_report(pilot_runs):
    run = pilot_runs[0]
    assert RUN_ID.match(run.name) and run.parent.name == "demo"
    names = {p.name for p in run.iterdir()}
    for step in pipeline.STEPS:
        assert {f"{step.name}.ipynb", f"{step.name}.html"} <= names
    assert {"index.html", "summary.json"} <= names
    summary = json.loads((run / "summary.json").read_text())
    assert report.check_summary(summary) == []
    assert summary["data"]["accounts"] == 200 and summary["data"]["periods"] == 8


def test_no_page_shows_code_errors_tracebacks_or_warnings(pilot_runs):
    run = pilot_runs[0]
    for page in sorted(run.glob("*.html")):
        assert report.page_problems(page.read_text()) == [], page.name
    for executed in sorted(run.glob("*.ipynb")):
        nb = nbformat.read(executed, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                assert output.output_type != "error", executed.name
                assert output.get("name") != "stderr", (executed.name, output.get("text"))


def test_the_same_seed_gives_the_same_findings(pilot_runs):
    first, second = (json.loads((run / "summary.json").read_text()) for run in pilot_runs)
    assert first["run_id"] != second["run_id"] and pilot_runs[0] != pilot_runs[1]
    for summary in (first, second):
        for key in ("run_id", "created"):
            summary.pop(key, None)
    assert first == second


def test_rvq_backtest_and_the_pilot_report_reach_the_same_step_f_answers(pilot_runs):
    """`rvq backtest` and notebook 06 both run `rvq.stats.backtest.run_backtest`: on the
    same world and seed the command's summary, the pilot's summary.json and notebook 06's
    findings record hold the same leading_indicator, segments and do_vs_say sections."""
    run = pilot_runs[0]
    root = run.parents[2]  # <root>/reports/<client>/<run id>, the data in <root>/data/demo
    target = root / "backtest" / "summary.json"
    done = rvq_command(
        "backtest", str(root / "data" / "demo"), "--json", str(target), env_cache=root / "cache"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    command = json.loads(target.read_text())
    pilot = json.loads((run / "summary.json").read_text())
    recorded = report.read_findings(run)[report.BACKTEST_STEP]
    for section in ("leading_indicator", "segments", "do_vs_say"):
        assert command[section] == pilot[section] == recorded[section], section
    assert command["data"] == pilot["data"]


def test_a_mistyped_config_or_a_fatal_dataset_stops_with_one_line_and_no_folder(tmp_path):
    data = small_world(tmp_path / "data")
    config = tmp_path / "pilot.yaml"
    config.write_text(f"client: typo\ndata: {data}\nhorizon: [1, 2]\n")
    broken = tmp_path / "broken"
    shutil.copytree(data, broken)
    interactions = pd.read_csv(broken / "interactions.csv", dtype=str)
    interactions.drop(columns="timestamp").to_csv(broken / "interactions.csv", index=False)
    out = tmp_path / "reports"
    for source, reason in ((config, "horizon"), (broken, "timestamp")):
        done = rvq_command("pilot", str(source), "--out", str(out), env_cache=tmp_path / "cache")
        assert done.returncode != 0
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert reason in done.stderr
    assert not out.exists() or run_folders(out) == []


# --------------------------------------------------------------------------- in a browser


@pytest.fixture
def served(pilot_runs):
    """The first run's folder served on 127.0.0.1 (a reviewer opens it the same way)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(pilot_runs[0])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join(timeout=5)


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium: run .ci/setup-browser.sh (CI does)"
)
def test_index_in_a_browser_links_resolve_images_load_console_clean(served):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1366, "height": 800})
        console_errors = []
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        page.on("pageerror", lambda e: console_errors.append(str(e)))
        page.on("requestfailed", lambda r: console_errors.append(f"failed: {r.url}"))
        page.goto(served + "index.html", wait_until="load")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert len(hrefs) >= 2 * len(pipeline.STEPS)
        for href in sorted(set(hrefs)):
            assert page.request.get(href).status == 200, href
        for step in pipeline.STEPS:
            page.goto(served + f"{step.name}.html", wait_until="load")
            broken = page.eval_on_selector_all(
                "img", "els => els.filter(i => !(i.complete && i.naturalWidth > 0)).length"
            )
            assert broken == 0, step.name
            links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            for href in sorted({h.split("#")[0] for h in links if h.startswith(served)}):
                assert page.request.get(href).status == 200, (step.name, href)
        browser.close()
    assert console_errors == []


def test_a_thin_export_gets_a_complete_report_that_names_what_it_lacks(tmp_path):
    """No wallets and two segment columns missing: every step runs and says what it cannot
    compare (they crashed steps 03 and 06)."""
    data = small_world(tmp_path / "data", seed=5)
    accounts = pd.read_csv(data / "accounts.csv", dtype=str)
    accounts.drop(columns=["industry", "community_role"]).to_csv(data / "accounts.csv", index=False)
    outcomes = pd.read_csv(data / "outcomes.csv", dtype=str)
    outcomes.drop(columns=["wallet", "share_of_wallet"]).to_csv(data / "outcomes.csv", index=False)
    run = pipeline.run_pilot(data, tmp_path / "reports", progress=False, cache_dir=tmp_path / "c")
    summary = json.loads((run / "summary.json").read_text())
    assert summary["leading_indicator"]["share_of_wallet"]["verdict"] == "insufficient_data"
    assert summary["leading_indicator"]["profit"]["verdict"] != "insufficient_data"
    assert "is not compared" in (run / "03_lifecycle_report.html").read_text()
    assert "no industry in" in (run / "06_rv_backtest.html").read_text()
