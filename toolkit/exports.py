"""Writers of real platform export files, byte for byte, from canonical tables.

The sample data, the loader tests and the loading benchmark need files that look exactly like what
platforms hand their users (the loaders in ``toolkit/loading/platforms/`` list the quirks they
read). These writers turn a canonical ``posts`` / ``followers`` table (usually from
:func:`toolkit.simulate.simulate_profile`) into such files, quirks included:

- :func:`write_x_legacy_posts`: the legacy per-post "tweet activity" export
  ``tweet_activity_metrics_<handle>_<from>_<to>_<lang>.csv``: 40 columns, every field
  double-quoted, LF, raw newlines inside ``Tweet text``, counts up to ``permalink clicks`` written
  as floats (``"215.0"``) and later ones as integers, every ``promoted *`` cell ``"-"``, time as
  ``%Y-%m-%d %H:%M +0000``; English or Portuguese header, ``likes`` or the older ``favorites``.
- :func:`write_x_legacy_daily`: the legacy daily file (38 quoted columns, ``Date`` as
  ``YYYY-MM-DD``, no follower counts).
- :func:`write_x_posts`: the new account-analytics per-post export (2024 on), either header
  variant, either date format (``"Fri, Apr 3, 2026"`` or ``Fri Apr 03 2026``), unquoted header,
  text quoted only when needed, rows newest first.
- :func:`write_x_overview`: the new daily account overview, with ``New follows`` and ``Unfollows``,
  no trailing newline.
- :func:`write_follower_history`: a ``date,followers`` CSV.

Every writer is deterministic: fixed ``\\n`` newlines, UTF-8 without BOM, no time stamps, rows in
a fixed order, so regenerating a file gives identical bytes. Missing counts (NA) are written as
``-``, the way platforms leave unused cells, never as 0 (a follower history leaves them empty).

Counts an export has but the canonical table lacks (X's detail expands, media views ...) come from
``extra`` (``Simulation.extra``); without it they are written as 0.

:func:`counts_as_of` turns lifetime counts into the smaller counts an earlier export would have
shown, so that overlapping exports disagree the way real ones do.

>>> from toolkit.simulate import simulate_profile
>>> import tempfile, pathlib
>>> sim = simulate_profile(days=10, seed=1)
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = write_x_legacy_posts(sim.posts, tmp, handle="demo", start="2024-01-01",
...                                 end="2024-01-10", extra=sim.extra)
...     head = path.read_text(encoding="utf-8").split("\\n", 1)[0]
>>> path.name
'tweet_activity_metrics_demo_20240101_20240110_en.csv'
>>> head.count('","') + 1
40
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import AnalysisError, SpecError, unordered_date
from toolkit.metrics import _reported_sum

__all__ = [
    "X_LEGACY_METRICS",
    "X_LEGACY_HEADER_EN",
    "X_LEGACY_HEADER_PT",
    "X_POSTS_HEADERS",
    "X_OVERVIEW_HEADER",
    "legacy_file_name",
    "write_x_legacy_posts",
    "write_x_legacy_daily",
    "write_x_posts",
    "write_x_overview",
    "write_follower_history",
    "counts_as_of",
    "accrual",
]

#: The 18 metric columns of the legacy export (English), in file order.
X_LEGACY_METRICS = (
    "impressions", "engagements", "engagement rate", "retweets", "replies", "likes",
    "user profile clicks", "url clicks", "hashtag clicks", "detail expands", "permalink clicks",
    "app opens", "app installs", "follows", "email tweet", "dial phone", "media views",
    "media engagements",
)
#: Metric columns written as floats ("215.0"): those up to ``permalink clicks``.
_LEGACY_FLOAT = set(X_LEGACY_METRICS[: X_LEGACY_METRICS.index("permalink clicks") + 1]) - {"engagement rate"}

X_LEGACY_HEADER_EN = (
    ("Tweet id", "Tweet permalink", "Tweet text", "time")
    + X_LEGACY_METRICS
    + tuple(f"promoted {m}" for m in X_LEGACY_METRICS)
)

#: Portuguese names as in a real ``_pt.csv`` export (trailing colons included).
_LEGACY_PT = (
    "impressões", "engajamentos", "taxa de engajamento", "retweets", "respostas", "favoritos",
    "cliques no perfil do usuário:", "cliques no URL", "cliques em hashtags:", "expansões de detalhes:",
    "cliques no link permanente", "aberturas de aplicativos", "instalações de aplicativo:", "seguiram",
    "Tweet enviado por e-mail", "número de telefone discado", "visualizações da mídia",
    "engajamentos com mídia",
)
X_LEGACY_HEADER_PT = (
    ("id do Tweet", "link permanente do Tweet", "texto do Tweet", "horário")
    + _LEGACY_PT
    + tuple(f"{m} promovido(a)(s)" for m in _LEGACY_PT)
)

#: The two header variants of the new per-post export (canonical meaning in comments of the code).
X_POSTS_HEADERS = {
    1: ("Post id", "Date", "Post text", "Post Link", "Impressions", "Likes", "Engagements", "Bookmarks",
        "Shares", "New follows", "Replies", "Reposts", "Profile visits", "Detail Expands", "URL Clicks",
        "Hashtag Clicks", "Permalink Clicks"),
    2: ("Post id", "Date", "Post text", "Link", "Impressions", "Likes", "Engagements", "Bookmarks",
        "Share", "New follows", "Replies", "Reposts", "Profile visits", "Detail expands", "Url clicks",
        "Hashtag clicks", "Permalink clicks"),
}

X_OVERVIEW_HEADER = ("Date", "Impressions", "Likes", "Engagements", "Bookmarks", "Shares", "New follows",
                     "Unfollows", "Replies", "Reposts", "Profile visits", "Create Post", "Video views",
                     "Media views")

#: counts of ``Simulation.extra`` the X writers use
_EXTRA = ("detail_expands", "permalink_clicks", "hashtag_clicks", "media_views", "media_engagements",
          "sends")


# ------------------------------------------------------------------------------------------
# helpers
def _day(value: Any, parameter: str) -> pd.Timestamp:
    if (why := unordered_date(value)) is not None:
        raise SpecError(why, parameter=parameter, found=value)
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT:
        raise SpecError("expected a date like '2024-01-31'", parameter=parameter, found=value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.floor("D")


def _window(posts: pd.DataFrame, start: Any, end: Any) -> tuple[pd.DataFrame, pd.Timestamp, pd.Timestamp]:
    lo, hi = _day(start, "start"), _day(end, "end")
    if hi < lo:
        raise SpecError("end must not be before start", parameter="end", found=str(hi.date()))
    t = posts["published_at"]
    mask = (t >= lo) & (t < hi + pd.Timedelta(days=1))
    return posts.loc[mask.to_numpy()], lo, hi


def _counts(posts: pd.DataFrame, column: str) -> pd.Series:
    """A canonical count column (nullable Int64), or all NA when the table lacks it."""
    if column in posts.columns:
        return posts[column].astype("Int64")
    return pd.Series(pd.NA, index=posts.index, dtype="Int64")


def _extra(posts: pd.DataFrame, extra: pd.DataFrame | None, name: str) -> pd.Series:
    if extra is not None and name in extra.columns:
        return extra.loc[posts.index, name].astype("Int64")
    return pd.Series(0, index=posts.index, dtype="Int64")


def _int_text(values: pd.Series) -> pd.Series:
    """Counts as ``"215"``; NA as ``"-"``."""
    out = values.astype("Int64").astype("string")
    return out.fillna("-")


def _float_text(values: pd.Series) -> pd.Series:
    """Counts as ``"215.0"``; NA as ``"-"``."""
    out = values.astype("Int64").astype("string") + ".0"
    return out.fillna("-")


def _sum(parts: Sequence[pd.Series]) -> pd.Series:
    """Row totals of count columns, NA when one of the parts is missing.

    A total without a missing part would be an undercount that a loader takes for the platform's
    own figure. Parts missing on every row (counts the table does not carry) are left out, as
    :func:`toolkit.metrics.engagement` does within one export: the written file is that export.
    """
    frame = pd.concat(parts, axis=1, ignore_index=True)
    return _reported_sum(frame, lambda: np.zeros(len(frame), dtype=np.intp)).astype("Int64")


def _by_day(per_post: pd.DataFrame, day: np.ndarray, days: Any) -> pd.DataFrame:
    """Per-post counts summed by publish ``day``, one row per entry of ``days``.

    A day's total is NA when one of its posts' counts is (a partial sum is no total). A day without
    posts counts 0, except for counts missing on every post (not carried by the table): NA.
    """
    totals = per_post.groupby(day).sum(min_count=1).mask(per_post.isna().groupby(day).any())
    totals = totals.reindex(days, fill_value=0).astype("Int64")
    if len(per_post):
        totals.loc[:, per_post.isna().all().to_numpy()] = pd.NA
    return totals


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _cell(value: str, quote_all: bool) -> str:
    if quote_all or _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _write(path: Path, rows: list[Sequence[str]], *, quote_all: bool, trailing_newline: bool = True) -> Path:
    r"""Write CSV records with ``\n`` line ends, UTF-8 without BOM.

    Fields are double-quoted always (``quote_all``) or when they hold a comma, a quote, a carriage
    return or a line feed (``""`` escapes quotes). Python's ``csv`` module is not used because, with
    ``\n`` line ends, it leaves a lone ``\r`` unquoted, which readers then take for a line end.
    """
    lines = [",".join(_cell(str(v), quote_all) for v in row) for row in rows]
    data = "\n".join(lines) + ("\n" if trailing_newline and lines else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8"))
    return path


def _newest_first(posts: pd.DataFrame) -> pd.DataFrame:
    order = np.lexsort((posts["post_id"].to_numpy(dtype=object), posts["published_at"].to_numpy()))
    return posts.iloc[order[::-1]]


def _columns_to_rows(columns: Sequence[pd.Series | Sequence[str]]) -> list[tuple[str, ...]]:
    lists = [c.tolist() if isinstance(c, pd.Series) else list(c) for c in columns]
    return list(zip(*lists))


# ------------------------------------------------------------------------------------------
# X legacy
def _legacy_metrics(window: pd.DataFrame, extra: pd.DataFrame | None) -> dict[str, pd.Series]:
    """The organic metric columns of X's legacy exports (per-post and daily files), in export order."""
    def zero() -> pd.Series:
        return pd.Series(0, index=window.index, dtype="Int64")

    has_media = window["media_type"].isin(["photo", "video"]).to_numpy() if "media_type" in window else \
        np.zeros(len(window), dtype=bool)
    return {
        "impressions": _counts(window, "impressions"),
        "retweets": _counts(window, "shares"),
        "replies": _counts(window, "comments"),
        "likes": _counts(window, "likes"),
        "user profile clicks": _counts(window, "profile_visits"),
        "url clicks": _counts(window, "clicks"),
        "hashtag clicks": _extra(window, extra, "hashtag_clicks"),
        "detail expands": _extra(window, extra, "detail_expands"),
        "permalink clicks": _extra(window, extra, "permalink_clicks"),
        "app opens": zero(),
        "app installs": zero(),
        "follows": _counts(window, "follows"),
        "email tweet": zero(),
        "dial phone": zero(),
        "media views": _extra(window, extra, "media_views").where(has_media, 0),
        "media engagements": _extra(window, extra, "media_engagements").where(has_media, 0),
    }


