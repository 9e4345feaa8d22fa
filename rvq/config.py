"""The pilot's configuration: one typed object, from a dataset folder or a YAML file.

`PilotConfig` is a pydantic model with `extra="forbid"`, so a mistyped key is an error
that names the key and the closest valid one instead of a setting silently ignored.
`load_config` turns what a user points at (a folder or a YAML file) into that object and
turns every problem into one `ConfigError` whose message names the file, the key and
what was wrong.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote_plus

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from rvq.schema import DEFAULT_SEGMENTS, OUTCOME_NAMES, TABLES

Outcome = Literal[OUTCOME_NAMES]  # one of rvq.schema.OUTCOME_NAMES
YAML_SUFFIXES = (".yaml", ".yml")
#: looks a scoring engine up by name, ValueError when none is registered under it: the
#: registry's `get`, which `rvq.scoring.engines` (a layer above) installs when imported
_engine_lookup: Callable[[str], Any] | None = None


def check_engines_with(lookup: Callable[[str], Any]) -> None:
    """Validate `engine:` with `lookup(name)` (the scoring engine registry's lookup)."""
    global _engine_lookup
    _engine_lookup = lookup


class ConfigError(ValueError):
    """A configuration the user must fix: the message names the file, the key and the problem."""


class PrivacyConfig(BaseModel):
    """Privacy of a pilot's outputs (rvq.privacy): pseudonyms for account and contact
    identifiers, and suppression of figures built from too few accounts."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    pseudonymize: bool = Field(
        False,
        description="replace account, contact, rep and event ids (and account names) by keyed "
        "hashes and drop the client's own columns (rvq.privacy)",
    )
    min_cell_accounts: NonNegativeInt = Field(
        0, description="suppress table cells and segment figures from fewer accounts (0: off)"
    )
    key_env: str = Field(
        "RVQ_PSEUDONYM_KEY",
        description="environment variable (or secrets-file entry) holding the hashing key",
    )


class SqlOptions(BaseModel):
    """How database sources (`tables:` URLs, see rvq.inputs.sql) are read: where the password comes
    from (an environment variable; the config never holds it) and the rows per fetch."""

    model_config = ConfigDict(extra="forbid")

    password_env: str = Field(
        "RVQ_DB_PASSWORD", min_length=1, description="environment variable holding the password"
    )
    chunksize: PositiveInt = Field(50_000, description="rows fetched per round trip")


#: the named date orders of `TableFormat.dates` (anything else must be a strftime format)
DATE_ORDERS = ("iso", "day_first", "month_first")


class TableFormat(BaseModel):
    """How one table's file writes numbers and dates, for exports in a local format
    (a European one: `decimal: ","`, `dates: day_first`). The defaults read '.' decimals
    and ISO 8601 dates; validation names these options when values look otherwise."""

    model_config = ConfigDict(extra="forbid")

    decimal: Literal[".", ","] = Field(".", description="the decimal mark of numbers")
    thousands: Literal[".", ",", " ", "'", ""] | None = Field(
        None,
        description="the digit-grouping mark ('' none; ' ' also a no-break space); default: "
        "'.' when the decimal mark is ',' (1.234,56), none when it is '.'",
    )
    dates: str = Field(
        "iso",
        description="iso (ISO 8601), day_first (31/01/2022 [13:45[:00]]), month_first "
        "(01/31/2022 [1:45 PM]) or a strftime format such as '%d.%m.%y %H:%M'; ISO values "
        "are read whatever the setting",
    )

    @field_validator("dates")
    @classmethod
    def _known_dates(cls, value: str) -> str:
        if value in DATE_ORDERS:
            return value
        if "%" not in value:
            raise ValueError(
                f"dates must be {', '.join(DATE_ORDERS)} or a strftime format such as "
                "'%d/%m/%Y %H:%M'"
            )
        sample = datetime(2022, 1, 31, 13, 45, 30)
        try:
            datetime.strptime(sample.strftime(value), value)
        except ValueError as exc:
            raise ValueError(f"not a usable strftime format ({exc})") from None
        return value

    @model_validator(mode="after")
    def _marks_differ(self) -> TableFormat:
        if self.grouping == self.decimal:
            raise ValueError(f"decimal and thousands are both {self.decimal!r}")
        return self

    @property
    def grouping(self) -> str:
        """The digit-grouping mark in effect ('' for none)."""
        if self.thousands is not None:
            return self.thousands
        return "." if self.decimal == "," else ""


class PilotConfig(BaseModel):
    """Everything one pilot run needs to know; every field has a default that runs the demo.

    Relative paths in a YAML file are relative to that file's folder (see `load_config`).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    client: str = "demo"
    data: Path | None = Field(None, description="dataset folder holding the canonical tables")
    tables: dict[str, Path | str] = Field(
        default_factory=dict,
        description="per-table file paths or database URLs (rvq.inputs.sql); override the folder lookup",
    )
    secrets: Path | None = Field(
        None, description="YAML file holding the database password ({password: ...})"
    )
    sql: SqlOptions = Field(default_factory=SqlOptions)
    preset: str | None = Field(
        None,
        description="name of a registered export mapping (rvq.inputs.mappings.register_mapping)",
    )
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="per table: client column -> canonical column (applied after the preset)",
    )
    mapping: Path | None = Field(
        None,
        description="the client's activity mapping CSV (`rvq mapping init` starts one): with a "
        "CRM preset it replaces the preset's rules, else it maps the client's own interaction codes",
    )
    freq: Literal["M", "Q"] = "Q"
    horizons: list[PositiveInt] = Field(default_factory=lambda: [1, 2, 3, 4], min_length=1)
    outcomes: list[Outcome] = Field(default_factory=lambda: list(OUTCOME_NAMES), min_length=1)
    segments: list[str] = Field(default_factory=lambda: list(DEFAULT_SEGMENTS))
    priority_customers: PositiveInt = Field(50, description="top accounts by revenue")
    seed: int = 7
    output: Path = Path("reports")
    as_of: date | None = Field(
        None, description="timestamps after this date are 'future' (default: today)"
    )
    engine: str = Field(
        "memory", description="scoring engine: a name registered in rvq.scoring.engines.ENGINES"
    )
    stream: Literal["auto", "always", "never"] = Field(
        "auto",
        description="read the interactions CSV in blocks and score it on DuckDB: "
        "auto = when the file is larger than a quarter of the available memory",
    )
    half_life: PositiveFloat | None = Field(
        None, description="periods for RV depth to halve; None keeps the plain cumulative sum"
    )
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    store: str | None = Field(
        None,
        description="`rvq track`'s store: a DuckDB file or a SQLAlchemy URL without a password "
        "(default: reports/<client>/track.duckdb)",
    )
    formats: dict[str, TableFormat] = Field(
        default_factory=dict,
        description="per table: how its file writes numbers and dates (decimal, thousands, "
        "dates); unset tables use '.' decimals and ISO 8601 dates",
    )

    @field_validator("tables", "columns", "formats")
    @classmethod
    def _known_tables(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if name not in TABLES:
                raise ValueError(f"unknown table {name!r}{_did_you_mean(name, TABLES)}")
        return value

    @field_validator("engine")
    @classmethod
    def _registered_engine(cls, value: str) -> str:
        if _engine_lookup is not None:  # None until rvq.scoring is imported, which checks it too
            _engine_lookup(value)
        return value

    @field_validator("tables", mode="before")
    @classmethod
    def _urls_stay_text(cls, value: Any) -> Any:
        """Database URLs stay strings (a Path would fold `//`); anything else is a path."""
        if not isinstance(value, dict):
            return value
        return {
            name: loc if isinstance(loc, str) and "://" in loc else _as_path(loc)
            for name, loc in value.items()
        }

    @field_validator("tables")
    @classmethod
    def _no_credentials_in_urls(cls, value: dict[str, Path | str]) -> dict[str, Path | str]:
        problems = [
            f"the URL of table {name!r} holds {' and '.join(found)}"
            for name, loc in value.items()
            if isinstance(loc, str) and (found := inline_credentials(loc))
        ]
        if problems:
            raise ValueError(
                "; ".join(problems) + ": remove it and set the environment variable named by "
                "sql.password_env (default RVQ_DB_PASSWORD) or name a secrets file with `secrets:`"
            )
        return value

    @field_serializer("tables")
    def _tables_shown_masked(self, value: dict[str, Path | str]) -> dict[str, Path | str]:
        """Every dump of the config (run record, summary, cache key) shows URLs masked."""
        return {name: mask_url(loc) if isinstance(loc, str) else loc for name, loc in value.items()}

    @field_validator("data", "output", "secrets", "mapping")
    @classmethod
    def _relative_to_config_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base")
        if value is None or base is None or value.is_absolute():
            return value
        return Path(base) / value

    @field_validator("mapping")
    @classmethod
    def _mapping_is_a_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            what = f"{value} is a folder" if value.is_dir() else f"no such file {value}"
            raise ValueError(f"{what}; `rvq mapping init --out {value.name}` starts a mapping file")
        return value

    @field_validator("tables")
    @classmethod
    def _tables_relative_to_config_file(
        cls, value: dict[str, Path | str], info: ValidationInfo
    ) -> dict[str, Path | str]:
        base = (info.context or {}).get("base")
        if base is None:
            return value
        return {name: _relative_to(base, loc) for name, loc in value.items()}

    def table_format(self, table: str) -> TableFormat:
        """How `table`'s file writes numbers and dates (the defaults when not configured)."""
        return self.formats.get(table) or TableFormat()

    def resolved_as_of(self) -> date:
        """The date after which timestamps count as future: `as_of`, or today when unset."""
        return self.as_of or date.today()


def _as_path(value: Any) -> Any:
    return Path(value) if isinstance(value, str) else value


#: a URL query parameter whose name holds one of these carries a credential (`?password=`)
CREDENTIAL_WORDS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "api_key",
    "private_key",
)
MASK = "***"
#: a table "location" that is a query, not a table name (`duckdb:///f.duckdb#SELECT ...`)
QUERY_TARGET = re.compile(r"^\s*(select|with)\b", re.IGNORECASE)


