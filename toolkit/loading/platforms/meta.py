"""Meta Business Suite exports (Facebook and Instagram, 2022 on).

- ``meta_facebook_posts`` / ``meta_instagram_posts``: the per-post CSV (UTF-8 with BOM). Its 32-34
  columns change from month to month, so a file is recognised by a stable core (post id, page or
  account columns, publish time, permalink, post type) and every other column is optional.
  Instagram's API renamed ``impressions`` to ``views`` in 2025: ``Views`` fills ``impressions``
  when there is no ``Impressions`` column (the report says so, because views also count repeat
  plays and are not strictly the same measure). The platform comes from the columns (``Page``
  vs ``Account``) and, row by row, from ``Post type`` (``IG image``, ``IG reel``, ... are
  Instagram). ``Reactions`` (Facebook) and ``Likes`` (Instagram) fill ``likes``. ``Publish time``
  (``10/26/2023 10:00``) states no time zone: it is taken as UTC.
- ``meta_daily``: page-level daily files (``Reach.csv``, ``Follows.csv``, ...), UTF-16LE with two
  preamble lines (``sep=,`` then the metric name) and ``Date,Primary``. The metric name decides
  the column of the ``daily`` table (or, for follows, the ``followers`` table's ``new_follows``).
"""

from __future__ import annotations

import pandas as pd

from toolkit.errors import DataFormatError
from toolkit.loading.build import build_table, resolve
from toolkit.loading.core import exported_at_from
from toolkit.loading.parse import normalise_header
from toolkit.loading.platforms._common import add_invalid, build_posts, read_table, tidy
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source

POST_COLUMNS = {
    "account": ("page name", "account username"),
    "post_id": "post id",
    "published_at": "publish time",
    "text": ("description", "title"),
    "media_type": "post type",
    "impressions": ("impressions", "views"),
    "reach": "reach",
    "likes": ("reactions", "likes"),
    "comments": "comments",
    "shares": "shares",
    "saves": "saves",
    "clicks": "total clicks",
    "profile_visits": "profile visits",
    "follows": "follows",
}

MEDIA_TYPES = {
    "Photos": "photo", "Photo": "photo", "IG image": "photo", "IG carousel": "photo",
    "Videos": "video", "Video": "video", "Reels": "video", "IG reel": "video", "IG video": "video",
    "Links": "link", "Link": "link", "Text": "text", "Status": "text", "IG story": "other",
}


def parse_posts(source: Source) -> Parsed:
    raw = read_table(source, POST_COLUMNS)
    exported_at, how = exported_at_from(source.path)
    columns = dict(POST_COLUMNS)
    # The post text is in Description; Title only holds video titles.
    parsed = build_posts(raw, source, columns, platform=source.format.platform, account=source.account,
                         exported_at=exported_at)
    posts = parsed.posts
    kind = resolve(raw, "post type")
    if kind is not None and len(posts):
        types = raw.frame.loc[posts.index, kind].astype("string").str.strip()
        is_ig = types.str.startswith("IG ").fillna(False)
        posts["platform"] = posts["platform"].where(~is_ig, "instagram")
        is_fb = types.notna() & ~is_ig & (source.format.platform == "instagram")
        if is_fb.any():
            parsed.notes.append(f"{int(is_fb.sum())} rows of an Instagram export have a non-IG post type")
    title = resolve(raw, "title")
    if title is not None and resolve(raw, "description") is not None and len(posts):
        titles = raw.frame.loc[posts.index, title].astype("string").str.strip()
        posts["text"] = posts["text"].fillna(titles.mask(titles == ""))
    used = resolve(raw, POST_COLUMNS["impressions"])
    if used == "views":
        parsed.notes.append("impressions are Meta's 'Views' (the 2025 successor of impressions; "
                            "counts repeat views)")
    parsed.notes.append(f"exported_at from the {how}; Publish time taken as UTC (no zone stated)")
    return parsed


_CORE = ("post id", "publish time", "permalink", "post type")

FACEBOOK = register(Format(
    name="meta_facebook_posts",
    platform="facebook",
    description="Meta Business Suite post export, Facebook page (columns drift by month)",
    signature=_CORE + ("page id", "page name"),
    columns=POST_COLUMNS,
    date_formats=("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"),
    media_types=MEDIA_TYPES,
    parse=parse_posts,
))

INSTAGRAM = register(Format(
    name="meta_instagram_posts",
    platform="instagram",
    description="Meta Business Suite post export, Instagram account (columns drift by month)",
    signature=_CORE + ("account id", "account username"),
    columns=POST_COLUMNS,
    date_formats=("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"),
    media_types=MEDIA_TYPES,
    parse=parse_posts,
))

#: metric name on the preamble line (normalised, platform words removed) -> daily column
DAILY_METRICS = {
    "reach": "reach", "impressions": "impressions", "views": "impressions",
    "content interactions": "engagements", "interactions": "engagements", "engagement": "engagements",
    "link clicks": "clicks", "clicks": "clicks", "visits": "profile_visits",
    "page visits": "profile_visits", "profile visits": "profile_visits",
    "follows": "new_follows", "new follows": "new_follows", "new likes": "new_follows",
    "unfollows": "unfollows",
}


def metric_of(line: str) -> tuple[str | None, str | None]:
    """(platform, daily column) named by a daily file's metric line.

    >>> metric_of('"Facebook reach"'), metric_of("Instagram follows")
    (('facebook', 'reach'), ('instagram', 'new_follows'))
    """
    name = normalise_header(line.strip().strip('"'))
    platform = None
    for word in ("facebook", "instagram"):
        if name.startswith(word + " "):
            platform, name = word, name[len(word) + 1:]
    for prefix in ("page ", "total "):
        if name.startswith(prefix) and name not in DAILY_METRICS:
            name = name[len(prefix):]
    return platform, DAILY_METRICS.get(name)


def parse_daily(source: Source) -> Parsed:
    raw = source.table()
    lines = [p for p in raw.preamble if p.strip() and not p.lower().startswith("sep=")]
    platform, column = metric_of(lines[-1]) if lines else (None, None)
    if column is None:
        raise DataFormatError("expected a metric name above the header (e.g. 'Facebook reach')",
                              file=source.path, row=len(raw.preamble) or None,  # the line above the header
                              found=lines[-1] if lines else "no line above the header")
    platform = platform or "facebook"
    table = "followers" if column in {"new_follows", "unfollows"} else "daily"
    parsed = build_table(raw, source, {"date": "date", column: "primary"}, table=table,
                         platform=platform, account=source.account, required=("date",))
    parsed = tidy(add_invalid(raw, parsed, source.sniff.sep))
    parsed.notes.append(f"daily {platform} {lines[-1].strip().strip(chr(34))!r} -> {table}.{column}")
    if source.account is None:
        parsed.notes.append("the file does not name the page: pass account=")
    return parsed


DAILY = register(Format(
    name="meta_daily",
    platform="facebook",
    description="Meta Business Suite daily page metric (UTF-16, sep= and metric preamble)",
    signature=("date", "primary"),
    table="daily",
    date_formats=("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"),
    date_only=True,
    header_search=4,
    parse=parse_daily,
))
