"""X (Twitter) exports.

- ``x_legacy_posts`` / ``x_legacy_posts_pt``: the legacy per-post "tweet activity" export
  (``tweet_activity_metrics_<handle>_<from>_<to>_<lang>.csv``), English and Portuguese headers
  (trailing colons removed by header normalisation; ``favorites``/``favoritos`` are ``likes``).
  Counts are the organic (unprefixed) columns; ``paid`` is True when the ``promoted impressions``
  cell holds a count above zero, False when it is ``-`` or 0. Every field is quoted and texts hold
  raw newlines; counts may be written as floats (``"215.0"``).
- ``x_legacy_daily``: the legacy daily file (``Date``, ``Tweets published``, ...) -> ``Dataset.daily``.
- ``x_analytics_posts``: the 2024+ account-analytics per-post export (both header variants).
  ``Date`` is a day without a time (``"Thu, Apr 23, 2026"`` or ``Mon Feb 10 2025``), so
  ``time_known`` is False. ``Reposts`` -> shares, ``Replies`` -> comments, ``Bookmarks`` -> saves,
  ``URL Clicks`` -> clicks, ``New follows`` -> follows, ``Engagements`` -> engagements. The export's
  ``Shares`` column (shares by message or link, not reposts) has no canonical column and is not
  loaded.
- ``x_analytics_daily``: the 2024+ daily overview file: ``New follows``/``Unfollows`` become the
  ``followers`` table's flows (``followers`` itself stays NA: the file has no level), the other
  columns become ``Dataset.daily``.

The account is, in order: ``load(account=...)``, the handle in a legacy file name, the handle in the
post links of the file.
"""

from __future__ import annotations

import re

import pandas as pd

from toolkit.loading.build import build_table, reject_rows, resolve
from toolkit.loading.core import exported_at_from
from toolkit.loading.parse import parse_counts
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source

__all__ = ["account_from_filename", "account_from_links", "LEGACY_COLUMNS", "ANALYTICS_COLUMNS"]

_LEGACY_NAME = re.compile(
    r"^(?:daily_)?tweet_activity_metrics_(?P<handle>.+?)_(\d{8})_(\d{8})(?:_(\w+))?\.csv$", re.I)
_ANALYTICS_NAME = re.compile(
    r"^account_(?:analytics_content|overview_analytics)_(?P<handle>[A-Za-z0-9_]+?)_"
    r"\d{4}-?\d{2}-?\d{2}_\d{4}-?\d{2}-?\d{2}\.csv$", re.I)
_LINK_HANDLE = r"(?:twitter|x)\.com/([A-Za-z0-9_]{1,15})/status"

#: canonical column -> header names in the English and Portuguese exports (normalised)
LEGACY_COLUMNS = {
    "post_id": ("tweet id", "id do tweet"),
    "published_at": ("time", "horário"),
    "text": ("tweet text", "texto do tweet"),
    "impressions": ("impressions", "impressões"),
    "engagements": ("engagements", "engajamentos"),
    "shares": ("retweets",),
    "comments": ("replies", "respostas"),
    "likes": ("likes", "favorites", "favoritos"),
    "profile_visits": ("user profile clicks", "cliques no perfil do usuário"),
    "clicks": ("url clicks", "cliques no url"),
    "follows": ("follows", "seguiram", "seguidores"),
}

#: the legacy daily file -> ``daily``
LEGACY_DAILY_COLUMNS = {
    "date": ("date", "data"),
    "posts": ("tweets published", "tweets publicados"),
    "impressions": ("impressions", "impressões"),
    "engagements": ("engagements", "engajamentos"),
    "shares": ("retweets",),
    "comments": ("replies", "respostas"),
    "likes": ("likes", "favorites", "favoritos"),
    "profile_visits": ("user profile clicks", "cliques no perfil do usuário"),
    "clicks": ("url clicks", "cliques no url"),
    "video_views": ("media views",),
}

#: the 2024+ per-post export (both header variants) -> ``posts``
ANALYTICS_COLUMNS = {
    "post_id": "post id",
    "published_at": "date",
    "text": "post text",
    "impressions": "impressions",
    "likes": "likes",
    "engagements": "engagements",
    "saves": "bookmarks",
    "follows": "new follows",
    "comments": "replies",
    "shares": "reposts",
    "profile_visits": "profile visits",
    "clicks": "url clicks",
}

