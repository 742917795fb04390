"""Instagram per-post insights CSV: CRLF, NBSP in hashtags, a cp1252 copy, ids derived from content.

Expected values are the invented rows of tests/fixtures/make_fixtures.py (make_instagram).
"""

from __future__ import annotations

import pandas as pd
import pytest

import toolkit
from platform_checks import check_dataset, fixture

CSV = fixture("instagram/instagram_post_insights.csv")
CP1252 = fixture("instagram/instagram_post_insights_cp1252.csv")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def test_crlf_file_with_nbsp_in_hashtags():
    assert b"\r\n" in CSV.read_bytes()
    ds = toolkit.load(CSV, account="northwind.bakery")
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["format"], report["rows_read"], report["rows_loaded"], report["encoding"]) == \
        ("instagram_post_insights", 6, 6, "utf-8")
    posts = ds.posts.sort_values("published_at")
    assert posts["text"].iloc[0] == "Sunday bake: rye and caraway\n#sourdough\u00a0#bakery #realbread"
    assert posts["published_at"].iloc[0] == pd.Timestamp("2022-01-04", tz="UTC")
    assert not posts["time_known"].any()
    first = posts.iloc[0]
    assert (first["impressions"], first["saves"], first["comments"], first["shares"], first["likes"],
            first["profile_visits"], first["follows"]) == (3000, 40, 7, 3, 180, 25, 0)
    assert set(ds.posts["account"]) == {"northwind.bakery"} and set(ds.posts["platform"]) == {"instagram"}


def test_derived_ids_are_unique_and_stable():
    a = toolkit.load(CSV, cache=False).posts
    b = toolkit.load(CSV, cache=False).posts
    assert a["post_id"].is_unique and a["post_id"].str.fullmatch(r"ig-[0-9a-f]{16}").all()
    assert a["post_id"].tolist() == b["post_id"].tolist()


def test_file_that_is_not_utf8_is_read_as_cp1252_and_reported():
    data = CP1252.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    ds = toolkit.load(CP1252)
    check_dataset(ds)
    assert ds.report.loc[0, "encoding"] == "cp1252"
    texts = set(ds.posts["text"])
    assert "Café au lait and a croissant, what else?\n#bread\u00a0#baking" in texts
    assert any("\u2014" in t for t in texts)  # the em dash came through