def _userinfo_span(location: str) -> tuple[int, int] | None:
    """Where the password of `scheme://user:password@host...` sits in `location` (start,
    end), None when it has none. Lenient on purpose: a `/`, `#` or raw `@` inside the
    password still ends at the `@` before the host, so the whole password is found."""
    head = re.match(r"^[\w+.-]+://[^:/@?#]*:", location)
    if head is None:
        return None
    url, _, target = location.partition("#")
    end = url.partition("?")[0].rfind("@")  # the last `@` before the query: a `/` may precede it
    if end < head.end() and not QUERY_TARGET.match(target):
        end = location.find("@", head.end())  # a `#` inside the password: its `@` comes after
    return (head.end(), end) if end >= head.end() else None


def url_password(url: str) -> str | None:
    """The password written into a URL (`scheme://user:password@host/...`), as written, if any."""
    span = _userinfo_span(str(url))
    return str(url)[span[0] : span[1]] if span and span[1] > span[0] else None


def _credential_query(url: str) -> list[str]:
    """Names of the URL's query parameters that carry a credential (`?password=...`), as
    written (judged after percent-decoding: `?p%61ssword=` is a password too)."""
    query = url.partition("#")[0].partition("?")[2]
    names = dict.fromkeys(part.partition("=")[0] for part in query.split("&") if part)
    return [name for name in names if _is_credential(unquote_plus(name))]


