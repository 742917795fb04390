"""Any other export, loaded with a user mapping (format ``generic``).

``load(path, mapping={"published_at": "Date", "likes": "Hearts", ...})``: keys are canonical
``posts`` columns (``toolkit.schema.POSTS``), values are the file's column names as written
(matched exactly, else after normalising case, spaces and trailing colons). A key that is not a
canonical column, or a column the file does not have, raises :class:`DataFormatError` naming them.

- ``platform`` may name a column or be a platform name (``"x"``, ``"facebook"`` ...); default
  ``other``.
- ``account`` may name a column; otherwise ``load(account=...)`` is used.
- ``post_id`` missing from the mapping: ids are derived from the row (``row<N>``) and the report
  says so.
- ``published_at``: ISO 8601 (with or without offset; without one it is UTC), ``M/D/YYYY[ H:MM[:SS]]``,
  ``D.M.YYYY[ H:MM]`` or an Excel serial number; ``time_known`` is True for the rows whose cell
  holds a time of day.
- counts must be whole numbers >= 0 (``1,204`` and ``215.0`` accepted); ``-``, blanks and ``NA``
  stay missing. ``paid`` accepts true/false, yes/no, 1/0, paid/organic, sponsored/organic.

>>> from toolkit.loading.platforms.generic import check_mapping
>>> check_mapping({"published_at": "Date", "hearts": "Hearts"}, "posts.csv")
Traceback (most recent call last):
...
toolkit.errors.DataFormatError: posts.csv, parameter 'mapping': keys must be canonical posts columns ... (found: ['hearts'])
"""

from __future__ import annotations

import pandas as pd

from toolkit.errors import DataFormatError
from toolkit.loading.build import build_table, reject_rows
from toolkit.loading.core import exported_at_from
from toolkit.loading.dates import time_given
from toolkit.loading.parse import NA_TOKENS, as_bool, normalise_header
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source
from toolkit.schema import PLATFORMS, POSTS

__all__ = ["check_mapping", "MAPPABLE"]

#: canonical columns a mapping may name (the rest are set by the loader)
MAPPABLE = tuple(c for c in POSTS if c not in {"source_file", "source_row", "exported_at", "time_known"})

DATE_FORMATS = ("ISO8601", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%d.%m.%Y %H:%M",
                "%d.%m.%Y")

MEDIA_TYPES = {"photo": "photo", "image": "photo", "picture": "photo", "carousel": "photo",
               "album": "photo", "video": "video", "reel": "video", "reels": "video",
               "link": "link", "article": "link", "text": "text", "status": "text"}

_PAID_TRUE = ("true", "yes", "1", "paid", "sponsored", "promoted", "boosted")
_PAID_FALSE = ("false", "no", "0", "organic", "unpaid")


def check_mapping(mapping, file) -> dict[str, str]:
    """Check the keys of ``mapping`` (before the file is read); return it as a dict."""
    if not hasattr(mapping, "items"):
        raise DataFormatError("mapping must be a dict of canonical column -> the file's column",
                              file=file, parameter="mapping", found=type(mapping).__name__)
    mapping = dict(mapping)
    unknown = [k for k in mapping if k not in MAPPABLE]
    if unknown:
        raise DataFormatError(f"keys must be canonical posts columns ({', '.join(MAPPABLE)})",
                              file=file, parameter="mapping", found=unknown)
    not_text = [k for k, v in mapping.items() if not isinstance(v, str)]
    if not_text:
        raise DataFormatError("values must be column names of the file (text)", file=file,
                              parameter="mapping", found={k: mapping[k] for k in not_text})
    return mapping


