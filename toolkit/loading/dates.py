"""Dates as spreadsheets leave them: Excel serials, and day and month swapped in part of a column.

Opening a CSV in a spreadsheet set to another locale and saving it again damages its dates in two
ways (EXPORT-FORMATS.md, "Across all platforms"):

- dates become Excel serial numbers (``44193.4123`` = 2020-12-28 09:53);
- month-first text such as ``5-8-2020`` (8 May) is read day-first, becomes 5 August and is written
  back as ``05-08-2020``, while ``8-29-2020`` cannot be read day-first and stays as it was. One
  column then mixes both orders, and only the dates with a day of 12 or less are affected.

:func:`parse_dates` reads such a column. A date like ``05-08-2020`` has two readings; it is
read one way only when that can be shown:

1. **the column is not mixed** (one way of writing dates, with or without leading zeros; its
   unambiguous dates - a day above 12 - all in one order; and no date that falls out of the
   file's order in that reading while fitting in the other): every date is read in the order
   the column proves, else in the order the format documents;
2. **the column is mixed**, and the file's date order decides: when the dates that have one
   reading (day above 12, serials, ISO dates; at least three) run in order, as exports list
   posts by date, a reading outside the interval between its known neighbours is impossible;
   when exactly one reading fits, it is taken.

Otherwise the row is rejected with the reason; nothing is guessed.

>>> import pandas as pd
>>> cells = pd.Series(["8-29-2020", "09-02-2020", "9-14-2020", "10-09-2020", "10-23-2020"])
>>> out = parse_dates(cells, "Date")
>>> [str(t.date()) for t in out.values]
['2020-08-29', '2020-09-02', '2020-09-14', '2020-10-09', '2020-10-23']
>>> out.notes[0].startswith("Date: mixes day-first and month-first")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.loading.parse import (
    NA_TOKENS,
    _arrow_text,
    _no_reasons,
    _strptime_whole,
    parse_datetimes,
    parse_excel_serial,
    written_days,
)

__all__ = ["DateParse", "parse_dates", "order_of", "time_given"]

#: numeric dates ``a-b-yyyy`` (separator - / or .), optional time; RE2 syntax for Arrow
_DM = (r"^(?P<a>\d{1,2})(?P<s1>[-/.])(?P<b>\d{1,2})(?P<s2>[-/.])(?P<y>\d{4})"
       r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$")
#: ISO dates as a workbook's date cells are written (month first after the year)
_ISO = (r"^(?P<y>\d{4})-(?P<a>\d{2})-(?P<b>\d{2})"
        r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\.0+)?)?$")
_SERIAL = r"^\d{5}(?:\.\d+)?$"
#: a time of day written out (``13:55``), or an Excel serial with a fraction of a day
_TIME_OF_DAY = r"\d{1,2}:\d{2}|^\d{5}\.\d*[1-9]"


def _arrow(values: pd.Series) -> pa.Array:
    """The cells as an Arrow string array, whitespace trimmed (zero-copy for Arrow-backed text)."""
    return _arrow_text(values, trim=True)


def _matches(array: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(array, pattern), False).to_numpy(zero_copy_only=False)


def _extract(array: pa.Array, pattern: str) -> dict[str, np.ndarray]:
    """Numbers of the matching cells: ``a``, ``b``, ``y``, seconds of the day, the digits written
    for ``a`` and ``b`` (leading zeros) and the separators."""
    found = pc.extract_regex(array, pattern)
    names = {found.type.field(i).name for i in range(found.type.num_fields)}

    def ints(name: str) -> np.ndarray:
        if name not in names:
            return np.zeros(len(array), dtype=np.int64)
        field = found.field(name)
        field = pc.if_else(pc.equal(field, ""), "0", field)
        return pc.cast(field, pa.int64()).to_numpy(zero_copy_only=False)

    out = {k: ints(k) for k in ("a", "b", "y")}
    out["sec"], out["time_ok"] = _clock(ints("H"), ints("M"), ints("S"))
    for k in ("a", "b"):
        out[k + "_len"] = pc.utf8_length(found.field(k)).to_numpy(zero_copy_only=False)
    for k in ("s1", "s2"):
        out[k] = found.field(k).to_numpy(zero_copy_only=False).astype(object) if k in names \
            else np.full(len(array), "-", dtype=object)
    return out


def _clock(hours: np.ndarray, minutes: np.ndarray, seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds into the day, and whether each time exists (``10:75`` or ``24:00`` does not: it is
    rejected, not rolled over into the next hour or day).

    >>> _clock(np.array([10, 10, 24]), np.array([15, 75, 0]), np.array([0, 0, 0]))
    (array([36900, 40500, 86400]), array([ True, False, False]))
    """
    ok = (hours <= 23) & (minutes <= 59) & (seconds <= 59)
    return hours * 3600 + minutes * 60 + seconds, ok


