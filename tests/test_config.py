"""PilotConfig and load_config: defaults, folders, YAML files, and errors that say what to fix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rvq.config import ConfigError, PilotConfig, config_from_mapping, load_config


def test_defaults_describe_the_demo_pilot():
    config = PilotConfig()
    assert config.client == "demo"
    assert config.freq == "Q"
    assert config.horizons == [1, 2, 3, 4]
    assert config.outcomes == ["profit", "revenue_growth", "share_of_wallet"]
    assert config.segments == ["industry", "territory", "team", "contact_source", "community_role"]
    assert (config.priority_customers, config.seed, config.engine) == (50, 7, "memory")
    assert config.output == Path("reports")
    assert config.as_of is None and config.resolved_as_of() == date.today()


def test_a_folder_is_a_config_with_that_data_and_client(tmp_path):
    folder = tmp_path / "acme_2024"
    folder.mkdir()
    config = load_config(folder)
    assert config.data == folder
    assert config.client == "acme_2024"
    demo = tmp_path / "demo"
    demo.mkdir()
    assert load_config(demo).client == "demo"


def test_yaml_paths_are_relative_to_the_yaml_folder(tmp_path):
    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "pilot.yaml"
    path.write_text(
        "client: acme\n"
        "data: ../exports\n"
        "tables: {accounts: ../crm/accounts.csv}\n"
        "columns: {interactions: {ActivityDate: timestamp}}\n"
        "freq: M\n"
        "horizons: [1, 3]\n"
        "as_of: 2024-06-30\n"
        "output: out\n"
    )
    config = load_config(path)
    assert config.client == "acme"
    assert config.data == tmp_path / "cfg" / ".." / "exports"
    assert config.tables["accounts"] == tmp_path / "cfg" / ".." / "crm" / "accounts.csv"
    assert config.output == tmp_path / "cfg" / "out"
    assert config.columns == {"interactions": {"ActivityDate": "timestamp"}}
    assert (config.freq, config.horizons, config.as_of) == ("M", [1, 3], date(2024, 6, 30))


def test_absolute_paths_stay_as_written(tmp_path):
    path = tmp_path / "pilot.yml"
    path.write_text("data: /srv/pilot/data\n")
    assert load_config(path).data == Path("/srv/pilot/data")


def test_a_mistyped_key_names_the_key_the_file_and_the_closest_valid_one(tmp_path):
    path = tmp_path / "pilot.yaml"
    path.write_text("data: .\nhorizon: [1, 2]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message
    assert "unknown key 'horizon'" in message
    assert "did you mean 'horizons'" in message


def test_a_wrong_value_names_the_key_and_what_was_given(tmp_path):
    path = tmp_path / "pilot.yaml"
    path.write_text("freq: W\nhorizons: [0, 2]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "key 'freq'" in message and "'W'" in message
    assert "key 'horizons.0'" in message  # horizons must be positive


def test_an_unknown_table_in_columns_is_an_error():
    with pytest.raises(ConfigError, match="unknown table 'interaction'.*'interactions'"):
        config_from_mapping({"columns": {"interaction": {"Date": "timestamp"}}})


def test_unknown_outcome_is_an_error():
    with pytest.raises(ConfigError, match="outcomes"):
        config_from_mapping({"outcomes": ["profit", "margin"]})


def test_engine_is_checked_against_the_registered_engines(tmp_path):
    from rvq.scoring.engines import ENGINES  # the registry; importing it registers the engines

    path = tmp_path / "pilot.yaml"
    path.write_text("engine: duckdb\n")
    assert load_config(path).engine == "duckdb"
    path.write_text("engine: duckbd\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message and "key 'engine'" in message and "'duckbd'" in message
    assert f"registered: {', '.join(ENGINES.names())}" in message
    assert "duckdb" in ENGINES.names()


def test_broken_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "pilot.yaml"
    path.write_text("data: .\nhorizons: [1, 2\nseed: 3\n")
    with pytest.raises(ConfigError, match=r"pilot\.yaml: line \d+"):
        load_config(path)


def test_yaml_that_is_not_a_mapping_is_an_error(tmp_path):
    path = tmp_path / "pilot.yaml"
    path.write_text("- data\n- freq\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(path)


def test_a_missing_source_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_config(tmp_path / "nowhere")


def test_a_file_that_is_not_yaml_is_a_config_error(tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_text("a,b\n")
    with pytest.raises(ConfigError, match="dataset folder or a YAML"):
        load_config(path)


def test_the_shipped_example_config_loads():
    example = Path(__file__).resolve().parents[1] / "examples" / "demo.yaml"
    config = load_config(example)
    assert config.client == "demo"
    assert config.data == example.parent / ".." / "data" / "demo"


#: issue 12 item 6: 510 bytes of YAML whose aliases expand to 9**9 values (a billion laughs)
ALIAS_BOMB = "\n".join(
    [
        "client: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        *(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "segments: [*i, *i, *i, *i, *i, *i, *i, *i, *i]",
    ]
)


def test_a_yaml_alias_bomb_fails_fast_in_one_line_naming_the_file(tmp_path):
    import time

    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    assert len(path.read_bytes()) <= 600
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="aliases") as refused:
        load_config(path)
    assert time.perf_counter() - started < 1.0
    message = str(refused.value)
    assert message.startswith(f"{path}:") and len(message) < 300 and "\n" not in message


def test_a_self_referencing_alias_and_deep_nesting_are_config_errors(tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.write_text("segments: &s [industry, *s]\n")
    with pytest.raises(ConfigError, match="aliases"):
        load_config(loop)
    deep = tmp_path / "deep.yaml"
    deep.write_text("segments: " + "[" * 20_000 + "]" * 20_000 + "\n")
    with pytest.raises(ConfigError, match=str(deep)):
        load_config(deep)


def test_a_few_aliases_still_work(tmp_path):
    path = tmp_path / "pilot.yaml"
    path.write_text(
        "horizons: &h [1, 2]\nsegments: [team]\ncolumns: {accounts: &c {Id: account_id}, outcomes: *c}\n"
    )
    config = load_config(path)
    assert config.horizons == [1, 2] and config.columns["outcomes"] == {"Id": "account_id"}


def test_python_tags_stay_refused_without_pyyamls_location_string(tmp_path):
    path = tmp_path / "pilot.yaml"
    path.write_text('client: acme\nsegments: !!python/object/apply:os.system ["echo pwned"]\n')
    with pytest.raises(ConfigError, match="line 2") as refused:
        load_config(path)
    message = str(refused.value)
    assert "could not determine a constructor" in message and str(path) in message
    assert "<unicode string>" not in message and '", line' not in message


@pytest.mark.parametrize(
    "text", ["a: [1, 2\nb: 3\n", "a: *nowhere\n", "a: b: c\n", "\tx: 1\n", "a: 'x\n"]
)
def test_broken_yaml_never_shows_pyyamls_location_string(tmp_path, text):
    path = tmp_path / "pilot.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert message.startswith(f"{path}:") and "not valid YAML" in message
    assert "<unicode string>" not in message and "\n" not in message


def test_every_problem_is_listed_at_once_with_file_and_key(tmp_path):
    path = tmp_path / "pilot.yaml"
    path.write_text("freq: X\nhorizons: [0, 2]\nbogus: 1\nseed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    lines = str(refused.value).splitlines()
    assert len(lines) == 4 and all(line.startswith(f"{path}:") for line in lines)
    joined = "\n".join(lines)
    for key in ("'freq'", "'horizons.0'", "'bogus'", "'seed'"):
        assert key in joined
    assert "10]" not in joined and "..." in joined  # a long value is shown cut, not whole
