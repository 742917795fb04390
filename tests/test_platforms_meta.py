"""Meta Business Suite exports: posts (Facebook, Instagram, month-to-month drift) and daily files.

Expected values are the invented rows of tests/fixtures/make_fixtures.py (make_meta).
"""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from platform_checks import check_dataset, fixture, row
from toolkit.errors import DataFormatError
from toolkit.loading.platforms.meta import metric_of

OCT = fixture("meta/Oct-01-2023_Oct-31-2023_northwind_posts.csv")
NOV = fixture("meta/Nov-01-2023_Nov-30-2023_northwind_posts.csv")
IG = fixture("meta/Mar-01-2025_Mar-31-2025_northwind_instagram_posts.csv")
REACH = fixture("meta/Reach.csv")
FOLLOWS = fixture("meta/Follows.csv")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def test_bom_and_column_drift_between_months():
    assert OCT.read_bytes().startswith(b"\xef\xbb\xbf")
    oct_header = OCT.read_text(encoding="utf-8-sig").splitlines()[0]
    nov_header = NOV.read_text(encoding="utf-8-sig").splitlines()[0]
    assert oct_header != nov_header  # 32 vs 34 columns, reordered
    ds = toolkit.load([OCT, NOV])
    check_dataset(ds)
    assert set(ds.report["format"]) == {"meta_facebook_posts"}
    assert ds.report["encoding"].tolist() == ["utf-8-sig", "utf-8-sig"]
    assert ds.report["rows_read"].tolist() == [6, 5]
    assert len(ds.posts) == 11 and set(ds.posts["account"]) == {"Northwind Bakery"}
    # Comments/Shares swapped places in November: mapped by name, not position
    p = row(ds.posts, "122100000000000010")
    assert (p["likes"], p["comments"], p["shares"], p["impressions"], p["reach"], p["clicks"]) == \
        (100, 5, 2, 2510, 1870, 40)
    assert p["published_at"] == pd.Timestamp("2023-11-03 09:50", tz="UTC")


def test_text_media_type_and_title_fallback():
    posts = toolkit.load(OCT).posts
    assert row(posts, "122100000000000000")["text"] == "Croissant Saturday \U0001F950"
    video = row(posts, "122100000000000001")  # empty Description, Title of the video
    assert video["text"] == "Shaping baguettes" and video["media_type"] == "video"
    assert row(posts, "122100000000000002")["media_type"] == "link"
    assert row(posts, "122100000000000003")["media_type"] == "text"
    assert row(posts, "122100000000000004")["media_type"] == "video"  # Reels


def test_instagram_export_with_views_as_impressions():
    ds = toolkit.load(IG)
    check_dataset(ds)
    assert ds.report.loc[0, "format"] == "meta_instagram_posts"
    assert "Views" in ds.report.loc[0, "notes"]
    posts = ds.posts
    assert set(posts["platform"]) == {"instagram"} and set(posts["account"]) == {"northwind.bakery"}
    first = row(posts, "17900000000000000")
    assert (first["impressions"], first["reach"], first["likes"], first["saves"], first["follows"]) == \
        (2400, 1800, 120, 10, 0)
    assert first["text"] == "Morning light on the rye #bread\u00a0#rye"
    assert pd.isna(row(posts, "17900000000000124")["saves"])  # a story has no saves: NA
    assert posts["media_type"].astype(str).tolist() == ["photo", "photo", "video", "photo", "other"]


def test_utf16_daily_file_with_sep_and_metric_preamble():
    assert REACH.read_bytes()[:2] == b"\xff\xfe"
    ds = toolkit.load(REACH, account="Northwind Bakery")
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["format"], report["encoding"], report["rows_read"]) == ("meta_daily", "utf-16-le", 14)
    daily = ds.daily
    assert len(daily) == 14 and len(ds.posts) == 0
    assert daily["reach"].tolist()[:3] == [900 + 37 % 211, 900 + 74 % 211, 900 + 111 % 211]
    assert daily["impressions"].isna().all()
    assert daily["date"].iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert set(daily["account"]) == {"Northwind Bakery"}


def test_daily_follows_file_feeds_the_followers_table():
    ds = toolkit.load(FOLLOWS, account="Northwind Bakery")
    check_dataset(ds)
    assert ds.followers["new_follows"].tolist() == [d % 4 for d in range(1, 15)]
    assert ds.followers["followers"].isna().all()  # flows only: no totals invented


def test_metric_names():
    assert metric_of('"Facebook reach"') == ("facebook", "reach")
    assert metric_of("Instagram content interactions") == ("instagram", "engagements")
    assert metric_of("Facebook Page visits") == ("facebook", "profile_visits")
    assert metric_of("Something else") == (None, None)


def test_a_daily_file_without_its_metric_line_names_no_row_zero(tmp_path):
    # rows are numbered from 1: a file whose header is its first line has no line above it to blame
    path = tmp_path / "Reach.csv"
    path.write_text('"Date","Primary"\n"2024-01-01T00:00:00","5"\n')
    with pytest.raises(DataFormatError, match="expected a metric name above the header") as err:
        toolkit.load(path, format="meta_daily")
    assert err.value.row is None and "row 0" not in str(err.value)
    assert "no line above the header" in str(err.value)


def test_the_report_names_the_mapped_columns_a_file_lacks():
    # a Facebook post export has no saves, profile visits or follows (Instagram's): they stay
    # missing, and the report says so rather than leaving the reader to wonder
    ds = toolkit.load(fixture("meta/Oct-01-2023_Oct-31-2023_northwind_posts.csv"))
    assert "no column for saves, profile_visits, follows in this file: left missing" in ds.report.iloc[0]["notes"]
    assert ds.posts[["saves", "profile_visits", "follows"]].isna().all().all()
