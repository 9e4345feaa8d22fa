"""Issue 12 item 14: what goes wrong around a run (an output or cache folder that cannot
be written, ...) ends as one line on stderr naming the path and what to do, exit 2,
never a traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from rvq.cli import main


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("oneline") / "demo"
    assert main(["demo", "--out", str(out), "--accounts", "40", "--periods", "6", "--quiet"]) == 0
    return out


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RVQ_CACHE_DIR", str(tmp_path / "cache"))


def one_line_error(capsys, argv: list[str]) -> str:
    """Run the CLI expecting exit 2 and one line on stderr; return that line."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def unwritable(folder: Path) -> bool:
    """Make `folder` read-only; False when that does not stop this user (root)."""
    folder.chmod(0o500)
    return not os.access(folder, os.W_OK)


def test_an_output_folder_that_is_a_file_is_one_line(tiny_demo, tmp_path, capsys):
    target = tmp_path / "reports"
    target.write_text("not a folder")
    line = one_line_error(capsys, ["pilot", str(tiny_demo), "--out", str(target)])
    assert line.startswith("rvq pilot: ")
    assert f"{target} is a file, not a folder" in line and "--out" in line
    below = one_line_error(capsys, ["pilot", str(tiny_demo), "--out", str(target / "a" / "b")])
    assert f"{target} is a file" in below


def test_a_dangling_output_link_is_one_line_and_its_target_is_not_created(
    tiny_demo, tmp_path, capsys
):
    gone = tmp_path / "unmounted" / "drive"
    link = tmp_path / "reports"
    link.symlink_to(gone)
    line = one_line_error(capsys, ["pilot", str(tiny_demo), "--out", str(link)])
    assert f"{link} is a link to {gone}, which does not exist" in line and "--out" in line
    assert not gone.exists() and not gone.parent.exists()


def test_a_read_only_output_folder_is_one_line(tiny_demo, tmp_path, capsys):
    out = tmp_path / "reports"
    out.mkdir()
    try:
        if not unwritable(out):
            pytest.skip("this user can write into a read-only folder (root)")
        line = one_line_error(capsys, ["pilot", str(tiny_demo), "--out", str(out)])
    finally:
        out.chmod(0o700)
    assert f"cannot write the run folder at {out}" in line
    assert "permission denied" in line and "--out" in line


def test_a_refused_run_folder_is_one_line_even_as_root(tiny_demo, tmp_path, capsys, monkeypatch):
    """The same path as a read-only folder, for a user chmod cannot stop."""
    from rvq import pipeline

    def refuse(client_dir, key):
        raise PermissionError(13, "Permission denied", str(client_dir))

    monkeypatch.setattr(pipeline, "_new_run_folder", refuse)
    line = one_line_error(capsys, ["pilot", str(tiny_demo), "--out", str(tmp_path / "r")])
    assert f"cannot write the run folder at {tmp_path / 'r'}" in line
    assert "permission denied" in line and "--out" in line


@pytest.mark.parametrize("command", ["backtest", "pilot"])
def test_a_cache_folder_that_is_a_file_is_one_line(
    command, tiny_demo, tmp_path, capsys, monkeypatch
):
    cache = tmp_path / "cache-file"
    cache.write_text("not a folder")
    monkeypatch.setenv("RVQ_CACHE_DIR", str(cache))
    argv = [command, str(tiny_demo)] + (
        ["--out", str(tmp_path / "r")] if command == "pilot" else []
    )
    line = one_line_error(capsys, argv)
    assert f"cannot write the cache at {cache}" in line and "RVQ_CACHE_DIR" in line
    assert "rvq validate" not in line  # nothing is wrong with the inputs
    assert not (tmp_path / "r").exists()


def test_a_read_only_cache_folder_is_one_line(tiny_demo, tmp_path, capsys, monkeypatch):
    cache = tmp_path / "ro-cache"
    cache.mkdir()
    monkeypatch.setenv("RVQ_CACHE_DIR", str(cache))
    try:
        if not unwritable(cache):
            pytest.skip("this user can write into a read-only folder (root)")
        line = one_line_error(capsys, ["backtest", str(tiny_demo)])
    finally:
        cache.chmod(0o700)
    assert f"cannot write the cache at {cache}" in line
    assert "permission denied" in line and "RVQ_CACHE_DIR" in line


def test_a_refused_cache_write_is_one_line_even_as_root(tiny_demo, tmp_path, capsys, monkeypatch):
    """The same path as a read-only cache, for a user chmod cannot stop."""
    import tempfile

    def refuse(*args, dir=None, **kw):
        raise PermissionError(13, "Permission denied", str(dir))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    line = one_line_error(capsys, ["backtest", str(tiny_demo)])
    assert f"cannot write the cache at {tmp_path / 'cache'}" in line
    assert "permission denied" in line and "RVQ_CACHE_DIR" in line


