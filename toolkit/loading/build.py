"""Turn a table of raw strings into canonical rows, following a format's column mapping.

Every record ends either in the output table or in ``rejected`` with the reasons of the first
cell that could not be read; cells that are merely empty stay missing (NA).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import pandas_dtype

from toolkit.errors import DataFormatError
from toolkit.loading.parse import (
    NA_TOKENS,
    _arrow_raw,
    _one_array,
    clean_text,
    first_reason,
    parse_counts,
    parse_datetimes,
    parse_ids,
)
from toolkit.loading.readers import RawTable
from toolkit.loading.source import Parsed, Source, rejected_frame
from toolkit.schema import COUNT_COLUMNS, DAILY, FOLLOWERS, POSTS

__all__ = ["resolve", "media_types", "build_table", "raw_text", "reject_rows", "constant"]

_COUNTS = set(COUNT_COLUMNS) | {"engagements", "followers", "new_follows", "unfollows", "posts",
                                "video_views"}


def constant(value, dtype, index: pd.Index) -> pd.Series:
    """A Series holding ``value`` on every row of ``index``, built directly in ``dtype``.

    >>> constant("x", "string", pd.RangeIndex(2)).tolist()
    ['x', 'x']
    """
    n = len(index)
    dtype = pandas_dtype(dtype)
    if value is None and dtype == pandas_dtype("Int64"):  # all missing, without per-cell work
        return pd.Series(pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool)),
                         index=index, copy=False)
    if value is None and dtype == pandas_dtype("string"):
        return pd.Series(pd.array(pa.nulls(n, pa.string()), dtype=dtype), index=index, copy=False)
    if isinstance(dtype, pd.CategoricalDtype):
        code = -1 if value is None or pd.isna(value) else list(dtype.categories).index(value)
        return pd.Series(pd.Categorical.from_codes(np.full(n, code, dtype="int8"), dtype=dtype), index=index,
                         copy=False)
    if value is None:
        return pd.Series(pd.NA if dtype != pandas_dtype("datetime64[ns, UTC]") else pd.NaT,
                         index=index, dtype=dtype)
    if dtype == pandas_dtype("string"):
        array = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype="int32")), pa.array([value]))
        return pd.Series(pd.array(array.cast(pa.string()), dtype=dtype), index=index, copy=False)
    return pd.Series(value, index=index, dtype=dtype)


def media_types(values: pd.Series, mapping: Mapping[str, str], dtype) -> pd.Series:
    """A platform's post types mapped to canonical media types (case and spaces ignored): a type
    the mapping does not know becomes ``other``, missing cells stay missing. Each distinct cell
    is mapped once (Arrow dictionary encoding), and the result is built in the schema's dtype.

    >>> media_types(pd.Series(["Photo ", "Reel", "", None]), {"Photo": "photo"},
    ...             pd.CategoricalDtype(["photo", "video", "other"])).tolist()
    ['photo', 'other', nan, nan]
    """
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(_arrow_raw(values)))
    encoded = pc.dictionary_encode(lowered)
    encoded = _one_array(encoded)
    lookup = {k.lower(): v for k, v in mapping.items()}
    names = [lookup.get(u, None if u in NA_TOKENS else "other") for u in encoded.dictionary.to_pylist()]
    dtype = pandas_dtype(dtype)
    if not isinstance(dtype, pd.CategoricalDtype):
        dtype = pd.CategoricalDtype(sorted({n for n in names if n is not None}))
    category = dtype.categories.get_indexer(pd.Index(names, dtype=object)) if names else np.array([], int)
    codes = np.full(len(values), -1, dtype="int64")
    valid = encoded.indices.is_valid().to_numpy(zero_copy_only=False)
    codes[valid] = category[encoded.indices.filter(encoded.indices.is_valid()).to_numpy()]
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=values.index, copy=False)


def resolve(raw: RawTable, aliases: str | tuple[str, ...] | None) -> str | None:
    """The first of ``aliases`` present among the table's (normalised) columns."""
    if aliases is None:
        return None
    for name in (aliases,) if isinstance(aliases, str) else aliases:
        if name in raw.frame.columns:
            return name
    return None


def raw_text(frame: pd.DataFrame, rows: pd.Index, sep: str = ",") -> list[str]:
    """The raw cells of ``rows`` joined back into one line, for the rejected table."""
    cells = frame.loc[rows, [c for c in frame.columns if c != "source_row"]].astype("string")
    return cells.fillna("").agg(sep.join, axis=1).tolist() if len(rows) else []


