"""Vectorised parsers for the cell values found in platform exports.

Each parser takes a column of raw strings and returns the parsed values plus a Series of
rejection reasons (``<NA>`` where the cell is fine), so that a loader can reject exactly the rows
whose cells are broken and keep the rest. Missing cells (``""``, ``-``, ``NA`` ...) parse to
``<NA>``, never to 0.

>>> import pandas as pd
>>> counts, why = parse_counts(pd.Series(["215.0", "-", "", "1,204", "3.5", "x"]), "likes")
>>> counts.tolist()
[215, <NA>, <NA>, 1204, <NA>, <NA>]
>>> why.tolist()[4:]
["likes: expected a whole count, found '3.5'", "likes: expected a count, found 'x'"]
"""

from __future__ import annotations

import calendar

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "NA_TOKENS",
    "normalise_header",
    "parse_counts",
    "parse_ids",
    "parse_datetimes",
    "parse_excel_serial",
    "clean_text",
    "first_reason",
]

#: Cell values that mean "no value" in the exports we know.
NA_TOKENS = frozenset({"", "-", "--", "NA", "N/A", "n/a", "na", "null", "NULL", "None", "nan", "NaN", "#N/A"})

_SCI_ID = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")
_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def normalise_header(name: object) -> str:
    """Normalise a column name for matching: NFKC, no soft hyphens/BOM, trimmed, lower case.

    Trailing colons (seen in localised X exports) and repeated spaces are removed.

    >>> normalise_header("\\ufeffVideo pub\\u00adlish time ")
    'video publish time'
    >>> normalise_header("cliques no perfil do usuário:")
    'cliques no perfil do usuário'
    """
    text = unicodedata.normalize("NFKC", str(name)).replace("\u00ad", "").replace("\ufeff", "")
    text = text.replace("\u00a0", " ").strip().rstrip(":").strip().lower()
    return re.sub(r"\s+", " ", text)


