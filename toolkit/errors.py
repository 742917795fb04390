"""The project's exceptions and warnings.

Every error a user can cause names *where* (file, row, column or parameter), *what was expected*
and *what was found*, so that the message alone says how to fix the input.

>>> err = DataFormatError("expected a header row", file="a.csv", row=1, found="empty file")
>>> print(err)
a.csv, row 1: expected a header row (found: empty file)
"""

from __future__ import annotations

import calendar
import math
import numbers
import re
from collections.abc import Iterable, Mapping

__all__ = [
    "EngagementLabError",
    "DataFormatError",
    "SchemaError",
    "AnalysisError",
    "SpecError",
    "EngagementLabWarning",
    "ConfoundWarning",
    "is_fraction",
    "is_seed",
    "is_whole",
    "is_number",
    "name_list",
    "unordered_date",
    "first_line",
]


class EngagementLabError(Exception):
    """Base class of every error raised on purpose by Engagement Lab.

    Parameters
    ----------
    message
        What was expected, in words a user can act on.
    file, row, column, parameter
        Where the problem is; each is optional and shown when given.
    found
        What was found instead.
    """

    def __init__(
        self,
        message: str,
        *,
        file: object | None = None,
        row: int | None = None,
        column: str | None = None,
        parameter: str | None = None,
        found: object | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.parameter = parameter
        self.found = found
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.parameter is not None:
            where.append(f"parameter {self.parameter!r}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.found is not None:
            text += f" (found: {self.found})"
        return text


class DataFormatError(EngagementLabError, ValueError):
    """An input file cannot be read as any supported format, or as the format asked for."""


class SchemaError(EngagementLabError, ValueError):
    """A table does not follow the canonical schema (missing column, wrong dtype)."""


class AnalysisError(EngagementLabError, ValueError):
    """An analysis cannot run on this data or with these parameters."""


class SpecError(EngagementLabError, ValueError):
    """An experiment spec file is invalid."""


class EngagementLabWarning(UserWarning):
    """Base class of the project's warnings."""


class ConfoundWarning(EngagementLabWarning):
    """Something besides the change under study moved near the change date."""


def is_fraction(value: object) -> bool:
    """Whether ``value`` is a number strictly between 0 and 1, as a confidence level, an alpha or a
    share must be (``95`` for 95% is not, nor is the text ``"0.95"``).

    >>> is_fraction(0.95), is_fraction(95), is_fraction("0.95"), is_fraction(True)
    (True, False, False, False)
    """
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and 0 < float(value) < 1)


def is_seed(value: object) -> bool:
    """Whether ``value`` can seed ``numpy.random.default_rng`` reproducibly: a whole number, 0 or more.

    >>> is_seed(0), is_seed(7), is_seed(-1), is_seed("7"), is_seed(None), is_seed(1.5)
    (True, True, False, False, False, False)
    """
    return is_whole(value, 0)


def is_whole(value: object, minimum: int = 0) -> bool:
    """Whether ``value`` is a whole number, ``minimum`` or more, as a count of simulations, days, posts
    or weeks must be (``2.5`` is not, nor is the text ``"5"`` or ``True``).

    >>> is_whole(5), is_whole(0), is_whole(0, minimum=1), is_whole(2.5), is_whole("5"), is_whole(True)
    (True, True, False, False, False, False)
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum


_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\b")


def unordered_date(value: object) -> str | None:
    """Why a date given as text cannot be read safely, or None when it can.

    Text such as ``"01/10/2024"`` does not say whether the day or the month comes first, and pandas
    reads it month first (10 January), where most of the world means 1 October; a date given by the
    user is refused in that layout rather than guessed. Year-first text (``"2024-10-01"``), a month
    written as a word, and date objects say their order.

    >>> print(unordered_date("01/10/2024"))
    '01/10/2024' could be 1 October 2024 (day first) or 10 January 2024 (month first): write it year first, as 2024-10-01 or 2024-01-10
    >>> print(unordered_date("13/10/2024"))
    '13/10/2024' writes the day and the month as numbers without saying which comes first: write it year first, as 2024-10-13
    >>> [unordered_date(v) for v in ("2024-10-01", "1 October 2024", "05/05/2024")]
    [None, None, None]
    """
    match = _NUMERIC_DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    a, b, year = int(match[1]), int(match[2]), int(match[3])
    if a == b:  # 05/05/2024 reads the same either way
        return None
    year += 2000 if year < 100 else 0
    readings = [(day, month) for day, month in ((a, b), (b, a))
                if 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]]
    iso = [f"{year}-{month:02d}-{day:02d}" for day, month in readings]
    if len(iso) == 2:
        (d1, m1), (d2, m2) = readings
        return (f"{value!r} could be {d1} {calendar.month_name[m1]} {year} (day first) or {d2} "
                f"{calendar.month_name[m2]} {year} (month first): write it year first, as {iso[0]} or {iso[1]}")
    return (f"{value!r} writes the day and the month as numbers without saying which comes first: "
            f"write it year first{', as ' + iso[0] if iso else ''}")


def is_number(value: object) -> bool:
    """Whether ``value`` is a finite number, as a threshold or a weight must be (not the text ``"6"``,
    ``True``, NaN or infinity).

    >>> is_number(6), is_number(0.5), is_number("6"), is_number(True), is_number(float("nan"))
    (True, True, False, False, False)
    """
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(float(value)))


def name_list(value: object, parameter: str, choices: Iterable[str] | None = None) -> list:
    """``value`` as a list of names: one name (text) becomes a list of one; a list, tuple or other
    collection of names is copied. Anything else (a number, None, a dict) is an
    :class:`AnalysisError` naming ``parameter`` (and the ``choices``, when given). Whether each name
    is known is left to the caller.

    >>> name_list("glm", "method"), name_list(("glm", "welch"), "method")
    (['glm'], ['glm', 'welch'])
    >>> try:
    ...     name_list(5, "method", choices=("glm", "welch"))
    ... except AnalysisError as err:
    ...     print(err)
    parameter 'method': expected one of ['glm', 'welch'] or a list of them (found: 5 (int))
    """
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        return list(value)
    what = "a name or a list of names" if choices is None else f"one of {list(choices)} or a list of them"
    raise AnalysisError(f"expected {what}", parameter=parameter,
                        found=f"{value!r} ({type(value).__name__})")


def first_line(error: str, limit: int = 800) -> str:
    r"""An error's first line, at most ``limit`` characters: what the ``found`` of a one-line
    message can carry (a notebook's exception can span many lines).

    >>> first_line("ValueError: one\ntwo")
    'ValueError: one'
    """
    stripped = error.strip()
    return stripped.splitlines()[0][:limit] if stripped else error
