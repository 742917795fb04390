"""LinkedIn exports: the company page's "Update Engagement" sheet and a creator's "Content" workbook.

``linkedin_page_updates`` (CSV, or the ``Update Engagement`` sheet of the page's workbook, the
binary Excel 97-2003 ``.xls`` LinkedIn serves or an ``.xlsx``): a preamble sentence on line 1, the
header on line 2 (``Update title,Update link,Update type,Campaign name,Posted by,Created date,...,
Impressions,Video views,Clicks,Click through rate (CTR),Likes,Comments,Shares,Follows,Engagement
rate``).

- ``post_id`` is the number in the ``urn:li:activity:<id>`` (or ``share``/``ugcPost``) of
  ``Update link``; a link without one is kept whole as the id.
- ``Created date`` is ``M/D/YYYY`` text, an Excel serial (``44193.4123``) or, in a workbook, a
  date cell; ``time_known`` is True only where a time of day other than midnight is given (a
  serial with a fraction).
- ``Update type`` Organic/Sponsored -> ``paid`` False/True.
- The rates (``Click through rate (CTR)``, ``Engagement rate``, floats such as
  ``5.1546389999999999E-3``) are ratios, not counts: they are not loaded (the metrics layer
  recomputes rates from counts). ``Video views`` has no posts column.
- The page name comes from the file name (``<page>_updates_<epoch ms>``) or ``account=``.

``linkedin_creator_content`` (a member's ``Content_<from>_<to>_<Name>.xlsx``), sheets DISCOVERY,
ENGAGEMENT, TOP POSTS, FOLLOWERS, DEMOGRAPHICS:

- ENGAGEMENT (``Date,Impressions,Engagements``, dates as ``M/D/YYYY`` text) -> ``daily``.
- FOLLOWERS (``Total followers on 11/18/2025:,12861`` then ``Date,New followers``) ->
  ``followers``: ``new_follows`` per day, and ``followers`` rebuilt backwards from the end total
  (followers the day before = followers that day - new followers that day). LinkedIn does not
  export unfollows, so the rebuilt earlier totals ignore them: they are lower bounds of the
  true totals (said in the report). A gap in the days or a missing count stops the rebuild (NA
  before it).
- TOP POSTS: a preamble, then two tables side by side (top 50 by engagements | top 50 by
  impressions) with an empty column between them. They are merged into one row per post, keyed
  by the ``urn:li:activity:<id>`` of the post URL; a post in one list only has NA for the other
  list's metric. ``rows_read`` counts posts (distinct URLs), the notes count list entries.
- DISCOVERY and DEMOGRAPHICS are summaries with no canonical table: not loaded (noted).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.errors import DataFormatError
from toolkit.loading.core import exported_at_from
from toolkit.loading.parse import _arrow_strings, _arrow_text, normalise_header
from toolkit.loading.platforms._common import add_column, build_posts, detect_workbook, read_table
from toolkit.loading.readers import RawTable
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source
from toolkit.loading.workbooks import find_sheet, header_row, read_workbook, sheet_table

PAGE_COLUMNS = {
    "post_id": "__id",
    "text": "update title",
    "published_at": "created date",
    "impressions": "impressions",
    "clicks": "clicks",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "follows": "follows",
}

_PAGE_NAME = re.compile(r"^(?P<page>.+?)_updates_(?P<ms>\d{13})", re.I)
_CREATOR_NAME = re.compile(r"^Content_(\d{4}-\d{2}-\d{2})_(?P<end>\d{4}-\d{2}-\d{2})_(?P<name>[^.]+)", re.I)


def activity_ids(links: pd.Series) -> pd.Series:
    """The id in ``urn:li:activity:<id>`` links; the whole link when it has none.

    >>> activity_ids(pd.Series(["https://www.linkedin.com/feed/update/urn:li:activity:7123/", ""])).tolist()
    ['7123', '']
    >>> activity_ids(pd.Series(["https://www.linkedin.com/feed/update/urn:li:activity:7123/",
    ...                         "https://www.linkedin.com/feed/update/urn:li:ugcPost:55?utm=x"])).tolist()
    ['7123', '55']
    >>> activity_ids(pd.Series(["https://www.linkedin.com/company/acme/posts/?update=abc"])).tolist()
    ['https://www.linkedin.com/company/acme/posts/?update=abc']
    """
    text = _arrow_text(links, trim=True)
    # Most links are the feed URL of an activity: cut the prefix and check that digits remain,
    # instead of running the regex over every link.
    rest = pc.utf8_rtrim(pc.utf8_slice_codeunits(text, len(_FEED_ACTIVITY)), characters="/")
    plain = pc.fill_null(pc.and_(pc.starts_with(text, _FEED_ACTIVITY), pc.ascii_is_decimal(rest)), False)
    if pc.all(plain).as_py():
        ids = rest
    else:
        # ``struct_field``, not ``.field``: a link the pattern does not match is a null struct, and
        # only ``struct_field`` carries that null into the field (``.field`` gives ""), so that
        # ``coalesce`` can fall back to the whole link.
        found = pc.struct_field(pc.extract_regex(text, _URN), "id")
        ids = pc.if_else(plain, rest, pc.coalesce(found, text))
    return pd.Series(pd.array(ids, dtype="string"), index=links.index)


_URN = r"urn:li:(?:activity|share|ugcPost):(?P<id>\d+)"
_FEED_ACTIVITY = "https://www.linkedin.com/feed/update/urn:li:activity:"


def page_from_filename(name: str) -> tuple[str | None, pd.Timestamp | None]:
    """Page name and export time from ``<page>_updates_<epoch ms>.xls``.

    >>> page_from_filename("northwind-bakery_updates_1700000000000.csv")
    ('northwind-bakery', Timestamp('2023-11-14 22:13:20+0000', tz='UTC'))
    """
    match = _PAGE_NAME.match(name)
    if not match:
        return None, None
    return match.group("page"), pd.Timestamp(int(match.group("ms")), unit="ms", tz="UTC")


def add_post_ids(raw: RawTable, link: str, label: str) -> None:
    """Add the ``__id`` column: the post id of each link in column ``link`` (see :func:`activity_ids`).

    The new column carries the link column's own header name (``label`` when the file has no such
    column), so a rejected row names the column a person can find in the file ("Update link:
    expected a post id, found an empty cell"), not the internal ``__id``.
    """
    if link in raw.frame.columns:
        ids = activity_ids(raw.frame[link])
        label = raw.header[raw.columns.index(link)]
    else:
        ids = pd.Series(pd.NA, index=raw.frame.index, dtype="string")
    add_column(raw, "__id", ids)
    raw.header[raw.columns.index("__id")] = label


def _page(raw: RawTable, source: Source) -> Parsed:
    add_post_ids(raw, "update link", "Update link")
    page, stamp = page_from_filename(source.path.name)
    account = source.account or page
    how = "file name"
    if stamp is None:
        stamp, how = exported_at_from(source.path)
    parsed = build_posts(raw, source, PAGE_COLUMNS, platform="linkedin", account=account,
                         exported_at=stamp, time_by_cell=False)  # time_known: its own rule, below
    posts = parsed.posts
    if len(posts):
        stamps = posts["published_at"]
        posts["time_known"] = (stamps.notna() & (stamps != stamps.dt.normalize())).astype(bool)
        if "update type" in raw.frame.columns:
            posts["paid"] = _paid(raw.frame["update type"] if raw.frame.index.equals(posts.index)
                                  else raw.frame.loc[posts.index, "update type"])
    parsed.notes.append(f"exported_at from the {how}; rates (CTR, engagement rate) not loaded")
    if account is None:
        parsed.notes.append("the page is not in the file name: pass account=")
    return parsed


def _paid(kind: pd.Series) -> pd.Series:
    """``Update type`` Sponsored/Organic (any case) -> True/False; anything else NA.

    >>> _paid(pd.Series(["Sponsored", " organic", "Boosted", None])).tolist()
    [True, False, <NA>, <NA>]
    """
    lowered = pc.utf8_lower(_arrow_strings(kind))
    sponsored = pc.equal(lowered, "sponsored").to_numpy(zero_copy_only=False)
    organic = pc.equal(lowered, "organic").to_numpy(zero_copy_only=False)
    sponsored = np.where(pd.isna(sponsored), False, sponsored).astype(bool)
    organic = np.where(pd.isna(organic), False, organic).astype(bool)
    return pd.Series(pd.arrays.BooleanArray(sponsored, ~(sponsored | organic)), index=kind.index)


def parse_page_csv(source: Source) -> Parsed:
    return _page(read_table(source, PAGE_COLUMNS, extra=("update link", "update type")), source)


def parse_page_workbook(source: Source) -> Parsed:
    book = read_workbook(source.path)
    sheet = find_sheet(book, "Update Engagement")
    if sheet is None:
        raise DataFormatError("expected an 'Update Engagement' sheet", file=source.path, found=list(book))
    index = header_row(sheet, ("update title", "created date"))
    return _page(sheet_table(source.path, sheet, header_index=index), source)


PAGE_SIGNATURE = ("update title", "update link", "update type", "created date", "impressions")

PAGE_CSV = register(Format(
    name="linkedin_page_updates_csv",
    platform="linkedin",
    description="LinkedIn page 'Update Engagement' export saved as CSV (preamble line, header on line 2)",
    signature=PAGE_SIGNATURE,
    columns=PAGE_COLUMNS,
    date_formats=("%m/%d/%Y", "%m/%d/%Y %H:%M", "%Y-%m-%d"),
    header_search=3,
    parse=parse_page_csv,
))

PAGE_WORKBOOK = register(Format(
    name="linkedin_page_updates",
    platform="linkedin",
    description="LinkedIn page export workbook (.xls as served, or .xlsx), 'Update Engagement' sheet",
    signature=("sheet:update engagement",) + PAGE_SIGNATURE,
    columns=PAGE_COLUMNS,
    date_formats=("%m/%d/%Y", "%m/%d/%Y %H:%M", "%Y-%m-%d"),
    detect=detect_workbook,
    extensions=(".xls", ".xlsx", ".ods"),
    parse=parse_page_workbook,
))


# -- creator "Content" export ------------------------------------------------------------------

def rebuild_followers(new: pd.Series, dates: pd.Series, total: int, total_date: pd.Timestamp) -> pd.Series:
    """Daily follower totals from daily new followers and the total on ``total_date``.

    ``followers[d - 1] = followers[d] - new[d]`` backwards (and forwards after ``total_date``).
    Days before a gap or a missing count are NA.

    >>> days = pd.Series(pd.date_range("2025-11-16", periods=3, tz="UTC"))
    >>> rebuild_followers(pd.Series([2, 0, 5], dtype="Int64"), days, 100, days.iloc[-1]).tolist()
    [95, 95, 100]
    """
    n = len(new)
    out = np.full(n, np.nan)
    values = new.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    days = dates.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize().to_numpy(dtype="datetime64[ns]")
    day = pd.Timestamp(total_date)
    day = (day.tz_convert("UTC").tz_localize(None) if day.tzinfo else day).normalize()
    at = np.flatnonzero(days == day.to_datetime64())
    if not len(at):
        return pd.Series(pd.array(out, dtype="Float64"), index=new.index).round().astype("Int64")
    k = int(at[0])
    out[k] = total
    step = np.timedelta64(1, "D")
    for i in range(k - 1, -1, -1):  # backwards: the day before minus that day's new followers
        if days[i + 1] - days[i] != step or np.isnan(values[i + 1]):
            break
        out[i] = out[i + 1] - values[i + 1]
    for i in range(k + 1, n):
        if days[i] - days[i - 1] != step or np.isnan(values[i]):
            break
        out[i] = out[i - 1] + values[i]
    return pd.Series(pd.array(out, dtype="Float64"), index=new.index).round().astype("Int64")


def _merge_top_posts(path, sheet) -> tuple[RawTable, int]:
    """The two side-by-side TOP POSTS tables as one table, one record per post URL."""
    index = next((i for i, (_, cells) in enumerate(sheet.rows[:8])
                  if [normalise_header(c) for c in cells].count("post url") >= 2), None)
    if index is None:
        index = header_row(sheet, ("post url",), search=8)
    header = [normalise_header(c) for c in sheet.rows[index][1]]
    starts = [i for i, h in enumerate(header) if h == "post url"]
    if not starts:
        raise DataFormatError(f"sheet {sheet.name!r}: expected a header row with 'Post URL' in its "
                              "first 8 rows", file=path, found=[cells[:3] for _, cells in sheet.rows[:3]])
    blocks = []
    labels: dict[str, str] = {}  # normalised column -> its name as written in the sheet
    for j, start in enumerate(starts):
        end = starts[j + 1] if j + 1 < len(starts) else len(header)
        while end > start and header[end - 1] == "":
            end -= 1
        block = sheet_table(path, sheet, header_index=index, columns=slice(start, end))
        labels.update(zip(block.columns, block.header))
        blocks.append(block.frame)
    entries = pd.concat(blocks, ignore_index=True)
    n_entries = len(entries)
    url = entries["post url"].astype("string").str.strip()
    key = activity_ids(url).mask(url == "", None)
    entries["__key"] = key.fillna("row" + entries["source_row"].astype("string"))
    entries["__order"] = range(len(entries))
    agg = {c: "first" for c in entries.columns if c not in {"__key"}}
    merged = entries.sort_values("__order").groupby("__key", sort=False).agg(agg)
    merged = merged.sort_values("source_row", kind="stable").drop(columns="__order").reset_index(drop=True)
    for col in merged.columns:
        if col != "source_row":
            merged[col] = merged[col].astype("string")
    merged["source_row"] = merged["source_row"].astype("Int64")
    names = [labels.get(c, c) for c in merged.columns if c != "source_row"]
    return RawTable(path=path, frame=merged, header=names, encoding="xlsx"), n_entries


def _combine(parts: list[Parsed]) -> Parsed:
    out = Parsed(rows_read=sum(p.rows_read for p in parts), encoding="xlsx",
                 account=next((p.account for p in parts if p.account), None))
    for table in ("posts", "followers", "daily"):
        frames = [getattr(p, table) for p in parts if getattr(p, table) is not None]
        if frames:
            setattr(out, table, pd.concat(frames))
    rejected = [p.rejected for p in parts if p.rejected is not None and len(p.rejected)]
    out.rejected = pd.concat(rejected, ignore_index=True) if rejected else parts[0].rejected
    for p in parts:
        out.notes.extend(p.notes)
    return out


def parse_creator(source: Source) -> Parsed:
    path = source.path
    book = read_workbook(path)
    match = _CREATOR_NAME.match(path.name)
    account = source.account or (match.group("name") if match else None)
    if match:
        exported_at = pd.Timestamp(match.group("end"), tz="UTC") + pd.Timedelta(days=1, seconds=-1)
        how = "file name date range"
    else:
        exported_at, how = exported_at_from(path)
    parts: list[Parsed] = []

    sheet = find_sheet(book, "ENGAGEMENT")
    if sheet is not None:
        raw = sheet_table(path, sheet, header_index=header_row(sheet, ("date", "impressions")))
        parts.append(build_posts(raw, source, {"date": "date", "impressions": "impressions",
                                               "engagements": "engagements"},
                                 table="daily", date_key="date", platform="linkedin", account=account,
                                 required=("date",)))

    sheet = find_sheet(book, "FOLLOWERS")
    if sheet is not None:
        raw = sheet_table(path, sheet, header_index=header_row(sheet, ("date", "new followers")))
        part = build_posts(raw, source, {"date": "date", "new_follows": "new followers"},
                           table="followers", date_key="date", platform="linkedin", account=account,
                           required=("date",))
        followers = part.followers.sort_values("date", kind="stable")
        first = " ".join(sheet.rows[0][1]) if sheet.rows else ""
        # the count ends the line: "12.861" or "12 861" must not be read as 12
        found = re.search(r"total followers on (\d{1,2}/\d{1,2}/\d{4})\D*?(\d[\d,]*)\s*$", first, re.I)
        day = pd.to_datetime(found.group(1), format="%m/%d/%Y", errors="coerce") if found else pd.NaT
        if not pd.isna(day):
            total = int(found.group(2).replace(",", ""))
            day = pd.Timestamp(day, tz="UTC")
            rebuilt = rebuild_followers(followers["new_follows"], followers["date"], total, day)
            below = (rebuilt < 0).fillna(False)
            followers["followers"] = rebuilt.mask(below)  # a bound below zero says nothing
            part.notes.append(f"followers rebuilt backwards from {total} on {day.date()} minus daily new "
                              "followers; LinkedIn exports no unfollows, so earlier totals are lower bounds")
            if below.any():
                part.notes.append(f"{int(below.sum())} rebuilt follower totals went below zero (more new "
                                  "followers than the total: the others unfollowed): left unknown")
            unknown = int((followers["followers"].isna() & ~below).sum())
            if unknown:
                part.notes.append(f"{unknown} follower totals unknown "
                                  "(a gap in the days or before/after the total's date)")
        else:
            part.notes.append(f"no 'Total followers on M/D/YYYY:' line with a count (found: '{first}'): "
                              "only daily new followers loaded")
        part.followers = followers
        parts.append(part)

    sheet = find_sheet(book, "TOP POSTS")
    if sheet is not None and sheet.rows:
        raw, n_entries = _merge_top_posts(path, sheet)
        add_post_ids(raw, "post url", "Post URL")
        part = build_posts(raw, source, {"post_id": "__id", "published_at": "post publish date",
                                         "engagements": "engagements", "impressions": "impressions"},
                           platform="linkedin", account=account, exported_at=exported_at)
        part.notes.append(f"TOP POSTS: {n_entries} list entries describe {part.rows_read} posts "
                          "(top by engagements | top by impressions, merged by URL)")
        parts.append(part)

    if not parts:
        raise DataFormatError("expected ENGAGEMENT, FOLLOWERS or TOP POSTS sheets", file=path, found=list(book))
    parsed = _combine(parts)
    parsed.exported_at = exported_at
    skipped = [s for s in book if normalise_header(s) in {"discovery", "demographics"}]
    if skipped:
        parsed.notes.append(f"sheets not loaded (summaries): {', '.join(skipped)}")
    parsed.notes.append(f"exported_at from the {how}")
    if account is None:
        parsed.notes.append("the member is not in the file name: pass account=")
    return parsed


CREATOR = register(Format(
    name="linkedin_creator_content",
    platform="linkedin",
    description="LinkedIn creator 'Content' export workbook (ENGAGEMENT, FOLLOWERS, TOP POSTS)",
    signature=("sheet:engagement", "sheet:top posts", "sheet:followers"),
    table="posts",
    date_formats=("%m/%d/%Y",),
    date_only=True,
    detect=detect_workbook,
    extensions=(".xlsx", ".xls", ".ods"),
    options={"day_month_order": "mdy"},
    parse=parse_creator,
))