def _extract_dm(array: pa.Array) -> dict[str, np.ndarray]:
    """:func:`_extract` for cells that match :data:`_DM`, without a capturing regex (splitting on
    the separators, which the match guarantees, is several times faster)."""
    n = len(array)
    seps = {sep: pc.count_substring(array, sep).to_numpy(zero_copy_only=False) for sep in "/-."}
    s1 = np.full(n, "-", dtype=object)  # a cell whose two separators differ: s1 != s2 below
    s2 = np.full(n, "/", dtype=object)
    for sep, count in seps.items():
        s1[count == 2] = sep
        s2[count == 2] = sep
    text = array.cast(pa.string()) if array.type != pa.string() else array
    for sep in "-.T: ":
        text = pc.replace_substring(text, sep, "/")
    colons = pc.count_substring(array, ":").to_numpy(zero_copy_only=False)
    suffix = np.where(colons == 0, "/0/0/0", np.where(colons == 1, "/0", ""))
    text = pc.binary_join_element_wise(text, pa.array(suffix, type=pa.string()), "")
    fields = pc.split_pattern(text, "/").flatten()
    if len(fields) != 6 * n:  # pragma: no cover - the match guarantees six fields
        return _extract(array, _DM)
    numbers = pc.cast(fields, pa.int64()).to_numpy(zero_copy_only=False).reshape(n, 6)
    lengths = pc.utf8_length(fields).to_numpy(zero_copy_only=False).reshape(n, 6)
    seconds, time_ok = _clock(numbers[:, 3], numbers[:, 4], numbers[:, 5])
    return {"a": numbers[:, 0].copy(), "b": numbers[:, 1].copy(), "y": numbers[:, 2].copy(),
            "sec": seconds, "time_ok": time_ok,
            "a_len": lengths[:, 0].copy(), "b_len": lengths[:, 1].copy(), "s1": s1, "s2": s2}


@dataclass
class DateParse:
    """Parsed dates (UTC), a rejection reason per row (``<NA>`` when fine) and notes."""

    values: pd.Series
    reasons: pd.Series
    notes: list[str] = field(default_factory=list)


def order_of(formats) -> str | None:
    """``"mdy"`` or ``"dmy"`` when the first numeric date format says which comes first.

    >>> order_of(["%m/%d/%Y %H:%M"]), order_of(["%Y-%m-%d", "%d.%m.%Y"]), order_of(["%b %d, %Y"])
    ('mdy', 'dmy', None)
    """
    for fmt in formats:
        m, d = fmt.find("%m"), fmt.find("%d")
        y = fmt.find("%Y")
        if m >= 0 and d >= 0 and y > max(m, d):
            return "mdy" if m < d else "dmy"
    return None


