"""Passwords never leak past the config (issue 12, item 1): a database URL holding a
credential in any form is refused without echoing it, and every place a table location
is shown or recorded (config dumps for the run record, summary and cache key; the
SqlSource text; `rvq validate`) has it masked."""

from __future__ import annotations

import json

import pytest
import yaml

from rvq import cli
from rvq.config import ConfigError, PilotConfig, inline_credentials, load_config, mask_url
from rvq.inputs.sql import SqlSource, sql_source

SECRET = "Zq7secretPW"
#: the attack strings of issue 12: each writes SECRET into a URL a different way
ATTACKS = {
    "user part": f"postgresql://rvq:{SECRET}@db.example:5432/crm",
    "query parameter": f"postgresql://rvq@db.example:5432/crm?password={SECRET}",
    "query parameter among others": f"postgresql://rvq@db/crm?sslmode=require&PWD={SECRET}",
    "slash in password": f"postgresql://rvq:{SECRET}/x@db.example/crm",
    "hash in password": f"postgresql://rvq:{SECRET}#x@db.example/crm",
    "question mark in password": f"postgresql://rvq:{SECRET}?x@db.example/crm",
    "raw at sign in password": f"postgresql://rvq:{SECRET}@x@db.example/crm",
    "percent-encoded password": f"postgresql://rvq:{SECRET}%40x@db.example/crm",
    "empty user": f"postgresql://:{SECRET}@db.example/crm",
    "repeated query parameter": f"postgresql://rvq@db/crm?password=x&password={SECRET}",
    "percent-encoded parameter name": f"postgresql://rvq@db/crm?p%61ssword={SECRET}",
    "token parameter": f"snowflake://rvq@acct/db?token={SECRET}",
    "duckdb query parameter": f"duckdb:///pilot.duckdb?password={SECRET}",
}
#: URLs that hold no credential and must keep working
CLEAN = [
    "postgresql://rvq@db.example:5432/crm#accounts",
    "postgresql://db.example:5432/crm#SELECT * FROM t WHERE email = 'a:b@c.example'",
    "postgresql://rvq@db/crm?sslmode=require&sslkey=/keys/client.key#accounts",
    "postgresql://rvq:@db/crm#accounts",  # an empty password is no password
    "duckdb:///pilot.duckdb#accounts",
]


@pytest.mark.parametrize("url", ATTACKS.values(), ids=ATTACKS.keys())
def test_every_inline_credential_is_found_and_masked(url):
    assert inline_credentials(url)
    assert inline_credentials(url + "#accounts")
    assert SECRET not in mask_url(url) and SECRET not in mask_url(url + "#accounts")
    assert "***" in mask_url(url)


@pytest.mark.parametrize("url", CLEAN)
def test_urls_without_credentials_pass_unchanged(url):
    assert inline_credentials(url) == []
    assert mask_url(url) == url


@pytest.mark.parametrize("url", ATTACKS.values(), ids=ATTACKS.keys())
def test_the_config_refuses_it_naming_file_and_table_without_the_secret(tmp_path, url):
    path = tmp_path / "pilot.yaml"
    path.write_text(yaml.safe_dump({"tables": {"accounts": url + "#accounts"}}))
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert SECRET not in message
    assert str(path) in message and "'tables'" in message and "'accounts'" in message
    assert "password_env" in message and len(message.splitlines()) == 1


@pytest.mark.parametrize("url", ATTACKS.values(), ids=ATTACKS.keys())
def test_a_sql_source_refuses_it_without_the_secret(url):
    with pytest.raises(ValueError, match="the URL holds") as refused:
        sql_source(url + "#accounts")
    assert SECRET not in str(refused.value)


def test_every_table_with_a_credential_is_listed_at_once(tmp_path):
    path = tmp_path / "pilot.yaml"
    tables = {"accounts": ATTACKS["user part"], "outcomes": ATTACKS["query parameter"]}
    path.write_text(yaml.safe_dump({"tables": tables, "freq": "X"}))
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert "'accounts' holds a password" in message
    assert "'outcomes' holds the query parameter 'password'" in message
    assert "'freq'" in message and SECRET not in message


def test_config_dumps_mask_urls_even_when_validation_was_bypassed():
    """The run record's and summary's `parameters` and the cache key are config dumps."""
    config = PilotConfig.model_construct(
        **{**PilotConfig().__dict__, "tables": {"accounts": ATTACKS["query parameter"]}}
    )
    assert SECRET not in json.dumps(config.model_dump(mode="json"))
    assert SECRET not in config.model_dump_json()
    assert "password=***" in config.model_dump_json()


def test_a_sql_source_shows_its_url_masked():
    source = SqlSource(url=ATTACKS["query parameter"], target="accounts")
    assert SECRET not in str(source) and SECRET not in repr(source)


@pytest.mark.parametrize("kind", ["query parameter", "hash in password", "slash in password"])
def test_rvq_validate_refuses_in_one_line_without_the_secret(tmp_path, capsys, kind):
    path = tmp_path / "pilot.yaml"
    path.write_text(yaml.safe_dump({"tables": {"accounts": ATTACKS[kind]}}))
    code = cli.main(["validate", str(path)])
    out = capsys.readouterr()
    assert code != 0
    assert SECRET not in out.out + out.err
    assert "password" in out.err and str(path) in out.err
