"""Steps shared by the platform formats: robust publish dates, workbook detection, row accounting.

A format module stays declarative (signature, column mapping, quirks); these helpers do the
work that several of them need.
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from toolkit.loading.build import build_table, raw_text, resolve
from toolkit.loading.dates import parse_dates, time_given
from toolkit.loading.readers import RawTable
from toolkit.loading.source import Parsed, Source, rejected_frame
from toolkit.loading.workbooks import workbook_header
from toolkit.schema import DAILY, FOLLOWERS

__all__ = ["build_posts", "detect_workbook", "add_invalid", "drop_summary_rows", "file_date", "tidy",
           "add_column", "read_table"]


def read_table(source: Source, *mappings: Mapping, extra: tuple[str, ...] = ()) -> RawTable:
    """The records of a delimited file, reading only the columns the mappings name when the
    reader can skip the others (rejected rows still show whole records)."""
    wanted = set(extra)
    for mapping in mappings:
        for aliases in mapping.values():
            wanted.update((aliases,) if isinstance(aliases, str) else aliases)
    try:
        accepts = "columns" in inspect.signature(source.table).parameters
    except (TypeError, ValueError):  # pragma: no cover
        accepts = False
    return source.table(columns=sorted(wanted)) if accepts else source.table()


def add_column(raw: RawTable, name: str, values: pd.Series) -> None:
    """Add a derived column to ``raw`` (kept in step with ``raw.header``)."""
    raw.frame[name] = values
    if name not in raw.header:
        raw.header.append(name)


def tidy(parsed: Parsed) -> Parsed:
    """Drop bookkeeping columns (``source_row``) that the followers and daily tables do not have."""
    for name, schema in (("followers", FOLLOWERS), ("daily", DAILY)):
        frame = getattr(parsed, name)
        if frame is not None:
            setattr(parsed, name, frame[[c for c in frame.columns if c in schema]])
    return parsed


def detect_workbook(path) -> list[str] | None:
    """Detection hook of workbook formats: sheet names and first-row cells, or None."""
    return workbook_header(path)


def add_invalid(raw: RawTable, parsed: Parsed, sep: str = ",") -> Parsed:
    """Count and reject the records a reader could not split into the header's fields."""
    if not raw.invalid:
        return parsed
    extra = rejected_frame(str(raw.path), [r for r, _, _ in raw.invalid],
                           [why for _, why, _ in raw.invalid], [txt for _, _, txt in raw.invalid])
    parsed.rejected = extra if parsed.rejected is None or not len(parsed.rejected) else \
        pd.concat([parsed.rejected, extra], ignore_index=True)
    parsed.rows_read += len(raw.invalid)
    return parsed


def build_posts(
    raw: RawTable,
    source: Source,
    columns: Mapping[str, str | tuple[str, ...]],
    *,
    platform: str,
    account: str | None = None,
    exported_at: pd.Timestamp | None = None,
    required: tuple[str, ...] = ("post_id", "published_at"),
    table: str = "posts",
    date_key: str = "published_at",
    time_by_cell: bool = True,
) -> Parsed:
    """:func:`toolkit.loading.build.build_table` with publish dates read by
    :func:`toolkit.loading.dates.parse_dates` (Excel serials, mixed day/month repaired or
    rejected with a reason), and unsplittable records rejected.

    ``time_known`` is read cell by cell (:func:`toolkit.loading.dates.time_given`) unless
    ``time_by_cell`` is False: a format with its own rule sets it itself."""
    fmt = source.format
    sep = source.sniff.sep if source.sniff is not None else ","
    date_col = resolve(raw, columns.get(date_key))
    rest = {k: v for k, v in columns.items() if k != date_key}
    if date_col is None:
        parsed = build_table(raw, source, columns, table=table, platform=platform, account=account,
                             exported_at=exported_at, required=required)
        return tidy(add_invalid(raw, parsed, sep))
    frame = raw.frame
    label = raw.header[raw.columns.index(date_col)]
    dates = parse_dates(frame[date_col], label, fmt.date_formats,
                        date_only=fmt.date_only or table != "posts",
                        order=fmt.options.get("day_month_order"))
    bad = dates.reasons.notna()
    good_raw = copy.copy(raw)  # same reader state (partial reads re-read whole records on demand)
    good_raw.frame, good_raw.invalid = (frame.loc[~bad] if bad.any() else frame), []
    parsed = build_table(good_raw, source, rest, table=table, platform=platform, account=account,
                         exported_at=exported_at, required=tuple(r for r in required if r != date_key))
    out = getattr(parsed, table)
    out[date_key] = dates.values if out.index.equals(dates.values.index) else dates.values.loc[out.index]
    if table == "posts" and not fmt.date_only and time_by_cell:  # a day alone is no time of day
        given = time_given(frame[date_col]).loc[out.index]
        out["time_known"] = given.to_numpy()
        if not given.all():
            k = int((~given).sum())
            parsed.notes.append(f"{label}: {k:,} {'post gives' if k == 1 else 'posts give'} a day "
                                f"without a time of day: time_known is False for {'it' if k == 1 else 'them'}")
    setattr(parsed, table, out)
    if bad.any():
        rows = dates.reasons[bad].index
        text = raw.records(rows, sep) if hasattr(raw, "records") else raw_text(frame, rows, sep)
        mine = rejected_frame(str(source.path), frame.loc[bad, "source_row"], dates.reasons[bad], text)
        parsed.rejected = pd.concat([mine, parsed.rejected], ignore_index=True) \
            if parsed.rejected is not None and len(parsed.rejected) else mine
        parsed.rows_read += int(bad.sum())
    parsed.notes.extend(dates.notes)
    return tidy(add_invalid(raw, parsed, sep))


def drop_summary_rows(raw: RawTable, mask: pd.Series) -> tuple[RawTable, int]:
    """``raw`` without summary rows (a ``Total`` row), and how many there were."""
    n = int(mask.sum())
    if not n:
        return raw, 0
    out = copy.copy(raw)
    flags = mask.to_numpy(dtype=bool, na_value=False)
    # Summary rows usually lead the table (a Total row): a slice then avoids copying every column.
    out.frame = raw.frame.iloc[n:] if flags[:n].all() else raw.frame.loc[~flags]
    return out, n


_ISO_DAY = re.compile(r"(?<!\d)(20\d{2})-(\d{2})-(\d{2})(?!\d)")


def file_date(path: Path) -> pd.Timestamp | None:
    """The last ISO day (``2020-07-31``) in a file name, as the end of that day in UTC."""
    days = _ISO_DAY.findall(Path(path).name)
    if not days:
        return None
    y, m, d = days[-1]
    try:
        return pd.Timestamp(f"{y}-{m}-{d}", tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    except ValueError:
        return None