#: the 2024+ daily overview file -> ``daily``
ANALYTICS_DAILY_COLUMNS = {
    "date": "date",
    "impressions": "impressions",
    "likes": "likes",
    "engagements": "engagements",
    "comments": "replies",
    "shares": "reposts",
    "profile_visits": "profile visits",
    "posts": "create post",
    "video_views": "video views",
}

#: the daily overview file's follower flows -> ``followers``
ANALYTICS_FLOW_COLUMNS = {"date": "date", "new_follows": "new follows", "unfollows": "unfollows"}

_ANALYTICS_DATES = ("%a, %b %d, %Y", "%a %b %d %Y", "%Y-%m-%d")


def account_from_filename(name: str) -> str | None:
    """The handle in a legacy export's file name.

    >>> account_from_filename("tweet_activity_metrics_north_wind_20240101_20240331_en.csv")
    'north_wind'
    >>> account_from_filename("daily_tweet_activity_metrics_north_wind_20240101_20240331_en.csv")
    'north_wind'
    >>> account_from_filename("account_overview_analytics_north_wind_20240101_20250630.csv")
    'north_wind'
    >>> account_from_filename("account_analytics_content_2025-01-12_2025-02-10.csv") is None
    True
    """
    match = _LEGACY_NAME.match(name) or _ANALYTICS_NAME.match(name)
    return match.group("handle") if match else None


def account_from_links(links: pd.Series) -> str | None:
    """The handle that the post links of a file name, when they all name the same one.

    >>> account_from_links(pd.Series(["https://x.com/north_wind/status/1", None]))
    'north_wind'
    """
    handles = links.dropna().astype("string").head(1000).str.extract(_LINK_HANDLE, expand=False).dropna()
    unique = handles.unique()
    return str(unique[0]) if len(unique) == 1 else None


def _account(source: Source, raw, link_column: tuple[str, ...]) -> tuple[str | None, str]:
    if source.account is not None:
        return source.account, "the account= argument"
    handle = account_from_filename(source.path.name)
    if handle is not None:
        return handle, "the file name"
    column = resolve(raw, link_column)
    if column is not None:
        handle = account_from_links(raw.frame[column])
        if handle is not None:
            return handle, f"the post links ({raw.header[raw.columns.index(column)]!r})"
    return None, ""


def _finish(parsed: Parsed, account: str | None, how_account: str, how_exported: str) -> Parsed:
    parsed.notes.append(f"exported_at from the {how_exported}")
    if account is None:
        parsed.notes.append("account unknown (not in the file name or links): pass account=")
    else:
        parsed.notes.append(f"account from {how_account}")
    return parsed


_LEGACY_LINKS = ("tweet permalink", "link permanente do tweet")
_LEGACY_PROMOTED = ("promoted impressions", "impressões promovido(a)(s)", "impressões promovidas",
                    "impressões promovido")


def _wanted(columns: dict, *more: tuple[str, ...]) -> list[str]:
    names = [a for aliases in columns.values() for a in ((aliases,) if isinstance(aliases, str) else aliases)]
    return names + [a for group in more for a in group]


def parse_legacy_posts(source: Source) -> Parsed:
    # Only the mapped columns are read (40 -> 13): the export is often large.
    links = () if source.account or account_from_filename(source.path.name) else _LEGACY_LINKS
    raw = source.table(columns=_wanted(LEGACY_COLUMNS, _LEGACY_PROMOTED, links))
    account, how = _account(source, raw, _LEGACY_LINKS)
    exported_at, how_exported = exported_at_from(source.path)
    parsed = build_table(raw, source, LEGACY_COLUMNS, platform="x", account=account,
                         exported_at=exported_at, required=("post_id", "published_at"))
    posts = parsed.posts
    promoted_col = resolve(raw, _LEGACY_PROMOTED)
    if promoted_col is not None:
        promoted, why = parse_counts(raw.frame.loc[posts.index, promoted_col],
                                     raw.header[raw.columns.index(promoted_col)])
        posts["paid"] = (promoted > 0).astype("boolean").fillna(False)
        parsed.posts = posts
        reject_rows(parsed, raw, source, why)
    return _finish(parsed, account, how, how_exported)


