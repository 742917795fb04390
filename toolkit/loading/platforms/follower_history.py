"""Follower history CSVs -> the ``followers`` table (joined onto posts: the latest count on or
before the publish day, at most 7 days old).

Two shapes, recognised from the header:

- ``follower_history``: ``date,followers`` (the audience size each day; optional ``new_follows``,
  ``unfollows``, ``account`` and ``platform`` columns);
- ``follower_flows``: ``date,new_follows,unfollows`` (daily flows only: ``followers`` stays NA,
  because a level cannot be made up from flows without a starting point).

``date`` is ISO (``2024-03-01``) or ``M/D/YYYY``. The account is the file's ``account`` column,
else ``load(account=...)``; the platform is the file's ``platform`` column, else left open (NA),
which lets the history join onto posts of that account on any platform.
"""

from __future__ import annotations

import pandas as pd

from toolkit.loading.build import build_table, reject_rows, resolve
from toolkit.loading.core import exported_at_from
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source
from toolkit.schema import PLATFORMS

COLUMNS = {
    "date": ("date", "day"),
    "followers": ("followers", "follower count", "total followers"),
    "new_follows": ("new_follows", "new follows", "new followers"),
    "unfollows": ("unfollows", "lost followers"),
    "account": ("account",),
}

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "ISO8601")


def parse_follower_history(source: Source) -> Parsed:
    raw = source.table()
    exported_at, _ = exported_at_from(source.path)
    parsed = build_table(raw, source, COLUMNS, table="followers", platform=None,
                         account=source.account, exported_at=exported_at, required=("date",))
    followers = parsed.followers
    platform_col = resolve(raw, ("platform",))
    if platform_col is not None:
        values = raw.frame[platform_col].astype("string").str.strip().str.lower()
        bad = values.notna() & (values != "") & ~values.isin(PLATFORMS)
        why = pd.Series(pd.NA, index=raw.frame.index, dtype="string")
        why[bad] = "platform: expected one of " + ", ".join(PLATFORMS) + ", found '" + values[bad] + "'"
        followers["platform"] = values.loc[followers.index].replace("", pd.NA)
        parsed.followers = followers
        reject_rows(parsed, raw, source, why, table="followers")
    if "account" not in raw.frame.columns and source.account is None:
        parsed.notes.append("account unknown: pass account= so the history joins onto posts")
    if resolve(raw, COLUMNS["followers"]) is None:
        parsed.notes.append("daily flows only: followers level is NA")
    return parsed


register(Format(
    name="follower_history",
    platform="other",
    description="Follower history CSV: date,followers (audience size per day)",
    signature=("date", "followers"),
    table="followers",
    columns=COLUMNS,
    date_formats=DATE_FORMATS,
    date_only=True,
    parse=parse_follower_history,
))

register(Format(
    name="follower_flows",
    platform="other",
    description="Follower flows CSV: date,new_follows,unfollows (gained and lost per day)",
    signature=("date", "new_follows", "unfollows"),
    table="followers",
    columns=COLUMNS,
    date_formats=DATE_FORMATS,
    date_only=True,
    parse=parse_follower_history,
))
