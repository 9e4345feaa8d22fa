"""Export mappings: how a client's table (a CRM export, renamed columns) becomes a
canonical one. `MAPPINGS` is the registry of named presets; `register_mapping` adds one and
the config selects it with `preset:`. The config's `mapping:` names the client's own
activity mapping file (the rules of `rvq.inputs.activity_rules.activity_type_rules`): with a CRM
preset it replaces the preset's shipped rules; otherwise it maps the client's own codes
in `interaction_code` onto the catalog's (`client_mapping`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rvq.config import ConfigError, PilotConfig
from rvq.inputs.readers import RawTable
from rvq.schema import TABLES

# --- mappings from a client's export onto the canonical tables -------------------------

Transform = Callable[..., pd.DataFrame]  # (frame) -> frame, or see `TableMapping.reads_dates`


@dataclass(frozen=True)
class TableMapping:
    """How one client table becomes a canonical one: rename columns, then transform.

    The transform must keep every row (validation counts rows read); it may add columns,
    e.g. turn a CRM activity type into an `interaction_code`.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    transform: Transform | None = None
    #: the activity mapping file the transform's codes come from (validation names it)
    rules_file: str | None = None
    #: the transform reads the export's dates itself (a CRM preset): it is called as
    #: `transform(frame, dates=..., notes=...)` with the table's `dates` setting (config
    #: `formats:`) and a list to which it adds what it decided (shown as warnings)
    reads_dates: bool = False

    def apply(self, raw: RawTable, dates: str = "iso") -> RawTable:
        missing = [c for c in self.columns if c not in raw.frame.columns]
        if missing:
            raw.notes.append(
                f"the column mapping names {', '.join(map(repr, missing))}, not in {Path(raw.path).name}"
            )
        frame = raw.frame.rename(columns=dict(self.columns))
        if frame.columns.duplicated().any():
            dups = sorted(set(frame.columns[frame.columns.duplicated()]))
            raise ConfigError(
                f"{raw.path}: the column mapping gives two columns the name {', '.join(dups)}"
            )
        if self.transform is not None:
            n = len(frame)
            if self.reads_dates:
                frame = self.transform(frame, dates=dates, notes=raw.notes)
            else:
                frame = self.transform(frame)
            if len(frame) != n:
                raise ValueError(f"{raw.path}: mapping transform changed the row count")
        raw.frame = frame
        if self.rules_file is not None:
            raw.mapping_file = self.rules_file
        return raw


#: export presets: name -> per-table mapping
MAPPINGS: dict[str, dict[str, TableMapping]] = {}


def register_mapping(name: str, tables: dict[str, TableMapping]) -> dict[str, TableMapping]:
    """Register an export preset (per canonical table, a TableMapping) under `name`."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"mapping {name!r}: unknown tables {sorted(unknown)}")
    MAPPINGS[name] = tables
    return tables


def table_mapping(config: PilotConfig, table: str) -> TableMapping | None:
    """The mapping for `table`: the config's preset (with the client's `mapping:` file),
    then its own `columns` on top. Raises ConfigError when the mapping file is malformed."""
    base = None
    if config.preset is not None:
        if config.preset not in MAPPINGS:
            import rvq.inputs.presets  # noqa: F401  (registers the CRM presets; imports rvq.inputs.readers)
        if config.preset not in MAPPINGS:
            known = ", ".join(sorted(MAPPINGS)) or "none registered"
            raise ConfigError(f"preset {config.preset!r} is not a known mapping ({known})")
        base = MAPPINGS[config.preset].get(table)
    if config.mapping is not None and table == "interactions":
        base = client_mapping(config, base)
    extra = config.columns.get(table)
    if base is None and not extra:
        return None
    if base is None:
        return TableMapping(columns=extra)
    if not extra:
        return base
    user = TableMapping(columns=extra)
    return TableMapping(
        columns=base.columns,
        transform=lambda f, **dating: _rename_then(user, base.transform, f, **dating),
        rules_file=base.rules_file,
        reads_dates=base.reads_dates,
    )


def _rename_then(
    user: TableMapping, then: Transform | None, frame: pd.DataFrame, **dating
) -> pd.DataFrame:
    frame = frame.rename(columns=dict(user.columns))
    return then(frame, **dating) if then is not None else frame


def client_mapping(config: PilotConfig, base: TableMapping | None) -> TableMapping:
    """The interactions mapping with the client's mapping file (`config.mapping`), read
    now and checked against the catalog in use: for a shipped CRM preset, the preset with
    these rules instead of its own; otherwise `base` (a registered mapping, or none)
    followed by mapping the client's codes (`rvq.inputs.activity_rules.client_codes`)."""
    from rvq.inputs import activity_rules, presets

    path = Path(config.mapping)
    codes, catalog = catalog_codes(config)
    rules = activity_rules.activity_type_rules("client", path, codes=codes, catalog=catalog)
    if config.preset in presets.PRESETS:
        return presets.PRESETS[config.preset].tables(path, rules)["interactions"]
    then = base.transform if base is not None else None

    def codes_mapped(frame: pd.DataFrame, **dating) -> pd.DataFrame:
        return activity_rules.client_codes(
            then(frame, **dating) if then is not None else frame, rules
        )

    columns = base.columns if base is not None else {}
    reads_dates = base.reads_dates if base is not None else False
    return TableMapping(
        columns=columns, transform=codes_mapped, rules_file=str(path), reads_dates=reads_dates
    )


def catalog_codes(config: PilotConfig) -> tuple[set[str] | None, str]:
    """(codes, name) of the catalog a dataset is scored with: its own catalog table when it
    has one, else the shipped one. Codes are None when that table cannot be read
    (validation reports why)."""
    from rvq.inputs.catalog import shipped_catalog, shipped_catalog_resource
    from rvq.inputs.dataset import locate_tables, read_table

    location = locate_tables(config).get("catalog")
    if location is None:
        name = f"the shipped catalog ({shipped_catalog_resource()})"
        return set(shipped_catalog()["interaction_code"].astype(str)), name
    name = f"the catalog {location}"
    try:
        if not location.exists():
            return None, name
        frame = read_table(location, table_mapping(config, "catalog")).frame
        return set(frame["interaction_code"].dropna().astype(str).str.strip()), name
    except Exception:  # noqa: BLE001  an unreadable catalog is validation's to report
        return None, name
