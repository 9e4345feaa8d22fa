"""The cached pilot: read, validate and score a source once per input version.

Every pilot notebook starts with `pilot = open_pilot(source)`. The first call reads the
inputs, validates them, scores the interactions and builds the account x period panel;
it stores the result under a key made of the input files (paths, sizes, modification
times), the config and the rvq code, so the six later notebooks of a run -- and any
re-run on unchanged inputs -- open the same pilot in a second instead of re-scoring.
The pilot is stored as Parquet and JSON files (`to_entry`, `from_entry`; `rvq.cache`).
Inside a run, the notebooks open the version the run opened (named in its run record),
and the run stops when it is gone or the input files changed: a run never mixes two
versions of the data.
A fatal validation problem raises `PilotInputError` with a one-line reason. With the
config's `privacy.pseudonymize` on, the dataset is pseudonymized here, before scoring
(`rvq.privacy.protect_dataset`), so nothing downstream sees a raw identifier.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from rvq.cache import (
    CacheEntryError,
    cached,
    checked_files,
    code_version,
    default_cache_dir,
    discard_damaged,
    entry_folder,
    input_stats,
    input_version,
    read_entry,
    remove_entry,
)
from rvq.config import PrivacyConfig
from rvq.errors import PilotInputError, one_line
from rvq.inputs.dataset import Dataset
from rvq.privacy import privacy_settings

_REQUIRED = object()


class _LoadedOnUse:
    """A dataclass field that may be given as a function returning its value (a large
    cached frame, `rvq.cache.read_entry`'s `lazy`): called on first use, so a notebook that
    never reads it never holds it. `default`: the field's default (none: required)."""

    def __init__(self, default: Any = _REQUIRED) -> None:
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, pilot: Any, owner: type | None = None) -> Any:
        if pilot is None:
            if self.default is _REQUIRED:
                raise AttributeError(self.slot)  # for dataclass: the field has no default
            return self.default
        value = getattr(pilot, self.slot)
        if callable(value):
            value = value()
            setattr(pilot, self.slot, value)
        return value

    def __set__(self, pilot: Any, value: Any) -> None:
        setattr(pilot, self.slot, value)


