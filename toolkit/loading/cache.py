"""A cache of parsed export files, so a second load of an unchanged file is quick.

Entries are keyed by the file's content hash (BLAKE2b) together with the load options and the
package version, and stored as Parquet under ``$ENGAGEMENT_LAB_CACHE`` (default
``~/.cache/engagement-lab``). To avoid re-hashing a large unchanged file, the hash is remembered
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

from toolkit.loading.source import Parsed

__all__ = ["cache_dir", "file_hash", "key_for", "get", "put", "clear"]

_TABLES = ("posts", "followers", "daily", "rejected")
_SCHEMA_VERSION = "1"


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
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    value = digest.hexdigest()
    if memo is not None:
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text(f"{stat.st_size} {stat.st_mtime_ns} {value}")
    return value


def key_for(path: Path, *, format: str, account: str | None, mapping: Mapping | None) -> str | None:
    """The cache key of loading ``path`` with these options (None when caching is off)."""
    if cache_dir() is None:
        return None
    from toolkit import __version__

    options = json.dumps({"format": format, "account": account, "mapping": dict(mapping or {}),
                          "version": __version__, "schema": _SCHEMA_VERSION,
                          "name": Path(path).name, "path": str(Path(path))}, sort_keys=True)
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
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") if name in meta["tables"] else None
                  for name in _TABLES}
    except Exception:  # a damaged entry is a miss, never an error
        return None
    exported = pd.Timestamp(meta["exported_at"]) if meta.get("exported_at") else None
    parsed = Parsed(rows_read=meta["rows_read"], rows_loaded=meta.get("rows_loaded"),
                    summary_rows=meta["summary_rows"],
                    encoding=meta["encoding"], exported_at=exported, notes=meta["notes"], **tables)
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
                frame.to_parquet(tmp / f"{table}.parquet", index=False)
                stored.append(table)
        meta = {"format": name, "rows_read": parsed.rows_read, "rows_loaded": parsed.rows_loaded,
                "summary_rows": parsed.summary_rows,
                "encoding": parsed.encoding, "notes": parsed.notes, "tables": stored,
                "exported_at": None if parsed.exported_at is None else parsed.exported_at.isoformat()}
        (tmp / "meta.json").write_text(json.dumps(meta))
        target = base / key
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def clear() -> None:
    """Remove every cache entry."""
    base = cache_dir()
    if base is not None and base.exists():
        shutil.rmtree(base)
