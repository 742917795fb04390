"""Facebook's classic Insights post export ("Facebook Insights Data Export (Post)").

Seen as Excel 2003 SpreadsheetML XML named ``.xls``, as ``.xlsx`` and as CSV. Row 1 is the header,
row 2 holds metric descriptions (not data, not counted as a record); some column names repeat
(``Lifetime Organic views to 95%`` twice), which the reader keeps apart as ``name#2``. The
workbook has 7 sheets whose names are cut at 31 characters (``Lifetime Talking About This(...``).

Mapping choices:

- ``Key Metrics``: ``Post ID``, ``Post Message`` -> text, ``Type`` -> media_type (can be blank),
  ``Posted`` (ISO) -> published_at, taken as UTC (the export states no zone),
  ``Lifetime Post Total Reach``/``Impressions`` -> reach/impressions, ``Lifetime Post
  Consumptions`` (clicks anywhere on the post) -> clicks, ``paid`` = paid impressions > 0.
- Likes, comments and shares come from the ``Lifetime Post Stories by action type`` sheet (counts
  of actions), else from ``Lifetime Talking About This (Post) by action type`` (people who acted),
  joined on ``Post ID`` whatever the order of their ``like``/``comment``/``share`` columns. The
  CSV export has them as ``... by action type - like`` columns. The report says which was used.
- The page is not in the file; it is taken from the file name
  (``Facebook Insights Data Export (Post) - <Page> - <YYYY-MM-DD>``), which also dates the
  export. Otherwise pass ``account=``.
"""

from __future__ import annotations

import re

import pandas as pd

from toolkit.errors import DataFormatError
from toolkit.loading.core import exported_at_from
from toolkit.loading.parse import parse_counts
from toolkit.loading.platforms._common import add_column, build_posts, detect_workbook, file_date
from toolkit.loading.readers import RawTable
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source
from toolkit.loading.workbooks import find_sheet, header_row, read_workbook, sheet_table

COLUMNS = {
    "post_id": "post id",
    "text": "post message",
    "media_type": "type",
    "published_at": "posted",
    "reach": "lifetime post total reach",
    "impressions": "lifetime post total impressions",
    "clicks": "lifetime post consumptions",
}

MEDIA_TYPES = {"Photo": "photo", "Video": "video", "Shared Video": "video", "Link": "link",
               "Status": "text", "Event": "other", "Offer": "other", "Music": "other"}

#: action-type sheets, best first: stories count actions, talking-about counts people
ACTION_SHEETS = ("Lifetime Post Stories by action type",
                 "Lifetime Talking About This (Post) by action type")
ACTIONS = {"likes": "like", "comments": "comment", "shares": "share"}

_NAME = re.compile(r"Facebook Insights Data Export \(Post\) - (?P<page>.+?) - \d{4}-\d{2}-\d{2}", re.I)


def page_from_filename(name: str) -> str | None:
    """The page name in an export's file name.

    >>> page_from_filename("Facebook Insights Data Export (Post) - Northwind Bakery - 2020-07-31.xls")
    'Northwind Bakery'
    """
    match = _NAME.search(name)
    return match.group("page") if match else None


def _without_description(raw: RawTable) -> RawTable:
    """``raw`` without row 2 when it is the description row: no post id, and cells that describe
    metrics (``Lifetime: The number of people ...``). A copy re-saved without it keeps its first
    post (a blind skip would drop it unnoticed)."""
    frame = raw.frame
    if not len(frame) or "post id" not in frame.columns:
        return raw
    first = frame.iloc[0].drop(labels=["source_row"]).astype("string").str.strip()
    described = first.str.match(r"(?i)(lifetime|daily)\b").fillna(False).any()
    no_id = pd.isna(first["post id"]) or first["post id"] == ""
    if no_id and described:
        raw.frame = frame.iloc[1:]
    return raw


def _finish(raw: RawTable, source: Source, actions: dict[str, str], where: str) -> Parsed:
    raw = _without_description(raw)
    columns = {**COLUMNS, **actions}
    account = source.account or page_from_filename(source.path.name)
    exported_at = file_date(source.path)
    how = "file name date"
    if exported_at is None:
        exported_at, how = exported_at_from(source.path)
    parsed = build_posts(raw, source, columns, platform="facebook", account=account,
                         exported_at=exported_at)
    posts = parsed.posts
    paid_col = "lifetime post paid impressions"
    if paid_col in raw.frame.columns and len(posts):
        paid, _ = parse_counts(raw.frame.loc[posts.index, paid_col], paid_col)
        posts["paid"] = (paid > 0).astype("boolean")
    parsed.notes.append(f"likes, comments, shares from {where}" if actions else
                        "no likes/comments/shares columns (no 'by action type' data)")
    parsed.notes.append(f"exported_at from the {how}; Posted taken as UTC")
    if account is None:
        parsed.notes.append("the page is not in the file name: pass account=")
    return parsed


def parse_csv(source: Source) -> Parsed:
    raw = source.table()
    actions = {}
    where = ""
    for sheet in ACTION_SHEETS:
        stem = sheet.lower()
        found = {k: f"{stem} - {v}" for k, v in ACTIONS.items() if f"{stem} - {v}" in raw.frame.columns}
        if found:
            actions, where = found, f"'{sheet}' columns"
            break
    return _finish(raw, source, actions, where)


def parse_workbook(source: Source) -> Parsed:
    book = read_workbook(source.path)
    key = find_sheet(book, "Key Metrics")
    if key is None:
        raise DataFormatError("expected a 'Key Metrics' sheet", file=source.path, found=list(book))
    raw = sheet_table(source.path, key, header_index=header_row(key, ("post id",)))
    actions, where = {}, ""
    for name in ACTION_SHEETS:
        sheet = find_sheet(book, name)
        if sheet is None:
            continue
        # the description row of these sheets has no post id, so it matches no post
        table = sheet_table(source.path, sheet, header_index=header_row(sheet, ("post id",))).frame
        present = {k: v for k, v in ACTIONS.items() if v in table.columns}
        if "post id" not in table.columns or not present:
            continue
        by_id = table.drop_duplicates("post id").set_index("post id")
        ids = raw.frame["post id"]
        for canon, col in present.items():
            add_column(raw, f"__{col}", ids.map(by_id[col]).astype("string"))
            actions[canon] = f"__{col}"
        missing = int((~ids.isin(by_id.index)).sum())
        where = f"sheet {sheet.name!r}" + (f" ({missing} posts not on it: NA)" if missing else "")
        break
    return _finish(raw, source, actions, where)


CSV = register(Format(
    name="facebook_insights_posts_csv",
    platform="facebook",
    description="Facebook classic Insights post export, CSV (description row under the header)",
    signature=("post id", "permalink", "post message", "posted", "lifetime post total reach"),
    columns=COLUMNS,
    date_formats=("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %I:%M:%S %p"),
    media_types=MEDIA_TYPES,
    parse=parse_csv,
))

WORKBOOK = register(Format(
    name="facebook_insights_posts",
    platform="facebook",
    description="Facebook classic Insights post export, .xls (SpreadsheetML XML) or .xlsx workbook",
    signature=("sheet:key metrics", "post id", "posted", "lifetime post total reach"),
    columns=COLUMNS,
    date_formats=("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %I:%M:%S %p"),
    media_types=MEDIA_TYPES,
    detect=detect_workbook,
    extensions=(".xls", ".xlsx", ".ods", ".xml"),
    parse=parse_workbook,
))
