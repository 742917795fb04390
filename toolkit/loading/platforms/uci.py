"""The UCI "Facebook metrics" file (Moro, Rita & Vala 2016; ``data/real/dataset_Facebook.csv``).

500 posts of one cosmetics brand's Facebook page in 2014, ``;``-separated, CRLF, with blank cells.
Mapping: ``Page total likes`` -> ``followers`` (the page's audience when the post went out),
``Type`` -> ``media_type`` (Status -> text), ``Category`` -> ``content_label`` (1 ``action``,
2 ``product``, 3 ``inspiration``), ``Paid`` -> ``paid``, ``like``/``comment``/``share`` ->
likes/comments/shares, ``Lifetime Post Total Reach``/``Impressions`` -> reach/impressions. Blank
cells stay NA. ``Total Interactions`` is the authors' sum of the three counts (blanks as 0), not a
platform total, so ``engagements`` stays NA.

Post ids
    The file has none. ``post_id`` is derived from the row: ``uci-row<N>`` where ``N`` is the row
    number a spreadsheet shows (the header is row 1). The report says so.

Dates (the decision, and why)
    The file has no dates: only ``Post Month`` (1-12), ``Post Weekday`` (1-7, first day not
    documented) and ``Post Hour``, and the rows run newest first. ``published_at`` is therefore a
    *reconstruction*, flagged by ``time_known = False`` and a note in the report:

    - year 2014 (the publication says the posts are from 2014);
    - weekday 1 = Sunday: read oldest first, the month/weekday sequence fits the 2014 calendar
      without a contradiction only with this numbering (every other numbering forces a post into
      the following month);
    - the day is the *earliest* date in that month with that weekday that is not before the
      previous (older) post's date; the real day may be a whole number of weeks later, so month,
      weekday, hour and order are right and the day of the month is a lower bound;
    - the time is ``Post Hour``:00 (the file does not say which time zone; it is stored as UTC).

    This keeps what the file states (order, month, weekday, hour) usable by the analyses, which
    need a time axis, instead of leaving 500 posts without one; nothing else is inferred. If the
    rows are not newest first (months out of order), no date is reconstructed: ``published_at``
    is NaT and the report says so.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from toolkit.loading.build import build_table, reject_rows
from toolkit.loading.parse import NA_TOKENS, as_bool, parse_counts
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source

__all__ = ["reconstruct_dates", "CATEGORY_LABELS", "DATE_NOTE"]

YEAR = 2014
DEFAULT_ACCOUNT = "uci_cosmetics_brand"

#: ``Category`` code -> content label (SOURCE.md)
CATEGORY_LABELS = {"1": "action", "2": "product", "3": "inspiration"}

#: The sentence the report (and data/README.md) carries about the reconstructed dates.
DATE_NOTE = ("published_at is reconstructed, not read: the file has no dates, only Post Month, "
             "Post Weekday and Post Hour, with rows newest first; each post is dated to the "
             "earliest 2014 day with its month and weekday (1 = Sunday, the only numbering that "
             "fits the row order) not before the previous post, at Post Hour:00 (time zone unknown, "
             "stored as UTC); the true day may be whole weeks later; time_known is False")

COLUMNS = {
    "followers": "page total likes",
    "media_type": "type",
    "reach": "lifetime post total reach",
    "impressions": "lifetime post total impressions",
    "likes": "like",
    "comments": "comment",
    "shares": "share",
}


def reconstruct_dates(month, weekday, hour, year: int = YEAR) -> pd.Series:
    """Earliest dates consistent with month, weekday (1 = Sunday) and order, oldest row first.

    ``month``, ``weekday`` and ``hour`` are integer sequences in time order (oldest first).
    Returns UTC timestamps; NaT for every row when the months are not in order.

    >>> reconstruct_dates([1, 1, 1, 2], [4, 4, 6, 1], [9, 14, 8, 10]).dt.strftime("%a %d %b %H:%M").tolist()
    ['Wed 01 Jan 09:00', 'Wed 01 Jan 14:00', 'Fri 03 Jan 08:00', 'Sun 02 Feb 10:00']
    """
    month = np.asarray(month, dtype="int64")
    weekday = np.asarray(weekday, dtype="int64")
    hour = np.asarray(hour, dtype="int64")
    n = len(month)
    out = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    if n == 0 or np.any(np.diff(month) < 0):
        return out
    stamps = []
    previous: dt.date | None = None
    for m, w, h in zip(month.tolist(), weekday.tolist(), hour.tolist()):
        python_weekday = (w + 5) % 7  # 1 = Sunday -> 6 in Python's Monday = 0
        day = previous if previous is not None and previous.month == m else dt.date(year, m, 1)
        while day.weekday() != python_weekday:
            day += dt.timedelta(days=1)
        if day.month != m:  # the order cannot be fitted to the calendar: no dates at all
            return out
        stamps.append(pd.Timestamp(day.year, day.month, day.day, h, tz="UTC"))
        previous = day
    return pd.Series(pd.DatetimeIndex(stamps).as_unit("ns"), index=range(n))


def _ranged(values: pd.Series, column: str, low: int, high: int) -> tuple[pd.Series, pd.Series]:
    numbers, why = parse_counts(values, column)
    out = (numbers < low) | (numbers > high)
    out = out.fillna(False)
    missing = numbers.isna() & why.isna()
    why = why.copy()
    why[out] = f"{column}: expected {low} to {high}, found '" + values[out].astype("string") + "'"
    why[missing] = f"{column}: expected {low} to {high}, found an empty cell"
    return numbers, why


def parse_uci(source: Source) -> Parsed:
    raw = source.table()
    frame = raw.frame
    account = source.account or DEFAULT_ACCOUNT
    exported_at = None  # the file is a published data set, not a dated export
    parsed = build_table(raw, source, COLUMNS, platform="facebook", account=account,
                         exported_at=exported_at)
    label = {c: raw.header[raw.columns.index(c)] for c in raw.columns}
    month, why_m = _ranged(frame["post month"], label["post month"], 1, 12)
    weekday, why_w = _ranged(frame["post weekday"], label["post weekday"], 1, 7)
    hour, why_h = _ranged(frame["post hour"], label["post hour"], 0, 23)

    category = frame["category"].astype("string").str.strip()
    content = category.map(CATEGORY_LABELS).astype("string")
    bad_cat = category.notna() & ~category.isin(NA_TOKENS) & content.isna()
    why_c = pd.Series(pd.NA, index=frame.index, dtype="string")
    why_c[bad_cat] = f"{label['category']}: expected 1, 2 or 3, found '" + category[bad_cat] + "'"

    paid_raw = frame["paid"].astype("string").str.strip()
    paid = as_bool(paid_raw, ["1", "1.0"], ["0", "0.0"])
    bad_paid = paid_raw.notna() & ~paid_raw.isin(NA_TOKENS) & paid.isna()
    why_p = pd.Series(pd.NA, index=frame.index, dtype="string")
    why_p[bad_paid] = f"{label['paid']}: expected 0 or 1, found '" + paid_raw[bad_paid] + "'"

    reasons = why_m.fillna(why_w).fillna(why_h).fillna(why_c).fillna(why_p)
    reject_rows(parsed, raw, source, reasons)
    posts = parsed.posts
    idx = posts.index
    posts["content_label"] = content.loc[idx]
    posts["paid"] = paid.loc[idx]
    posts["post_id"] = ("uci-row" + frame.loc[idx, "source_row"].astype("string")).astype("string")
    posts["time_known"] = False
    # Rows run newest first: reconstruct oldest first, then put the dates back on their rows.
    oldest_first = idx[::-1]
    stamps = reconstruct_dates(month.loc[oldest_first].to_numpy(dtype="int64"),
                               weekday.loc[oldest_first].to_numpy(dtype="int64"),
                               hour.loc[oldest_first].to_numpy(dtype="int64"))
    # .array keeps the time zone, even when no date could be reconstructed (all NaT)
    posts["published_at"] = pd.Series(stamps.array, index=oldest_first).reindex(idx)
    parsed.posts = posts
    if len(posts) and posts["published_at"].isna().all():
        parsed.notes.append("rows are not newest first by Post Month, so no dates were "
                            "reconstructed: published_at is NaT")
    else:
        parsed.notes.append(DATE_NOTE)
    parsed.notes.append("post_id derived from the row number (uci-row<N>): the file has no ids")
    parsed.notes.append("engagements left NA: Total Interactions is the sum of like, comment and "
                        "share, not a platform total")
    if source.account is None:
        parsed.notes.append(f"account named {DEFAULT_ACCOUNT!r} (the file does not name the page)")
    return parsed


register(Format(
    name="uci_facebook",
    platform="facebook",
    description="UCI Facebook metrics (Moro et al. 2016): 500 posts of a cosmetics brand, 2014",
    signature=("page total likes", "type", "category", "post month", "post weekday", "post hour",
               "paid", "lifetime post total reach"),
    columns=COLUMNS,
    media_types={"photo": "photo", "status": "text", "link": "link", "video": "video"},
    parse=parse_uci,
))
