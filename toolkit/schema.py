"""The canonical tables and the project's vocabulary of column names, defined once.

Every loader produces ``posts`` and ``followers`` tables with exactly these columns and dtypes
(see ``ARCHITECTURE.md``); every analysis returns a result table whose first columns are
:data:`RESULT_COLUMNS`. Other modules import the names from here instead of spelling them.

>>> posts = empty_posts()
>>> list(posts.columns) == list(POSTS)
True
>>> validate_posts(posts) is posts
True
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from pandas.api.types import pandas_dtype

from toolkit.errors import SchemaError

__all__ = [
    "POSTS",
    "FOLLOWERS",
    "DAILY",
    "REJECTED",
    "REPORT",
    "RESULT_COLUMNS",
    "COUNT_COLUMNS",
    "PLATFORMS",
    "MEDIA_TYPES",
    "empty_posts",
    "empty_followers",
    "empty_daily",
    "conform",
    "validate_posts",
    "validate_followers",
]

UTC_NS = "datetime64[ns, UTC]"

PLATFORMS = ("x", "facebook", "instagram", "linkedin", "youtube", "other")
MEDIA_TYPES = ("photo", "video", "link", "text", "other")

#: Interaction and exposure counts of a post; NA when the export does not have them, never 0.
COUNT_COLUMNS = (
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "profile_visits",
    "follows",
)

#: The platform's own total of engagements, where the export states one (NA otherwise);
#: :func:`toolkit.engagement` falls back to the sum of the interaction counts.
ENGAGEMENTS = "engagements"

#: One row per post.
POSTS: Mapping[str, object] = {
    "account": "string",
    "platform": pd.CategoricalDtype(list(PLATFORMS)),
    "post_id": "string",
    "published_at": UTC_NS,
    "time_known": "bool",
    "text": "string",
    "media_type": pd.CategoricalDtype(list(MEDIA_TYPES)),
    **{name: "Int64" for name in COUNT_COLUMNS},
    "engagements": "Int64",
    "followers": "Int64",
    "paid": "boolean",
    "content_label": "string",
    "source_file": "string",
    "source_row": "Int64",
    "exported_at": UTC_NS,
}

#: One row per account and day.
FOLLOWERS: Mapping[str, object] = {
    "account": "string",
    "platform": pd.CategoricalDtype(list(PLATFORMS)),
    "date": UTC_NS,
    "followers": "Int64",
    "new_follows": "Int64",
    "unfollows": "Int64",
    "source_file": "string",
}

#: One row per account and day, from daily overview files (account-level totals, not posts).
DAILY: Mapping[str, object] = {
    "account": "string",
    "platform": pd.CategoricalDtype(list(PLATFORMS)),
    "date": UTC_NS,
    "posts": "Int64",
    "impressions": "Int64",
    "reach": "Int64",
    "engagements": "Int64",
    "likes": "Int64",
    "comments": "Int64",
    "shares": "Int64",
    "clicks": "Int64",
    "profile_visits": "Int64",
    "video_views": "Int64",
    "source_file": "string",
}

#: Rows that could not be loaded, with the reason.
REJECTED: Mapping[str, object] = {
    "source_file": "string",
    "source_row": "Int64",
    "reason": "string",
    "raw": "string",
}

#: One row per loaded file.
REPORT: Mapping[str, object] = {
    "source_file": "string",
    "format": "string",
    "account": "string",
    "rows_read": "int64",
    "rows_loaded": "int64",
    "rows_rejected": "int64",
    "duplicates_merged": "int64",
    "summary_rows": "int64",
    "encoding": "string",
    "notes": "string",
}

#: The columns every analysis result table starts with (ARCHITECTURE.md, "Public API").
RESULT_COLUMNS = (
    "method",
    "metric",
    "lift",
    "ci_low",
    "ci_high",
    "p_value",
    "n_baseline",
    "n_treatment",
)


def _empty(schema: Mapping[str, object]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in schema.items()})


def empty_posts() -> pd.DataFrame:
    """An empty ``posts`` table with the canonical columns and dtypes."""
    return _empty(POSTS)


def empty_daily() -> pd.DataFrame:
    """An empty ``daily`` table with the canonical columns and dtypes."""
    return _empty(DAILY)


def empty_followers() -> pd.DataFrame:
    """An empty ``followers`` table with the canonical columns and dtypes."""
    return _empty(FOLLOWERS)


def conform(frame: pd.DataFrame, schema: Mapping[str, object], *, name: str = "table") -> pd.DataFrame:
    """Return ``frame`` with exactly the columns of ``schema``, in order, cast to its dtypes.

    Columns the frame lacks are added as missing (NA), never as zeros. Extra columns are an error,
    because a loader that produces them has a mapping bug.

    >>> conform(pd.DataFrame({"account": ["a"]}), FOLLOWERS)["followers"].isna().all()
    np.True_
    """
    extra = [c for c in frame.columns if c not in schema]
    if extra:
        raise SchemaError(f"{name} has columns outside the canonical schema", found=extra)
    out = {}
    n = len(frame)
    for column, dtype in schema.items():
        if column in frame.columns:
            values = frame[column]
            try:
                out[column] = values if values.dtype == pandas_dtype(dtype) else values.astype(dtype)
            except (TypeError, ValueError) as exc:
                raise SchemaError(
                    f"{name} column cannot be stored as {dtype}", column=column, found=str(exc)
                ) from None
        else:
            if dtype == "bool":
                raise SchemaError(f"{name} needs column {column!r}, which has no default", column=column)
            out[column] = pd.Series(pd.NA, index=frame.index, dtype=dtype) if n else pd.Series(dtype=dtype)
    return pd.DataFrame(out, index=frame.index, copy=False)  # Copy-on-Write: sharing columns is safe


def _validate(frame: pd.DataFrame, schema: Mapping[str, object], name: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"{name} must be a pandas DataFrame", found=type(frame).__name__)
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise SchemaError(f"{name} lacks canonical columns", found=missing)
    for column, dtype in schema.items():
        actual = frame[column].dtype
        if actual != pandas_dtype(dtype):
            raise SchemaError(
                f"{name} column must have dtype {dtype}", column=column, found=str(actual)
            )
    return frame


def validate_posts(posts: pd.DataFrame) -> pd.DataFrame:
    """Check that ``posts`` has every canonical column with its dtype; return it unchanged.

    Extra columns (e.g. ``weighted_engagement`` added by :func:`toolkit.engagement`) are allowed.
    Counts must not be negative: the error names the first negative count's ``source_file`` and
    ``source_row`` (the row a spreadsheet shows) when the post has them, else its position in
    ``posts`` (counting from 0), whatever the index.

    >>> posts = conform(pd.DataFrame({"time_known": [True, True], "likes": [4, -1]}), POSTS)
    >>> validate_posts(posts)
    Traceback (most recent call last):
    ...
    toolkit.errors.SchemaError: column 'likes': counts must be zero or more; the first negative count is on the post at position 1 of posts (counting from 0) (found: -1)
    """
    _validate(posts, POSTS, "posts")
    for column in COUNT_COLUMNS + ("followers",):
        values = posts[column]
        lowest = values.min()  # a masked reduction: no comparison Series unless one is negative
        if pd.notna(lowest) and lowest < 0:
            position = int(values.lt(0).fillna(False).to_numpy(bool).argmax())  # the first
            file, row = posts["source_file"].iloc[position], posts["source_row"].iloc[position]
            where = ("" if pd.notna(row) else
                     f"; the first negative count is on the post at position {position} of posts "
                     "(counting from 0)")
            raise SchemaError("counts must be zero or more" + where, column=column,
                              file=None if pd.isna(file) else file,
                              row=None if pd.isna(row) else int(row),
                              found=int(values.iloc[position]))
    return posts


def validate_followers(followers: pd.DataFrame) -> pd.DataFrame:
    """Check that ``followers`` has every canonical column with its dtype; return it unchanged."""
    return _validate(followers, FOLLOWERS, "followers")