def _resolve_columns(mapping: dict[str, str], header: list[str], names: list[str], file):
    """canonical -> normalised column name; :class:`DataFormatError` for absent columns."""
    exact = {h: n for h, n in zip(header, names)}
    loose = {}
    for n in names:
        loose.setdefault(n.split("#")[0], n)
    found, absent = {}, []
    for canonical, column in mapping.items():
        if canonical == "platform" and column.lower() in PLATFORMS and column not in exact:
            continue  # a platform name, not a column
        if column in exact:
            found[canonical] = exact[column]
        elif normalise_header(column) in loose:
            found[canonical] = loose[normalise_header(column)]
        else:
            absent.append(column)
    if absent:
        raise DataFormatError(f"mapping names columns the file does not have; its columns are {header}",
                              file=file, parameter="mapping", found=absent)
    return found


def parse_generic(source: Source) -> Parsed:
    if source.mapping is None:
        raise DataFormatError("the generic format needs mapping= (canonical column -> file column)",
                              file=source.path, parameter="mapping")
    mapping = check_mapping(source.mapping, source.path)
    raw = source.table()
    found = _resolve_columns(mapping, raw.header, raw.columns, source.path)
    platform_value = mapping.get("platform")
    platform = "other"
    if platform_value is not None and "platform" not in found:
        platform = platform_value.lower()
    columns = {k: v for k, v in found.items() if k not in {"platform", "paid"}}
    exported_at, how_exported = exported_at_from(source.path)
    fmt_source = source
    parsed = build_table(raw, fmt_source, columns, platform=platform, account=source.account,
                         exported_at=exported_at)
    frame = raw.frame
    posts = parsed.posts
    reasons = pd.Series(pd.NA, index=frame.index, dtype="string")

    def label(canonical: str) -> str:
        return raw.header[raw.columns.index(found[canonical])]

    if "platform" in found:
        values = frame[found["platform"]].astype("string").str.strip().str.lower()
        bad = values.notna() & ~values.isin(PLATFORMS)
        reasons[bad] = (f"{label('platform')}: expected one of {', '.join(PLATFORMS)}, found '"
                        + values[bad] + "'")
        posts["platform"] = values.loc[posts.index].fillna("other")
    if "paid" in found:
        values = frame[found["paid"]].astype("string").str.strip()
        paid = as_bool(values, _PAID_TRUE, _PAID_FALSE)
        bad = values.notna() & ~values.isin(NA_TOKENS) & paid.isna()
        reasons[bad & reasons.isna()] = (f"{label('paid')}: expected yes/no, true/false or 1/0, found '"
                                         + values[bad & reasons.isna()] + "'")
        posts["paid"] = paid.loc[posts.index]
    if "media_type" in found:
        lowered = frame.loc[posts.index, found["media_type"]].astype("string").str.strip().str.lower()
        mapped = lowered.map(MEDIA_TYPES)
        unknown = lowered.notna() & ~lowered.isin(NA_TOKENS) & mapped.isna()
        posts["media_type"] = mapped.mask(unknown, "other")
    if "published_at" in found:
        posts["time_known"] = time_given(frame.loc[posts.index, found["published_at"]]).to_numpy()
    else:
        posts["time_known"] = False
        parsed.notes.append("no published_at in the mapping: published_at is NaT")
    if "post_id" not in found:
        # the file name keeps rows of different files apart: row numbers are not ids, and two files
        # both have a row 2 (they must not be merged as one post exported twice)
        posts["post_id"] = (f"{source.path.name}:row"
                            + frame.loc[posts.index, "source_row"].astype("string")).astype("string")
        parsed.notes.append("post_id derived from the file name and row number (<file>:row<N>): "
                            "not in the mapping")
    parsed.posts = posts
    reject_rows(parsed, raw, source, reasons)
    parsed.notes.append(f"mapping: {mapping}")
    if "account" not in found and source.account is None:
        parsed.notes.append("account unknown: pass account= or map an account column")
    parsed.notes.append(f"exported_at from the {how_exported}")
    return parsed


register(Format(
    name="generic",
    platform="other",
    description="Any CSV with a user mapping: load(path, mapping={'published_at': 'Date', ...})",
    signature=(),
    date_formats=DATE_FORMATS,
    excel_serial=True,
    parse=parse_generic,
))