def build_table(
    raw: RawTable,
    source: Source,
    columns: Mapping[str, str | tuple[str, ...]],
    *,
    table: str = "posts",
    platform: str,
    account: str | None = None,
    exported_at: pd.Timestamp | None = None,
    required: tuple[str, ...] = (),
) -> Parsed:
    """Build a canonical ``posts``, ``followers`` or ``daily`` table from ``raw``.

    Parameters
    ----------
    columns
        Canonical name -> source column (or aliases), as in :attr:`Format.columns`.
    table
        Which canonical table to build.
    platform, account, exported_at
        Values for every row (``account`` is overridden by an ``account`` column mapping).
    required
        Canonical columns whose source column must exist (else :class:`DataFormatError`).
    """
    fmt = source.format
    frame = raw.frame
    schema = {"posts": POSTS, "followers": FOLLOWERS, "daily": DAILY}[table]
    found = {name: resolve(raw, aliases) for name, aliases in columns.items()}
    for name in required:
        if found.get(name) is None:
            raise DataFormatError(
                f"expected a column for {name!r} ({columns.get(name)!r})",
                file=source.path, found=sorted(raw.columns)[:40])
    out: dict[str, pd.Series] = {}
    reasons: list[pd.Series] = []
    for name, col in found.items():
        if col is None or name not in schema and name not in {"published_at"}:
            continue
        values = frame[col]
        label = raw.header[raw.columns.index(col)] if col in raw.columns else col
        if name == "post_id":
            out[name], why = parse_ids(values, label)
        elif name in {"published_at", "date"}:
            out[name], why = parse_datetimes(values, label, fmt.date_formats or ("ISO8601",),
                                             date_only=fmt.date_only or table != "posts",
                                             excel_serial=fmt.excel_serial)
        elif name in _COUNTS:
            out[name], why = parse_counts(values, label)
        elif name == "text":
            out[name] = clean_text(values, fmt.text_placeholders)
            continue
        elif name == "media_type":
            out[name] = media_types(values, fmt.media_types, schema[name])
            continue
        else:
            out[name] = clean_text(values)
            continue
        reasons.append(why)
    n = len(frame)
    # Constant columns are built in their final dtypes (no per-row conversion later).
    index = frame.index
    out["platform"] = constant(platform, schema["platform"], index)
    if "account" not in out or account is not None and out["account"].isna().all():
        out["account"] = constant(account, "string", index)
    out["source_file"] = constant(str(source.path), "string", index)
    if table == "posts":
        out["source_row"] = frame["source_row"]
        out["time_known"] = pd.Series(np.full(n, not fmt.date_only), index=index, copy=False)
        out["exported_at"] = constant(exported_at, schema["exported_at"], index)
        if "published_at" not in out:
            out["published_at"] = constant(None, schema["published_at"], index)
    result = pd.DataFrame(out, index=index, copy=False)
    why = first_reason(*reasons) if reasons else pd.Series(pd.NA, index=frame.index, dtype="string")
    bad = why.notna()
    rejected = rejected_frame(str(source.path), frame.loc[bad, "source_row"], why[bad],
                              raw.records(why[bad].index, raw_sep(source)))
    kept = result.loc[~bad] if bad.any() else result
    parsed = Parsed(rows_read=n, rejected=rejected, encoding=raw.encoding, exported_at=exported_at,
                    account=account if isinstance(account, str) else None)
    # exports drift from month to month: say which columns this one lacks (an account not in the
    # rows has its own note, from the format)
    absent = [name for name, col in found.items()
              if col is None and name in schema and name != "account"]
    if absent and n:
        parsed.notes.append(f"no column for {', '.join(absent)} in this file: left missing")
    if found.get("account") is not None and len(kept) and kept["account"].isna().any():
        label = raw.header[raw.columns.index(found["account"])]
        k = int(kept["account"].isna().sum())
        parsed.notes.append(f"{k:,} {'row names' if k == 1 else 'rows name'} no account (empty "
                            f"'{label}'): {'its' if k == 1 else 'their'} account is missing")
    setattr(parsed, table, kept)
    return parsed


def raw_sep(source: Source) -> str:
    return source.sniff.sep if source.sniff is not None else ","


def reject_rows(parsed: Parsed, raw: RawTable, source: Source, reasons: pd.Series,
                table: str = "posts") -> Parsed:
    """Move the rows of ``parsed.<table>`` that have a reason in ``reasons`` to ``rejected``.

    For checks a format makes after :func:`build_table` (a label outside its vocabulary, a
    second table fed by the same records). ``reasons`` is indexed like ``raw.frame``.
    """
    frame = getattr(parsed, table)
    bad = reasons.reindex(frame.index).notna()
    if not bad.any():
        return parsed
    rows = frame.index[bad.to_numpy()]
    more = rejected_frame(str(source.path), raw.frame.loc[rows, "source_row"], reasons.loc[rows],
                          raw.records(rows, raw_sep(source)))
    setattr(parsed, table, frame.loc[~bad.to_numpy()])
    parsed.rejected = more if parsed.rejected is None or not len(parsed.rejected) else \
        pd.concat([parsed.rejected, more], ignore_index=True)
    return parsed
