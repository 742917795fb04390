"""YouTube Studio per-video export (``Table data.csv`` from the Analytics "advanced mode").

Header names contain soft hyphens (``Video pub\\u00adlish time``); they are stripped before
matching (:func:`toolkit.loading.parse.normalise_header`). The first data row is a ``Total`` row:
it is left out and counted in the report's ``summary_rows`` (it is not a post and not rejected
data; ``rows_read`` does not include it). Dates look like ``May 8, 2020`` (a day, so
``time_known`` is False); durations like ``0:03:09``. ``Content`` is the video id.

Mapping choices (they matter for rates):

- ``Impressions`` -> ``impressions``: YouTube's impressions are *thumbnail* impressions, the
  times the video's thumbnail was shown on YouTube. That is the exposure that matches the other
  platforms' impressions (times a post was shown).
- ``Views`` has no canonical column: a view is a play, counted from thumbnails *and* from
  outside YouTube (embeds, links), so views are neither impressions (they can exceed them) nor
  clicks. The report notes the total; ``views`` is requested as a posts column.
- ``Subscribers gained`` -> ``follows``: subscriptions made from this video, as X's per-post
  ``follows``. ``Subscribers lost`` are per video too, not per day, so they cannot go into the
  followers table (which is per day); their total is kept in the report's notes.
- ``Comments added`` -> ``comments``; ``Likes``, ``Shares`` as named. ``Dislikes``, watch time,
  duration and the click-through rate (a ratio) have no canonical column.
"""

from __future__ import annotations

import copy

from toolkit.loading.build import constant
from toolkit.loading.core import exported_at_from
from toolkit.loading.parse import parse_counts
from toolkit.loading.platforms._common import build_posts, drop_summary_rows, read_table
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source
from toolkit.schema import POSTS

COLUMNS = {
    "post_id": ("content", "video"),
    "text": "video title",
    "published_at": "video publish time",
    "impressions": "impressions",
    "likes": "likes",
    "comments": "comments added",
    "shares": "shares",
    "follows": "subscribers gained",
}


def _total(raw, column: str) -> int | None:
    if column not in raw.frame.columns:
        return None
    counts, _ = parse_counts(raw.frame[column], column)
    return int(counts.sum()) if counts.notna().any() else None


def parse(source: Source) -> Parsed:
    raw = read_table(source, COLUMNS, extra=("views", "subscribers lost"))
    id_col = "content" if "content" in raw.frame.columns else "video"
    is_total = raw.frame[id_col].astype("string").str.strip().str.lower().eq("total").fillna(False)
    raw, summary = drop_summary_rows(raw, is_total)
    exported_at, how = exported_at_from(source.path)
    parsed = build_posts(raw, source, COLUMNS, platform="youtube", account=source.account,
                         exported_at=exported_at)
    parsed.summary_rows = summary
    if len(parsed.posts):
        # built as the schema's categorical (a plain string would be cast row by row later)
        parsed.posts["media_type"] = constant("video", POSTS["media_type"], parsed.posts.index)
    kept = raw.frame if raw.frame.index.equals(parsed.posts.index) else \
        raw.frame.loc[parsed.posts.index] if len(parsed.posts) else raw.frame.iloc[:0]
    kept_raw = copy.copy(raw)
    kept_raw.frame = kept
    views, lost = _total(kept_raw, "views"), _total(kept_raw, "subscribers lost")
    if views is not None:
        parsed.notes.append(f"views ({views} in all) have no posts column: YouTube impressions are "
                            "thumbnail impressions, views are plays")
    if lost is not None:
        parsed.notes.append(f"subscribers lost per video ({lost} in all) have no posts column; "
                            "subscribers gained are in follows")
    if summary:
        parsed.notes.append("the Total row is a summary, left out")
    parsed.notes.append(f"exported_at from the {how}")
    if source.account is None:
        parsed.notes.append("the file does not name the channel: pass account=")
    return parsed


FORMAT = register(Format(
    name="youtube_studio_videos",
    platform="youtube",
    description="YouTube Studio per-video table export (Table data.csv)",
    signature=("content", "video title", "video publish time", "views"),
    columns=COLUMNS,
    date_formats=("%b %d, %Y", "%B %d, %Y"),
    date_only=True,
    parse=parse,
))
