"""X (Twitter) exports.

- ``x_legacy_posts``: the legacy per-post "tweet activity" export
  (``tweet_activity_metrics_<handle>_<from>_<to>_<lang>.csv``), English and localised headers.
  Counts are the organic (unprefixed) columns; ``paid`` is True when the ``promoted impressions``
  cell holds a count above zero, False when every promoted cell is ``-``.
"""

from __future__ import annotations

import re

import pandas as pd

from toolkit.loading.build import build_table
from toolkit.loading.core import exported_at_from
from toolkit.loading.parse import parse_counts
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source

_LEGACY_NAME = re.compile(r"^tweet_activity_metrics_(?P<handle>.+?)_(\d{8})_(\d{8})(?:_(\w+))?\.csv$", re.I)

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
    "follows": ("follows", "seguidores"),
}


def account_from_filename(name: str) -> str | None:
    """The handle in a legacy export's file name.

    >>> account_from_filename("tweet_activity_metrics_north_wind_20240101_20240331_en.csv")
    'north_wind'
    """
    match = _LEGACY_NAME.match(name)
    return match.group("handle") if match else None


def parse_legacy_posts(source: Source) -> Parsed:
    raw = source.table()
    account = source.account or account_from_filename(source.path.name)
    exported_at, how = exported_at_from(source.path)
    parsed = build_table(raw, source, LEGACY_COLUMNS, platform="x", account=account,
                         exported_at=exported_at, required=("post_id", "published_at"))
    posts = parsed.posts
    if "promoted impressions" in raw.frame.columns:
        promoted, _ = parse_counts(raw.frame.loc[posts.index, "promoted impressions"], "promoted impressions")
        posts["paid"] = (promoted > 0).astype("boolean").fillna(False)
    parsed.notes.append(f"exported_at from the {how}")
    if account is None:
        parsed.notes.append("account unknown (not in the file name): pass account=")
    return parsed


register(Format(
    name="x_legacy_posts",
    platform="x",
    description="X/Twitter legacy per-post tweet activity export (any language)",
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