def _is_credential(name: str) -> bool:
    return any(word in name.lower() for word in CREDENTIAL_WORDS)


def inline_credentials(location: str) -> list[str]:
    """What credentials a database URL writes inline ("a password", "the query parameter
    'password'"), never their values; empty when it holds none. The URL part (before the
    `#target`) is parsed by SQLAlchemy's `make_url`, as the reader will; a password that
    breaks that parse (a `#` or `/` in it) is found by `_userinfo_span`."""
    from sqlalchemy.engine import make_url

    url = location.partition("#")[0]
    query = list(dict.fromkeys(unquote_plus(name) for name in _credential_query(url)))
    try:
        parsed = make_url(url)
        password = parsed.password
        query += [n for n in parsed.query if n not in query and _is_credential(n)]
    except Exception:  # noqa: BLE001  unparsable: judged by the lenient reading alone
        password = None
    found = ["a password"] if password or url_password(location) else []
    return found + [f"the query parameter {name!r}" for name in query]


def mask_url(location: str) -> str:
    """`location` with any inline password and credential query value replaced by `***`."""
    text = str(location)
    span = _userinfo_span(text)
    if span and span[1] > span[0]:
        text = text[: span[0]] + MASK + text[span[1] :]
    for name in _credential_query(text):
        text = re.sub(rf"([?&]{re.escape(name)}=)[^&#]*", lambda m: m.group(1) + MASK, text)
    return text


