"""Reading input tables from databases: any SQLAlchemy URL, or a DuckDB file.

A config names a database table or query where it would name a file:

    tables:
      interactions: postgresql://rvq@db.internal:5432/crm#activities
      outcomes: "postgresql://rvq@db.internal:5432/crm#SELECT * FROM finance.outcomes_q"
      accounts: duckdb:///exports/pilot.duckdb      # no fragment: the table `accounts`
    secrets: ~/.config/rvq/secrets.yaml              # optional: {password: ...}
    sql: {password_env: CRM_DB_PASSWORD, chunksize: 50000}

After `#` comes a table name (optionally `schema.table`) or a query (text starting with
SELECT or WITH); without it, the table carries the canonical table's name. A DuckDB URL
follows SQLAlchemy's SQLite form: `duckdb:///relative/file.duckdb` (relative to the
config file), `duckdb:////absolute/file.duckdb`.

Credentials never sit in the config or in notebook parameters: the password comes from
the environment variable `sql.password_env` (default `RVQ_DB_PASSWORD`), else from the
secrets file named by `secrets:` (YAML `{password: ...}`), else from the driver's own
means (e.g. libpq's ~/.pgpass). A URL with a password in it (user part or a query
parameter such as `?password=`, parsed by SQLAlchemy's `make_url`) is refused, and every
location this module prints (`str`, `repr`, error messages) has the password masked, so
it cannot reach a notebook, an HTML page, summary.json or a log.

Rows are fetched in chunks (a server-side cursor for SQLAlchemy, record batches for
DuckDB) into the same `RawTable` the file readers return, with the database's column
types; rows are numbered from 1, as for Parquet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from rvq.config import MASK, QUERY_TARGET, inline_credentials, mask_url, url_password
from rvq.inputs.readers import RawTable, register_reader

#: the environment variable read for the database password unless the config names another
DEFAULT_PASSWORD_ENV = "RVQ_DB_PASSWORD"
#: rows fetched per round trip
DEFAULT_CHUNKSIZE = 50_000
#: URL schemes read through SQLAlchemy (the driver must be installed for the ones used);
#: `register_sql_scheme` adds another
SQLALCHEMY_SCHEMES = (
    "postgresql",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgres",
    "redshift",
    "redshift+psycopg2",
    "mysql",
    "mysql+pymysql",
    "mariadb",
    "mssql",
    "mssql+pyodbc",
    "oracle",
    "oracle+oracledb",
    "snowflake",
    "bigquery",
    "databricks",
    "trino",
    "sqlite",
)
DUCKDB_SCHEME = "duckdb"


class SqlSourceError(RuntimeError):
    """A database source that cannot be read; the message names the masked location."""


def is_url(location: Any) -> bool:
    """True for a database location (`scheme://...`), False for a file path."""
    return isinstance(location, SqlSource) or "://" in str(location)


def _split(location: str) -> tuple[str, str | None]:
    url, _, target = str(location).partition("#")
    return url, (target.strip() or None)


@dataclass(frozen=True)
class SqlSource:
    """One table or query in a database, with where its password comes from.

    Holds no password: `password()` reads it when connecting. `str()` and `repr()` are
    the URL (masked) and the target after `#`.
    """

    url: str
    target: str
    password_env: str = DEFAULT_PASSWORD_ENV
    secrets: Path | None = None
    chunksize: int = DEFAULT_CHUNKSIZE

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0].lower()

    @property
    def is_query(self) -> bool:
        return bool(QUERY_TARGET.match(self.target))

    def exists(self) -> bool:
        """Always True: whether a database answers is known only by reading it."""
        return True

    def password(self) -> str | None:
        """The password: the environment variable, else the secrets file, else None."""
        if os.environ.get(self.password_env):
            return os.environ[self.password_env]
        if self.secrets is None:
            return None
        return secrets_password(self.secrets)

    def __str__(self) -> str:
        return f"{mask_url(self.url)}#{self.target}"

    def __repr__(self) -> str:
        return f"SqlSource({str(self)!r})"


def secrets_password(path: str | os.PathLike) -> str | None:
    """The `password` of a YAML secrets file; SqlSourceError when it cannot be read."""
    import yaml

    path = Path(path).expanduser()
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SqlSourceError(f"the secrets file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:  # never echo its content
        raise SqlSourceError(
            f"the secrets file {path} cannot be read ({type(exc).__name__})"
        ) from None
    if not isinstance(values, dict) or "password" not in values:
        raise SqlSourceError(f"the secrets file {path} holds no `password:` key")
    value = values["password"]
    return None if value is None else str(value)


def sql_source(
    location: str | SqlSource,
    table: str | None = None,
    *,
    password_env: str | None = None,
    secrets: str | os.PathLike | None = None,
    chunksize: int | None = None,
) -> SqlSource:
    """A `SqlSource` for `location` (`url` or `url#table-or-query`); `table` is the target
    when the location names none. Refuses (ValueError) a URL holding a password."""
    if isinstance(location, SqlSource):
        return location
    found = inline_credentials(str(location))
    if found:
        raise ValueError(
            f"{mask_url(str(location))}: the URL holds {' and '.join(found)}; put the password "
            f"in the environment variable {password_env or DEFAULT_PASSWORD_ENV} or in the "
            "secrets file named by `secrets:`"
        )
    url, target = _split(location)
    target = target or table
    if not target:
        raise ValueError(f"{mask_url(url)}: name a table or query after '#' (url#table)")
    return SqlSource(
        url=url,
        target=target,
        password_env=password_env or DEFAULT_PASSWORD_ENV,
        secrets=Path(secrets).expanduser() if secrets is not None else None,
        chunksize=int(chunksize or DEFAULT_CHUNKSIZE),
    )


def config_sql_source(location: str, table: str, config: Any) -> SqlSource:
    """The `SqlSource` of a config's `tables:` entry, with the config's credential settings."""
    options = getattr(config, "sql", None)
    return sql_source(
        location,
        table,
        password_env=getattr(options, "password_env", None),
        secrets=getattr(config, "secrets", None),
        chunksize=getattr(options, "chunksize", None),
    )


# --- reading ---------------------------------------------------------------------------


def _scrub(text: str, password: str | None) -> str:
    return text.replace(password, MASK) if password else text


#: the pip package of each database driver module SQLAlchemy's dialects import
DRIVER_PACKAGES = {
    "psycopg2": "'psycopg[binary]'",  # rvq's own PostgreSQL driver (psycopg 3)
    "psycopg": "'psycopg[binary]'",
    "MySQLdb": "mysqlclient",
    "pymysql": "pymysql",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
    "oracledb": "oracledb",
    "cx_Oracle": "oracledb",
    "duckdb": "duckdb",
}

#: the pip package of each SQLAlchemy dialect that does not come with SQLAlchemy
DIALECT_PACKAGES = {"snowflake": "snowflake-sqlalchemy", "redshift": "sqlalchemy-redshift"}


def _driver_error(source: SqlSource, exc: BaseException, password: str | None) -> SqlSourceError:
    """A database error as one line, never the password; a driver or dialect that is not
    installed says which package to install."""
    from sqlalchemy.exc import NoSuchModuleError

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ModuleNotFoundError) and cause.name:
            module = cause.name.partition(".")[0]
            package = DRIVER_PACKAGES.get(module, module)
            return SqlSourceError(
                f"{source}: the database driver {module} is not installed: pip install {package}"
            )
        if isinstance(cause, NoSuchModuleError):
            dialect = source.scheme.partition("+")[0]
            package = DIALECT_PACKAGES.get(dialect, f"the package of the {dialect} dialect")
            return SqlSourceError(
                f"{source}: SQLAlchemy has no dialect {dialect!r}: pip install {package}"
            )
        cause = cause.__cause__ or cause.__context__
    message = _scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else "", password)
    return SqlSourceError(f"{source}: {type(exc).__name__}: {message}")


def _raw_table(frame: pd.DataFrame, source: SqlSource) -> RawTable:
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.reset_index(drop=True)
    return RawTable(frame, str(source), None, np.arange(1, len(frame) + 1))


def _sqlalchemy_url(source: SqlSource, password: str | None):
    from importlib.util import find_spec

    from sqlalchemy.engine import make_url

    url = make_url(source.url)
    if url.drivername in ("postgresql", "postgres"):
        # SQLAlchemy < 2.1 defaults to psycopg2 and no longer knows `postgres`; rvq installs psycopg 3
        psycopg3 = find_spec("psycopg2") is None and find_spec("psycopg") is not None
        url = url.set(drivername="postgresql+psycopg" if psycopg3 else "postgresql")
    return url.set(password=password) if password else url


def _statement(source: SqlSource, preparer) -> str:
    if source.is_query:
        return source.target
    return "SELECT * FROM " + ".".join(preparer.quote(p) for p in source.target.split("."))


def _sqlalchemy_chunks(source: SqlSource, password: str | None) -> Iterator[pd.DataFrame]:
    from sqlalchemy import create_engine, text

    engine = create_engine(_sqlalchemy_url(source, password), pool_pre_ping=False)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(stream_results=True, max_row_buffer=source.chunksize)
            statement = text(_statement(source, engine.dialect.identifier_preparer))
            yield from pd.read_sql(statement, conn, chunksize=source.chunksize)
    finally:
        engine.dispose()


def read_sqlalchemy(location: str | SqlSource) -> RawTable:
    """A table or query through SQLAlchemy, fetched `chunksize` rows at a time."""
    source = sql_source(location)
    password = source.password()
    try:
        chunks = list(_sqlalchemy_chunks(source, password))
    except SqlSourceError:
        raise
    except Exception as exc:  # driver errors: keep their words, never the password
        raise _driver_error(source, exc, password) from None
    frames = [c for c in chunks if len(c)] or chunks[:1]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return _raw_table(frame, source)


def duckdb_path(source: SqlSource) -> Path:
    """The database file of a `duckdb:///file` URL (`duckdb:////abs` for an absolute path)."""
    rest = source.url.split("://", 1)[1]
    if not rest.startswith("/"):
        raise SqlSourceError(f"{source}: a DuckDB URL is duckdb:///path/to/file.duckdb")
    return Path(rest[1:].split("?", 1)[0]).expanduser()


def read_duckdb(location: str | SqlSource) -> RawTable:
    """A table or query of a DuckDB file, opened read-only, in record batches."""
    source = sql_source(location)
    try:
        import duckdb
    except ModuleNotFoundError as exc:
        raise _driver_error(source, exc, None) from None
    path = duckdb_path(source)
    if not path.is_file():
        raise FileNotFoundError(f"{source}: no DuckDB file at {path}")
    if source.is_query:
        statement = source.target
    else:
        statement = "SELECT * FROM " + ".".join(
            '"' + p.replace('"', '""') + '"' for p in source.target.split(".")
        )
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            con.execute("SET enable_progress_bar = false")  # drawn on stdout, even into a pipe
            relation = con.sql(statement)
            if hasattr(relation, "to_arrow_reader"):  # duckdb >= 1.5
                reader = relation.to_arrow_reader(batch_size=source.chunksize)
            else:
                reader = con.execute(statement).fetch_record_batch(source.chunksize)
            table = pa.Table.from_batches(list(reader), schema=reader.schema)
    except duckdb.Error as exc:
        raise SqlSourceError(f"{source}: {type(exc).__name__}: {exc}") from None
    return _raw_table(table.to_pandas(), source)


def _trimmed_query(statement: str) -> str:
    """A query without what may trail it: whitespace, `;` and comments (`-- ...`,
    `/* ... */`), so it can be wrapped as a subquery. Quoted text is left alone."""
    text = statement
    while True:
        end, i, n = 0, 0, len(text)
        while i < n:
            c = text[i]
            if c in "'\"":  # a string or quoted identifier ('' and "" escape themselves)
                close = text.find(c, i + 1)
                while close != -1 and text.startswith(c, close + 1):
                    close = text.find(c, close + 2)
                i = n if close == -1 else close + 1
                end = i
            elif text.startswith("--", i):
                newline = text.find("\n", i)
                i = n if newline == -1 else newline + 1
            elif text.startswith("/*", i):
                close = text.find("*/", i + 2)
                i = n if close == -1 else close + 2
            else:
                if not c.isspace():
                    end = i + 1
                i += 1
        text = text[:end]
        if not text.endswith(";"):
            return text
        text = text[:-1]


def _count_statement(source: SqlSource, preparer) -> Any:
    """`SELECT count(*)` of a table or query, built by SQLAlchemy for the dialect (an
    Oracle subquery alias takes no `AS`). A query goes on lines of its own inside the
    parentheses, without a trailing `;` or comment."""
    from sqlalchemy import func, select, table, text

    if source.is_query:
        inner = text("\n" + _trimmed_query(source.target) + "\n").columns()
        return select(func.count()).select_from(inner.subquery("rvq_rows"))
    parts = source.target.split(".")
    if len(parts) <= 2:
        name = table(parts[-1], schema=parts[0] if len(parts) == 2 else None)
    else:  # database.schema.table: quoted part by part, as it is read
        name = text(".".join(preparer.quote(p) for p in parts))
    return select(func.count()).select_from(name)


def duckdb_version(path: Path) -> str:
    """A DuckDB file's path, size and modification time, and its write-ahead log's
    (`<file>.wal`, where DuckDB keeps changes not yet checkpointed into the file)."""
    parts = [str(path)]
    for file in (path, path.with_name(path.name + ".wal")):
        st = file.stat() if file.is_file() else None
        parts += [str(st.st_size if st else -1), str(st.st_mtime_ns if st else -1)]
    return "\0".join(parts)


def fingerprint(location: str | SqlSource) -> str:
    """What identifies one version of a database source, for the pilot cache's key: a
    DuckDB file's path, size and modification time (and its write-ahead log's); for a
    server, the row count of the table or query (one `count(*)` round trip). A server
    table changed in place with the same row count keeps its fingerprint: `rvq pilot
    --refresh` re-reads it."""
    source = sql_source(location)
    if source.scheme == DUCKDB_SCHEME:
        return duckdb_version(duckdb_path(source).resolve())
    from sqlalchemy import create_engine

    password = source.password()
    try:
        engine = create_engine(_sqlalchemy_url(source, password))
        try:
            with engine.connect() as conn:
                count = _count_statement(source, engine.dialect.identifier_preparer)
                rows = conn.execute(count).scalar()
        finally:
            engine.dispose()
    except Exception as exc:  # driver errors: keep their words, never the password
        raise _driver_error(source, exc, password) from None
    return f"{source}\0rows={rows}"


def register_sql_scheme(scheme: str) -> None:
    """Read `scheme://` locations through SQLAlchemy (a dialect the user has installed)."""
    register_reader(f"{scheme.lower()}://", read_sqlalchemy)


for _scheme in SQLALCHEMY_SCHEMES:
    register_sql_scheme(_scheme)
register_reader(f"{DUCKDB_SCHEME}://", read_duckdb)


__all__ = [
    "DEFAULT_PASSWORD_ENV",
    "SQLALCHEMY_SCHEMES",
    "SqlSource",
    "SqlSourceError",
    "config_sql_source",
    "duckdb_path",
    "fingerprint",
    "is_url",
    "mask_url",
    "read_duckdb",
    "read_sqlalchemy",
    "register_sql_scheme",
    "secrets_password",
    "sql_source",
    "url_password",
]
