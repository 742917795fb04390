"""Hootsuite Facebook post export: many pages per file, with and without ``Campaign``.

Expected values are the invented rows of tests/fixtures/make_fixtures.py (make_hootsuite).
"""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from platform_checks import check_dataset, fixture, row

WITH = fixture("hootsuite/hootsuite_facebook_posts_2018-01.csv")
WITHOUT = fixture("hootsuite/hootsuite_facebook_posts_no_campaign.csv")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def test_many_pages_in_one_file_become_accounts():
    ds = toolkit.load(WITH)
    check_dataset(ds)
    assert ds.report.loc[0, "format"] == "hootsuite_facebook_posts"
    assert ds.report.loc[0, "rows_read"] == 12
    assert ds.posts["account"].value_counts().to_dict() == {"Northwind Bakery": 6, "Harbor Cycles": 6}
    assert set(ds.posts["platform"]) == {"facebook"}


def test_mapping_of_each_column():
    posts = toolkit.load(WITH).posts
    first = row(posts, "104511112233445_3000000000000")
    assert first["published_at"] == pd.Timestamp("2018-01-01 00:00:33", tz="UTC")  # Date (GMT)
    assert first["text"] == 'New seasonal loaf, "Autumn Rye", is here'
    assert (first["likes"], first["comments"], first["shares"]) == (20, 0, 0)  # Reactions -> likes
    assert first["content_label"] == "Winter launch"
    assert pd.isna(first["clicks"])  # no Ow.ly link in a photo post: missing, not 0
    link = row(posts, "104511112233445_3000000000002")
    assert link["clicks"] == 13 and link["media_type"] == "link"
    assert pd.isna(row(posts, "200022223333444_3000000000007")["shares"])  # a "-" cell


def test_placeholder_text_is_missing_and_post_types_map():
    posts = toolkit.load(WITH).posts
    assert pd.isna(row(posts, "200022223333444_3000000000001")["text"])  # (Post with no description)
    assert "(Post with no description)" not in set(posts["text"].dropna())
    first_five = posts.sort_values("published_at")["media_type"].astype(str).tolist()[:5]
    assert first_five == ["photo", "video", "link", "text", "other"]  # Photo..Status, Event -> other


def test_export_without_campaign_and_crlf():
    assert b"\r\n" in WITHOUT.read_bytes()
    ds = toolkit.load(WITHOUT)
    check_dataset(ds)
    assert ds.report.loc[0, "format"] == "hootsuite_facebook_posts"
    assert len(ds.posts) == 5 and ds.posts["content_label"].isna().all()
    assert set(ds.posts["account"]) == {"Northwind Bakery", "Harbor Cycles"}


def test_a_post_without_its_page_keeps_a_missing_account_and_the_report_says_so(tmp_path):
    source = fixture("hootsuite/hootsuite_facebook_posts_2018-01.csv")
    damaged = tmp_path / source.name
    damaged.write_bytes(source.read_bytes().replace(b"2018-01-02 05:07:33,Harbor Cycles,", b"2018-01-02 05:07:33,,", 1))
    ds = toolkit.load(damaged)
    assert ds.posts["account"].isna().sum() == 1
    assert "1 row names no account (empty 'Facebook Page'): its account is missing" in ds.report.iloc[0]["notes"]
