"""Database sources (rvq.inputs.sql): a real PostgreSQL server and a DuckDB file give the same
pilot as the files they were loaded from, and the password never shows.

The PostgreSQL tests start a throw-away server on 127.0.0.1 (initdb + pg_ctl, a free
port, a scram-sha-256 password) in a temporary folder and stop it at the end. They skip
only when no PostgreSQL binaries exist at all; `.ci/setup-postgres.sh` installs them.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from rvq.config import ConfigError, config_from_mapping, load_config
from rvq.inputs.dataset import load_dataset, locate_tables, read_table
from rvq.inputs.readers import reader_for
from rvq.inputs.sql import (
    SqlSource,
    SqlSourceError,
    mask_url,
    read_duckdb,
    read_sqlalchemy,
    sql_source,
    url_password,
)
from rvq.synth import WorldSpec, generate_world, write_world

PASSWORD_ENV = "RVQ_TEST_PG_PASSWORD"
WORLD = WorldSpec(accounts=150, periods=8, seed=11)


# --- a PostgreSQL server of our own ----------------------------------------------------


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server binaries: PATH first, then Debian's layout."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """initdb refuses root: as root, run the server as `postgres` (or `nobody`)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    pytest.fail("running as root and neither a `postgres` nor a `nobody` user exists")


@pytest.fixture(scope="session")
def world():
    return generate_world(WORLD)


@pytest.fixture(scope="session")
def world_folder(world, tmp_path_factory) -> Path:
    return write_world(world, tmp_path_factory.mktemp("files") / "pilot")