def _build(y: np.ndarray, m: np.ndarray, d: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """Timestamps for year/month/day arrays; NaT where there is no such day."""
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1678) & (y <= 2261)
    months = ((np.where(ok, y, 1970) - 1970) * 12 + np.where(ok, m, 1) - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= d <= length
    days = first + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    out = days.astype("datetime64[ns]") + seconds.astype("timedelta64[s]").astype("timedelta64[ns]")
    out[~ok] = np.datetime64("NaT")
    return out


def parse_dates(
    values: pd.Series,
    column: str,
    formats=(),
    *,
    order: str | None = None,
    date_only: bool = False,
    tz: str = "UTC",
) -> DateParse:
    """Parse a date column that may hold Excel serials and mixed day/month orders.

    Parameters
    ----------
    values
        Raw cells, in file order.
    column
        Column name used in reasons and notes.
    formats
        ``strptime`` formats for cells that are not numeric ``a-b-yyyy`` dates or serials
        (ISO dates are always accepted).
    order
        ``"mdy"`` or ``"dmy"``: the order the format documents for numeric dates; defaults to
        what ``formats`` say (:func:`order_of`). Used only when the column itself does not prove
        an order and is not mixed.
    date_only, tz
        As in :func:`toolkit.loading.parse.parse_datetimes`.
    """
    order = order or order_of(formats)
    if date_only:  # a day is a calendar day, kept as UTC midnight
        values, tz = written_days(values), "UTC"
    cells = _arrow(values)
    fast = _whole_column(cells, values.index, column, formats, tz)
    if fast is None:
        fast = _fixed_width_numeric(cells, values.index, column, order, tz)
    if fast is not None:  # the common case: one way of writing dates, no cell to decide or reject
        return DateParse(fast.values.dt.normalize() if date_only else fast.values, fast.reasons, fast.notes)
    raw = pd.Series(cells.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get).array,
                    index=values.index)
    missing = pc.fill_null(pc.is_in(cells, pa.array(sorted(NA_TOKENS))), True).to_numpy(zero_copy_only=False)
    result = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")  # naive UTC
    reasons = pd.Series(pd.NA, index=values.index, dtype="string")
    notes: list[str] = []
    if missing.any():
        reasons[missing] = f"{column}: expected a date, found an empty cell"

    is_dm = _matches(cells, _DM) & ~missing
    parts = None
    if is_dm.any():
        where = np.flatnonzero(is_dm)
        parts = _extract_dm(cells.take(pa.array(where)))
        same_sep = parts["s1"] == parts["s2"]
        is_dm[where[~same_sep]] = False
        parts = {k: v[same_sep] for k, v in parts.items()}
        # A spreadsheet that swapped day and month may also have stored the swapped dates as
        # real date cells (ISO text here): those have two readings too. It leaves as text only
        # the dates it could not read its way (a number above 12 where it expects a month), so
        # without such a text date the column shows no sign of that damage (a lone 1/1/2018 among
        # ISO dates reads the same either way) and its ISO dates keep their one reading.
        resaved = bool(((parts["a"] > 12) | (parts["b"] > 12)).any())
        is_iso = _matches(cells, _ISO) & ~missing & ~is_dm & resaved
        if is_iso.any():
            iso = _extract(cells.take(pa.array(np.flatnonzero(is_iso))), _ISO)
            iso["s1"] = np.full(len(iso["a"]), "iso", dtype=object)
            iso["s2"] = iso["s1"]
            order_rows = np.concatenate([np.flatnonzero(is_dm), np.flatnonzero(is_iso)])
            merged = {k: np.concatenate([parts[k], iso[k]]) for k in parts}
            sort = np.argsort(order_rows, kind="stable")
            parts = {k: v[sort] for k, v in merged.items()}
            is_dm = is_dm | is_iso
    is_serial = _matches(cells, _SERIAL) & ~missing & ~is_dm
    other = ~missing & ~is_dm & ~is_serial

    if is_serial.any():
        serial = parse_excel_serial(raw[is_serial])
        result[is_serial] = _naive(serial)
        bad = serial.isna()
        reasons[bad[bad].index] = (f"{column}: expected a date, found the number '"
                                   + raw[bad[bad].index] + "' (outside the Excel serial date range)")
        notes.append(f"{column}: {int((~bad).sum())} dates were Excel serial numbers, converted "
                     "(1900 date system)")
    if other.any():
        fmts = tuple(formats) + ("ISO8601",)
        cells_other = raw[other]
        sample = cells_other.iloc[:2048].tolist()
        repeats = len(set(sample)) * 2 < len(sample)  # whether factorizing the column pays off
        codes, uniques = pd.factorize(cells_other) if repeats else (None, None)
        if repeats and len(uniques) * 2 < len(codes):  # exports repeat days and minutes: parse each text once
            parsed_u, why_u = parse_datetimes(pd.Series(uniques, dtype="string"), column, fmts, tz=tz)
            result[other] = _naive(parsed_u)[codes]
            why = pd.Series(why_u.to_numpy()[codes], index=cells_other.index, dtype="string")
        else:
            parsed, why = parse_datetimes(cells_other, column, fmts, tz=tz)
            result[other] = _naive(parsed)
        has = why.notna()
        if has.any():
            where = why.index[has.to_numpy()]
            reasons[where] = reasons[where].fillna(why[has])

    if is_dm.any():
        _resolve_day_month(raw, parts, is_dm, result, reasons, notes, column, order, tz)
    stamps = pd.Series(result, index=values.index).dt.tz_localize("UTC")
    if date_only:
        stamps = stamps.dt.normalize()
    return DateParse(stamps, reasons, notes)