def _relative_to(base: Any, location: Path | str) -> Path | str:
    """A file path, or a DuckDB file's URL (`duckdb:///relative`), taken relative to `base`;
    other URLs unchanged."""
    if isinstance(location, Path):
        return location if location.is_absolute() else Path(base) / location
    prefix = "duckdb:///"
    if location.lower().startswith(prefix) and not location[len(prefix) :].startswith("/"):
        file, sep, target = location[len(prefix) :].partition("#")
        return f"{prefix}{Path(base) / Path(file).expanduser()}{sep}{target}"
    return location


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _short_repr(value: Any) -> str:
    """`repr(value)` cut to a readable length (a value may be a huge expanded list)."""
    limits = reprlib.Repr()
    limits.maxlist = limits.maxtuple = limits.maxdict = 5
    limits.maxstring = limits.maxother = 80
    limits.maxlevel = 2
    return limits.repr(value)


def _explain(error: ValidationError, where: str) -> str:
    """One line per pydantic error: file, key path, what was wrong."""
    lines = []
    for err in error.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            last = str(err["loc"][-1])
            hint = _did_you_mean(last, PilotConfig.model_fields) if len(err["loc"]) == 1 else ""
            lines.append(f"{where}: unknown key {key!r}{hint}")
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict) else f" (got {_short_repr(got)})"
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{where}: key {key!r}: {message}{shown}")
    return "\n".join(lines)


def config_from_mapping(values: dict[str, Any], *, where: str = "config", base=None) -> PilotConfig:
    """Validate a plain dict (a parsed YAML file, notebook parameters) into a PilotConfig.

    `base` is the folder relative paths are resolved against; `where` names the source in
    error messages.
    """
    try:
        return PilotConfig.model_validate(values, context={"base": base})
    except ValidationError as exc:
        raise ConfigError(_explain(exc, where)) from None


def load_config(source: str | Path) -> PilotConfig:
    """The config for `source`: a dataset folder (defaults, `data=source`) or a YAML file.

    A folder's client name is the folder's name ("demo" for the demo data). In a YAML file,
    relative paths are relative to the file's folder. Raises FileNotFoundError when the
    source does not exist and ConfigError when it cannot be used.
    """
    path = Path(source).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no dataset folder or config file at {path}")
    if path.is_dir():
        client = path.resolve().name or "demo"
        return PilotConfig(client=client, data=path)
    if path.name.lower().endswith(YAML_SUFFIXES):
        return _load_yaml(path)
    raise ConfigError(
        f"{path}: expected a dataset folder or a YAML config file (.yaml/.yml), got a {path.suffix or 'plain'} file"
    )


#: the most values a config file may hold once its YAML aliases are expanded: a real
#: config holds a few hundred; an alias bomb (each alias repeating the one before) billions
MAX_YAML_VALUES = 10_000
#: what PyYAML appends to a message about where it read ("in \"<unicode string>\", line 3")
_YAML_LOCATION = re.compile(r'\s*in "<[^>]*>", line \d+, column \d+')


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values `node` stands for once every alias is written out (an alias is the
    same node object again, so each distinct node is counted once, then multiplied)."""
    if id(node) in sizes:
        return sizes[id(node)]
    sizes[id(node)] = MAX_YAML_VALUES + 1  # a node that holds itself never ends
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    else:
        size = 1
    sizes[id(node)] = min(size, MAX_YAML_VALUES + 1)
    return sizes[id(node)]


def _yaml_values(path: Path, text: str) -> Any:
    """The YAML document in `text`, built only after checking that its aliases expand to
    at most MAX_YAML_VALUES values (safe tags only: no python objects)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_YAML_VALUES:
            raise ConfigError(
                f"{path}: its YAML aliases (*name) expand to more than {MAX_YAML_VALUES:,} "
                "values; write the values out instead"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    """One line for a YAML error: file, line and column, PyYAML's reason without its own
    location string."""
    mark = getattr(exc, "problem_mark", None)
    at = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
    reason = getattr(exc, "problem", None) or str(exc)
    reason = " ".join(_YAML_LOCATION.sub("", reason).split())
    return f"{path}:{at} not valid YAML: {reason}"


def _load_yaml(path: Path) -> PilotConfig:
    try:
        values = _yaml_values(path, path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(path, exc)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML: nested too deeply") from None
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(
            f"{path}: expected a mapping of keys to values, got {type(values).__name__}"
        )
    return config_from_mapping(values, where=str(path), base=path.parent)