@pytest.fixture(scope="session")
def postgres(world):
    """A running PostgreSQL server holding the world's tables in database `pilot`:
    yields (url without password, password)."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl); run .ci/setup-postgres.sh")
    user = _server_user()
    run_as = ["runuser", "-u", user, "--"] if user else []
    home = Path(tempfile.mkdtemp(prefix="rvq-pg-"))
    password = "pw-" + secrets.token_urlsafe(18)
    pwfile = home / "pwfile"
    pwfile.write_text(password + "\n")
    if user:
        entry = pwd.getpwnam(user)
        for p in (home, pwfile):
            os.chown(p, entry.pw_uid, entry.pw_gid)
    data, log, port = home / "data", home / "server.log", _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*run_as, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}{server_log}")

    run(
        str(bindir / "initdb"), "-D", str(data), "-U", "rvq", f"--pwfile={pwfile}",
        "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync",
    )  # fmt: skip
    pwfile.unlink()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={home} -c fsync=off"
    )
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
    try:
        import psycopg
        from sqlalchemy import create_engine

        admin = f"host=127.0.0.1 port={port} user=rvq password={password} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE pilot")
        url = f"postgresql://rvq@127.0.0.1:{port}/pilot"
        engine = create_engine(
            url.replace("rvq@", f"rvq:{password}@", 1).replace(
                "postgresql", "postgresql+psycopg", 1
            )
        )
        with engine.begin() as conn:
            for name, frame in world.tables.items():
                frame.to_sql(name, conn, index=False, chunksize=5000)
        engine.dispose()
        yield url, password
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(home, ignore_errors=True)


def _rvq_backtest(source: Path, out: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rvq.cli", "backtest", str(source), "--json", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _comparable(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in ("run_id", "client")}


def _files_text(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


# --- PostgreSQL ------------------------------------------------------------------------


def test_backtest_from_postgres_equals_the_file_run_and_never_shows_the_password(
    postgres, world, world_folder, tmp_path
):
    url, password = postgres
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "client": "pilot",
                "tables": {
                    "interactions": url,  # no '#': the table named like the canonical one
                    "accounts": f"{url}#public.accounts",
                    "outcomes": f"{url}#SELECT * FROM outcomes ORDER BY account_id, period",
                    "voc": url,
                },
                "sql": {"password_env": PASSWORD_ENV, "chunksize": 1000},  # many chunks
            }
        )
    )
    cache = tmp_path / "cache"
    env = {**os.environ, PASSWORD_ENV: password, "RVQ_CACHE_DIR": str(cache)}
    env.pop("RVQ_DB_PASSWORD", None)
    runs = {
        "sql": _rvq_backtest(config, tmp_path / "sql.json", env),
        "files": _rvq_backtest(world_folder, tmp_path / "files.json", env),
    }
    output = {name: proc.communicate(timeout=300) for name, proc in runs.items()}
    for name, proc in runs.items():
        assert proc.returncode == 0, output[name][1]

    from_sql = json.loads((tmp_path / "sql.json").read_text())
    from_files = json.loads((tmp_path / "files.json").read_text())
    assert from_sql["data"]["events_read"] == len(world.tables["interactions"])
    assert _comparable(from_sql) == _comparable(from_files)

    # the whole run: its JSON, what it printed, its config and the cached pilot
    everything = _files_text(tmp_path) + "".join(output["sql"]).encode()
    assert password.encode() not in everything


def test_a_whole_pilot_from_postgres_never_writes_the_password(postgres, tmp_path):
    """Issue 6: a grep of a whole run folder (ipynb, HTML, JSON, logs) and of what the
    command printed finds no database password."""
    url, password = postgres
    config = tmp_path / "pilot.yaml"
    tables = {name: f"{url}#public.{name}" for name in ("interactions", "accounts", "outcomes")}
    config.write_text(
        yaml.safe_dump({"client": "pg", "tables": tables, "sql": {"password_env": PASSWORD_ENV}})
    )
    env = {**os.environ, PASSWORD_ENV: password, "RVQ_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("RVQ_DB_PASSWORD", None)
    reports = tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "rvq.cli", "pilot", str(config), "--out", str(reports)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run_dirs = [d for d in (reports / "pg").iterdir() if d.is_dir()]
    assert len(run_dirs) == 1 and (run_dirs[0] / "index.html").exists()
    written = {p.suffix for p in run_dirs[0].rglob("*") if p.is_file()}
    assert {".ipynb", ".html", ".json", ".log"} <= written
    everything = _files_text(reports) + _files_text(tmp_path / "cache")
    assert password.encode() not in everything + (result.stdout + result.stderr).encode()
    assert url.encode() in _files_text(reports)  # the masked location is shown, so the grep sees


def test_a_wrong_password_or_table_is_a_clear_error_without_the_password(postgres, monkeypatch):
    url, password = postgres
    monkeypatch.setenv(PASSWORD_ENV, password)
    source = sql_source(f"{url}#no_such_table", password_env=PASSWORD_ENV)
    with pytest.raises(SqlSourceError) as missing:
        read_sqlalchemy(source)
    assert "no_such_table" in str(missing.value) and password not in str(missing.value)

    monkeypatch.setenv(PASSWORD_ENV, password + "-wrong")
    with pytest.raises(SqlSourceError) as refused:
        read_sqlalchemy(source)
    assert "password authentication failed" in str(refused.value)
    assert password not in str(refused.value) and "-wrong" not in str(refused.value)


def test_password_from_a_secrets_file_named_in_the_config(postgres, tmp_path, monkeypatch):
    url, password = postgres
    monkeypatch.delenv("RVQ_DB_PASSWORD", raising=False)
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({"password": password}))
    config = tmp_path / "pilot.yaml"
    config.write_text(yaml.safe_dump({"tables": {"accounts": url}, "secrets": "secrets.yaml"}))
    source = locate_tables(load_config(config))["accounts"]
    assert isinstance(source, SqlSource) and source.secrets == tmp_path / "secrets.yaml"
    raw = read_table(source)
    assert len(raw.frame) == WORLD.accounts and raw.rows_read == WORLD.accounts
    assert list(raw.lines[:3]) == [1, 2, 3]
    assert password not in repr(source) + str(source) + raw.path

    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({"password": "not-it"}))
    with pytest.raises(SqlSourceError, match="password authentication failed"):
        read_table(source)


# --- DuckDB ----------------------------------------------------------------------------


def _duckdb_file(world, path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        for name, frame in world.tables.items():
            con.register("frame", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
            con.unregister("frame")
    return path


def test_dataset_from_a_duckdb_file_equals_the_file_dataset(world, world_folder, tmp_path):
    _duckdb_file(world, tmp_path / "pilot.duckdb")
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "tables": {
                    "interactions": "duckdb:///pilot.duckdb",  # relative to this file
                    "accounts": "duckdb:///pilot.duckdb#accounts",
                    "outcomes": "duckdb:///pilot.duckdb#SELECT * FROM outcomes",
                    "voc": "duckdb:///pilot.duckdb",
                },
                "sql": {"chunksize": 777},
            }
        )
    )
    as_of = WORLD.as_of_date
    from_db = load_dataset(config, as_of=as_of, progress=False)
    from_files = load_dataset(world_folder, as_of=as_of, progress=False)
    assert from_db.ok and from_files.ok
    assert from_db.validation.to_dict()["counts"] == from_files.validation.to_dict()["counts"]
    for name in ("interactions", "accounts", "outcomes", "voc"):
        db, files = getattr(from_db, name), getattr(from_files, name)
        key = list(db.columns[:2])
        db = db.sort_values(key, ignore_index=True)
        files = files.sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(db, files, check_dtype=False, obj=name)


def test_duckdb_reads_in_chunks_and_names_what_is_missing(world, tmp_path):
    db = _duckdb_file(world, tmp_path / "w.duckdb")
    source = sql_source(f"duckdb:///{db}", "interactions", chunksize=1000)
    raw = read_duckdb(source)
    assert raw.rows_read == len(world.tables["interactions"])
    np.testing.assert_array_equal(raw.line_numbers(), np.arange(1, raw.rows_read + 1))
    with pytest.raises(SqlSourceError, match="no_such"):
        read_duckdb(sql_source(f"duckdb:///{db}#no_such"))
    with pytest.raises(FileNotFoundError, match="nowhere.duckdb"):
        read_duckdb(sql_source(f"duckdb:///{tmp_path}/nowhere.duckdb#t"))


# --- locations, config and masking -----------------------------------------------------


def test_config_keeps_urls_whole_and_files_as_paths(tmp_path):
    config = config_from_mapping(
        {
            "tables": {
                "interactions": "postgresql+psycopg://rvq@127.0.0.1:5432/pilot#crm.activities",
                "accounts": "accounts.csv",
                "outcomes": "duckdb:///data/pilot.duckdb#outcomes",
                "voc": "duckdb:////abs/pilot.duckdb",
            },
            "secrets": "secrets.yaml",
        },
        base=tmp_path,
    )
    assert config.tables["interactions"] == (
        "postgresql+psycopg://rvq@127.0.0.1:5432/pilot#crm.activities"
    )
    assert config.tables["accounts"] == tmp_path / "accounts.csv"
    assert config.tables["outcomes"] == f"duckdb:///{tmp_path}/data/pilot.duckdb#outcomes"
    assert config.tables["voc"] == "duckdb:////abs/pilot.duckdb"
    assert config.secrets == tmp_path / "secrets.yaml"
    assert config.sql.password_env == "RVQ_DB_PASSWORD"

    located = locate_tables(config)
    assert isinstance(located["accounts"], Path)
    assert located["interactions"].target == "crm.activities"
    assert located["voc"].target == "voc"  # no '#': the canonical table's name
    assert reader_for(located["interactions"]) is read_sqlalchemy
    assert reader_for(located["voc"]) is read_duckdb


def test_a_password_written_in_a_url_is_refused_without_being_echoed(tmp_path):
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump({"tables": {"accounts": "postgresql://rvq:hunter2@db:5432/crm"}})
    )
    with pytest.raises(ConfigError, match="holds a password") as refused:
        load_config(config)
    assert "hunter2" not in str(refused.value)
    with pytest.raises(ValueError, match="holds a password") as direct:
        sql_source("postgresql://rvq:hunter2@db:5432/crm#accounts")
    assert "hunter2" not in str(direct.value)


def test_masking_and_targets():
    url = "postgresql://rvq:s3cr%40t@db.example:5432/crm"
    assert url_password(url) == "s3cr%40t"
    assert mask_url(url + "#accounts") == "postgresql://rvq:***@db.example:5432/crm#accounts"
    assert url_password("postgresql://rvq@db:5432/crm") is None
    assert url_password("duckdb:///data/pilot.duckdb") is None
    source = SqlSource(
        url="postgresql://rvq@db/crm", target="  with x as (select 1) select * from x"
    )
    assert source.is_query and not sql_source("duckdb:///x.duckdb#selections").is_query
    assert repr(source).startswith("SqlSource('postgresql://rvq@db/crm#")
    with pytest.raises(ValueError, match="name a table or query"):
        sql_source("postgresql://rvq@db/crm")


def test_the_cache_key_follows_a_server_table_and_refresh_rereads(postgres, tmp_path, monkeypatch):
    """A database source's cache key holds each table's row count: a row added on the
    server gives a new key (no stale scored pilot); an unchanged table keeps it."""
    from sqlalchemy import create_engine, text

    from rvq import cache
    from rvq import pilot as pilots

    url, password = postgres
    monkeypatch.setenv(PASSWORD_ENV, password)
    engine = create_engine(
        url.replace("rvq@", f"rvq:{password}@", 1).replace("postgresql", "postgresql+psycopg", 1)
    )
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE key_probe (x integer)"))
        conn.execute(text("INSERT INTO key_probe VALUES (1), (2), (3)"))
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "tables": {"interactions": f"{url}#public.key_probe"},
                "sql": {"password_env": PASSWORD_ENV},
            }
        )
    )
    try:
        first = cache.input_version(config, pilots.load_config(config))
        assert cache.input_version(config, pilots.load_config(config)) == first
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO key_probe VALUES (4)"))
        assert cache.input_version(config, pilots.load_config(config)) != first
        monkeypatch.setenv(PASSWORD_ENV, password + "-wrong")
        with pytest.raises(pilots.PilotInputError) as refused:
            cache.input_version(config, pilots.load_config(config))
        assert "password authentication failed" in str(refused.value)
        assert password not in str(refused.value)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE key_probe"))
        engine.dispose()


def test_the_cache_key_follows_a_duckdb_file(world, tmp_path):
    """A rewritten DuckDB file (new size or time) gives a new cache key."""
    from rvq import cache
    from rvq import pilot as pilots

    db = _duckdb_file(world, tmp_path / "pilot.duckdb")
    config = tmp_path / "pilot.yaml"
    config.write_text(yaml.safe_dump({"tables": {"interactions": "duckdb:///pilot.duckdb"}}))
    first = cache.input_version(config, pilots.load_config(config))
    assert cache.input_version(config, pilots.load_config(config)) == first
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO interactions SELECT * FROM interactions LIMIT 1")
    os.utime(db, ns=(db.stat().st_atime_ns, db.stat().st_mtime_ns + 10**9))
    assert cache.input_version(config, pilots.load_config(config)) != first


def test_a_duckdb_write_ahead_log_changes_the_fingerprint(world, tmp_path):
    """Changes DuckDB has not yet checkpointed sit in `<file>.wal`, the file itself
    untouched: the fingerprint (and so the cache key) follows the log too."""
    from rvq.inputs.sql import fingerprint

    db = tmp_path / "pilot.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    location = f"duckdb:///{db}#t"
    first = fingerprint(location)
    before = db.stat()
    con = duckdb.connect(str(db))
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    con.execute("INSERT INTO t VALUES (2)")
    con.close()
    wal = db.with_name(db.name + ".wal")
    assert wal.is_file()
    os.utime(db, ns=(before.st_atime_ns, before.st_mtime_ns))  # the file itself: as before
    assert db.stat().st_size == before.st_size
    second = fingerprint(location)
    assert second != first
    assert fingerprint(location) == second  # an unchanged log: the same fingerprint
    wal.unlink()
    assert fingerprint(location) == first


def _sqlite_file(path: Path) -> Path:
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute('CREATE TABLE "Activities" (x integer)')
        con.execute('INSERT INTO "Activities" VALUES (1), (2), (3)')
        con.commit()
    return path


@pytest.mark.parametrize(
    "target",
    [
        'SELECT * FROM "Activities";',
        'SELECT * FROM "Activities" -- every row',
        'SELECT * FROM "Activities"; -- every row\n',
        "SELECT * FROM \"Activities\" WHERE x > 0 /* rows ';' */ ;\n\n",
        "SELECT x, '--;' AS y FROM \"Activities\"\n-- the end",
        "Activities",
        "main.Activities",
    ],
)
def test_the_row_count_of_a_query_ending_in_a_semicolon_or_comment(tmp_path, target):
    """A query that reads fine also counts fine: `;` and a comment may trail it."""
    from rvq.inputs.sql import fingerprint

    db = _sqlite_file(tmp_path / "crm.sqlite")
    location = f"sqlite:///{db}#{target}"
    assert len(read_table(sql_source(location)).frame) == 3
    assert fingerprint(location).endswith("\0rows=3")


def test_a_server_query_ending_in_a_semicolon_and_comment_counts(postgres, monkeypatch):
    from rvq.inputs.sql import fingerprint

    url, password = postgres
    monkeypatch.setenv(PASSWORD_ENV, password)
    query = "SELECT * FROM accounts; -- all of them"
    source = sql_source(f"{url}#{query}", password_env=PASSWORD_ENV)
    rows = len(read_table(source).frame)
    assert rows > 0 and fingerprint(source).endswith(f"\0rows={rows}")
    assert fingerprint(sql_source(f"{url}#public.accounts", password_env=PASSWORD_ENV)).endswith(
        f"\0rows={rows}"
    )


def test_the_notebooks_of_a_run_open_the_runs_pilot_while_the_database_changes(world, tmp_path):
    """Inside a run, `open_pilot` opens the pilot the run opened (the run record names its
    input version): rows written to the DuckDB file since, or the file being gone, change
    nothing for the run's notebooks; outside the run the new version is read."""
    from rvq import cache, report
    from rvq import pilot as pilots

    db = _duckdb_file(world, tmp_path / "pilot.duckdb")
    config = tmp_path / "pilot.yaml"
    config.write_text(
        yaml.safe_dump({"tables": {name: "duckdb:///pilot.duckdb" for name in world.tables}})
    )
    store = tmp_path / "cache"
    pilot = pilots.open_pilot(config, cache_dir=store)
    run = tmp_path / "run"
    report.record_findings(report.RUN_RECORD, {"pilot": pilots.pilot_info(pilot)}, run_dir=run)

    with duckdb.connect(str(db)) as con:  # the table changes while the run goes on
        con.execute("DELETE FROM interactions WHERE rowid % 2 = 0")
    os.utime(db, ns=(db.stat().st_atime_ns, db.stat().st_mtime_ns + 10**9))
    changed = cache.input_version(config, pilots.load_config(config))
    assert changed != pilot.key

    step = pilots.open_pilot(config, run_dir=run, cache_dir=store)
    assert step.key == pilot.key and step.cache_dir == store / pilot.key
    assert step.run_dir == run.resolve()
    assert step.data_counts() == pilot.data_counts()
    assert step.panel.equals(pilot.panel)

    db.rename(tmp_path / "elsewhere.duckdb")  # the database cannot be reached
    assert pilots.open_pilot(config, run_dir=run, cache_dir=store).key == pilot.key
    (tmp_path / "elsewhere.duckdb").rename(db)

    outside = pilots.open_pilot(config, cache_dir=store)  # interactive: today's inputs
    assert outside.key == changed
    assert outside.data_counts()["events_read"] < pilot.data_counts()["events_read"]
