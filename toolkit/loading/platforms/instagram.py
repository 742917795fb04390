"""Instagram per-post insights compiled by the account owner (a CSV kept by hand).

``Date,Impressions,From Home,From Hashtags,From Explore,From Other,Saves,Comments,Shares,Likes,
Profile Visits,Follows,Conversion Rate,Caption,Hashtags``, CRLF line ends, NBSP (U+00A0) inside
hashtag strings (kept as they are); copies that were saved by a spreadsheet may not be valid UTF-8,
in which case the file is read as cp1252 and the report's ``encoding`` column says so.

Mapping choices:

- The file has no post ids. ``post_id`` is ``ig-`` plus a short hash of the date and caption,
  the same in every copy of the file, so overlapping copies merge; the report notes it. Different
  posts of one day with the same caption (often none) get ``-2``, ``-3`` ... in file order; a
  row repeated cell for cell keeps its id and merges.
- ``text`` is the caption followed by the hashtags (Instagram shows both as the post's text).
- The ``From ...`` breakdown and ``Conversion Rate`` (a ratio) have no canonical column.
- ``Date`` is a day (``time_known`` is False). Dates damaged by a spreadsheet (Excel serials,
  day and month swapped in part of the column) are repaired only where provable, see
  :mod:`toolkit.loading.dates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit.loading.core import exported_at_from
from toolkit.loading.parse import _arrow_text
from toolkit.loading.platforms._common import build_posts, read_table
from toolkit.loading.registry import Format, register
from toolkit.loading.source import Parsed, Source

COLUMNS = {
    "published_at": "date",
    "text": "caption",
    "impressions": "impressions",
    "saves": "saves",
    "comments": "comments",
    "shares": "shares",
    "likes": "likes",
    "profile_visits": "profile visits",
    "follows": "follows",
}


#: fixed SipHash key, so derived ids are the same on every machine and run
_HASH_KEY = "EngagementLab-ig"


def post_ids(dates: pd.Series, captions: pd.Series) -> pd.Series:
    """Stable ids for posts that have none: ``ig-`` + 16 hex digits of SipHash-2-4(day|caption).

    The day is the parsed publish day, so a copy whose dates a spreadsheet rewrote gets the
    same ids. The hash is pandas' vectorised SipHash with a fixed key.

    >>> post_ids(pd.Series(["2020-01-05"]), pd.Series(["Hello"])).tolist()
    ['ig-44faa85417807fd3']
    """
    keys = pc.binary_join_element_wise(_arrow_text(dates), _arrow_text(captions), "|",
                                       null_handling="replace", null_replacement="")
    hashed = pd.util.hash_array(keys.to_numpy(zero_copy_only=False), hash_key=_HASH_KEY,
                                categorize=False)
    n = len(hashed)
    # 16 hex digits per id, laid out as one Arrow string buffer (no Python string per id)
    digits = pa.Array.from_buffers(pa.string(), n, [
        None, pa.py_buffer(np.arange(0, 16 * n + 1, 16, dtype=np.int32)),
        pa.py_buffer(hashed.astype(">u8").tobytes().hex().encode("ascii"))])
    ids = pc.binary_join_element_wise(pa.scalar("ig-"), digits, "") if n else pa.array([], pa.string())
    return pd.Series(pd.array(ids, dtype="string"), index=dates.index)


def separate_repeats(ids: pd.Series, content: pd.DataFrame) -> pd.Series:
    """Ids that several different posts of one file share (same day, same caption) made distinct.

    In file order, the second different post with a given id gets ``-2``, the third ``-3``, and so
    on; rows that repeat a post cell for cell keep its id, so they merge as the duplicates they are.

    >>> ids = pd.Series(["ig-a", "ig-a", "ig-a", "ig-b"])
    >>> separate_repeats(ids, pd.DataFrame({"likes": [5, 7, 5, 1]})).tolist()
    ['ig-a', 'ig-a-2', 'ig-a', 'ig-b']
    """
    repeated = ids.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return ids
    key = pd.DataFrame({"id": ids[repeated].to_numpy(),
                        "content": pd.util.hash_pandas_object(content.loc[repeated], index=False).to_numpy()})
    distinct = key.drop_duplicates().assign(nth=lambda d: d.groupby("id").cumcount())
    nth = key.merge(distinct, on=["id", "content"], how="left")["nth"].to_numpy()
    out = ids.astype(object).to_numpy().copy()
    out[repeated] = [i if n == 0 else f"{i}-{n + 1}" for i, n in zip(out[repeated], nth)]
    return pd.Series(pd.array(out, dtype="string"), index=ids.index)


def _day_text(stamps: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` of each time (as numpy writes a day), formatting each distinct day once.

    >>> _day_text(pd.Series(pd.to_datetime(["2020-01-05 10:00", "2020-01-05 00:00", None], utc=True))).tolist()
    ['2020-01-05', '2020-01-05', 'NaT']
    """
    days = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    unique, codes = np.unique(days, return_inverse=True)
    text = pa.DictionaryArray.from_arrays(pa.array(codes.astype("int32")), pa.array(unique.astype(str)))
    return pd.Series(pd.array(text.cast(pa.string()), dtype="string"), index=stamps.index)


def parse(source: Source) -> Parsed:
    raw = read_table(source, COLUMNS, extra=("hashtags",))
    frame = raw.frame
    exported_at, how = exported_at_from(source.path)
    parsed = build_posts(raw, source, COLUMNS, platform="instagram", account=source.account,
                         exported_at=exported_at, required=("published_at",))
    posts = parsed.posts
    same_rows = frame.index.equals(posts.index)  # nothing rejected: no row lookup needed
    if len(posts):
        captions = (frame["caption"] if same_rows else frame.loc[posts.index, "caption"]) \
            if "caption" in frame.columns else posts["text"]
        posts["post_id"] = post_ids(_day_text(posts["published_at"]), captions)
    if "hashtags" in frame.columns and len(posts):
        def arrow(values: pd.Series) -> pa.Array:
            array = _arrow_text(values)
            blank = pc.equal(pc.utf8_trim_whitespace(array), "")
            return pc.if_else(pc.fill_null(blank, True), pa.scalar(None, pa.string()), array)

        joined = pc.binary_join_element_wise(arrow(posts["text"]),
                                             arrow(frame["hashtags"] if same_rows
                                                   else frame.loc[posts.index, "hashtags"]), "\n",
                                             null_handling="skip")
        joined = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
        posts["text"] = pd.Series(joined.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get).array,
                                  index=posts.index, dtype="string")
    if len(posts):  # the whole post is known now (text with hashtags, counts)
        posts["post_id"] = separate_repeats(posts["post_id"], posts.drop(columns=["source_row"]))
    parsed.notes.append("no post ids in the file: post_id is a hash of publish day and caption "
                        "(-2, -3 ... for further different posts with the same day and caption)")
    parsed.notes.append(f"exported_at from the {how}")
    if source.account is None:
        parsed.notes.append("the file does not name the account: pass account=")
    return parsed


FORMAT = register(Format(
    name="instagram_post_insights",
    platform="instagram",
    description="Instagram per-post insights CSV compiled by the account owner",
    signature=("date", "impressions", "from home", "from hashtags", "profile visits", "caption"),
    columns=COLUMNS,
    date_formats=("%Y-%m-%d",),
    date_only=True,
    parse=parse,
))