def time_given(values: pd.Series) -> pd.Series:
    """Whether each cell gives a time of day, not only a day: ``time_known`` row by row.

    A column of publish times may hold some days alone (``2018-01-01`` among ``2018-01-01 09:30``
    cells, or a whole-number Excel serial): those are read as midnight, which is a day, not a
    time the post went out.

    >>> time_given(pd.Series(["2018-01-01 09:30", "2018-01-01", "45352.0", "45352.25", None])).tolist()
    [True, False, False, True, False]
    """
    return pd.Series(_matches(_arrow(values), _TIME_OF_DAY), index=values.index)


def _whole_column(cells: pa.Array, index: pd.Index, column: str, formats, tz: str) -> DateParse | None:
    """The whole column read at once, when it needs none of the checks below; else None.

    Two shapes qualify: every cell in the first format, when that format cannot be confused with a
    swapped day and month (it names the month, or writes the year first: :func:`order_of` is
    None); and every cell an Excel serial in the plausible range. The result is what the
    cell-by-cell route gives for such a column, without its per-cell passes. ``cells`` are the
    trimmed texts (:func:`_arrow`), ``index`` the column's index.
    """
    if not len(cells) or cells.null_count:
        return None
    by_format = bool(formats) and order_of(formats[:1]) is None
    if not by_format and not re.fullmatch(_SERIAL, cells[0].as_py()):  # neither shape can apply
        return None
    # Exports repeat days and minutes: read each distinct text once.
    encoded = pc.dictionary_encode(cells)
    distinct = pd.Series(pd.array(encoded.dictionary, dtype=pd.StringDtype("pyarrow")))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    stamps, notes = None, []
    if by_format:
        stamps = _strptime_whole(distinct, formats[0], tz)
    if stamps is None and pc.all(pc.match_substring_regex(encoded.dictionary, _SERIAL)).as_py():
        stamps = parse_excel_serial(distinct)
        if stamps.isna().any():  # a number outside the serial range: the cell-by-cell route says so
            return None
        notes.append(f"{column}: {len(cells)} dates were Excel serial numbers, converted (1900 date system)")
    if stamps is None:
        return None
    out = pd.Series(stamps.array.take(codes), index=index)
    return DateParse(out, _no_reasons(index), notes)