@dataclass
class Pilot:
    """One validated and scored pilot: what every notebook works from.

    `dataset` is the validated `rvq.inputs.dataset.Dataset` (usable rows only, with its validation
    result and config) without its interaction rows (`dataset.interactions` is None: one
    copy of them per process, in `events`); `events` the scored interactions
    (`rvq.scoring.events.score_events`, every column of the interactions and their score);
    `panel` the account x period panel (`rvq.scoring.panels.panel_from_dataset`). A pilot of
    more than `rvq.scoring.cells.CELLS_ABOVE_ROWS` interactions, or whose interactions CSV was
    streamed (`streamed`, see `rvq.scoring.stream`), keeps event cells as its `events`, the
    scored events summed per account, period and interaction (`rvq.scoring.cells.event_cells`),
    which steps b, d and e read as they read events, and a `digest` of the rows for step e's
    row checks: every step's memory then grows with the cells, not the events. `run_dir` is
    where the notebooks record their findings: the run folder under `rvq pilot`, this
    pilot's cache folder in interactive work (so step 07 finds what steps 01-06 recorded).
    """

    source: Path
    key: str
    dataset: Any
    events: pd.DataFrame = _LoadedOnUse()  # type: ignore[assignment]
    panel: pd.DataFrame = _LoadedOnUse()  # type: ignore[assignment]
    cache_dir: Path | None = None
    run_dir: Path | None = None
    streamed: bool = False
    #: with cells, the rows' `rvq.inputs.digest.RowDigest` (step e's row checks)
    digest: Any = _LoadedOnUse(None)
    path_line: str = ""  # how the interactions were read and why (`rvq.scoring.footprint`)
    #: (accounts whose events `events` holds, accounts of the panel) when a streamed book
    #: too large for event cells of every account keeps a sample's (`rvq.scoring.stream`)
    cell_sample: tuple[int, int] | None = None
    #: with `cell_sample`, the ids of the sampled accounts, pseudonymized as the panel's
    #: are (a sampled account may have no interactions, so no cells)
    cell_accounts: pd.Series | None = None
    #: `data_counts` as the cache entry stored them (a step then reads neither panel nor events)
    stored_counts: dict[str, Any] | None = None

    @property
    def config(self) -> Any:
        return self.dataset.config

    @property
    def interaction_rows(self) -> pd.DataFrame | None:
        """The used interactions, one row per event: the scored `events` (they carry every
        column of the interactions; `cost` is the effective cost), or None when `events`
        are cells (step e's row checks then read `digest`)."""
        from rvq.scoring.cells import is_cells

        return None if is_cells(self.events) else self.events

    @property
    def event_panel(self) -> pd.DataFrame:
        """The panel of the accounts whose events `events` holds: the whole panel, unless
        the event cells hold a sample of accounts (`cell_sample`): then the panel of
        exactly the sampled accounts (`cell_accounts`), those without interactions too."""
        if self.cell_sample is None:
            return self.panel
        return self.panel.loc[self.panel["account_id"].isin(self.cell_accounts)]

    @property
    def panel_names(self) -> list[str]:
        """The panel's column names (in a step kernel, without reading the panel)."""
        stored = self._panel  # the frame, or its `rvq.cache.LazyPart` when not yet read
        return list(stored.names if callable(stored) else self.panel.columns)

    def panel_columns(self, wanted: Iterable[str], *, sampled: bool = False) -> pd.DataFrame:
        """The panel's columns among `wanted`, in the panel's order, of every account (of
        `event_panel`'s accounts with `sampled`): what a step reads of the panel. A step
        kernel then reads only those columns from the cache and holds only them."""
        wanted = set(wanted)
        stored = self._panel  # the frame, or its `rvq.cache.LazyPart` when not yet read
        if callable(stored):
            panel = stored([c for c in stored.names if c in wanted])
        else:
            panel = self.panel[[c for c in self.panel.columns if c in wanted]]
        if sampled and self.cell_sample is not None:
            panel = panel.loc[panel["account_id"].isin(self.cell_accounts)]
        return panel

    @property
    def validation(self) -> Any:
        return self.dataset.validation

    @property
    def client(self) -> str:
        """The client's name from the config, else the dataset folder's name."""
        return client_name(self.config, self.source)

    @property
    def synthetic(self) -> bool:
        """Whether the data are a synthetic world of `rvq.synth` (`rvq demo`): its
        truth.json lies beside the tables. The report says so wherever it shows findings."""
        folder = getattr(self.config, "data", None)
        truth = Path(folder) / "truth.json" if folder else None
        if truth is None or not truth.is_file():
            return False
        try:
            document = json.loads(truth.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(document, dict) and {"spec", "model", "outcomes"} <= set(document)

    @property
    def freq(self) -> str:
        """The period frequency, `"M"` or `"Q"` (from the config)."""
        return str(getattr(self.config, "freq", None) or getattr(self.config, "period", "Q"))

    @property
    def period_word(self) -> str:
        return {"M": "month", "Q": "quarter"}.get(self.freq, "period")

    @property
    def privacy(self) -> PrivacyConfig:
        """This pilot's privacy settings (pseudonyms, the small-cell floor): passed
        explicitly to whatever suppresses small cells, never held by a module."""
        return privacy_settings(self.config)

    @property
    def min_cell_accounts(self) -> int:
        """The small-cell floor: figures from fewer accounts are suppressed (0: off)."""
        return int(self.privacy.min_cell_accounts)

    def table(self, frame: pd.DataFrame, rows: int | None = 25, *, empty: str = "None found."):
        """`rvq.report.table` with this pilot's small-cell floor: a notebook's tables."""
        from rvq import report

        return report.table(frame, rows, empty=empty, min_accounts=self.min_cell_accounts)

    def table_counts(self) -> dict[str, dict[str, int]]:
        """Rows read / used / set aside per input table (read = used + set aside)."""
        return table_counts(self.validation)

    def data_counts(self) -> dict[str, Any]:
        """The `data` block of summary.json (contract 3): events read, used and set aside,
        accounts and periods of the panel, first and last period."""
        from rvq.scoring.cells import event_counts

        if self.stored_counts is not None:
            return dict(self.stored_counts)
        used = int(event_counts(self.events).sum())  # a streamed pilot's events are cells
        events = self.table_counts().get("interactions") or {
            "read": used,
            "used": used,
            "set_aside": 0,
        }
        periods = self.panel["period"]
        return {
            "events_read": int(events["read"]),
            "events_used": int(events["used"]),
            "events_set_aside": int(events["set_aside"]),
            "accounts": int(self.panel["account_id"].nunique()),
            "periods": int(periods.nunique()),
            "first_period": str(periods.min()),
            "last_period": str(periods.max()),
        }


def client_name(config: Any, source: Path) -> str:
    """The client's name from a config, else the dataset folder's name."""
    name = getattr(config, "client", None)
    return str(name) if name else source.stem


def table_counts(validation: Any) -> dict[str, dict[str, int]]:
    """Per table, rows read / used / set aside from a `ValidationResult`."""
    counts = getattr(validation, "counts", None)
    if counts is None and hasattr(validation, "to_dict"):
        counts = validation.to_dict().get("counts") or validation.to_dict().get("tables")
    out = {}
    for table, c in (counts or {}).items():
        c = c if isinstance(c, dict) else vars(c)
        read = int(c.get("read", c.get("rows_read", 0)))
        used = int(c.get("used", c.get("rows_used", 0)))
        out[str(table)] = {"read": read, "used": used, "set_aside": read - used}
    return out


# --------------------------------------------------------------------------- the key


def load_config(source: str | os.PathLike) -> Any:
    """The pilot config of a source, validated (`rvq.config`); errors as one line."""
    from rvq import config as rvq_config

    try:
        return rvq_config.load_config(source)
    except FileNotFoundError as exc:
        raise PilotInputError(f"no such dataset or config: {exc}") from exc
    except ValueError as exc:  # pydantic's ValidationError and ConfigError are ValueErrors
        raise PilotInputError(one_line(exc)) from exc


def score_pilot(source: Path, key: str) -> Pilot:
    """Read, validate and score `source` (the expensive part, run once per input version)."""
    from rvq import inputs, privacy, scoring
    from rvq.scoring import footprint

    config = load_config(source)
    try:
        choice = footprint.path_choice(config)
    except ValueError as exc:  # a malformed RVQ_MEMORY_BUDGET
        raise PilotInputError(one_line(exc)) from None
    line = choice.line if choice else ""
    if choice is not None and choice.streamed is None and not choice.fits:
        print(f"warning: {line}", file=sys.stderr)  # now, before a read that may not fit
    if choice is not None and choice.streamed is not None:
        pilot = _score_streamed(source, key, config)
        if pilot.cell_sample is not None:
            sampled, accounts = pilot.cell_sample
            line += (
                f"; steps b, d and e read the events of {sampled:,} of {accounts:,} accounts "
                f"(a fixed sample, the {config.priority_customers} priority customers among them)"
            )
        return replace(pilot, path_line=line)
    try:
        dataset = inputs.load_dataset(source, progress=False)
    except FileNotFoundError as exc:
        raise PilotInputError(f"no such dataset or config: {exc}") from exc
    except ValueError as exc:
        raise PilotInputError(one_line(exc)) from exc
    if dataset.validation.fatal:
        raise PilotInputError(fatal_reason(dataset.validation, source))
    try:  # once, before scoring: everything downstream sees pseudonyms only
        dataset = privacy.protect_dataset(dataset)
    except privacy.PrivacyKeyError as exc:
        raise PilotInputError(str(exc)) from None
    config = dataset.config
    events = scoring.score_events(dataset.interactions, dataset.catalog, freq=config.freq)
    panel = scoring.panel_from_dataset(dataset)
    dataset = replace(dataset, interactions=None)  # the rows live on in `events`: one copy
    events, digest = bounded_events(events)
    return Pilot(
        source=source,
        key=key,
        dataset=dataset,
        events=events,
        panel=panel,
        digest=digest,
        path_line=line,
    )


def bounded_events(events: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """The scored events a pilot read whole keeps, and their row digest: the events as
    they are (no digest) up to `rvq.scoring.cells.CELLS_ABOVE_ROWS` rows, their event cells
    and `rvq.inputs.digest.frame_digest` above it, as a streamed pilot keeps them, so no step
    holds a large book's events."""
    from rvq.inputs.digest import frame_digest
    from rvq.scoring import cells

    if len(events) <= cells.CELLS_ABOVE_ROWS:
        return events, None
    digest = frame_digest(events)
    return cells.event_cells(events), digest


def _score_streamed(source: Path, key: str, config: Any) -> Pilot:
    """`score_pilot` for an interactions CSV too large to read whole: validated in blocks
    and scored on DuckDB (`rvq.scoring.stream`); the events are kept as event cells. The Parquet
    copy of the interactions is deleted once the panel and cells are built, so the cache
    holds (with pseudonyms on) no raw identifier."""
    import shutil

    from rvq import inputs, privacy
    from rvq.scoring import cells as cell_table
    from rvq.scoring import stream
    from rvq.steps.history import priority_customers

    def priority(frames: dict) -> list:  # step e's customers: their events are always kept
        outcomes = frames.get("outcomes")
        if outcomes is None:
            return []
        return list(priority_customers(outcomes, n=config.priority_customers)["account_id"])

    work = Path(tempfile.mkdtemp(prefix="rvq-stream-"))
    try:
        streamed = stream.streamed_panel(config, work_dir=work, keep=priority)
    except FileNotFoundError as exc:
        raise PilotInputError(f"no such dataset or config: {exc}") from exc
    except stream.FatalInputError as exc:  # named as for a whole read
        raise PilotInputError(fatal_reason(exc.validation, source)) from exc
    except ValueError as exc:  # a config the data cannot follow (ConfigError)
        raise PilotInputError(f"{source}: {one_line(exc)}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    frames = streamed.frames
    dataset = inputs.Dataset(
        interactions=None,
        catalog=frames.get("catalog"),
        accounts=frames.get("accounts"),
        outcomes=frames.get("outcomes"),
        voc=frames.get("voc"),
        validation=streamed.validation,
        config=streamed.config,
    )
    panel, cells, digest = streamed.panel, streamed.cells, streamed.digest
    sampled = None
    if streamed.cell_accounts is not None:
        sampled = pd.DataFrame({"account_id": pd.Series(streamed.cell_accounts, dtype=str)})
    try:
        if privacy.privacy_settings(config).pseudonymize:
            secret = privacy.pseudonym_key(config)  # looked up once (a secrets file is read)
            dataset = privacy.protect_dataset(dataset, key=secret)
            panel = privacy.pseudonymize_frame(panel, secret)
            panel = panel.sort_values(["account_id", "period"], ignore_index=True)
            cells = privacy.pseudonymize_frame(cells, secret)
            cells["account_id"] = cells["account_id"].astype("category")  # as streamed
            keys = [k for k in cell_table.CELL_KEYS if k in cells]
            cells = cells.sort_values(keys, ignore_index=True)
            digest = privacy.protect_digest(digest, secret)
            if sampled is not None:
                sampled = privacy.pseudonymize_frame(sampled, secret)
    except privacy.PrivacyKeyError as exc:
        raise PilotInputError(str(exc)) from None
    return Pilot(
        source=source,
        key=key,
        dataset=dataset,
        events=cells,
        panel=panel,
        streamed=True,
        digest=digest,
        cell_sample=streamed.cell_sample,
        cell_accounts=None if sampled is None else sampled["account_id"],
    )


def fatal_reason(validation: Any, source: Path) -> str:
    """The first fatal validation problem, as one line naming the file, column and rule."""
    problems = [
        p
        for p in getattr(validation, "problems", [])
        if str(getattr(p, "severity", "")).lower() in ("fatal", "error")
    ]
    if problems:
        first = problems[0]
        message = str(getattr(first, "message", first)).splitlines()[0]
        more = f" (and {len(problems) - 1} more fatal problems)" if len(problems) > 1 else ""
        return f"{source}: {message}{more}; run `rvq validate {source}` for the full report"
    return f"{source}: fatal input problems; run `rvq validate {source}` for the full report"


def open_pilot(
    source: str | os.PathLike = "../data/demo",
    *,
    run_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    refresh: bool = False,
) -> Pilot:
    """The validated, scored pilot of `source`, from the cache when the inputs (and rvq's
    code) are unchanged.

    `run_dir` is where the calling notebook records its findings (empty: this pilot's
    cache folder); `cache_dir` where scored pilots are kept (empty: `default_cache_dir()`);
    `refresh` re-reads and re-scores even on a hit. A damaged cache entry is removed, with
    a warning, and built again.

    Inside a run (`run_dir` holds the run record `run_pilot` wrote, for this `source`),
    the pilot is the one the run opened: its input version is read from the record, not
    recomputed, so no database is asked again. When that version is no longer cached (or
    is damaged), or an input file is no longer the one it was built from, this raises
    `PilotInputError`: the run stops rather than mix two versions of the data. Only the
    input files are compared (their size and modification time, as the key takes them):
    a database table that changes during a run is not noticed.
    """
    src = Path(source).expanduser().resolve()
    folder = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    code = code_version()
    run_key = run_input_version(run_dir, src) if run_dir and not refresh else None
    if run_key is not None:
        checked = run_checked_files(run_dir)
        key, pilot = run_key, run_entry(entry_folder(folder, run_key, code), src, checked)
    else:
        config = load_config(src)
        stats = input_stats(src)
        key = input_version(src, config, stats=stats)
        if refresh:
            remove_entry(entry_folder(folder, key, code))
        pilot, _ = cached(
            key,
            folder,
            lambda: score_pilot(src, key),
            code,
            to_entry=to_entry,
            from_entry=from_entry,
            about={"source": str(src), "client": client_name(config, src), "inputs": stats},
        )
    pilot.cache_dir = folder / key
    pilot.run_dir = Path(run_dir).resolve() if run_dir else pilot.cache_dir
    return pilot


#: what a run that cannot go on with the data it opened says after the reason
RUN_STOPS = "the run stops so that it never mixes two versions of the data; rerun `rvq pilot`"


def run_entry(entry: Path, source: Path, checked: dict[str, Any] | None = None) -> Pilot:
    """The pilot a run opened, from its cache entry; `PilotInputError` (one line) when the
    entry is gone or damaged, or an input file has changed since it was built. `checked`:
    the entry's files as the run checked them (`rvq.cache.checked_files`), so that only a
    file changed since then is hashed again (and refused when its bytes changed)."""
    try:
        parts, manifest = read_entry(entry, lazy=LAZY_PARTS, checked=checked)
        pilot = from_entry(parts)
        recorded = [tuple(s) for s in manifest["inputs"]]
    except FileNotFoundError:
        raise PilotInputError(
            f"the scored pilot this run opened is no longer in the cache ({entry}): {RUN_STOPS}"
        ) from None
    except (CacheEntryError, KeyError, TypeError, ValueError) as exc:
        problem = exc if isinstance(exc, CacheEntryError) else CacheEntryError(one_line(exc))
        discard_damaged(entry, problem, "this run stops")
        raise PilotInputError(
            f"the scored pilot this run opened is damaged in the cache ({entry}: {problem}): "
            f"{RUN_STOPS}"
        ) from None
    changed = changed_input(recorded, input_stats(source))
    if changed:
        raise PilotInputError(f"{changed} since this run started: {RUN_STOPS}")
    return pilot


def changed_input(before: list[tuple], after: list[tuple]) -> str | None:
    """What differs between two `input_stats` of a source, as the start of a sentence
    naming the first file changed, added or removed; None when nothing did."""
    old = {str(p): (size, mtime) for p, size, mtime in before}
    new = {str(p): (size, mtime) for p, size, mtime in after}
    for path in sorted(old.keys() | new.keys()):
        if path not in new:
            return f"the input file {path} was removed"
        if path not in old:
            return f"the input file {path} was added"
        if old[path] != new[path]:
            return f"the input file {path} changed"
    return None


# --------------------------------------------------------------------------- the entry

#: the parts of an entry a step kernel reads on first use (`rvq.cache.read_entry`'s
#: `lazy`; a name ending in "." stands for every part it begins): each step reads a few
#: of them (step a none, f the panel and accounts), a million accounts' take 1-3 GB each
LAZY_PARTS = (
    "events",
    "panel",
    "dataset.accounts",
    "dataset.outcomes",
    "dataset.voc",
    "dataset.plans",
    "dataset.campaigns",
    "digest.",
)

#: a Dataset's frames, each stored as a Parquet file of its own
DATASET_FRAMES = ("interactions", "catalog", "accounts", "outcomes", "voc", "plans", "campaigns")


def to_entry(pilot: Pilot) -> dict[str, Any]:
    """A pilot as the parts of a cache entry (`rvq.cache.write_entry`): each frame on its
    own (the dataset's tables, the rows validation set aside, events, panel, a streamed
    pilot's row digest), the rest as JSON data (the config as pydantic dumps it,
    validation's problems, counts, files and zones, the flags). `from_entry` reverses it."""
    dataset, validation, digest = pilot.dataset, pilot.validation, pilot.digest
    parts: dict[str, Any] = {
        "pilot": {
            "source": str(pilot.source),
            "key": pilot.key,
            "streamed": pilot.streamed,
            "path_line": pilot.path_line,
            "cell_sample": pilot.cell_sample,
            "config": dataset.config.model_dump(mode="json"),
            "problems": [asdict(p) for p in validation.problems],
            "counts": validation.counts,
            "files": validation.files,
            "zones": validation.zones,
            "digest_pairs": None if digest is None else [list(k) for k in digest.pairs],
            "data_counts": pilot.data_counts(),
        },
        "events": pilot.events,
        "panel": pilot.panel,
    }
    for name in DATASET_FRAMES:
        if getattr(dataset, name) is not None:
            parts[f"dataset.{name}"] = getattr(dataset, name)
    for table, frame in validation.set_aside.items():
        parts[f"set_aside.{table}"] = frame
    if pilot.cell_accounts is not None:
        parts["cell_accounts"] = pilot.cell_accounts.to_frame("account_id")
    if digest is not None:
        parts["digest.repeats"] = digest.repeats
        for i, frame in enumerate(digest.pairs.values()):
            parts[f"digest.pairs.{i}"] = frame
    return parts


def from_entry(parts: dict[str, Any]) -> Pilot:
    """The pilot `to_entry` stored, from the parts read back (`rvq.cache.read_entry`)."""
    from rvq.config import PilotConfig
    from rvq.inputs.digest import RowDigest
    from rvq.inputs.validation import Problem, ValidationResult

    info = parts["pilot"]
    validation = ValidationResult(
        problems=[Problem(**p) for p in info["problems"]],
        counts=info["counts"],
        set_aside={
            name.removeprefix("set_aside."): frame
            for name, frame in parts.items()
            if name.startswith("set_aside.")
        },
        files=info["files"],
        zones=info["zones"],
    )
    dataset = _EntryDataset(
        **{name: parts.get(f"dataset.{name}") for name in DATASET_FRAMES},
        validation=validation,
        config=PilotConfig.model_validate(info["config"]),
    )
    digest = None
    if info["digest_pairs"] is not None:
        keys = [tuple(k) for k in info["digest_pairs"]]

        def digest() -> RowDigest:  # its parts may be read on use (`LAZY_PARTS`)
            pairs = {k: _read(parts[f"digest.pairs.{i}"]) for i, k in enumerate(keys)}
            return RowDigest(repeats=_read(parts["digest.repeats"]), pairs=pairs)

    return Pilot(
        source=Path(info["source"]),
        key=str(info["key"]),
        dataset=dataset,
        events=parts["events"],
        panel=parts["panel"],
        streamed=bool(info["streamed"]),
        digest=digest,
        path_line=str(info.get("path_line", "")),
        cell_sample=tuple(info["cell_sample"]) if info.get("cell_sample") else None,
        cell_accounts=parts["cell_accounts"]["account_id"] if "cell_accounts" in parts else None,
        stored_counts=info.get("data_counts"),
    )


def _read(part: Any) -> Any:
    """A part of an entry: read now when it was given as a function (`LAZY_PARTS`)."""
    return part() if callable(part) else part


@dataclass
class _EntryDataset(Dataset):
    """A `Dataset` from a cache entry whose large frames may be given as functions that
    read them (`LAZY_PARTS`): read on first use, so a step never holds the tables it
    does not read (step c: neither outcomes nor accounts)."""

    accounts: pd.DataFrame | None = _LoadedOnUse()  # type: ignore[assignment]
    outcomes: pd.DataFrame | None = _LoadedOnUse()  # type: ignore[assignment]
    voc: pd.DataFrame | None = _LoadedOnUse()  # type: ignore[assignment]
    plans: pd.DataFrame | None = _LoadedOnUse(None)  # type: ignore[assignment]
    campaigns: pd.DataFrame | None = _LoadedOnUse(None)  # type: ignore[assignment]


def _run_record(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The run record `run_pilot` wrote in `run_dir` (raises OSError, ValueError...)."""
    from rvq import report

    path = report.findings_dir(run_dir) / f"{report.RUN_RECORD}.json"
    return json.loads(path.read_text(encoding="utf-8"))["findings"]


def run_checked_files(run_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The files of the pilot's cache entry as the run checked them when it opened the
    pilot (`entry_checked` of the run record, `rvq.cache.checked_files`); None without."""
    try:
        checked = _run_record(run_dir).get("entry_checked")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return checked if isinstance(checked, dict) else None


def entry_checked_files(pilot: Pilot) -> dict[str, Any]:
    """The files of the cache entry of `pilot` (opened by `open_pilot`) checked against
    their manifest, with their stamps (`rvq.cache.checked_files`): the run record keeps
    them, so a step kernel hashes only a file changed since (at a million accounts, about
    6 s a kernel)."""
    if pilot.cache_dir is None:
        return {}
    return checked_files(entry_folder(pilot.cache_dir.parent, pilot.key, code_version()))


def run_input_version(run_dir: str | os.PathLike, source: Path) -> str | None:
    """The input version of the pilot a run opened, from the run record `run_pilot` wrote
    in `run_dir`; None without a record, or when it names another source."""
    try:
        info = _run_record(run_dir)["pilot"]
        recorded, key = Path(info["source"]), str(info["input_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if recorded != source or not re.fullmatch(r"[0-9a-f]{8,64}", key):
        return None
    return key


def pilot_info(pilot: Pilot) -> dict[str, Any]:
    """Where a pilot came from, as JSON data (the run record and the notebooks show it)."""
    return {
        "source": str(pilot.source),
        "input_version": pilot.key,
        "client": pilot.client,
        "cache": str(pilot.cache_dir) if pilot.cache_dir else None,
    }
