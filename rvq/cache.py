"""The cache of scored pilots: where it lives, the key of an input version, and reading
and writing an entry.

A scored pilot is stored under a key made of the input files (paths, sizes, modification
times; a database table's row count), the config and the pseudonym key's fingerprint, and
separately per version of rvq's own code, so a changed input or a changed scoring function
never reads a stale entry. `default_cache_dir()` is `$RVQ_CACHE_DIR`, else the user's cache
folder; every entry holds client data (pseudonymized when the config asks for it).

An entry is a folder of Parquet files (every table) and JSON files (everything else),
with a `manifest.json` listing each file's sha256 and size: nothing in it can run code
when read, and a file changed or cut short is found before it is parsed (the entry is
then removed and built again). docs/cache.md says where the cache lives, how big it
gets and how to clear it (`rvq cache list|clear`).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

import rvq
from rvq.errors import CacheWriteError, PilotInputError, folder_error_line, one_line

#: bump when an entry's files change shape, so old cache entries are not read
CACHE_FORMAT = 6
CONFIG_SUFFIXES = (".yaml", ".yml")


def _files_under(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
    elif path.is_dir():
        for p in sorted(path.rglob("*")):
            parts = p.relative_to(path).parts
            if p.is_file() and not any(part.startswith(".") for part in parts):
                yield p


def _referenced_paths(value: Any, base: Path) -> Iterator[Path]:
    """Existing files and folders named by string values anywhere in a parsed config."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _referenced_paths(v, base)
    elif isinstance(value, list):
        for v in value:
            yield from _referenced_paths(v, base)
    elif isinstance(value, str) and value and len(value) < 4096 and "\n" not in value:
        candidate = (base / value).expanduser()
        try:
            if candidate.exists():
                yield candidate.resolve()
        except OSError:
            return