#: fixed-width numeric dates: ``MM/DD/YYYY``, then `` HH:MM`` and ``:SS`` (any of ``/-.`` between
#: day and month, a space or ``T`` before the time); digit positions per width
_FIXED_DIGITS = {10: (0, 1, 3, 4, 6, 7, 8, 9)}
_FIXED_DIGITS[16] = _FIXED_DIGITS[10] + (11, 12, 14, 15)
_FIXED_DIGITS[19] = _FIXED_DIGITS[16] + (17, 18)


def _fixed_width_numeric(cells: pa.Array, index: pd.Index, column: str, order: str | None,
                         tz: str) -> DateParse | None:
    """A numeric ``a-b-yyyy`` column read from its bytes, when nothing in it needs deciding; else None.

    Qualifies: every cell written the same way, ``MM/DD/YYYY`` with leading zeros, one
    separator and optionally a time (``HH:MM`` or ``HH:MM:SS``); the unambiguous dates (a day
    above 12) all in one order, or none and an order documented by the format; and the column
    running by date in that reading. Then every rule of the cell-by-cell route reads each cell in
    that one order with no reason and no repair, which is what this returns, with its note when
    the column contradicts the documented order. Anything else (a missing cell, a mixed or
    unsorted column, a time zone other than UTC) takes the cell-by-cell route.
    """
    n = len(cells)
    large = pa.types.is_large_string(cells.type)
    if not n or cells.null_count or tz != "UTC" or not (large or pa.types.is_string(cells.type)):
        return None
    size = 8 if large else 4  # bytes per offset
    offsets = np.frombuffer(cells.buffers()[1], dtype=np.int64 if large else np.int32, count=n + 1,
                            offset=size * cells.offset)
    width = int(offsets[1] - offsets[0])
    if width not in _FIXED_DIGITS or offsets[-1] - offsets[0] != width * n \
            or not (np.diff(offsets) == width).all():
        return None
    data = np.frombuffer(cells.buffers()[2], dtype=np.uint8, count=width * n, offset=int(offsets[0]))
    chars = data.reshape(n, width)
    digits = chars[:, list(_FIXED_DIGITS[width])].astype(np.int64) - ord("0")
    if (digits < 0).any() or (digits > 9).any():
        return None
    sep = chars[0, 2]
    if sep not in b"/-." or not ((chars[:, 2] == sep) & (chars[:, 5] == sep)).all():
        return None
    if width > 10 and not (np.isin(chars[:, 10], list(b" T")).all() and (chars[:, 13] == ord(":")).all()
                           and (width == 16 or (chars[:, 16] == ord(":")).all())):
        return None
    a, b = digits[:, 0] * 10 + digits[:, 1], digits[:, 2] * 10 + digits[:, 3]
    y = digits[:, 4] * 1000 + digits[:, 5] * 100 + digits[:, 6] * 10 + digits[:, 7]
    zero = np.zeros(n, dtype=np.int64)
    hours, minutes = (digits[:, 8] * 10 + digits[:, 9], digits[:, 10] * 10 + digits[:, 11]) \
        if width > 10 else (zero, zero)
    seconds, time_ok = _clock(hours, minutes, digits[:, 12] * 10 + digits[:, 13] if width == 19 else zero)
    if not time_ok.all():  # no such time: the cell-by-cell route rejects it
        return None
    md, dm = _build(y, a, b, seconds), _build(y, b, a, seconds)
    md_ok, dm_ok = ~np.isnat(md), ~np.isnat(dm)
    only_md, only_dm = (md_ok & ~dm_ok).any(), (dm_ok & ~md_ok).any()
    proven = None if only_md == only_dm else "mdy" if only_md else "dmy"
    single = proven or order
    if (~md_ok & ~dm_ok).any() or (only_md and only_dm) or single is None:
        return None
    stamps = md if single == "mdy" else dm
    steps = np.diff(stamps.astype(np.int64))
    if not ((steps >= 0).all() or (steps <= 0).all()):  # out of date order: the full checks decide
        return None
    notes = []
    if proven and order and proven != order:
        notes.append(f"{column}: dates are written {proven}, not {order} as documented; read as {proven}")
    values = pd.Series(stamps, index=index).dt.tz_localize("UTC")
    return DateParse(values, _no_reasons(index), notes)


