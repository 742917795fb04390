"""Hootsuite's Facebook post export (a scheduling tool's CSV).

``Date (GMT),Facebook Page,Post ID,Post Permalink,Post Type,Post Message,Tags,Campaign,Reactions,
Comments,Shares,Ow.ly Clicks`` (some exports lack ``Campaign``). One file can hold many pages:
``Facebook Page`` is the account. Mapping choices:

- ``Reactions`` -> ``likes``: Hootsuite counts every reaction (like, love, haha, ...), so ``likes``
  here is all reactions; Facebook's own export splits them.
- ``Ow.ly Clicks`` -> ``clicks``: clicks on the Ow.ly short links Hootsuite put in the post (not
  every click on the post).
- ``Campaign`` -> ``content_label``: the user's own grouping of posts.
- ``(Post with no description)`` is Hootsuite's placeholder for an empty text: it becomes NA.
- ``Post Type`` Photo/Video/Link/Status/Event -> photo/video/link/text/other.
- ``Date (GMT)`` is UTC.
"""

from __future__ import annotations

from toolkit.loading.core import exported_at_from
from toolkit.loading.platforms._common import build_posts, read_table
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source

COLUMNS = {
    "account": "facebook page",
    "post_id": "post id",
    "published_at": "date (gmt)",
    "text": "post message",
    "media_type": "post type",
    "content_label": "campaign",
    "likes": "reactions",
    "comments": "comments",
    "shares": "shares",
    "clicks": "ow.ly clicks",
}


def parse(source: Source) -> Parsed:
    raw = read_table(source, COLUMNS)
    exported_at, how = exported_at_from(source.path)
    parsed = build_posts(raw, source, COLUMNS, platform="facebook", account=source.account,
                         exported_at=exported_at)
    parsed.notes.append(f"exported_at from the {how}; likes are all Facebook reactions; "
                        "clicks are Ow.ly link clicks")
    return parsed


FORMAT = register(Format(
    name="hootsuite_facebook_posts",
    platform="facebook",
    description="Hootsuite Facebook post export (one or many pages per file)",
    signature=("date (gmt)", "facebook page", "post id", "post type", "reactions"),
    columns=COLUMNS,
    date_formats=("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"),
    media_types={"Photo": "photo", "Video": "video", "Link": "link", "Status": "text", "Event": "other"},
    text_placeholders=("(Post with no description)",),
    parse=parse,
))