def input_files(source: str | os.PathLike) -> list[Path]:
    """The files a source reads: every (non-hidden) file of a dataset folder; for a YAML
    config, the config itself and every file or folder it names."""
    source = Path(source).expanduser().resolve()
    if not source.exists():
        raise PilotInputError(f"no such dataset or config: {source}")
    if source.is_file() and source.suffix.lower() in CONFIG_SUFFIXES:
        import yaml

        try:
            parsed = yaml.safe_load(source.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PilotInputError(f"{source}: not valid YAML ({str(exc).splitlines()[0]})") from exc
        files = {source}
        for path in _referenced_paths(parsed, source.parent):
            files.update(_files_under(path))
        return sorted(files)
    return sorted(_files_under(source))


def _code_files() -> list[Path]:
    """rvq's own modules and data (shipped catalog, preset mapping tables): a changed
    scoring function or activity-type mapping must not read a stale cache."""
    package = Path(rvq.__file__).parent
    return sorted(
        [*package.rglob("*.py"), *(p for p in (package / "data").rglob("*") if p.is_file())]
    )


def _database_versions(config: Any) -> Iterator[str]:
    """A fingerprint of each database table the config reads (`rvq.inputs.sql.fingerprint`)."""
    from rvq import inputs
    from rvq.inputs import sql

    if not getattr(config, "tables", None):  # a dataset folder holds files only
        return
    try:
        located = inputs.locate_tables(config)
    except ValueError as exc:
        raise PilotInputError(one_line(exc)) from None
    for name, location in sorted(located.items(), key=lambda item: item[0]):
        if isinstance(location, sql.SqlSource):
            try:
                yield f"{name}={sql.fingerprint(location)}"
            except (sql.SqlSourceError, FileNotFoundError) as exc:
                raise PilotInputError(one_line(exc)) from None


def input_stats(source: str | os.PathLike) -> list[tuple[str, int, int]]:
    """(path, size, modification time in ns) of every file a source reads (`input_files`):
    what a version of the inputs is made of, cheap to take (no file is read)."""
    stats = []
    for path in input_files(source):
        st = path.stat()
        stats.append((str(path), st.st_size, st.st_mtime_ns))
    return stats


def input_version(
    source: str | os.PathLike,
    config: Any = None,
    *,
    stats: list[tuple[str, int, int]] | None = None,
) -> str:
    """A key that changes when any input file (path, size, mtime), database table (a
    DuckDB file's and its log's size and mtime, a server table's row count) or the config changes: one
    version of a pilot's inputs. A pilot's cache folder and, in interactive work, its
    findings records live under this key. `stats`: the files' `input_stats`, when taken."""
    h = hashlib.sha256()
    for path, size, mtime_ns in input_stats(source) if stats is None else stats:
        h.update(f"{path}\0{size}\0{mtime_ns}\n".encode())
    if config is not None:
        dumped = (
            config.model_dump_json() if hasattr(config, "model_dump_json") else repr(config)
        ).encode()
        h.update(hashlib.sha256(dumped).digest())
        h.update(_pseudonym_key_version(config).encode())
        for version in _database_versions(config):
            h.update(hashlib.sha256(version.encode()).digest())
    return h.hexdigest()[:20]


def _pseudonym_key_version(config: Any) -> str:
    """With pseudonyms on, a fingerprint of the key (a new key must not reuse the
    pseudonyms of the old one); empty otherwise."""
    from rvq import privacy

    if not privacy.privacy_settings(config).pseudonymize:
        return ""
    try:
        return privacy.key_fingerprint(privacy.pseudonym_key(config))
    except privacy.PrivacyKeyError as exc:
        raise PilotInputError(str(exc)) from None


def code_version() -> str:
    """A key that changes with rvq's code (its modules' sizes and mtimes, its version) and
    the pandas and Python versions: a pilot scored by other code is not reused."""
    h = hashlib.sha256()
    h.update(f"format={CACHE_FORMAT};rvq={rvq.__version__};pandas={pd.__version__};".encode())
    h.update(f"python={sys.version_info[:2]}".encode())
    package = Path(rvq.__file__).parent
    for path in _code_files():
        st = path.stat()
        name = path.relative_to(package) if path.is_relative_to(package) else path.name
        h.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:12]