def _strip(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def _arrow_raw(values: pd.Series):
    """The cells as an Arrow string (Chunked)Array, without a copy when they are Arrow-backed."""
    dtype = values.dtype
    if isinstance(dtype, pd.ArrowDtype) or getattr(dtype, "storage", "") == "pyarrow":
        array = pa.array(values.array) if not hasattr(values.array, "_pa_array") else values.array._pa_array
    else:
        array = pa.array(values.astype("string").to_numpy(dtype=object, na_value=None), type=pa.string())
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        array = array.cast(pa.string())
    return array


def _arrow_strings(values: pd.Series):
    return pc.utf8_trim_whitespace(_arrow_raw(values))


def _one_array(array):
    """A ChunkedArray as one array (without a copy when it has a single chunk)."""
    if isinstance(array, pa.ChunkedArray):
        return array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    return array


def _arrow_text(values: pd.Series, *, trim: bool = False) -> pa.Array:
    """The cells as one contiguous Arrow ``string`` array, whitespace trimmed with ``trim``."""
    array = _one_array(_arrow_strings(values) if trim else _arrow_raw(values))
    return array.cast(pa.string()) if array.type != pa.string() else array


def _int64_series(numbers, index: pd.Index) -> pd.Series:
    """Arrow integers (nulls allowed) -> a nullable Int64 Series."""
    numbers = _one_array(numbers)
    values = numbers.fill_null(0).to_numpy(zero_copy_only=False).astype("int64", copy=False)
    mask = numbers.is_null().to_numpy(zero_copy_only=False)
    return pd.Series(pd.arrays.IntegerArray(values, mask), index=index)  # a copy: Arrow memory is read-only


def _string_series(array, index: pd.Index) -> pd.Series:
    return pd.Series(pd.array(array, dtype=pd.StringDtype("pyarrow")), index=index, copy=False)


def _no_reasons(index: pd.Index) -> pd.Series:
    """A string Series of ``<NA>`` (an Arrow null array: no per-cell work)."""
    return pd.Series(pd.array(pa.nulls(len(index), pa.string()), dtype="string"), index=index, copy=False)


def _has_byte(array, characters: bytes) -> bool:
    """Whether any of ``characters`` occurs in an Arrow string array (:func:`_arrow_raw`): a scan
    of its data buffers, where bytes outside a sliced array's cells can only give a harmless yes.

    >>> _has_byte(pa.array(["12", "0x10"]), b"xX"), _has_byte(pa.array(["12", None]), b"xX")
    (True, False)
    """
    wanted = np.frombuffer(characters, dtype=np.uint8)
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    return any(chunk.buffers()[2] is not None
               and np.isin(np.frombuffer(chunk.buffers()[2], dtype=np.uint8), wanted).any()
               for chunk in chunks)


def parse_counts(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """Parse count cells into nullable integers.

    Accepts integers, integral floats (``"215.0"``) and thousands separators (``"1,204"``).
    Missing tokens give ``<NA>``. Negative, fractional or non-numeric cells give ``<NA>`` and a
    reason naming ``column``.
    """
    # Fastest path: every cell is a number (Arrow casts "215.0" and "215"); whole and >= 0.
    # Arrow's integer cast also reads hexadecimal ("0x10" as 16): a column with an x anywhere
    # goes the checked way, which names such a cell.
    raw_array = _arrow_raw(values)
    floats = None
    for attempt in (("int", "int.0", "float") if not _has_byte(raw_array, b"xX") else ()):
        try:
            if attempt == "int":
                numbers = pc.cast(raw_array, pa.int64())
            elif attempt == "int.0":  # "215.0": drop the ".0" and read integers (faster)
                if not pc.all(pc.ends_with(raw_array, ".0")).as_py():
                    continue
                numbers = pc.cast(pc.utf8_slice_codeunits(raw_array, 0, -2), pa.int64())
            else:
                floats = pc.cast(raw_array, pa.float64())
                break
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if len(numbers) and (pc.min(numbers).as_py() or 0) >= 0:
            return _int64_series(numbers, values.index), _no_reasons(values.index)
        break
    if floats is not None and len(floats):
        whole = pc.and_(pc.equal(pc.floor(floats), floats),
                        pc.and_(pc.greater_equal(floats, 0), pc.less(floats, 2.0 ** 53)))
        if pc.all(whole).as_py():
            return _int64_series(pc.cast(floats, pa.int64()), values.index), _no_reasons(values.index)
    # Fast path (vectorised in Arrow): every cell is a plain count or a missing token.
    strings = pc.utf8_trim_whitespace(raw_array)
    missing = pc.or_kleene(pc.is_null(strings), pc.is_in(strings, pa.array(sorted(NA_TOKENS))))
    plain = pc.match_substring_regex(strings, r"^\+?\d{1,18}(\.0*)?$")
    if pc.all(pc.or_kleene(pc.fill_null(missing, True), pc.fill_null(plain, False))).as_py():
        numbers = pc.cast(pc.cast(pc.if_else(plain, strings, None), pa.float64()), pa.int64())
        return _int64_series(numbers, values.index), _no_reasons(values.index)
    raw = _strip(values)
    missing = raw.isna() | raw.isin(NA_TOKENS)
    text = raw.mask(missing)
    has_comma = text.str.contains(",", regex=False).fillna(False)
    if has_comma.any():
        grouped = text.str.fullmatch(_THOUSANDS.pattern).fillna(False)
        text = text.mask(has_comma & grouped, text.str.replace(",", "", regex=False))
    # decimal numbers only: pandas also reads '0x10', 'inf' and '1_000'
    decimal = text.str.fullmatch(_DECIMAL).fillna(False).astype(bool)
    numbers = pd.to_numeric(text.where(decimal), errors="coerce")
    numbers = numbers.astype("Float64") if numbers.dtype != "Float64" else numbers
    not_number = ~missing & numbers.isna()
    fractional = (numbers % 1 != 0).fillna(False)
    negative = (numbers < 0).fillna(False)
    # beyond 2**53 a float no longer holds every whole number (and beyond 2**63 no Int64 does)
    huge = (numbers.abs() >= 2.0 ** 53).fillna(False) & ~fractional
    reasons = pd.Series(pd.NA, index=values.index, dtype="string")
    if not_number.any():
        reasons[not_number] = f"{column}: expected a count, found '" + raw[not_number] + "'"
    if fractional.any():
        reasons[fractional] = f"{column}: expected a whole count, found '" + raw[fractional] + "'"
    if negative.any():
        reasons[negative & ~fractional] = f"{column}: expected a count >= 0, found '" + raw[negative & ~fractional] + "'"
    if huge.any():
        reasons[huge] = f"{column}: expected a count below 2^53, found '" + raw[huge] + "'"
    bad = not_number | fractional | negative | huge
    result = numbers.mask(bad).round().astype("Int64")
    return result, reasons


def parse_ids(values: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """Keep post ids as text; reject missing ids and ids mangled into scientific notation.

    An id like ``1.47689E+18`` has lost its last digits in a spreadsheet; merging on it would
    collapse different posts, so such rows are rejected with the reason.

    >>> ids, why = parse_ids(pd.Series(["1476890000000000001", "1.47689E+18", ""]), "Tweet id")
    >>> ids.tolist()
    ['1476890000000000001', <NA>, <NA>]
    >>> why.tolist()[1]
    "Tweet id: id in scientific notation ('1.47689E+18') has lost digits; export ids as text"
    """
    strings = _arrow_strings(values)
    suspicious = pc.or_kleene(pc.is_null(strings), pc.is_in(strings, pa.array(sorted(NA_TOKENS))))
    if pc.any(pc.match_substring(strings, "e", ignore_case=True)).as_py():  # only then can one be 1.2E+18
        suspicious = pc.or_kleene(suspicious, pc.match_substring_regex(strings, _SCI_ID.pattern))
    if not pc.any(pc.fill_null(suspicious, True)).as_py():
        return _string_series(strings, values.index), _no_reasons(values.index)
    raw = _strip(values)
    missing = raw.isna() | raw.isin(NA_TOKENS)
    sci = raw.str.fullmatch(_SCI_ID.pattern).fillna(False) & ~missing
    reasons = pd.Series(pd.NA, index=values.index, dtype="string")
    if missing.any():
        reasons[missing] = f"{column}: expected a post id, found an empty cell"
    if sci.any():
        reasons[sci] = (f"{column}: id in scientific notation ('" + raw[sci]
                        + "') has lost digits; export ids as text")
    return raw.mask(missing | sci).astype("string"), reasons


def parse_excel_serial(values: pd.Series) -> pd.Series:
    """Convert Excel serial day numbers (``44193.4123``) to UTC timestamps; other cells give NaT.

    Serials are read with the 1900 date system (day 0 = 1899-12-30), in the plausible range
    from 1990-01-01 (serial 32874) up to, not including, 2100-01-01 (serial 73051).

    >>> parse_excel_serial(pd.Series(["44193.5", "2020-12-28", "32874"])).tolist()
    [Timestamp('2020-12-28 12:00:00+0000', tz='UTC'), NaT, Timestamp('1990-01-01 00:00:00+0000', tz='UTC')]
    """
    try:  # every cell a number (the common case): Arrow's cast, no per-cell Python work
        cast = pc.cast(_arrow_strings(values), pa.float64())
        numbers = pd.Series(cast.to_numpy(zero_copy_only=False), index=values.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        numbers = pd.to_numeric(_strip(values), errors="coerce").astype("float64")
    plausible = (numbers >= 32874) & (numbers < 73051)  # 1990-01-01 .. 2100-01-01 (exclusive)
    stamps = pd.to_datetime(numbers.where(plausible), unit="D", origin="1899-12-30")
    return stamps.dt.round("s").dt.tz_localize("UTC")


#: an ISO date followed by a time of day (and maybe an offset)
_ISO_WITH_TIME = r"^\s*(\d{4}-\d{2}-\d{2})[T ]\d.*$"


def written_days(values: pd.Series) -> pd.Series:
    """ISO times with an offset cut to the day they write: ``2024-01-01T00:00+01:00`` is 1 January.

    Day-level tables (followers, daily page figures) keep the calendar day as the export writes
    it; converting such a time to UTC first would move every day east of UTC to the day before.
    The cells are returned as they are when none is longer than ``2024-01-01T00:00:00`` (none
    has an offset, and a time without one, read in UTC, keeps its written day).

    >>> written_days(pd.Series(["2024-01-01T00:00:00+01:00", " 2024-01-02 23:30", "2024-01-03", None])).tolist()
    ['2024-01-01', '2024-01-02', '2024-01-03', <NA>]
    """
    cells = _arrow_text(values)
    if len(cells) == 0 or (pc.max(pc.utf8_length(cells)).as_py() or 0) <= 19:
        return values
    return _string_series(pc.replace_substring_regex(cells, _ISO_WITH_TIME, r"\1"), values.index)


def parse_datetimes(
    values: pd.Series,
    column: str,
    formats: Sequence[str],
    *,
    date_only: bool = False,
    excel_serial: bool = False,
    tz: str = "UTC",
) -> tuple[pd.Series, pd.Series]:
    """Parse timestamps trying each ``strptime`` format in turn; return UTC times and reasons.

    Times without an offset are taken to be in ``tz``. ``date_only`` formats give midnight (UTC)
    of the day as written, whatever the offset or ``tz`` (:func:`written_days`). With
    ``excel_serial`` numbers such as ``44193.4123`` are read as Excel serial dates.

    >>> t, why = parse_datetimes(pd.Series(["2021-01-30 12:56 +0000", "junk"]), "time",
    ...                          ["%Y-%m-%d %H:%M %z"])
    >>> t.tolist(), why.tolist()
    ([Timestamp('2021-01-30 12:56:00+0000', tz='UTC'), NaT], [<NA>, "time: expected a date like '%Y-%m-%d %H:%M %z', found 'junk'"])
    """
    if date_only:  # a day is a calendar day, kept as UTC midnight
        values, tz = written_days(values), "UTC"
    fast = _strptime_whole(values, formats[0] if formats else "ISO8601", tz)
    if fast is not None:  # every cell in the first format (the common case): no per-row work
        result, reasons = fast, _no_reasons(values.index)
        if any("%a" in f or "%A" in f for f in formats):
            _reject_wrong_weekdays(values, result, reasons, column)
        return (result.dt.normalize() if date_only else result), reasons
    raw = _strip(values)
    missing = raw.isna() | raw.isin(NA_TOKENS)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    out_of_range = pd.Series(False, index=values.index)
    todo = ~missing
    for fmt in formats:
        if not todo.any():
            break
        has_offset = "%z" in fmt or "%Z" in fmt
        fast = _arrow_strptime(raw, todo, fmt, tz if not has_offset else "UTC")
        exact = todo
        if fast is not None:
            stamps, suspect = fast
            ok = stamps.notna()
            result[ok[ok].index] = stamps[ok]
            todo = todo & result.isna()
            if not suspect.any():
                continue
            # Arrow rolls impossible days over (Feb 30 -> Mar 1) and pads loosely: those cells
            # are read again by pandas, which rejects impossible dates.
            exact = todo & suspect.reindex(todo.index, fill_value=False)
        if fmt == "ISO8601":
            parsed, outside = _parse_iso(raw[exact], tz)
        else:
            parsed, outside = _fit_ns(pd.to_datetime(raw[exact], format=fmt, errors="coerce", utc=has_offset))
            if not has_offset:
                parsed = parsed.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        parsed = parsed.astype("datetime64[ns, UTC]")
        ok = parsed.notna()
        result[ok[ok].index] = parsed[ok]
        todo = todo & result.isna()
        if outside.any():
            out_of_range[outside[outside].index] = True
    if excel_serial and todo.any():
        serial = parse_excel_serial(raw[todo])
        ok = serial.notna()
        result[ok[ok].index] = serial[ok]
        todo = todo & result.isna()
    reasons = pd.Series(pd.NA, index=values.index, dtype="string")
    if missing.any():
        reasons[missing] = f"{column}: expected a date, found an empty cell"
    if todo.any():
        shown = " or ".join(repr(f) for f in formats)
        reasons[todo] = f"{column}: expected a date like {shown}, found '" + raw[todo] + "'"
        beyond = todo & out_of_range
        if beyond.any():
            reasons[beyond] = (f"{column}: date '" + raw[beyond] + f"' is outside the range that can be "
                               f"stored ({_NS_RANGE[0].date()} to {_NS_RANGE[1].date()})")
    if any("%a" in f or "%A" in f for f in formats):
        _reject_wrong_weekdays(values, result, reasons, column)
    if date_only:
        result = result.dt.normalize()
    return result, reasons


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _reject_wrong_weekdays(values: pd.Series, result: pd.Series, reasons: pd.Series, column: str) -> None:
    """Set aside the cells whose written weekday is not their date's (``Tue Feb 10 2025``, a
    Monday): ``strptime`` ignores the weekday, and which part of such a cell is wrong is unknown.

    >>> t, why = parse_datetimes(pd.Series(["Mon Feb 10 2025", "Tue Feb 10 2025"]), "Date", ["%a %b %d %Y"])
    >>> t.isna().tolist(), why[1]
    ([False, True], "Date: 'Tue Feb 10 2025' names a Tuesday, but 2025-02-10 is a Monday")
    """
    text = _strip(values).astype("string")
    written = text.str.lower().str.extract(r"^(mon|tue|wed|thu|fri|sat|sun)", expand=False)
    known = written.notna() & result.notna()
    if not known.any():
        return
    actual = pd.Series(np.array(_WEEKDAYS)[result[known].dt.day_of_week.to_numpy()], index=result[known].index)
    wrong = known.copy()
    wrong[known] = written[known].to_numpy() != actual.to_numpy()
    if not wrong.any():
        return
    names = {w: calendar.day_name[i] for i, w in enumerate(_WEEKDAYS)}
    for i in wrong[wrong].index:
        reasons[i] = (f"{column}: '{text[i]}' names a {names[written[i]]}, but "
                      f"{result[i].date()} is a {names[actual[i]]}")
    result[wrong] = pd.NaT


_ISO_OFFSET = r"(?:[zZ]|[+-]\d{2}:?\d{2})$"


#: the times a nanosecond timestamp can hold (a day inside pandas' limits, so that a time zone
#: shift cannot push a kept time out of them)
_NS_RANGE = (pd.Timestamp("1677-09-22"), pd.Timestamp("2262-04-10"))


def _fit_ns(stamps: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``stamps`` (any resolution; pandas reads text as microseconds) with the times outside
    :data:`_NS_RANGE` set to NaT, in nanoseconds; and the mask of those times (a year 2262 or
    later would otherwise make the conversion to nanoseconds fail for the whole column)."""
    tz = stamps.dt.tz
    low, high = (t.tz_localize(tz) for t in _NS_RANGE) if tz is not None else _NS_RANGE
    outside = ((stamps < low) | (stamps > high)).fillna(False).astype(bool)
    if outside.any():
        stamps = stamps.mask(outside)
    return stamps.dt.as_unit("ns"), outside


#: the start of an ISO 8601 cell that names a whole day (extended or basic form)
_ISO_WHOLE_DAY = r"^\s*\d{4}(?:-\d{2}-\d{2}|\d{4})(?!\d)"


def _parse_iso(raw: pd.Series, tz: str) -> tuple[pd.Series, pd.Series]:
    """ISO 8601 cells, with or without an offset; cells without one are taken to be in ``tz``.

    Also returns the mask of cells that are valid dates outside :data:`_NS_RANGE` (NaT here).
    A cell must name a whole day: ISO 8601 also allows ``2024-03`` or ``2024``, which pandas would
    complete to the first of the month or year, a date the file does not state; those stay NaT.
    """
    raw = raw.where(raw.str.match(_ISO_WHOLE_DAY).fillna(False).astype(bool))
    with_offset = raw.str.contains(_ISO_OFFSET, regex=True).fillna(False)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    outside = pd.Series(False, index=raw.index)
    if with_offset.any():
        stamps, beyond = _fit_ns(pd.to_datetime(raw[with_offset], format="ISO8601", errors="coerce", utc=True))
        out[with_offset] = stamps
        outside[with_offset] = beyond
    naive = ~with_offset
    if naive.any():
        stamps, beyond = _fit_ns(pd.to_datetime(raw[naive], format="ISO8601", errors="coerce"))
        if getattr(stamps.dt, "tz", None) is None:
            stamps = stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        out[naive] = stamps.dt.tz_convert("UTC")
        outside[naive] = beyond
    return out, outside


_TOKENS = {"Y": r"\d{4}", "m": r"\d{1,2}", "d": r"(?P<d>\d{1,2})", "H": r"\d{1,2}", "M": r"\d{1,2}",
           "S": r"\d{1,2}", "I": r"\d{1,2}", "y": r"\d{2}", "b": r"[^\W\d_]+", "B": r"[^\W\d_]+",
           "a": r"[^\W\d_]+", "A": r"[^\W\d_]+", "z": r"(?:[+-]\d{2}:?\d{2}|Z)", "j": r"\d{1,3}",
           "%": "%"}


def _day_regex(fmt: str) -> str | None:
    """A regex capturing the day of month written by ``fmt``; None if ``fmt`` has no ``%d``."""
    if "%d" not in fmt:
        return None
    out, i = ["^"], 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            token = _TOKENS.get(fmt[i + 1])
            if token is None:
                return None
            out.append(token)
            i += 2
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return "".join(out) + "$"


def _day_overflow(array: pa.Array, parsed: pa.Array, fmt: str) -> pa.Array:
    """Cells Arrow parsed whose written day is not the parsed day (Arrow turns Feb 30 into Mar 1).

    Only cells whose parsed day could come from an overflow (day 1-3, or near a month's end
    when an offset moved them) are checked, to keep this cheap.
    """
    valid = pc.is_valid(parsed)
    pattern = _day_regex(fmt)
    if pattern is None:
        return pa.array([False] * len(parsed)) if "%d" not in fmt else valid
    day = pc.day(parsed)
    near = pc.less_equal(day, 4) if "%z" not in fmt else \
        pc.or_(pc.less_equal(day, 4), pc.greater_equal(day, 28))
    check = pc.fill_null(pc.and_(valid, near), False)
    if not pc.any(check).as_py():
        return pc.fill_null(pc.and_(valid, pa.scalar(False)), False)
    picked = pc.filter(array, check)
    written = pc.struct_field(pc.extract_regex(picked, pattern), [0])
    written = pc.cast(pc.if_else(pc.equal(written, ""), None, written), pa.int64())
    differs = pc.fill_null(pc.not_equal(written, pc.filter(day, check)), True)
    out = np.zeros(len(parsed), dtype=bool)
    out[np.flatnonzero(check.to_numpy(zero_copy_only=False))] = differs.to_numpy(zero_copy_only=False)
    return pa.array(out)


def _strptime_whole(values: pd.Series, fmt: str, tz: str) -> pd.Series | None:
    """UTC times when Arrow reads every cell of ``values`` in ``fmt`` exactly (no missing cell,
    no failure, no rolled-over day, no time that does not exist in ``tz``); else None, and
    :func:`parse_datetimes` takes the cell-by-cell route with reasons."""
    if not len(values) or fmt == "ISO8601" or "%f" in fmt or "%p" in fmt or "%Z" in fmt:
        return None
    try:
        array = _one_array(_arrow_strings(values))
        if array.null_count or pc.any(pc.is_in(array, pa.array(sorted(NA_TOKENS)))).as_py():
            return None
        parsed = pc.strptime(array, format=fmt, unit="ns", error_is_null=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if parsed.null_count or pc.any(_day_overflow(array, parsed, fmt)).as_py():
        return None
    stamps = pd.Series(parsed.to_pandas().array, index=values.index)
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    stamps = stamps.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return None if stamps.isna().any() else stamps


def _arrow_strptime(raw: pd.Series, todo: pd.Series, fmt: str, tz: str):
    """Arrow's strptime for the cells in ``todo``, or None when Arrow cannot handle ``fmt``.

    Returns the parsed times (NaT where Arrow failed or the cell does not read back the same)
    and a boolean Series of the cells Arrow parsed but that do not read back identically.
    """
    if fmt == "ISO8601" or "%f" in fmt or "%p" in fmt or "%Z" in fmt:
        return None
    try:
        array = _arrow_strings(raw[todo])
        parsed = pc.strptime(array, format=fmt, unit="ns", error_is_null=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if isinstance(parsed, pa.ChunkedArray):
        parsed = parsed.combine_chunks()
        array = array.combine_chunks()
    suspect = _day_overflow(array, parsed, fmt)
    parsed = pc.if_else(suspect, pa.scalar(None, parsed.type), parsed)
    index = raw[todo].index
    stamps = pd.Series(parsed.to_pandas().array, index=index)
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    stamps = stamps.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return stamps, pd.Series(suspect.to_numpy(zero_copy_only=False), index=index)


def clean_text(values: pd.Series, placeholders: Iterable[str] = ()) -> pd.Series:
    """Post text as nullable strings: empty cells and known placeholders become ``<NA>``.

    Text is otherwise kept exactly (embedded newlines, NBSP, emoji).

    >>> clean_text(pd.Series(["hi\\nthere", "", "(Post with no description)"]),
    ...            ["(Post with no description)"]).tolist()
    ['hi\\nthere', <NA>, <NA>]
    """
    placeholders = list(placeholders)
    array = _arrow_raw(values)
    empty = pc.or_kleene(pc.is_null(array), pc.match_substring_regex(array, r"^\s*$"))
    if placeholders:
        empty = pc.or_kleene(empty, pc.is_in(array, pa.array(placeholders, type=pa.string())))
    if not pc.any(empty).as_py():
        return _string_series(array, values.index)
    return _string_series(pc.if_else(empty, pa.scalar(None, array.type), array), values.index)


def first_reason(*reasons: pd.Series) -> pd.Series:
    """Combine per-column reason Series: the first non-missing reason of each row."""
    if not reasons:
        raise ValueError("first_reason needs at least one Series")
    used = [r for r in reasons if r.notna().any()]
    if not used:
        return reasons[0].astype("string")
    out = used[0].astype("string")
    for more in used[1:]:
        out = out.fillna(more.astype("string"))
    return out


def as_bool(values: pd.Series, true: Iterable[str], false: Iterable[str]) -> pd.Series:
    """Map text cells to a nullable boolean using explicit true/false vocabularies.

    >>> as_bool(pd.Series(["Sponsored", "Organic", ""]), ["sponsored"], ["organic"]).tolist()
    [True, False, <NA>]
    """
    lowered = _strip(values).str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[lowered.isin([t.lower() for t in true]).fillna(False)] = True
    out[lowered.isin([f.lower() for f in false]).fillna(False)] = False
    return out


def numpy_int(values: pd.Series) -> np.ndarray:
    """Nullable integers as a float array with NaN for missing (for numeric work)."""
    return values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
