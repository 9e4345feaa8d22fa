"""A pilot's dataset: config -> locate -> read -> map -> validate -> `Dataset`.

`load_dataset` is the one entry the rest of rvq uses. It never raises on bad data (the
problems are in `Dataset.validation`); it raises only when the source itself does not exist
or the config cannot be used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from rvq.config import ConfigError, PilotConfig, load_config
from rvq.inputs import presets as _presets  # noqa: F401  (registers the CRM presets)
from rvq.inputs import sql as _sql  # noqa: F401  (registers the database readers)
from rvq.inputs.mappings import TableMapping, table_mapping
from rvq.inputs.readers import NotTextError, RawTable, reader_for
from rvq.inputs.sql import SqlSource
from rvq.inputs.validation import ValidationResult, validate_tables
from rvq.schema import TABLE_SUFFIXES, TABLES

#: the interactions' columns a Dataset holds dictionary-encoded (see `dictionary_encoded`)
ENCODED_COLUMNS = ("account_id", "contact_id", "interaction_code")


def read_table(
    path: str | Path, mapping: Mapping[str, str] | TableMapping | None = None, dates: str = "iso"
) -> RawTable:
    """Read one table with the reader registered for its suffix and map its columns.

    `mapping` is a dict of client column -> canonical column, or a TableMapping; `dates`
    is the table's date setting (config `formats:`), for a mapping that reads dates.
    """
    location = path if "://" in str(path) else Path(path)  # a URL is no path (rvq.inputs.sql)
    raw = reader_for(location)(location)
    if mapping is None:
        return raw
    if not isinstance(mapping, TableMapping):
        mapping = TableMapping(columns=dict(mapping))
    return mapping.apply(raw, dates)


# --- datasets -------------------------------------------------------------------------


def locate_tables(config: PilotConfig) -> dict[str, Path | SqlSource]:
    """Where each table's file is: `config.tables` first, then `<data>/<table><suffix>`
    for the suffixes in `schema.TABLE_SUFFIXES` (first found wins). Tables found nowhere
    are absent from the result; configured paths are returned even if missing (validation
    reports them). A configured database URL becomes a `rvq.inputs.sql.SqlSource`."""
    found: dict[str, Path | SqlSource] = {}
    for name in TABLES:
        if name in config.tables:
            location = config.tables[name]
            if "://" in str(location):
                from rvq.inputs.sql import config_sql_source

                found[name] = config_sql_source(str(location), name, config)
            else:
                found[name] = Path(location)
            continue
        if config.data is None:
            continue
        candidates = table_files(config.data, name)
        if candidates:
            found[name] = candidates[0]
    return found


def table_files(data: str | Path, name: str) -> list[Path]:
    """The files in folder `data` that could hold table `name`, in the order of
    `schema.TABLE_SUFFIXES`: the first is the one read."""
    files = (Path(data) / f"{name}{suffix}" for suffix in TABLE_SUFFIXES)
    return [path for path in files if path.is_file()]


def table_file_notes(config: PilotConfig) -> list[str]:
    """One line per table found in the data folder under two names (`interactions.parquet`
    beside `interactions.csv`): which file is read and which ignored, and how to choose."""
    if config.data is None:
        return []
    notes = []
    for name in TABLES:
        candidates = [] if name in config.tables else table_files(config.data, name)
        if len(candidates) > 1:
            ignored = ", ".join(p.name for p in candidates[1:])
            notes.append(
                f"{name}: reading {candidates[0]}, not {ignored} beside it "
                f"(set `tables: {{{name}: <file>}}` in the config to choose)"
            )
    return notes


@dataclass
class Dataset:
    """A pilot's validated inputs: usable rows only, canonical columns and dtypes (the
    interactions' ids and codes dictionary-encoded: `dictionary_encoded`).

    Frames are None when their table is absent (optional tables) or unusable (a fatal
    problem; see `validation`). `config` carries the resolved `as_of`.
    """

    interactions: pd.DataFrame | None
    catalog: pd.DataFrame | None
    accounts: pd.DataFrame | None
    outcomes: pd.DataFrame | None
    voc: pd.DataFrame | None
    validation: ValidationResult
    config: PilotConfig
    plans: pd.DataFrame | None = None  # the optional tables only `rvq track` reads
    campaigns: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        """True when no fatal problem stops the pilot."""
        return not self.validation.fatal


def _default_catalog() -> pd.DataFrame | None:
    try:
        from rvq.inputs.catalog import shipped_catalog
    except ImportError:
        return None
    return shipped_catalog()


@dataclass
class ReadTables:
    """A dataset's tables read whole (`raw`), with what validation reports of the others:
    files no reader could parse (`unreadable`), files named but absent (`missing`), and
    where the tables were looked for (`where`)."""

    raw: dict[str, RawTable]
    unreadable: dict[str, str]
    missing: dict[str, str]
    where: str

    def validate(
        self, config: PilotConfig, catalog: pd.DataFrame | None = None, **unreadable: str
    ) -> tuple[dict[str, pd.DataFrame | None], ValidationResult]:
        """`validate_tables` over these tables. `catalog` overrides the dataset's and the
        shipped one (used when neither is given); `unreadable` adds tables that could not
        be read, by name, with the reason."""
        raw = dict(self.raw)
        if catalog is not None:
            raw["catalog"] = RawTable(catalog.reset_index(drop=True), "<catalog argument>")
        given = "catalog" in raw or "catalog" in self.unreadable
        return validate_tables(
            raw,
            None if given else _default_catalog(),
            freq=config.freq,
            as_of=config.as_of,
            where=self.where,
            unreadable={**self.unreadable, **unreadable},
            missing=self.missing,
            segments=config.segments,
            formats=config.formats,
        )


def read_tables(config: PilotConfig, *, skip: tuple[str, ...] = (), bar=None) -> ReadTables:
    """Every table the config locates (but those in `skip`), read whole with its column
    mapping. A file no reader can parse is a data problem, reported by validation, not a
    crash; a mapping the config gets wrong (ConfigError) raises. `bar`: a tqdm bar to
    advance per table."""
    raw: dict[str, RawTable] = {}
    unreadable: dict[str, str] = {}
    missing: dict[str, str] = {}
    for name, path in locate_tables(config).items():
        if name in skip:
            continue
        if bar is not None:
            bar.set_description(f"reading {name}")
        if not path.exists():
            missing[name] = str(path)
        else:
            try:
                dates = config.table_format(name).dates
                raw[name] = read_table(path, table_mapping(config, name), dates)
            except ConfigError:
                raise
            except NotTextError as exc:  # its own line: never the file's bytes
                unreadable[name] = str(exc)
            except Exception as exc:  # a file no reader can parse is a data problem
                unreadable[name] = f"{path}: {type(exc).__name__}: {exc}"
        if bar is not None:
            bar.update()
    where = str(config.data) if config.data is not None else "the configured tables"
    return ReadTables(raw, unreadable, missing, where)


def dictionary_encoded(
    frame: pd.DataFrame | None, columns: tuple[str, ...] = ENCODED_COLUMNS
) -> pd.DataFrame | None:
    """`frame` with its text `columns` as pandas categoricals whose categories are sorted.

    Each distinct id is held once and scoring sums over the category codes instead of
    hashing millions of strings on every run (`rvq.scoring.events.sorted_codes`). Sorted
    categories keep the text's order, so sorting and grouping by a column give what they
    gave on the text.
    """
    if frame is None:
        return None
    encoded = {
        column: pd.Categorical(frame[column])
        for column in columns
        if column in frame.columns and pd.api.types.is_string_dtype(frame[column].dtype)
    }
    return frame.assign(**encoded) if encoded else frame


def load_dataset(
    source: str | Path | PilotConfig,
    *,
    as_of: date | None = None,
    progress: bool = True,
    catalog: pd.DataFrame | None = None,
) -> Dataset:
    """Read and validate a dataset: a folder, a YAML config, or a PilotConfig.

    `as_of` overrides the config's (timestamps after it are future); `catalog` overrides
    both the dataset's catalog table and the shipped one. Data problems never raise: they
    are in `Dataset.validation`. Raises FileNotFoundError when the source or its data
    folder does not exist, ConfigError when the config cannot be used.
    """
    config = source if isinstance(source, PilotConfig) else load_config(source)
    if as_of is not None:
        config = config.model_copy(update={"as_of": as_of})
    config = config.model_copy(update={"as_of": config.resolved_as_of()})
    if config.data is None and not config.tables:
        raise ConfigError(
            "the config names neither a data folder (data:) nor table files (tables:)"
        )
    if config.data is not None and not Path(config.data).is_dir():
        raise FileNotFoundError(f"no dataset folder at {config.data}")

    bar = tqdm(total=len(locate_tables(config)) + 1, unit="step", disable=not progress, leave=False)
    tables = read_tables(config, bar=bar)
    bar.set_description("validating")
    frames, result = tables.validate(config, catalog=catalog)
    bar.update()
    bar.close()
    return Dataset(
        interactions=dictionary_encoded(frames.get("interactions")),
        catalog=frames.get("catalog"),
        accounts=frames.get("accounts"),
        outcomes=frames.get("outcomes"),
        voc=frames.get("voc"),
        validation=result,
        config=config,
        plans=frames.get("plans"),
        campaigns=frames.get("campaigns"),
    )