def default_cache_dir() -> Path:
    """`$RVQ_CACHE_DIR`, else `$XDG_CACHE_HOME/rvq`, else `~/.cache/rvq`."""
    if os.environ.get("RVQ_CACHE_DIR"):
        return Path(os.environ["RVQ_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "rvq"


# --------------------------------------------------------------------------- entries

#: the file of an entry that lists its other files with their sha256 and size
MANIFEST = "manifest.json"
#: what a part of an entry may be called (its file is `<name>.parquet` or `<name>.json`)
_PART_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,120}")
#: a key folder: `input_version`'s digest (nothing else in the cache folder is touched)
_KEY_NAME = re.compile(r"[0-9a-f]{8,64}")
#: an entry of a key folder: `pilot-<code version>`, or a pickle of an older rvq
_ENTRY_NAME = re.compile(r"pilot(-[0-9a-f]{1,64})?(\.pkl)?")
_FULL_FIX = "free space there, or set RVQ_CACHE_DIR to another folder"
_WRITE_FIX = "make it a writable folder, or set RVQ_CACHE_DIR to one"


class CacheEntryError(Exception):
    """An entry that cannot be read whole: a file missing, changed since it was written
    (checksum), or not parsable. One line naming the file."""


def entry_folder(cache_dir: Path, key: str, code: str = "") -> Path:
    """The folder of the entry stored under `key` by code version `code`."""
    return Path(cache_dir) / key / (f"pilot-{code}" if code else "pilot")


def write_entry(folder: Path, parts: Mapping[str, Any], about: Mapping[str, Any]) -> bool:
    """Store `parts` as the entry `folder`: each DataFrame as `<name>.parquet`, any other
    value as `<name>.json`, and `manifest.json` listing every file's sha256 and size beside
    `about` (key, source, client, input files) and the time it was written.

    Atomic: written into a temporary folder beside it, then renamed into place. When a
    whole entry is already there (another process built the same one meanwhile), that one
    is kept and False returned. A folder that cannot be written raises `CacheWriteError`.
    """
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-", suffix=".tmp"))
    except OSError as exc:
        raise CacheWriteError(folder_error_line(exc, "the cache", _WRITE_FIX)) from None
    try:
        files = {}
        for name, value in parts.items():
            if not _PART_NAME.fullmatch(name):
                raise ValueError(f"a cache part cannot be called {name!r}")
            if isinstance(value, pd.DataFrame):
                filename = f"{name}.parquet"
                write_parquet(value, tmp / filename)
            else:
                filename = f"{name}.json"
                (tmp / filename).write_bytes(json_bytes(value))
            files[filename] = _file_record(tmp / filename)
        created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        manifest = {"format": CACHE_FORMAT, **about, "created": created, "files": files}
        (tmp / MANIFEST).write_bytes(json_bytes(manifest))
        try:
            os.rename(tmp, folder)
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) and folder.is_dir():
                return False  # another process put a whole entry there first
            raise
        return True
    except OSError as exc:  # e.g. a full disk
        raise CacheWriteError(folder_error_line(exc, "the cache", _FULL_FIX)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_entry(
    folder: Path, lazy: Collection[str] = (), checked: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parts of the entry `folder` and its manifest. Every file is checked against the
    manifest's size and sha256 before it is parsed (Parquet as a DataFrame, JSON as data:
    nothing read can run code). Raises FileNotFoundError when there is no entry,
    `CacheEntryError` naming the file when the entry cannot be read whole. Parts named in
    `lazy` (Parquet; a name ending in "." names every part it begins) are checked, and
    given as a function that reads them when called (`LazyPart`): a process that never
    uses a large part does not hold it.

    `checked` (`checked_files`, taken by the process that opened the entry for a run):
    a file whose stamp (`file_stamp`) is the one recorded there is the file hashed then,
    and is not hashed again; any other is hashed and must have the recorded sha256 too,
    so a file changed or put in place since then is refused (a step kernel of a run
    reads the bytes the run opened, without hashing a million accounts' entry again)."""
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no cache entry", str(folder))
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
    except OSError as exc:
        raise CacheEntryError(f"{MANIFEST}: {(exc.strerror or str(exc)).lower()}") from None
    except ValueError as exc:
        raise CacheEntryError(f"{MANIFEST} is not JSON ({one_line(exc)})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or manifest.get("format") != CACHE_FORMAT:
        raise CacheEntryError(f"{MANIFEST} is not one of this rvq's cache format")
    parts: dict[str, Any] = {}
    for filename, record in files.items():
        name, _, suffix = str(filename).rpartition(".")
        if not _PART_NAME.fullmatch(name) or suffix not in ("parquet", "json"):
            raise CacheEntryError(f"{MANIFEST} lists a file no entry holds: {filename!r}")
        path, expected = folder / filename, record if isinstance(record, dict) else {}
        known = (checked or {}).get(filename) or {}
        try:  # hashed as a stream: a large table is not held twice while it is checked
            handle = path.open("rb")
            stamp = file_stamp(os.fstat(handle.fileno()))
            if known.get("stamp") == stamp:  # the very file hashed when the run opened it
                found = {"sha256": known.get("sha256"), "bytes": stamp[0]}
            else:
                found = _handle_record(handle)
        except OSError as exc:
            raise CacheEntryError(f"{filename}: {(exc.strerror or str(exc)).lower()}") from None
        if found != {k: expected.get(k) for k in ("sha256", "bytes")}:
            handle.close()
            raise CacheEntryError(f"{filename} is not the file that was written (checksum)")
        if known and found["sha256"] != known.get("sha256"):
            handle.close()
            raise CacheEntryError(f"{filename} is not the file this run opened (checksum)")
        is_lazy = name in lazy or any(p.endswith(".") and name.startswith(p) for p in lazy)
        if is_lazy and suffix == "parquet":
            # read later from the handle checked now: a refresh or `rvq cache clear` in
            # between cannot remove or swap the bytes under it
            parts[name] = LazyPart(handle)
            continue
        handle.close()
        try:
            parts[name] = (
                read_parquet(path) if suffix == "parquet" else json.loads(path.read_bytes())
            )
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise CacheEntryError(f"{filename}: {type(exc).__name__}: {one_line(exc)}") from None
    return parts, manifest


def file_stamp(st: os.stat_result) -> list[int]:
    """What changes when a file's bytes may have: its size, modification time, change
    time (set by any write or any change of the other two, and never set back), inode
    and device (another file put in its place)."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def checked_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Each file of the entry `folder` that matches its manifest (sha256 and size), with
    its stamp taken before it was hashed: `read_entry`'s `checked`. A file that does not
    match is left out (`read_entry` then hashes it, and refuses it); empty when the entry
    cannot be read."""
    try:
        files = json.loads((folder / MANIFEST).read_bytes())["files"]
        out = {}
        for filename, record in files.items():
            with (folder / filename).open("rb") as fh:
                stamp = file_stamp(os.fstat(fh.fileno()))
                found = _handle_record(fh)
            if found == {k: record.get(k) for k in ("sha256", "bytes")}:
                out[filename] = {"sha256": found["sha256"], "stamp": stamp}
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _file_record(path: Path) -> dict[str, Any]:
    """A file's sha256 and size, as the manifest lists them (hashed as a stream)."""
    with path.open("rb") as fh:
        return _handle_record(fh)


def _handle_record(fh: Any) -> dict[str, Any]:
    size = os.fstat(fh.fileno()).st_size
    return {"sha256": hashlib.file_digest(fh, "sha256").hexdigest(), "bytes": size}


#: Arrow's buffers are freed column by column as a frame is made of them, so reading a
#: Parquet file holds about 1.5 times the frame at its peak, not 2.4 times (the panel of
#: 100,000 accounts: 0.32 GB, read in a 0.5 GB peak instead of 0.77); the same frame
LEAN_READ = {"self_destruct": True, "split_blocks": True}


def read_parquet(source: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """A Parquet file (a path or an open binary handle) as `pd.read_parquet` reads it
    (only `columns` when given), with `LEAN_READ`'s lower peak."""
    return pd.read_parquet(source, columns=columns, to_pandas_kwargs=LEAN_READ)


class LazyPart:
    """A Parquet part of an entry given as a function (`read_entry`'s `lazy`): called, it
    reads the frame from the handle its check opened (so a refresh or `rvq cache clear` in
    between cannot remove or swap the checked bytes), whole and then closes the handle, or
    only `columns` (a step that reads a few columns holds only those)."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    @property
    def names(self) -> list[str]:
        """The frame's column names, in order (the file's schema; nothing else is read)."""
        import pyarrow.parquet as pq

        self._handle.seek(0)
        schema = pq.read_schema(self._handle)
        index = (schema.pandas_metadata or {}).get("index_columns") or []  # a range: a dict
        return [c for c in schema.names if c not in {i for i in index if isinstance(i, str)}]

    def __call__(self, columns: list[str] | None = None) -> pd.DataFrame:
        self._handle.seek(0)
        if columns is not None:
            return read_parquet(self._handle, columns)
        try:
            return read_parquet(self._handle)
        finally:
            self._handle.close()


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """`frame` as a Parquet file, its dtypes, categories and index kept. A frame pyarrow
    cannot store as it is -- rows as read from a client's file may hold a column of mixed
    types, or names that are not unique text -- is stored with its names made unique text
    and such columns as text: what a reader sees of those rows does not change."""
    try:
        _to_parquet(frame, path)
    except (ValueError, TypeError, pa.ArrowException):
        names = pd.Series([str(c) for c in frame.columns])
        repeat = names.groupby(names).cumcount()
        names = names.where(repeat == 0, names + "." + repeat.astype(str))
        plain = frame.set_axis(list(names), axis=1)
        for column in plain.columns:
            if pd.api.types.is_object_dtype(plain[column]):
                plain[column] = plain[column].map(str).where(plain[column].notna(), None)
        _to_parquet(plain, path)


#: rows of a frame converted to Arrow at a time when it is written (a million accounts'
#: event cells, 97M rows, would otherwise be held twice: as pandas and as Arrow)
WRITE_ROWS = 5_000_000


def _to_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Uncompressed, so that text in an entry is there as written: a search of the cache
    for a client's names or raw ids (with pseudonyms on: an audit) finds what is there.
    zstd would halve the demo's entry (10 MB instead of 20) and hide it. A long frame
    with the default index is written `WRITE_ROWS` rows at a time: the same file."""
    default_index = isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
    if len(frame) <= WRITE_ROWS or not default_index or frame.index.step != 1:
        frame.to_parquet(path, engine="pyarrow", compression="none")
        return
    import pyarrow.parquet as pq

    schema = pa.Schema.from_pandas(frame.iloc[:1], preserve_index=False)
    whole = pa.Schema.from_pandas(frame, preserve_index=None)  # its pandas metadata
    schema = schema.with_metadata(whole.metadata)
    with pq.ParquetWriter(path, schema, compression="none") as writer:
        for start in range(0, len(frame), WRITE_ROWS):
            rows = frame.iloc[start : start + WRITE_ROWS]
            writer.write_table(pa.Table.from_pandas(rows, schema=schema, preserve_index=False))


def json_bytes(value: Any) -> bytes:
    """`value` as JSON text; numpy scalars as numbers, anything else JSON cannot hold (a
    timestamp in an example row) as its text."""
    return json.dumps(value, ensure_ascii=False, indent=1, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    import numpy as np

    return value.item() if isinstance(value, np.generic) else str(value)


def remove_entry(folder: Path) -> int:
    """Remove an entry (or a key folder) from the cache; the bytes freed. It is renamed
    first, so no reader ever sees it half removed."""
    if not folder.exists():
        return 0
    size = folder_size(folder)
    if folder.is_dir():
        doomed = folder.with_name(f".{folder.name}-{uuid.uuid4().hex[:8]}.removed")
        try:
            os.rename(folder, doomed)
        except FileNotFoundError:  # another process removed it first
            return 0
        shutil.rmtree(doomed, ignore_errors=True)
    else:
        folder.unlink(missing_ok=True)
    return size


def folder_size(path: Path) -> int:
    """The bytes of a file, or of every file under a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def discard_damaged(folder: Path, problem: CacheEntryError, then: str) -> None:
    """Remove a damaged entry, with a one-line warning that names it and says what follows."""
    remove_entry(folder)
    print(
        f"warning: cache entry {folder} was damaged ({problem}): removed; {then}", file=sys.stderr
    )


# --------------------------------------------------------------------------- the cache


def cached(
    key: str,
    cache_dir: Path,
    build: Callable[[], Any],
    code: str = "",
    *,
    to_entry: Callable[[Any], Mapping[str, Any]] | None = None,
    from_entry: Callable[[dict[str, Any]], Any] | None = None,
    about: Mapping[str, Any] | None = None,
) -> tuple[Any, bool]:
    """The value stored under `key` (and `code`, the code version) in `cache_dir`, built
    and stored on a miss.

    `to_entry` turns a value into its parts (name -> DataFrame or JSON data: `write_entry`),
    `from_entry` turns the parts read back into the value (both default to the parts
    themselves); `about` goes into the manifest. Returns `(value, hit)`. A damaged entry
    is removed with a warning and built again; entries of other code versions under the
    same key are removed when a new one is written.
    """
    folder = entry_folder(cache_dir, key, code)
    hit = load_entry(folder, from_entry)
    if hit is not None:
        return hit[0], True
    value = build()
    parts = to_entry(value) if to_entry else value
    write_entry(folder, parts, {"key": key, "code": code, **(about or {})})
    for stale in folder.parent.iterdir():
        if stale != folder and _ENTRY_NAME.fullmatch(stale.name):
            remove_entry(stale)  # another code version's, or a pickle of an older rvq
    return value, False


def load_entry(
    folder: Path, from_entry: Callable[[dict[str, Any]], Any] | None = None
) -> tuple[Any] | None:
    """`(value,)` read from the entry `folder`; None when there is none. A damaged entry
    (see `read_entry`; or parts `from_entry` cannot use) is removed, with a warning."""
    try:
        parts, _ = read_entry(folder)
        return (from_entry(parts) if from_entry else parts,)
    except FileNotFoundError:
        return None
    except CacheEntryError as exc:
        discard_damaged(folder, exc, "building it again from the inputs")
    except (KeyError, TypeError, ValueError) as exc:  # parts that do not make a value
        problem = CacheEntryError(f"its parts do not make a pilot: {one_line(exc)}")
        discard_damaged(folder, problem, "building it again from the inputs")
    return None


# --------------------------------------------------------------------------- list and clear


@dataclass
class KeyFolder:
    """One input version in the cache (`rvq cache list`): its folder (the scored pilot of
    each code version, and the findings of interactive work), from its newest manifest."""

    key: str
    folder: Path
    size: int
    created: dt.datetime
    source: str = "?"
    client: str = "?"
    code: str = "?"


def key_folders(cache_dir: Path) -> list[KeyFolder]:
    """The input versions in `cache_dir`, oldest first (folders not named like a key are
    no part of the cache and are left out)."""
    if not cache_dir.is_dir():
        return []
    found = []
    for folder in cache_dir.iterdir():
        if not (_KEY_NAME.fullmatch(folder.name) and folder.is_dir()):
            continue
        modified = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
        entry = KeyFolder(folder.name, folder, folder_size(folder), modified)
        for item in sorted(folder.iterdir()):
            if not _ENTRY_NAME.fullmatch(item.name):
                continue
            if item.suffix == ".pkl":
                entry.code = "older rvq (pickle)"
                continue
            try:
                manifest = json.loads((item / MANIFEST).read_bytes())
                created = dt.datetime.strptime(manifest["created"], "%Y-%m-%dT%H:%M:%SZ")
            except (OSError, ValueError, KeyError, TypeError):
                entry.code = "damaged"
                continue
            entry.created = created.replace(tzinfo=dt.UTC)
            entry.source = str(manifest.get("source", "?"))
            entry.client = str(manifest.get("client", "?"))
            entry.code = str(manifest.get("code", "?"))
        found.append(entry)
    return sorted(found, key=lambda e: e.created)


def clear_cache(
    cache_dir: Path, keys: list[str] | tuple[str, ...] = (), older_than_days: float | None = None
) -> list[tuple[KeyFolder, int]]:
    """Remove input versions from `cache_dir`: those of `keys` (all when none is given)
    not written in the last `older_than_days` days; each removed with the bytes freed.
    Raises KeyError naming a key that is not in the cache."""
    folders = key_folders(cache_dir)
    known = {f.key for f in folders}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise KeyError(unknown[0])
    if older_than_days is not None:
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=older_than_days)
        folders = [f for f in folders if f.created < cutoff]
    chosen = [f for f in folders if not keys or f.key in keys]
    return [(f, remove_entry(f.folder)) for f in chosen]


def size_text(n: int) -> str:
    """Bytes for people: `812 B`, `10.3 MB`."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} B"
