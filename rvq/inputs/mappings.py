"""Export mappings: how a client's table (a CRM export, renamed columns) becomes a
canonical one. `MAPPINGS` is the registry of named presets; `register_mapping` adds one and
the config selects it with `preset:`."""

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
    """The mapping for `table`: the config's preset, then its own `columns` on top."""
    base = None
    if config.preset is not None:
        if config.preset not in MAPPINGS:
            import rvq.inputs.presets  # noqa: F401  (registers the CRM presets; imports rvq.inputs.readers)
        if config.preset not in MAPPINGS:
            known = ", ".join(sorted(MAPPINGS)) or "none registered"
            raise ConfigError(f"preset {config.preset!r} is not a known mapping ({known})")
        base = MAPPINGS[config.preset].get(table)
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
        reads_dates=base.reads_dates,
    )


def _rename_then(
    user: TableMapping, then: Transform | None, frame: pd.DataFrame, **dating
) -> pd.DataFrame:
    frame = frame.rename(columns=dict(user.columns))
    return then(frame, **dating) if then is not None else frame
