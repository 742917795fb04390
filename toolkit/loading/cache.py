"""A cache of parsed export files, so a second load of an unchanged file is quick.

Two levels, both stored as Arrow IPC (Feather, LZ4) under ``$ENGAGEMENT_LAB_CACHE`` (default
``~/.cache/engagement-lab``):

- per file (``entries/``): one file's parsed tables, keyed by the file's content hash (BLAKE2b)
  together with the load options and the package version; used when several files are loaded,
  so adding one export to a folder only parses the new file;
- per load (``datasets/``): the finished :class:`~toolkit.loading.Dataset` of one ``load`` call,
  keyed by every file's key, so a repeated load skips merging and validation too.
 To avoid re-hashing a large unchanged file, the hash is remembered
against the file's path, size and modification time. The input file itself is only read.
Set ``ENGAGEMENT_LAB_CACHE=off`` to disable caching.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from toolkit.errors import DataFormatError
from toolkit.loading.source import Parsed

__all__ = ["cache_dir", "file_hash", "key_for", "get", "put", "clear", "dataset_key", "get_dataset",
           "put_dataset"]

_TABLES = ("posts", "followers", "daily", "rejected")
_SCHEMA_VERSION = "3"
_SUFFIX = ".arrow"


def cache_dir() -> Path | None:
    """Where entries live, or None when caching is off."""
    value = os.environ.get("ENGAGEMENT_LAB_CACHE", "")
    if value.lower() in {"off", "0", "false", "no"}:
        return None
    return Path(value) if value else Path.home() / ".cache" / "engagement-lab"


def file_hash(path: Path) -> str:
    """BLAKE2b of the file's bytes, remembered by (path, size, mtime) to skip re-reading."""
    path = Path(path).resolve()
    stat = path.stat()
    base = cache_dir()
    memo = None
    if base is not None:
        ident = hashlib.blake2b(str(path).encode(), digest_size=16).hexdigest()
        memo = base / "hashes" / ident
        if memo.exists():
            try:
                size, mtime, digest = memo.read_text().split()
                if int(size) == stat.st_size and int(mtime) == stat.st_mtime_ns:
                    return digest
            except ValueError:
                pass
    digest = hashlib.blake2b(digest_size=20)
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
    except OSError as exc:  # as the readers say it (toolkit.loading.readers.sniff)
        raise DataFormatError("cannot read the file", file=path, found=exc.strerror) from None
    value = digest.hexdigest()
    if memo is not None:
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text(f"{stat.st_size} {stat.st_mtime_ns} {value}")
    return value


_CODE: str | None = None


def code_fingerprint() -> str:
    """A digest of the loader's source files (names, sizes, times), so editing a format or
    upgrading the package never serves tables parsed by older code."""
    global _CODE
    if _CODE is None:
        root = Path(__file__).resolve().parent
        digest = hashlib.blake2b(digest_size=12)
        for path in sorted(root.rglob("*.py")):
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        _CODE = digest.hexdigest()
    return _CODE


def key_for(path: Path, *, format: str, account: str | None, mapping: Mapping | None) -> str | None:
    """The cache key of loading ``path`` with these options (None when caching is off)."""
    if cache_dir() is None:
        return None
    from toolkit import __version__

    # the modification time too: exports that do not state when they were taken get their
    # exported_at from it, so a touched file must not be served its old one
    options = json.dumps({"format": format, "account": account, "mapping": dict(mapping or {}),
                          "version": __version__, "schema": _SCHEMA_VERSION, "code": code_fingerprint(),
                          "name": Path(path).name, "path": str(Path(path)),
                          "mtime": Path(path).stat().st_mtime_ns}, sort_keys=True)
    digest = hashlib.blake2b(options.encode(), digest_size=12).hexdigest()
    return f"{file_hash(path)}-{digest}"


def get(key: str) -> tuple[str, Parsed] | None:
    """The cached (format name, Parsed) for ``key``, or None."""
    folder = cache_dir() / "entries" / key
    meta_file = folder / "meta.json"
    if not meta_file.exists():
        return None
    try:
        meta = json.loads(meta_file.read_text())
        tables = {name: _read(folder / f"{name}{_SUFFIX}") if name in meta["tables"] else None
                  for name in _TABLES}
    except Exception:  # a damaged entry is a miss, never an error
        return None
    exported = pd.Timestamp(meta["exported_at"]) if meta.get("exported_at") else None
    parsed = Parsed(rows_read=meta["rows_read"], rows_loaded=meta.get("rows_loaded"),
                    derived_tables=tuple(meta.get("derived_tables", ())), summary_rows=meta["summary_rows"],
                    encoding=meta["encoding"], exported_at=exported, notes=meta["notes"],
                    account=meta.get("account"), **tables)
    return meta["format"], parsed


def put(key: str, name: str, parsed: Parsed) -> None:
    """Store ``parsed`` under ``key`` atomically (a half-written entry is never read)."""
    base = cache_dir() / "entries"
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=base, prefix=".tmp-"))
    try:
        stored = []
        for table in _TABLES:
            frame = getattr(parsed, table)
            if frame is not None:
                _write(frame, tmp / f"{table}{_SUFFIX}")
                stored.append(table)
        meta = {"format": name, "rows_read": parsed.rows_read, "rows_loaded": parsed.rows_loaded,
                "derived_tables": list(parsed.derived_tables), "summary_rows": parsed.summary_rows,
                "encoding": parsed.encoding, "notes": parsed.notes, "tables": stored,
                "account": parsed.account,
                "exported_at": None if parsed.exported_at is None else parsed.exported_at.isoformat()}
        (tmp / "meta.json").write_text(json.dumps(meta))
        _commit(tmp, base / key)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.reset_index(drop=True).to_feather(path, compression="lz4")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_feather(path)


def _commit(tmp: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    try:
        tmp.rename(target)
    except OSError:  # another process stored the same entry first
        shutil.rmtree(tmp, ignore_errors=True)


_DATASET_TABLES = ("posts", "followers", "daily", "rejected", "report")


def dataset_key(file_keys: list[str], *, format: str, account: str | None, mapping) -> str:
    """The key of one ``load`` call: every file's key (in order) and the options."""
    text = json.dumps({"files": file_keys, "format": format, "account": account,
                       "mapping": dict(mapping or {}), "schema": _SCHEMA_VERSION,
                       "code": code_fingerprint()}, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def get_dataset(key: str):
    """The cached Dataset for ``key``, or None."""
    from toolkit.loading.core import Dataset

    folder = cache_dir() / "datasets" / key
    meta_file = folder / "meta.json"
    if not meta_file.exists():
        return None
    try:
        meta = json.loads(meta_file.read_text())
        tables = {name: _read(folder / f"{name}{_SUFFIX}") for name in _DATASET_TABLES}
    except Exception:  # a damaged entry is a miss, never an error
        return None
    return Dataset(**tables, notes=meta["notes"])


def put_dataset(key: str, dataset) -> None:
    """Store a finished Dataset under ``key`` atomically."""
    base = cache_dir() / "datasets"
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=base, prefix=".tmp-"))
    try:
        for name in _DATASET_TABLES:
            _write(getattr(dataset, name), tmp / f"{name}{_SUFFIX}")
        (tmp / "meta.json").write_text(json.dumps({"notes": dataset.notes}))
        _commit(tmp, base / key)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def clear() -> None:
    """Remove every cache entry."""
    base = cache_dir()
    if base is not None and base.exists():
        shutil.rmtree(base)