def utf16_copy(folder: Path, to: Path, encoding: str = "utf-16") -> Path:
    """`folder`'s dataset with accounts and interactions saved as Excel's "Unicode text"
    (UTF-16 with a byte-order mark, tab-separated, CRLF), an accented name in accounts."""
    import shutil

    shutil.copytree(folder, to)
    for name in ("accounts", "interactions"):
        text = (to / f"{name}.csv").read_text(encoding="utf-8").replace(",", "\t")
        if name == "accounts":
            text = text.replace("Customer 00001", "Société Générale Ü")
        (to / f"{name}.csv").write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return to


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_files_with_a_byte_order_mark_are_read(tiny_demo, tmp_path, encoding):
    import codecs

    from rvq.inputs.readers import csv_blocks, read_csv

    boms = {"utf-16-le": codecs.BOM_UTF16_LE}
    wide = utf16_copy(tiny_demo, tmp_path / "wide", "utf-16-le" if encoding in boms else encoding)
    for name in ("accounts", "interactions") if encoding in boms else ():
        path = wide / f"{name}.csv"  # the mark written by hand, the bytes little-endian
        path.write_bytes(boms[encoding] + path.read_bytes())
    for name in ("accounts", "interactions"):
        expected = read_csv(tiny_demo / f"{name}.csv").frame
        if name == "accounts":
            expected = expected.replace("Customer 00001", "Société Générale Ü")
        raw = read_csv(wide / f"{name}.csv")
        assert raw.decoded_from in {"utf-16", "utf-32"}
        assert raw.frame.equals(expected)
        blocks = list(csv_blocks(wide / f"{name}.csv", block_size=1 << 14))
        assert sum(len(b.frame) for b in blocks) == len(expected)


def test_a_utf16_dataset_validates_and_says_how_it_was_decoded(tiny_demo, tmp_path, capsys):
    wide = utf16_copy(tiny_demo, tmp_path / "wide")
    assert main(["validate", str(wide)]) == 0
    out = capsys.readouterr().out
    assert "decoded as utf-16" in out and "fatal" not in out.lower()


BINARY_STARTS = {
    "xlsx": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x1b\x1e\x01\x00\x00,\x00\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01,\x00\x00\x00\xc8\x08\x06",
    "nul": b"account_id,contact_id\x00\x00\x00\x07\x08\x1b[2J\x1b]0;pwned\x07\n",
    "control": bytes(range(1, 9)) * 40 + b"\n",
}


@pytest.mark.parametrize("kind", sorted(BINARY_STARTS))
def test_a_binary_file_given_as_a_csv_is_refused_without_echoing_it(
    kind, tiny_demo, tmp_path, capsys
):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(tiny_demo, data)
    (data / "interactions.csv").write_bytes(BINARY_STARTS[kind] * 50)
    assert main(["validate", str(data)]) == 2
    out, err = capsys.readouterr()
    line = next(ln for ln in out.splitlines() if "[unreadable_file]" in ln)
    assert f"{data / 'interactions.csv'}: not a CSV text file, it looks like" in line
    for text in (out, err):  # no byte of the file reaches the terminal
        assert not any(c in text for c in "\x00\x07\x1b\x89\x1a") and "IHDR" not in text
    pilot = one_line_error(capsys, ["pilot", str(data), "--out", str(tmp_path / "r")])
    assert "not a CSV text file" in pilot and "\x1b" not in pilot


def test_a_gzip_file_named_csv_is_told_its_name(tiny_demo, tmp_path):
    import gzip

    from rvq.inputs.readers import NotTextError, csv_blocks, read_csv

    path = tmp_path / "interactions.csv"
    path.write_bytes(gzip.compress((tiny_demo / "interactions.csv").read_bytes()))
    for read in (read_csv, lambda p: list(csv_blocks(p, block_size=1 << 14))):
        with pytest.raises(NotTextError, match=r"gzip-compressed: name it \.csv\.gz"):
            read(path)


def config_reading(tmp_path: Path, demo: Path, outcomes: str) -> Path:
    """A config reading the demo folder, its outcomes from `outcomes` (a database URL)."""
    config = tmp_path / "pilot.yaml"
    config.write_text(f'data: "{demo}"\ntables:\n  outcomes: "{outcomes}"\n', encoding="utf-8")
    return config


def test_a_missing_postgres_driver_names_the_package(tiny_demo, tmp_path, capsys, monkeypatch):
    for module in ("psycopg", "psycopg2"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails: not installed
    config = config_reading(tmp_path, tiny_demo, "postgresql://rvq@localhost/db#outcomes")
    assert main(["validate", str(config)]) == 2
    out = capsys.readouterr().out
    assert "the database driver psycopg is not installed: pip install 'psycopg[binary]'" in out
    assert "Traceback" not in out
    line = one_line_error(capsys, ["backtest", str(config)])
    assert "pip install 'psycopg[binary]'" in line


def test_a_missing_duckdb_names_the_package(tiny_demo, tmp_path, capsys, monkeypatch):
    (tmp_path / "book.duckdb").write_bytes(b"")  # never opened: duckdb is missing
    monkeypatch.setitem(sys.modules, "duckdb", None)
    config = config_reading(tmp_path, tiny_demo, f"duckdb:///{tmp_path / 'book.duckdb'}#outcomes")
    line = one_line_error(capsys, ["backtest", str(config)])
    assert "the database driver duckdb is not installed: pip install duckdb" in line


def test_a_dialect_sqlalchemy_lacks_names_its_package(tiny_demo, tmp_path, capsys):
    config = config_reading(tmp_path, tiny_demo, "snowflake://rvq@acct/db#outcomes")
    line = one_line_error(capsys, ["backtest", str(config)])
    assert "SQLAlchemy has no dialect 'snowflake': pip install snowflake-sqlalchemy" in line
