"""Shared checks for the platform loader tests (tests/test_platforms_*.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from toolkit.schema import DAILY, FOLLOWERS, POSTS, validate_followers, validate_posts

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"

#: every fixture of the platform formats and the format it must be detected as
EXPECTED_FORMATS = {
    "facebook/Facebook Insights Data Export (Post) - Northwind Bakery - 2020-07-31.xls": "facebook_insights_posts",
    "facebook/Facebook Insights Data Export (Post) - Harbor Cycles - 2020-07-31.xlsx": "facebook_insights_posts",
    "facebook/Facebook Insights Data Export (Post) - Northwind Bakery - 2020-06-30.csv": "facebook_insights_posts_csv",
    "hootsuite/hootsuite_facebook_posts_2018-01.csv": "hootsuite_facebook_posts",
    "hootsuite/hootsuite_facebook_posts_no_campaign.csv": "hootsuite_facebook_posts",
    "meta/Oct-01-2023_Oct-31-2023_northwind_posts.csv": "meta_facebook_posts",
    "meta/Nov-01-2023_Nov-30-2023_northwind_posts.csv": "meta_facebook_posts",
    "meta/Mar-01-2025_Mar-31-2025_northwind_instagram_posts.csv": "meta_instagram_posts",
    "meta/Reach.csv": "meta_daily",
    "meta/Follows.csv": "meta_daily",
    "linkedin/northwind-bakery_updates_1700000000000.csv": "linkedin_page_updates_csv",
    "linkedin/harbor-cycles_updates_1700100000000.xlsx": "linkedin_page_updates",
    "linkedin/lakeside-press_updates_1700300000000.xls": "linkedin_page_updates",
    "linkedin/Content_2025-11-09_2025-11-18_JaneQuill.xlsx": "linkedin_creator_content",
    "youtube/Table data.csv": "youtube_studio_videos",
    "instagram/instagram_post_insights.csv": "instagram_post_insights",
    "instagram/instagram_post_insights_cp1252.csv": "instagram_post_insights",
    "damaged/instagram_resaved_mixed_dates.csv": "instagram_post_insights",
    "damaged/Oct-01-2023_Oct-31-2023_northwind_posts_resaved.csv": "meta_facebook_posts",
    "damaged/northwind-bakery_updates_1700200000000.xlsx": "linkedin_page_updates",
}

PLATFORM_DIRS = ("facebook", "hootsuite", "meta", "linkedin", "youtube", "instagram", "damaged")


def fixture(name: str) -> Path:
    return FIX / name


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_dataset(ds) -> None:
    """Canonical columns and dtypes of every table, and the row accounting of every file."""
    assert list(ds.posts.columns) == list(POSTS)
    validate_posts(ds.posts)
    validate_followers(ds.followers)
    assert list(ds.followers.columns) == list(FOLLOWERS)
    assert list(ds.daily.columns) == list(DAILY)
    for column, dtype in DAILY.items():
        assert ds.daily[column].dtype == pd.api.types.pandas_dtype(dtype), column
    report = ds.report
    assert (report["rows_read"] == report["rows_loaded"] + report["rows_rejected"]
            + report["duplicates_merged"]).all(), report
    assert report["rows_rejected"].sum() == len(ds.rejected)
    if len(ds.posts):
        assert ds.posts["post_id"].notna().all()
        assert not ds.posts.duplicated(["platform", "account", "post_id"]).any()
        assert ds.posts["source_row"].notna().all()


def row(posts: pd.DataFrame, post_id: str) -> pd.Series:
    hit = posts[posts["post_id"] == post_id]
    assert len(hit) == 1, (post_id, hit)
    return hit.iloc[0]