def parse_legacy_daily(source: Source) -> Parsed:
    raw = source.table()
    account, how = _account(source, raw, ())
    exported_at, how_exported = exported_at_from(source.path)
    parsed = build_table(raw, source, LEGACY_DAILY_COLUMNS, table="daily", platform="x",
                         account=account, exported_at=exported_at, required=("date",))
    return _finish(parsed, account, how, how_exported)


def parse_analytics_posts(source: Source) -> Parsed:
    raw = source.table()
    account, how = _account(source, raw, ("post link", "link"))
    exported_at, how_exported = exported_at_from(source.path)
    parsed = build_table(raw, source, ANALYTICS_COLUMNS, platform="x", account=account,
                         exported_at=exported_at, required=("post_id", "published_at"))
    parsed.notes.append("dates without a time of day: time_known is False")
    return _finish(parsed, account, how, how_exported)


def parse_analytics_daily(source: Source) -> Parsed:
    """Daily totals -> ``daily``; the same records' follower flows -> ``followers``."""
    raw = source.table()
    account = source.account or account_from_filename(source.path.name)
    exported_at, how_exported = exported_at_from(source.path)
    parsed = build_table(raw, source, ANALYTICS_DAILY_COLUMNS, table="daily", platform="x",
                         account=account, exported_at=exported_at, required=("date",))
    flows = build_table(raw, source, ANALYTICS_FLOW_COLUMNS, table="followers", platform="x",
                        account=account, exported_at=exported_at,
                        required=("date", "new_follows", "unfollows"))
    # A record is loaded only if both of its tables could be read; else it is rejected once.
    flow_reasons = pd.Series(pd.NA, index=raw.frame.index, dtype="string")
    if len(flows.rejected):
        bad_rows = raw.frame.index[raw.frame["source_row"].isin(flows.rejected["source_row"])]
        flow_reasons[bad_rows] = flows.rejected.set_index("source_row").loc[
            raw.frame.loc[bad_rows, "source_row"], "reason"].to_numpy()
    reject_rows(parsed, raw, source, flow_reasons, table="daily")
    parsed.followers = flows.followers.loc[flows.followers.index.isin(parsed.daily.index)]
    parsed.rows_loaded = len(parsed.daily)
    parsed.derived_tables = ("followers",)
    parsed.notes.append("New follows/Unfollows -> followers table flows (followers level NA)")
    if account is None:
        parsed.notes.append("account unknown (not in the file name): pass account= "
                            "to join its followers onto posts")
    parsed.notes.append(f"exported_at from the {how_exported}")
    return parsed


register(Format(
    name="x_legacy_posts",
    platform="x",
    description="X/Twitter legacy per-post tweet activity export (English headers)",
    signature=("tweet id", "tweet text", "time", "impressions"),
    columns=LEGACY_COLUMNS,
    date_formats=("%Y-%m-%d %H:%M %z",),
    parse=parse_legacy_posts,
))

register(Format(
    name="x_legacy_posts_pt",
    platform="x",
    description="X/Twitter legacy per-post tweet activity export, Portuguese headers",
    signature=("id do tweet", "texto do tweet", "horário", "impressões"),
    columns=LEGACY_COLUMNS,
    date_formats=("%Y-%m-%d %H:%M %z",),
    parse=parse_legacy_posts,
))

register(Format(
    name="x_legacy_daily",
    platform="x",
    description="X/Twitter legacy daily tweet activity file (account totals per day)",
    signature=("date", "tweets published", "impressions", "engagements"),
    table="daily",
    columns=LEGACY_DAILY_COLUMNS,
    date_formats=("%Y-%m-%d",),
    date_only=True,
    parse=parse_legacy_daily,
))

register(Format(
    name="x_analytics_posts",
    platform="x",
    description="X account analytics per-post export (2024 on, both header variants)",
    signature=("post id", "date", "post text", "impressions", "engagements", "bookmarks", "reposts"),
    columns=ANALYTICS_COLUMNS,
    date_formats=_ANALYTICS_DATES,
    date_only=True,
    parse=parse_analytics_posts,
))

register(Format(
    name="x_analytics_daily",
    platform="x",
    description="X account analytics daily overview (2024 on): totals and follower flows",
    signature=("date", "impressions", "new follows", "unfollows", "create post"),
    table="daily",
    columns=ANALYTICS_DAILY_COLUMNS,
    date_formats=_ANALYTICS_DATES,
    date_only=True,
    parse=parse_analytics_daily,
))