def _runs_in_order(known: np.ndarray, where: np.ndarray, ambiguous: np.ndarray,
                   reading: np.ndarray) -> bool:
    """Whether the column runs in date order (either way, five distinct dates or more, so that it
    is unlikely by chance) when its ambiguous dates take ``reading``; ``known`` holds every other
    date in file order.

    >>> day = lambda s: np.datetime64(s, "ns")
    >>> known = np.array([day("2023-10-01")] + [np.datetime64("NaT")] * 4)
    >>> where, ambiguous = np.arange(1, 5), np.ones(4, dtype=bool)
    >>> _runs_in_order(known, where, ambiguous, np.array([day(f"2023-10-0{d}") for d in (3, 5, 7, 9)]))
    True
    >>> _runs_in_order(known, where, ambiguous, np.array([day(f"2023-0{m}-10") for m in (3, 5, 7, 9)]))
    False
    """
    dates = known.copy()
    dates[where[ambiguous]] = reading[ambiguous]
    present = dates[~np.isnat(dates)]
    if len(np.unique(present)) < 5:
        return False
    steps = np.diff(present.astype(np.int64))
    return bool((steps >= 0).all() or (steps <= 0).all())


def _naive(stamps: pd.Series) -> np.ndarray:
    """UTC timestamps as a naive datetime64[ns] array."""
    return stamps.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _resolve_day_month(raw, parts, is_dm, result, reasons, notes, column, order, tz) -> None:
    where = np.flatnonzero(is_dm)
    a, b, y, seconds = parts["a"], parts["b"], parts["y"], parts["sec"]
    md = _build(y, a, b, seconds)  # a is the month
    dm = _build(y, b, a, seconds)  # a is the day
    bad_time = ~parts["time_ok"]
    md[bad_time] = dm[bad_time] = np.datetime64("NaT")  # no such time: neither reading exists
    md_ok, dm_ok = ~np.isnat(md), ~np.isnat(dm)
    same = md_ok & dm_ok & (a == b)
    only_md = md_ok & ~dm_ok
    only_dm = dm_ok & ~md_ok
    ambiguous = md_ok & dm_ok & ~same

    # How the column writes numbers: separators, and leading zeros where a value is < 10.
    seps = set(pd.unique(parts["s1"]).tolist())
    pad_a = set((parts["a_len"][a < 10] == 2).tolist())
    pad_b = set((parts["b_len"][b < 10] == 2).tolist())
    style_mixed = len(seps) > 1 or len(pad_a) > 1 or len(pad_b) > 1
    evidence_mixed = bool(only_md.any() and only_dm.any())

    chosen = np.full(len(where), np.datetime64("NaT"), dtype="datetime64[ns]")
    chosen[only_md | same] = md[only_md | same]
    chosen[only_dm] = dm[only_dm]

    # Known dates in file order (every parsed cell, plus the unambiguous numeric ones).
    known = result.copy()
    fixed = ~ambiguous & ~np.isnat(chosen)
    known[where[fixed]] = chosen[fixed]
    stamps = pd.Series(known)
    present = stamps.dropna()
    ordered = None
    if present.nunique() >= 3:  # two dates are always "in order": that proves nothing
        diffs = np.diff(present.to_numpy().astype("int64"))
        ordered = "asc" if (diffs >= 0).all() else "desc" if (diffs <= 0).all() else None
    by_order_md = by_order_dm = 0
    undecided = ambiguous.copy()
    impossible = np.zeros(len(where), dtype=bool)
    fit_md = fit_dm = None
    if ordered and ambiguous.any():
        before = stamps.ffill().to_numpy(dtype="datetime64[ns]")[where]
        after = stamps.bfill().to_numpy(dtype="datetime64[ns]")[where]
        low, high = (before, after) if ordered == "asc" else (after, before)

        def fits(x):
            return (np.isnat(low) | (low <= x)) & (np.isnat(high) | (x <= high))

        fit_md, fit_dm = fits(md), fits(dm)

    proven = "mdy" if only_md.any() and not only_dm.any() else "dmy" if only_dm.any() and not only_md.any() else None
    single = proven or order  # the order the column proves, else the one the format documents
    mixed = style_mixed or evidence_mixed
    if not mixed and single and fit_md is not None:
        # Dates that fall out of the file's order in that reading but fit in the other one show
        # that part of the column was swapped.
        keep, other = (fit_md, fit_dm) if single == "mdy" else (fit_dm, fit_md)
        mixed = bool((ambiguous & ~keep & other).any())
    elif not mixed and proven and order and proven != order and ordered is None and ambiguous.any():
        # A few dates with one reading contradict the documented order, and they are too few to
        # show the file's order (one cell re-saved as 13/10/2023 among month-first dates would
        # turn the whole column around): the ambiguous dates keep the documented order when only
        # that reading runs in date order, and the proving dates are the swapped ones.
        if _runs_in_order(known, where, ambiguous, md if order == "mdy" else dm) and \
                not _runs_in_order(known, where, ambiguous, md if proven == "mdy" else dm):
            pick = md if order == "mdy" else dm
            chosen[ambiguous] = pick[ambiguous]
            undecided = np.zeros(len(where), dtype=bool)
            mixed = True
            n = int(ambiguous.sum())
            by_order_md, by_order_dm = (n, 0) if order == "mdy" else (0, n)
    if not mixed and single:
        pick = md if single == "mdy" else dm
        chosen[ambiguous] = pick[ambiguous]
        undecided = np.zeros(len(where), dtype=bool)
    elif fit_md is not None:
        take_md = ambiguous & fit_md & ~fit_dm
        take_dm = ambiguous & fit_dm & ~fit_md
        chosen[take_md] = md[take_md]
        chosen[take_dm] = dm[take_dm]
        impossible = ambiguous & ~fit_md & ~fit_dm
        undecided = ambiguous & fit_md & fit_dm
        by_order_md, by_order_dm = int(take_md.sum()), int(take_dm.sum())

    index = raw.index[where]
    ok = ~np.isnat(chosen)
    stamps_ok = pd.Series(chosen[ok], index=index[ok])
    if len(stamps_ok):
        if tz != "UTC":
            stamps_ok = stamps_ok.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert(None)
        result[where[ok]] = stamps_ok.to_numpy(dtype="datetime64[ns]")
    invalid = ~md_ok & ~dm_ok
    texts = raw.iloc[where]
    if invalid.any():
        what = np.where(bad_time[invalid], "' (no such time)", "' (no such day)")
        reasons[index[invalid]] = f"{column}: expected a date, found '" + texts[invalid] + what
    if impossible.any():
        reasons[index[impossible]] = (f"{column}: '" + texts[impossible] + "' fits neither day-first nor "
                                      "month-first between the dates around it")
    if undecided.any():
        why = ("this column mixes day-first and month-first dates (a spreadsheet re-save) and "
               "nothing proves which this one is" if mixed else
               "no date in this column has a day above 12, so day and month cannot be told apart; "
               "export the file again from the platform, or write these dates year first (2024-05-08)")
        reasons[index[undecided]] = f"{column}: '" + texts[undecided] + f"' is ambiguous: {why}"
    if mixed:
        repaired = by_order_md + by_order_dm
        notes.append(
            f"{column}: mixes day-first and month-first dates (a spreadsheet re-save swapped day "
            f"and month where the day is 12 or less); {int(ambiguous.sum())} ambiguous dates, "
            f"{repaired} read from the file's date order ({by_order_dm} day-first, {by_order_md} "
            f"month-first), {int(undecided.sum() + impossible.sum())} rejected")
    elif proven and order and proven != order:
        notes.append(f"{column}: dates are written {proven}, not {order} as documented; read as {proven}")