def legacy_file_name(handle: str, start: Any, end: Any, lang: str = "en") -> str:
    """The legacy export's file name.

    >>> legacy_file_name("north_wind", "2024-01-01", "2024-03-31")
    'tweet_activity_metrics_north_wind_20240101_20240331_en.csv'
    """
    lo, hi = _day(start, "start"), _day(end, "end")
    return f"tweet_activity_metrics_{handle}_{lo:%Y%m%d}_{hi:%Y%m%d}_{lang}.csv"


def write_x_legacy_posts(
    posts: pd.DataFrame,
    out_dir: str | Path,
    *,
    handle: str,
    start: Any,
    end: Any,
    lang: str = "en",
    likes_header: str = "likes",
    extra: pd.DataFrame | None = None,
) -> Path:
    """Write the posts published from ``start`` to ``end`` (whole UTC days) as a legacy X export.

    Parameters
    ----------
    posts
        Canonical posts table; ``published_at`` (UTC), ``post_id``, ``text`` and the counts are used:
        ``shares`` -> retweets, ``comments`` -> replies, ``likes``, ``profile_visits`` -> user
        profile clicks, ``clicks`` -> url clicks, ``follows``.
    out_dir
        Folder; the file is named by :func:`legacy_file_name`.
    handle, start, end, lang
        Name parts; ``lang`` is ``"en"`` or ``"pt"`` (header language).
    likes_header
        ``"likes"`` or ``"favorites"`` (older English exports); ignored for Portuguese.
    extra
        Counts the canonical table lacks (``Simulation.extra``), aligned on the posts' index.

    Returns
    -------
    Path of the written file. Rows run newest first. ``engagements`` is the sum of every
    interaction column (``-`` when one of them is), ``engagement rate`` is engagements / impressions.

    Raises
    ------
    AnalysisError
        When a post in the window has no known time of day (``time_known`` False): the format
        always carries one, and a made-up midnight would load back as a real time.
    """
    if lang not in ("en", "pt"):
        raise SpecError("lang must be 'en' or 'pt'", parameter="lang", found=lang)
    if likes_header not in ("likes", "favorites"):
        raise SpecError("likes_header must be 'likes' or 'favorites'", parameter="likes_header",
                        found=likes_header)
    window, lo, hi = _window(posts, start, end)
    if "time_known" in window.columns:
        dated = ~window["time_known"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if dated.any():
            first = window.loc[dated].iloc[0]
            raise AnalysisError(
                "the legacy export always carries a time of day; posts known only by their date "
                "cannot be written to it", parameter="posts", column="time_known",
                found=f"{int(dated.sum())} posts with a date only, the first {first['post_id']} "
                      f"published on {first['published_at']:%Y-%m-%d}")
    window = _newest_first(window)
    header = list(X_LEGACY_HEADER_EN if lang == "en" else X_LEGACY_HEADER_PT)
    if lang == "en" and likes_header == "favorites":
        header = [h.replace("likes", "favorites") if h in ("likes", "promoted likes") else h for h in header]

    post_id = window["post_id"].astype("string")
    metric = _legacy_metrics(window, extra)
    metric["engagements"] = _sum([metric[m] for m in X_LEGACY_METRICS
                                  if m not in ("impressions", "engagements", "engagement rate", "media views")])
    impressions = metric["impressions"].astype("Float64")
    rate = (metric["engagements"].astype("Float64") / impressions.where(impressions > 0))
    metric["engagement rate"] = pd.Series([repr(float(r)) if pd.notna(r) else "-" for r in rate],
                                          index=window.index, dtype=object)

    text_cells = window["text"].astype("string").fillna("") if "text" in window else \
        pd.Series("", index=window.index, dtype="string")
    columns: list[Any] = [
        post_id,
        "https://twitter.com/" + handle + "/status/" + post_id,
        text_cells,
        window["published_at"].dt.strftime("%Y-%m-%d %H:%M +0000"),
    ]
    for name in X_LEGACY_METRICS:
        values = metric[name]
        if name == "engagement rate":
            columns.append(values)
        elif name in _LEGACY_FLOAT:
            columns.append(_float_text(values))
        else:
            columns.append(_int_text(values))
    columns.extend([["-"] * len(window)] * len(X_LEGACY_METRICS))
    rows = [tuple(header)] + _columns_to_rows(columns)
    path = Path(out_dir) / legacy_file_name(handle, lo, hi, lang)
    return _write(path, rows, quote_all=True)


def write_x_legacy_daily(
    posts: pd.DataFrame,
    out_dir: str | Path,
    *,
    handle: str,
    start: Any,
    end: Any,
    lang: str = "en",
    extra: pd.DataFrame | None = None,
) -> Path:
    """Write the legacy daily file ``daily_tweet_activity_metrics_<handle>_<from>_<to>_<lang>.csv``.

    38 columns: ``Date`` (``YYYY-MM-DD``), ``Tweets published``, the 18 metrics and the 18
    ``promoted`` ones (``"-"``), every field quoted, one row per day from ``start`` to ``end``
    (oldest first), the day's posts summed by publish day (``-`` when a count is missing on one of
    them). No follower counts, as in the real file.
    English header only (``lang`` names the file).
    """
    window, lo, hi = _window(posts, start, end)
    days = pd.date_range(lo, hi, freq="D")
    metric = _legacy_metrics(window, extra)
    metric["engagements"] = _sum([metric[m] for m in X_LEGACY_METRICS
                                  if m not in ("impressions", "engagements", "engagement rate", "media views")])
    per_post = pd.DataFrame({"Tweets published": pd.Series(1, index=window.index, dtype="Int64"), **metric})
    daily = _by_day(per_post, window["published_at"].dt.floor("D").to_numpy(),
                    days.as_unit("ns").to_numpy() if hasattr(days, "as_unit") else days)
    impressions = daily["impressions"].astype("Float64")
    rate = daily["engagements"].astype("Float64") / impressions.where(impressions > 0)
    known = (daily["engagements"].notna() & impressions.notna()).to_numpy()  # else the rate is unknown too
    columns: list[Any] = [list(days.strftime("%Y-%m-%d")), _int_text(daily["Tweets published"])]
    for name in X_LEGACY_METRICS:
        if name == "engagement rate":
            columns.append([repr(float(r)) if pd.notna(r) else "0.0" if k else "-" for r, k in zip(rate, known)])
        else:
            columns.append(_int_text(daily[name]))
    columns.extend([["-"] * len(days)] * len(X_LEGACY_METRICS))
    header = ("Date", "Tweets published") + X_LEGACY_METRICS + tuple(f"promoted {m}" for m in X_LEGACY_METRICS)
    rows = [header] + _columns_to_rows(columns)
    path = Path(out_dir) / ("daily_" + legacy_file_name(handle, lo, hi, lang))
    return _write(path, rows, quote_all=True)


# ------------------------------------------------------------------------------------------
# X new account analytics
def _x_date(days: pd.Series, style: int) -> pd.Series:
    """``"Thu, Apr 3, 2026"`` (style 1) or ``Thu Apr 03 2026`` (style 2)."""
    if style == 1:
        return days.dt.strftime("%a, %b ") + days.dt.day.astype(str) + days.dt.strftime(", %Y")
    return days.dt.strftime("%a %b %d %Y")


def write_x_posts(
    posts: pd.DataFrame,
    path: str | Path,
    *,
    handle: str,
    variant: int = 1,
    date_style: int | None = None,
    extra: pd.DataFrame | None = None,
) -> Path:
    """Write posts as X's new account-analytics per-post export.

    Columns: ``likes`` -> Likes, ``saves`` -> Bookmarks, ``shares`` -> Reposts, ``comments`` ->
    Replies, ``follows`` -> New follows, ``profile_visits`` -> Profile visits, ``clicks`` -> URL
    Clicks; ``Shares`` (sends by message or link, not reposts), detail expands, hashtag and
    permalink clicks come from ``extra``. ``Date`` is the publish day only. Rows newest first.

    Parameters
    ----------
    variant
        Header variant 1 (``Post Link``, ``Shares``, ``URL Clicks`` ...) or 2 (``Link``, ``Share``,
        ``Url clicks`` ...).
    date_style
        1: ``"Thu, Apr 3, 2026"``; 2: ``Thu Apr 03 2026``. Defaults to the variant number.
    """
    if variant not in X_POSTS_HEADERS:
        raise SpecError("variant must be 1 or 2", parameter="variant", found=variant)
    date_style = variant if date_style is None else date_style
    if date_style not in (1, 2):
        raise SpecError("date_style must be 1 or 2", parameter="date_style", found=date_style)
    window = _newest_first(posts)
    post_id = window["post_id"].astype("string")
    likes, saves = _counts(window, "likes"), _counts(window, "saves")
    sends, follows = _extra(window, extra, "sends"), _counts(window, "follows")
    replies, reposts = _counts(window, "comments"), _counts(window, "shares")
    visits = _counts(window, "profile_visits")
    expands, url = _extra(window, extra, "detail_expands"), _counts(window, "clicks")
    hashtag, permalink = _extra(window, extra, "hashtag_clicks"), _extra(window, extra, "permalink_clicks")
    engagements = _sum([likes, saves, sends, follows, replies, reposts, visits, expands, url, hashtag,
                        permalink])
    columns = [
        post_id,
        _x_date(window["published_at"].dt.floor("D"), date_style),
        window["text"].astype("string").fillna("") if "text" in window else [""] * len(window),
        "https://x.com/" + handle + "/status/" + post_id,
        *[_int_text(c) for c in (_counts(window, "impressions"), likes, engagements, saves, sends, follows,
                                 replies, reposts, visits, expands, url, hashtag, permalink)],
    ]
    rows = [X_POSTS_HEADERS[variant]] + _columns_to_rows(columns)
    return _write(Path(path), rows, quote_all=False)


def write_x_overview(
    posts: pd.DataFrame,
    followers: pd.DataFrame,
    path: str | Path,
    *,
    date_style: int = 1,
    extra: pd.DataFrame | None = None,
) -> Path:
    """Write X's new daily account overview: one row per day of ``followers``, newest first.

    Post counts are summed by publish day (the simulator's lifetime counts stand in for the day's
    activity; ``-`` when a count is missing on one of the day's posts); ``New follows`` and
    ``Unfollows`` are the follower table's flows; ``Create Post`` is the number of posts that day;
    ``Video views`` are media views of video posts. The file has no trailing newline, like the real
    one.
    """
    if date_style not in (1, 2):
        raise SpecError("date_style must be 1 or 2", parameter="date_style", found=date_style)
    days = followers["date"].dt.floor("D")
    day_of_post = posts["published_at"].dt.floor("D")
    media = posts["media_type"].astype(object) if "media_type" in posts else pd.Series(None, index=posts.index)
    per_post = pd.DataFrame({
        "impressions": _counts(posts, "impressions"),
        "likes": _counts(posts, "likes"),
        "saves": _counts(posts, "saves"),
        "sends": _extra(posts, extra, "sends"),
        "follows": _counts(posts, "follows"),
        "replies": _counts(posts, "comments"),
        "reposts": _counts(posts, "shares"),
        "visits": _counts(posts, "profile_visits"),
        "expands": _extra(posts, extra, "detail_expands"),
        "url": _counts(posts, "clicks"),
        "hashtag": _extra(posts, extra, "hashtag_clicks"),
        "permalink": _extra(posts, extra, "permalink_clicks"),
        "media_views": _extra(posts, extra, "media_views").where(media.isin(["photo", "video"]), 0),
        "video_views": _extra(posts, extra, "media_views").where(media.eq("video"), 0),
        "posts": pd.Series(1, index=posts.index, dtype="Int64"),
    })
    engaged = ["likes", "saves", "sends", "follows", "replies", "reposts", "visits", "expands", "url",
               "hashtag", "permalink"]
    per_post["engagements"] = _sum([per_post[c] for c in engaged])
    daily = _by_day(per_post, day_of_post.to_numpy(), days.to_numpy())
    frame = pd.DataFrame({
        "Date": _x_date(pd.Series(days.to_numpy(), index=followers.index), date_style).to_numpy(),
        "Impressions": daily["impressions"].to_numpy(),
        "Likes": daily["likes"].to_numpy(),
        "Engagements": daily["engagements"].to_numpy(),
        "Bookmarks": daily["saves"].to_numpy(),
        "Shares": daily["sends"].to_numpy(),
        "New follows": followers["new_follows"].to_numpy(),
        "Unfollows": followers["unfollows"].to_numpy(),
        "Replies": daily["replies"].to_numpy(),
        "Reposts": daily["reposts"].to_numpy(),
        "Profile visits": daily["visits"].to_numpy(),
        "Create Post": daily["posts"].to_numpy(),
        "Video views": daily["video_views"].to_numpy(),
        "Media views": daily["media_views"].to_numpy(),
    })
    frame = frame.iloc[::-1]
    columns = [frame["Date"]] + [_int_text(frame[c].astype("Int64")) for c in X_OVERVIEW_HEADER[1:]]
    rows = [X_OVERVIEW_HEADER] + _columns_to_rows(columns)
    return _write(Path(path), rows, quote_all=False, trailing_newline=False)


# ------------------------------------------------------------------------------------------
# follower history
def write_follower_history(followers: pd.DataFrame, path: str | Path, *, account: bool = False) -> Path:
    """Write ``date,followers`` (``YYYY-MM-DD``, oldest first; NA counts as empty cells).

    With ``account=True`` the file is ``date,account,followers``, so that a folder holding several
    accounts' histories loads without naming the account for each file.
    """
    dates = followers["date"].dt.strftime("%Y-%m-%d")
    counts = followers["followers"].astype("Int64").astype("string").fillna("")
    if account:
        names = followers["account"].astype("string").fillna("")
        rows = [("date", "account", "followers")] + _columns_to_rows([dates, names, counts])
    else:
        rows = [("date", "followers")] + _columns_to_rows([dates, counts])
    return _write(Path(path), rows, quote_all=False)


# ------------------------------------------------------------------------------------------
# lifetime metrics grow
def accrual(age_days: np.ndarray | float) -> np.ndarray:
    """Share of a post's long-run counts reached ``age_days`` after publishing.

    Most interactions come in the first day (90%, time constant 12 hours), the rest trickles in
    over months (time constant 45 days).

    >>> [round(float(a), 3) for a in accrual(np.array([0.0, 1.0, 30.0, 365.0]))]
    [0.0, 0.78, 0.949, 1.0]
    """
    age = np.maximum(np.asarray(age_days, dtype=float), 0.0)
    return 0.9 * -np.expm1(-age / 0.5) + 0.1 * -np.expm1(-age / 45.0)


def counts_as_of(
    posts: pd.DataFrame,
    when: Any,
    final: pd.Series | Any,
    *,
    extra: pd.DataFrame | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The counts an export taken at ``when`` would show, given the counts as of ``final``.

    Each count is thinned binomially with probability ``accrual(when - published) /
    accrual(final - published)``, so an earlier export never shows more than a later one. Posts
    published after ``when`` are left out: an export taken then cannot hold them.

    Parameters
    ----------
    posts
        Canonical posts whose counts are those of an export taken at ``final``.
    when
        Time of the earlier export (UTC).
    final
        Time of the export the counts belong to: one time, or a Series with a value for every post
        (matched on the index).
    extra
        Extra counts (``Simulation.extra``) thinned the same way, matched to the posts on the index
        (it may hold more posts, in any order).
    seed
        Seed of the thinning (deterministic).

    Returns
    -------
    (posts, extra) copies with smaller counts, holding the posts published by ``when``; ``extra``
    has the same index as the posts.

    Examples
    --------
    >>> from toolkit.simulate import simulate_profile
    >>> sim = simulate_profile(days=20, seed=2)
    >>> early, _ = counts_as_of(sim.posts, "2024-01-21", "2024-06-30")
    >>> bool((early["likes"] <= sim.posts["likes"]).all())
    True
    """
    when_ts = pd.Timestamp(when)
    when_ts = when_ts.tz_localize("UTC") if when_ts.tzinfo is None else when_ts
    posts = posts.loc[(posts["published_at"] <= when_ts).to_numpy()]
    final_ts = final.loc[posts.index] if isinstance(final, pd.Series) else \
        pd.Series(pd.Timestamp(final), index=posts.index)
    if final_ts.dt.tz is None:
        final_ts = final_ts.dt.tz_localize("UTC")
    day = pd.Timedelta(days=1)
    age_now = ((when_ts - posts["published_at"]) / day).to_numpy(dtype=float)
    age_final = ((final_ts - posts["published_at"]) / day).to_numpy(dtype=float)
    p = np.clip(accrual(age_now) / np.maximum(accrual(age_final), 1e-12), 0.0, 1.0)
    rng = np.random.default_rng(seed)
    out = posts.copy()
    from toolkit.schema import COUNT_COLUMNS

    for column in COUNT_COLUMNS + ("engagements",):
        if column not in out.columns:
            continue
        values = out[column].astype("Int64")
        mask = values.isna().to_numpy()
        filled = values.fillna(0).to_numpy(dtype=np.int64)
        thinned = rng.binomial(filled, p)
        out[column] = pd.array(np.where(mask, 0, thinned), dtype="Int64")
        out.loc[mask, column] = pd.NA
    if "impressions" in out.columns:
        out["impressions"] = out["impressions"].clip(lower=1)
    if "reach" in out.columns and "impressions" in out.columns:
        out["reach"] = out["reach"].where(out["reach"].isna() | (out["reach"] <= out["impressions"]),
                                          out["impressions"])
    extra_out = None
    if extra is not None:
        extra_out = extra.loc[posts.index].copy()
        for column in extra_out.columns:
            extra_out[column] = rng.binomial(extra_out[column].to_numpy(dtype=np.int64), p)
    return out, extra_out
