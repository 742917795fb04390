"""Loader tests on fixtures that copy the quirks of EXPORT-FORMATS.md (X, UCI, generic, followers).

Fixtures under tests/fixtures/{x,uci,generic,followers} hold invented posts and handles; the UCI
tests also read the real file in data/real/.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

import toolkit
from toolkit.errors import DataFormatError, EngagementLabError, SchemaError
from toolkit.loading import detect
from toolkit.schema import COUNT_COLUMNS, DAILY, FOLLOWERS, POSTS, validate_followers, validate_posts

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"
X = FIX / "x"
UCI_REAL = ROOT / "data" / "real" / "dataset_Facebook.csv"
LEGACY_Q1 = X / "tweet_activity_metrics_north_wind_20240101_20240331_en.csv"
LEGACY_Q2 = X / "tweet_activity_metrics_north_wind_20240301_20240531_en.csv"
LEGACY_FAV = X / "tweet_activity_metrics_north_wind_20231001_20231231_en.csv"
LEGACY_PT = X / "tweet_activity_metrics_north_wind_20240601_20240831_pt.csv"
RESAVED = X / "tweet_activity_metrics_north_wind_20240901_20240930_en.csv"
LEGACY_DAILY = X / "daily_tweet_activity_metrics_north_wind_20240101_20240110_en.csv"
NEW_A = X / "account_analytics_content_2026-03-25_2026-04-23.csv"
NEW_B = X / "account_analytics_content_2025-01-12_2025-02-10.csv"
OVERVIEW = X / "account_overview_analytics_2026-04-14_2026-04-23.csv"
UCI_FIX = FIX / "uci" / "facebook_metrics_sample.csv"
GENERIC = FIX / "generic" / "my_network_posts.csv"
FOLLOWERS_LEVEL = FIX / "followers" / "north_wind_followers.csv"
FOLLOWERS_FLOWS = FIX / "followers" / "north_wind_flows.csv"
GENERIC_MAPPING = {"post_id": "ID", "published_at": "Date", "text": "Caption", "likes": "Hearts",
                   "comments": "Replies", "impressions": "Views", "media_type": "Kind",
                   "paid": "Boosted", "platform": "Network"}

#: every fixture of this area with the load arguments it needs
FIXTURES = sorted(p for d in ("x", "uci", "generic", "followers") for p in (FIX / d).glob("*.csv"))


def kwargs_for(path: Path) -> dict:
    return {"mapping": GENERIC_MAPPING} if path.parent.name == "generic" else {}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test gets its own cache, so a cached result never hides a loader change."""
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fixtures_cover_every_file_kind():
    names = {p.name for p in FIXTURES}
    assert len(FIXTURES) >= 13
    assert LEGACY_PT.name in names and OVERVIEW.name in names and UCI_FIX.name in names


# --- every fixture: canonical tables, row accounting, inputs untouched ---------------------------

@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_row_is_accounted_for_and_inputs_untouched(path):
    before = digest(path)
    ds = toolkit.load(path, **kwargs_for(path))
    assert digest(path) == before
    report = ds.report.iloc[0]
    assert report["rows_read"] == report["rows_loaded"] + report["rows_rejected"] + report["duplicates_merged"]
    assert report["rows_read"] > 0
    assert len(ds.rejected) == report["rows_rejected"]
    assert ds.rejected["reason"].notna().all()
    assert ds.rejected["source_row"].notna().all()
    validate_posts(ds.posts)
    validate_followers(ds.followers)
    assert list(ds.posts.columns) == list(POSTS)
    assert list(ds.followers.columns) == list(FOLLOWERS)
    assert list(ds.daily.columns) == list(DAILY)


def test_whole_fixture_folder_accounts_for_every_row_with_merges():
    paths = sorted(X.glob("*.csv"))
    hashes = {p: digest(p) for p in paths}
    ds = toolkit.load(X)
    assert {p: digest(p) for p in paths} == hashes
    r = ds.report
    assert (r["rows_read"] == r["rows_loaded"] + r["rows_rejected"] + r["duplicates_merged"]).all()
    assert r["duplicates_merged"].sum() == 4
    assert not ds.posts.duplicated(["platform", "account", "post_id"]).any()
    # every loaded post row traces back to its file and row
    assert ds.posts["source_file"].notna().all() and ds.posts["source_row"].notna().all()


def test_second_load_is_served_from_the_cache_with_identical_tables(tmp_path):
    first = toolkit.load(LEGACY_Q1)
    second = toolkit.load(LEGACY_Q1)
    pd.testing.assert_frame_equal(first.posts, second.posts)
    pd.testing.assert_frame_equal(first.rejected, second.rejected)
    pd.testing.assert_frame_equal(first.report, second.report)
    assert any((tmp_path / "cache" / "datasets").iterdir())


def test_a_touched_file_is_not_served_its_old_export_time_from_the_cache(tmp_path):
    # Hootsuite's file states no export time, so exported_at is the file's modification time
    # (which decides which copy wins when overlapping exports merge)
    import os

    path = tmp_path / "hootsuite_facebook_posts_2018-01.csv"
    path.write_bytes((FIX / "hootsuite" / path.name).read_bytes())
    os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))  # 2001-09-09
    first = toolkit.load(path)
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))  # 2023-11-14
    second = toolkit.load(path)
    assert "exported_at from the file modification time" in second.report.loc[0, "notes"]
    assert first.posts["exported_at"].iloc[0].year == 2001
    assert second.posts["exported_at"].iloc[0].year == 2023


def test_folder_loads_cache_each_file_so_a_new_export_parses_only_itself(tmp_path, monkeypatch):
    import toolkit.loading.core as core

    folder = tmp_path / "exports"
    folder.mkdir()
    for path in (LEGACY_Q1, LEGACY_Q2):
        (folder / path.name).write_bytes(path.read_bytes())
    first = toolkit.load(folder)
    (folder / LEGACY_FAV.name).write_bytes(LEGACY_FAV.read_bytes())
    parsed = []
    original = core._parse_one
    monkeypatch.setattr(core, "_parse_one", lambda path, *a: parsed.append(path.name) or original(path, *a))
    second = toolkit.load(folder)
    assert parsed == [LEGACY_FAV.name]
    assert len(second.posts) == len(first.posts) + 5


# --- X legacy per-post ---------------------------------------------------------------------------

def test_legacy_quirks_embedded_newlines_float_counts_promoted_dashes():
    raw = LEGACY_Q1.read_bytes()
    assert raw.count(b'"') % 2 == 0 and not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    ds = toolkit.load(LEGACY_Q1)
    posts = ds.posts
    assert ds.report.loc[0, "format"] == "x_legacy_posts"
    assert ds.report.loc[0, "rows_read"] == 14
    assert (posts["account"] == "north_wind").all() and (posts["platform"] == "x").all()
    # 4 of 14 records span several lines; their text keeps the newlines
    assert posts["text"].str.contains("\n").sum() >= 3
    assert posts["text"].str.contains("\n\nline four").any()
    # "8771.0" -> 8771 (first record, read straight from the file)
    first = posts.set_index("post_id").loc["1745000000000000000"]
    assert first["impressions"] == 8771 and first["likes"] == 15 and first["shares"] == 18
    assert first["published_at"] == pd.Timestamp("2024-01-01 08:00", tz="UTC")
    assert bool(first["time_known"]) is True
    # promoted cells '-' -> organic post; numbers in promoted impressions -> paid
    assert posts["paid"].sum() == 2  # records 3 and 10 (rows 4 and 11) have promoted counts
    assert posts["paid"].notna().all()
    # a '-' in an organic count stays missing
    assert posts["likes"].isna().sum() == 1
    for column in ("saves", "reach"):
        assert posts[column].isna().all()  # the export has no such column: NA, never 0
    assert posts["engagements"].notna().all()


def test_legacy_rejections_name_the_reason():
    ds = toolkit.load(LEGACY_Q1)
    reasons = dict(zip(ds.rejected["source_row"], ds.rejected["reason"]))
    assert set(reasons) == {8, 9, 10}
    assert "scientific notation" in reasons[8] and "1.745E+18" in reasons[8]
    assert "2024-02-30" in reasons[9] and "time" in reasons[9]
    assert "12.5" in reasons[10] and "retweets" in reasons[10]


def test_promoted_post_is_paid():
    posts = toolkit.load(LEGACY_Q1).posts
    paid = posts[posts["paid"]]
    assert sorted(paid["source_row"]) == [4, 11]  # the records written with promoted counts


def test_favorites_alias_and_portuguese_headers():
    fav = toolkit.load(LEGACY_FAV).posts
    assert fav["likes"].notna().all() and len(fav) == 5
    pt = toolkit.load(LEGACY_PT)
    assert pt.report.loc[0, "format"] == "x_legacy_posts_pt"
    posts = pt.posts
    assert len(posts) == 5 and posts["likes"].notna().all()
    assert posts["profile_visits"].notna().all()  # "cliques no perfil do usuário:" (trailing colon)
    assert posts["text"].str.contains("Café").any()
    assert posts["published_at"].dt.year.eq(2024).all()


def test_overlapping_exports_keep_the_latest_export():
    later = toolkit.load(LEGACY_Q2).posts.set_index("post_id")
    ds = toolkit.load([LEGACY_Q2, LEGACY_Q1])  # order of the arguments does not matter
    posts = ds.posts.set_index("post_id")
    shared = later.index.intersection(toolkit.load(LEGACY_Q1).posts["post_id"])
    assert len(shared) == 4
    assert (posts.loc[shared, "impressions"] == later.loc[shared, "impressions"]).all()
    assert (posts.loc[shared, "source_file"] == str(LEGACY_Q2)).all()
    report = ds.report.set_index("source_file")
    assert report.loc[str(LEGACY_Q1), "duplicates_merged"] == 4
    assert report.loc[str(LEGACY_Q2), "duplicates_merged"] == 0
    assert ds.posts["exported_at"].max() == pd.Timestamp("2024-05-31 23:59:59", tz="UTC")


def test_spreadsheet_resaved_file_bom_crlf_and_scientific_ids_are_rejected_not_merged():
    raw = RESAVED.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    ds = toolkit.load(RESAVED)
    report = ds.report.iloc[0]
    assert report["encoding"] == "utf-8-sig"
    assert report["rows_rejected"] == 3 and report["duplicates_merged"] == 0
    assert ds.rejected["reason"].str.contains("scientific notation").all()
    assert ds.rejected["raw"].str.contains("E+18", regex=False).all()
    assert ds.posts["post_id"].str.fullmatch(r"\d{19}").all()
    assert ds.posts["text"].str.contains(",").any()  # quotes stripped where the text allowed it


# --- X daily files ------------------------------------------------------------------------------

def test_legacy_daily_goes_to_daily():
    ds = toolkit.load(LEGACY_DAILY)
    assert ds.report.loc[0, "format"] == "x_legacy_daily"
    assert ds.posts.empty and ds.followers.empty
    daily = ds.daily
    assert len(daily) == 10 and (daily["account"] == "north_wind").all()
    assert daily["date"].min() == pd.Timestamp("2024-01-01", tz="UTC")
    assert daily["impressions"].isna().sum() == 1  # the '-' cell
    assert daily["posts"].notna().all()


def test_overview_file_flows_become_followers_and_rest_daily():
    assert not OVERVIEW.read_bytes().endswith(b"\n")
    ds = toolkit.load(OVERVIEW, account="north_wind")
    report = ds.report.iloc[0]
    assert report["format"] == "x_analytics_daily"
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (10, 9, 1)
    assert "Unfollows" in ds.rejected.loc[0, "reason"]
    assert len(ds.daily) == 9 and len(ds.followers) == 9
    assert ds.followers["followers"].isna().all()
    assert ds.followers["new_follows"].notna().all() and ds.followers["unfollows"].notna().all()
    assert (ds.followers["account"] == "north_wind").all()
    assert ds.followers["date"].max() == pd.Timestamp("2026-04-23", tz="UTC")
    assert set(ds.daily["date"]) == set(ds.followers["date"])


# --- X new per-post export ----------------------------------------------------------------------

@pytest.mark.parametrize("path, first_day", [(NEW_A, "2026-04-23"), (NEW_B, "2025-02-10")],
                         ids=["variant-a", "variant-b"])
def test_analytics_posts_both_variants_and_date_formats(path, first_day):
    ds = toolkit.load(path)
    assert ds.report.loc[0, "format"] == "x_analytics_posts"
    posts = ds.posts
    assert (posts["time_known"] == False).all()  # noqa: E712 - date-only source
    assert (posts["published_at"] == posts["published_at"].dt.normalize()).all()
    assert posts["published_at"].max() == pd.Timestamp(first_day, tz="UTC")
    assert (posts["account"] == "north_wind").all()
    for column in ("impressions", "engagements", "saves", "follows", "comments", "shares",
                   "profile_visits", "clicks"):
        assert posts[column].notna().all(), column
    assert posts["reach"].isna().all()
    assert posts["post_id"].str.fullmatch(r"\d{19}").all()


def test_analytics_posts_column_mapping_reads_the_right_cells():
    frame = pd.read_csv(NEW_A, dtype=str, keep_default_na=False).set_index("Post id")
    posts = toolkit.load(NEW_A).posts.set_index("post_id")
    for canonical, source in [("saves", "Bookmarks"), ("shares", "Reposts"), ("comments", "Replies"),
                              ("clicks", "URL Clicks"), ("follows", "New follows"),
                              ("profile_visits", "Profile visits"), ("engagements", "Engagements")]:
        expected = frame.loc[posts.index, source].astype(int).to_numpy()
        assert (posts[canonical].to_numpy(dtype="int64") == expected).all(), canonical
    assert posts["likes"].isna().sum() == 1  # the blank Likes cell


def test_analytics_variant_b_rejections():
    ds = toolkit.load(NEW_B)
    reasons = " | ".join(ds.rejected["reason"])
    assert "scientific notation" in reasons and "Feb 31 2025" in reasons


# --- UCI ----------------------------------------------------------------------------------------

def test_uci_real_file():
    before = digest(UCI_REAL)
    ds = toolkit.load(UCI_REAL)
    assert digest(UCI_REAL) == before
    assert hashlib.md5(UCI_REAL.read_bytes()).hexdigest() == "1d5e741a4ba198bb44736d5967d0ac59"
    report = ds.report.iloc[0]
    assert report["format"] == "uci_facebook"
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (500, 500, 0)
    posts = ds.posts
    assert (posts["platform"] == "facebook").all()
    # SOURCE.md: Page total likes 81,370 -> 139,441; blanks: Paid x1, like x1, share x4
    assert posts["followers"].min() == 81370 and posts["followers"].max() == 139441
    assert posts["paid"].isna().sum() == 1 and posts["likes"].isna().sum() == 1
    assert posts["shares"].isna().sum() == 4 and posts["comments"].notna().all()
    assert set(posts["content_label"]) == {"action", "product", "inspiration"}
    assert set(posts["media_type"].dropna()) == {"photo", "text", "link", "video"}
    assert posts["post_id"].is_unique and posts["post_id"].str.startswith("uci-row").all()
    assert posts["engagements"].isna().all()
    for column in ("saves", "clicks", "profile_visits", "follows"):
        assert posts[column].isna().all()
    assert (posts["time_known"] == False).all()  # noqa: E712 - reconstructed dates
    assert "reconstructed" in report["notes"] and "post_id derived" in report["notes"]


def test_uci_reconstructed_dates_keep_month_weekday_hour_and_order():
    raw = pd.read_csv(UCI_REAL, sep=";")
    raw["source_row"] = range(2, len(raw) + 2)
    posts = toolkit.load(UCI_REAL).posts.set_index("source_row").loc[raw["source_row"]]
    stamps = posts["published_at"]
    assert stamps.dt.year.eq(2014).all()
    assert (stamps.dt.month.to_numpy() == raw["Post Month"].to_numpy()).all()
    assert (stamps.dt.hour.to_numpy() == raw["Post Hour"].to_numpy()).all()
    # weekday 1 = Sunday: pandas dayofweek is Monday = 0
    assert (((stamps.dt.day_of_week + 1) % 7 + 1).to_numpy() == raw["Post Weekday"].to_numpy()).all()
    # rows run newest first: days never increase down the file
    days = stamps.dt.normalize().to_numpy()
    assert (days[:-1] >= days[1:]).all()


def test_uci_fixture_blanks_crlf_and_bad_category():
    raw = UCI_FIX.read_bytes()
    assert b"\r\n" in raw and b";;" in raw and not raw.startswith(b"\xef\xbb\xbf")
    ds = toolkit.load(UCI_FIX, account="cosmetics_demo")
    report = ds.report.iloc[0]
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (10, 9, 1)
    assert "Category" in ds.rejected.loc[0, "reason"] and "'4'" in ds.rejected.loc[0, "reason"]
    posts = ds.posts
    assert (posts["account"] == "cosmetics_demo").all()
    assert posts["paid"].isna().sum() == 1 and posts["likes"].isna().sum() == 1
    assert posts["shares"].isna().sum() == 2
    # oldest post (last row): month 1, weekday 4 (Wednesday) -> 2014-01-01 09:00
    oldest = posts.loc[posts["source_row"].idxmax()]
    assert oldest["published_at"] == pd.Timestamp("2014-01-01 09:00", tz="UTC")


# --- generic mapping ----------------------------------------------------------------------------

def test_generic_mapping_loads_and_rejects_with_reasons():
    ds = toolkit.load(GENERIC, mapping=GENERIC_MAPPING, account="me")
    report = ds.report.iloc[0]
    assert report["format"] == "generic" and report["encoding"] == "utf-8-sig"
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (7, 4, 3)
    posts = ds.posts.set_index("post_id")
    assert (posts["platform"] == "instagram").all() and (posts["account"] == "me").all()
    assert posts.loc["g-001", "impressions"] == 1204  # "1,204"
    assert pd.isna(posts.loc["g-002", "likes"])  # '-'
    assert pd.isna(posts.loc["g-003", "comments"])  # blank
    assert posts.loc["g-003", "published_at"] == pd.Timestamp("2024-03-04 18:05", tz="UTC")
    assert posts.loc["g-004", "published_at"] == pd.Timestamp("2024-03-05 06:00", tz="UTC")
    assert posts.loc["g-002", "text"] == "Team lunch\nwith everyone"
    assert list(posts["time_known"]) == [True, False, True, True]
    assert list(posts["media_type"].astype(str)) == ["photo", "video", "photo", "other"]
    assert posts.loc["g-002", "paid"] == True and pd.isna(posts.loc["g-004", "paid"])  # noqa: E712
    reasons = " | ".join(ds.rejected["reason"])
    assert "not a date" in reasons and "4.5" in reasons and "ID: expected a post id" in reasons


def test_generic_platform_literal_and_default():
    mapping = {k: v for k, v in GENERIC_MAPPING.items() if k != "platform"}
    assert (toolkit.load(GENERIC, mapping=mapping).posts["platform"] == "other").all()
    assert (toolkit.load(GENERIC, mapping={**mapping, "platform": "linkedin"}).posts["platform"]
            == "linkedin").all()


def test_generic_without_post_id_derives_ids_and_says_so():
    ds = toolkit.load(GENERIC, mapping={"published_at": "Date", "likes": "Hearts"})
    assert (ds.posts["post_id"] == GENERIC.name + ":row" + ds.posts["source_row"].astype("string")).all()
    assert "post_id derived" in ds.report.loc[0, "notes"]


def test_generic_unknown_key_is_named():
    with pytest.raises(DataFormatError) as err:
        toolkit.load(GENERIC, mapping={"published_at": "Date", "hearts": "Hearts"})
    assert "hearts" in str(err.value) and GENERIC.name in str(err.value)


def test_generic_absent_column_is_named():
    with pytest.raises(DataFormatError) as err:
        toolkit.load(GENERIC, mapping={"published_at": "Date", "likes": "Likes", "shares": "Boosts"})
    message = str(err.value)
    assert "Likes" in message and "Boosts" in message and "Hearts" in message  # lists the file's columns


# --- follower history ---------------------------------------------------------------------------

def test_follower_history_joins_as_of_the_publish_day():
    ds = toolkit.load([FOLLOWERS_LEVEL, LEGACY_Q1], account="north_wind")
    history = ds.followers.dropna(subset=["followers"]).set_index("date")["followers"]
    # the file repeats 2024-02-19, once blank: the day is one row holding the file's count, and the
    # blank row is counted as merged (never read as 0)
    day = ds.followers[ds.followers["date"] == pd.Timestamp("2024-02-19", tz="UTC")]
    assert day["followers"].tolist() == [4993]
    assert ds.report.set_index("source_file").loc[str(FOLLOWERS_LEVEL), "duplicates_merged"] == 1
    assert not ds.followers.duplicated(["account", "platform", "date"]).any()
    posts = ds.posts
    assert posts["followers"].notna().all()
    for _, post in posts.iterrows():
        day = post["published_at"].normalize()
        expected = history[history.index <= day].iloc[-1]
        assert post["followers"] == expected
    assert any("follower history" in note for note in ds.notes)


def test_posts_before_the_history_starts_stay_na():
    ds = toolkit.load([FOLLOWERS_LEVEL, LEGACY_FAV], account="north_wind")  # 2023 posts, 2024 history
    assert ds.posts["followers"].isna().all()
    assert any(f"stay missing for {len(ds.posts):,} posts" in note for note in ds.notes)


def test_a_post_takes_no_follower_count_older_than_a_week(tmp_path):
    # counts on 1 and 10 March only: a post of 1-8 March takes the 1 March count (at most 7 days
    # old), one of 9 March none (a gap), and so does one a month after the history ends
    (tmp_path / "followers.csv").write_text("date,followers\n2024-03-01,1000\n2024-03-10,900\n")
    header = ("Date,Impressions,From Home,From Hashtags,From Explore,From Other,Saves,Comments,Shares,"
              "Likes,Profile Visits,Follows,Conversion Rate,Caption,Hashtags\n")
    days = ["2024-03-01", "2024-03-08", "2024-03-09", "2024-03-10", "2024-04-10"]
    (tmp_path / "posts.csv").write_text(header + "".join(
        f"{day},100,50,20,20,10,1,2,3,4,5,0,0.0,post of {day},#shop\n" for day in days))
    ds = toolkit.load(tmp_path, account="shop", progress=False, cache=False)
    assert set(ds.report["format"]) == {"instagram_post_insights", "follower_history"}
    got = ds.posts.set_index(ds.posts["published_at"].dt.strftime("%Y-%m-%d"))["followers"]
    assert got[days].tolist() == [1000, 1000, pd.NA, 900, pd.NA]
    assert any("come from the follower history" in n and "at most 7 days old" in n for n in ds.notes)
    assert any("stay missing for 2 posts" in n for n in ds.notes)


def test_a_day_written_with_its_offset_stays_that_day(tmp_path):
    # Berlin midnights, as an export that writes times with offsets gives its days: converted to
    # UTC first they would all fall on the day before
    path = tmp_path / "followers.csv"
    path.write_text("date,followers\n2024-01-01T00:00:00+01:00,100\n2024-01-02T00:00:00+01:00,101\n"
                    "2024-01-03T23:30:00-05:00,103\n")
    ds = toolkit.load(path, account="shop", progress=False, cache=False)
    assert ds.followers["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert ds.report["rows_loaded"].tolist() == [3]


def test_follower_flows_file():
    ds = toolkit.load(FOLLOWERS_FLOWS, account="north_wind")
    report = ds.report.iloc[0]
    assert report["format"] == "follower_flows"
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (11, 10, 1)
    assert ds.followers["followers"].isna().all()
    assert "-3" in ds.rejected.loc[0, "reason"]


# --- detection errors ---------------------------------------------------------------------------

def test_unknown_file_names_file_closest_format_and_missing_columns(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text('"Tweet id","Tweet text","when","views"\n"1","hi","2024-01-01","3"\n')
    with pytest.raises(DataFormatError) as err:
        detect(path)
    message = str(err.value)
    assert "mystery.csv" in message
    assert "x_legacy_posts" in message
    assert "'time'" in message and "'impressions'" in message
    with pytest.raises(DataFormatError):
        toolkit.load(path)


def test_empty_and_missing_files_raise_project_errors(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataFormatError, match="empty.csv"):
        toolkit.load(empty)
    with pytest.raises(DataFormatError, match="nothere.csv"):
        toolkit.load(tmp_path / "nothere.csv")


def test_unknown_format_name():
    with pytest.raises(EngagementLabError, match="unknown format"):
        toolkit.load(LEGACY_Q1, format="no_such_format")


def test_mixed_load_sets_platform_and_account():
    ds = toolkit.load([LEGACY_Q1, UCI_REAL])
    counts = ds.posts.groupby(["platform", "account"], observed=True).size()
    assert counts[("x", "north_wind")] == 11
    assert counts[("facebook", "uci_cosmetics_brand")] == 500


def test_missing_counts_are_na_never_zero():
    posts = toolkit.load(LEGACY_Q1).posts
    assert posts["likes"].isna().sum() == 1
    assert all(posts[c].dtype == "Int64" for c in COUNT_COLUMNS)


# --- broken records and encodings -----------------------------------------------------------------

def test_records_with_wrong_field_counts_are_rejected_with_their_row(tmp_path):
    lines = LEGACY_Q2.read_text(encoding="utf-8").split("\n")
    header_fields = lines[0].count('","') + 1
    lines[2] = lines[2] + ',"extra"'  # the second record gets a 41st field
    path = tmp_path / LEGACY_Q2.name
    path.write_text("\n".join(lines), encoding="utf-8")
    ds = toolkit.load(path)
    report = ds.report.iloc[0]
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (6, 5, 1)
    assert ds.rejected.loc[0, "reason"] == f"expected {header_fields} fields, found {header_fields + 1}"
    assert ds.rejected.loc[0, "source_row"] == 3


def test_file_that_stops_being_utf8_is_read_as_cp1252_and_says_so(tmp_path):
    text = (FIX / "generic" / "my_network_posts.csv").read_bytes()
    path = tmp_path / "posts.csv"
    words = ["cafe"] * 8000 + ["caf\xe9"] * 1000
    filler = "".join(f'"p{i}","2024-04-01","{w} {i}","1","0","10","Photo","no","x"\r\n'
                     for i, w in enumerate(words))
    content = text + filler.encode("cp1252")
    assert content[: 256 * 1024].decode("utf-8")  # valid UTF-8 for longer than the sniffed head
    path.write_bytes(content)
    ds = toolkit.load(path, mapping={**GENERIC_MAPPING, "platform": "other"})
    # the fixture's byte order mark says UTF-8; the 1000 lines that are not were read as cp1252
    assert ds.report.loc[0, "encoding"] == "utf-8-sig, 1000 lines cp1252"
    assert ds.posts["text"].str.contains("café", regex=False).any()


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_broken_record_that_is_not_utf8_is_rejected_without_an_error_report(tmp_path):
    # Arrow cannot decode such a record to show it to the fast reader's handler and reports that
    # as an unraisable error (printed to a user's notebook); it is a broken record like any other
    text = (FIX / "generic" / "my_network_posts.csv").read_bytes()
    path = tmp_path / "posts.csv"
    lines = [f'"p{i}","2024-04-01","cafe {i}","1","0","10","Photo","no","x"\r\n' for i in range(9000)]
    lines[8500] = lines[8500].replace('"x"', '"x","caf\xe9"')  # one field too many
    path.write_bytes(text + "".join(lines).encode("cp1252"))
    ds = toolkit.load(path, mapping={**GENERIC_MAPPING, "platform": "other"}, cache=False)
    assert ds.report.loc[0, "encoding"] == "utf-8-sig, 1 line cp1252"
    broken = ds.rejected[ds.rejected["reason"] == "expected 9 fields, found 10"]
    assert len(broken) == 1 and broken["raw"].iloc[0].endswith('x,café')


def test_a_zip_archive_is_named_as_one_with_what_to_do(tmp_path):
    # YouTube Studio's export downloads as a zip of Table data.csv, Chart data.csv and Totals.csv
    import zipfile

    path = tmp_path / "Content 2023-01-01_2023-12-31 Baker.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("Table data.csv", "Chart data.csv", "Totals.csv"):
            archive.writestr(name, "Content,Video title\n")
        archive.writestr("__MACOSX/._Totals.csv", "")
    with pytest.raises(DataFormatError, match="is a zip archive, not an export file: unpack it") as err:
        toolkit.load(path, cache=False)
    assert str(path) in str(err.value)
    assert "3 files in the archive: Table data.csv, Chart data.csv, Totals.csv" in str(err.value)


def test_overlapping_follower_histories_give_one_row_per_day(tmp_path):
    """Days repeated across exports merge: each column from the latest export that has a value
    (file times order the exports here), a lone blank day stays missing, and every folded row is
    counted in ``duplicates_merged``."""
    import os

    files = {
        "flows.csv": ("date,new_follows,unfollows\n2024-01-03,5,1\n", 1_700_000_000),
        "old.csv": ("date,followers\n2024-01-01,100\n2024-01-02,\n2024-01-03,105\n", 1_700_100_000),
        "new.csv": ("date,followers\n2024-01-03,106\n2024-01-04,110\n", 1_700_200_000),
    }
    for name, (text, mtime) in files.items():
        (tmp_path / name).write_text(text)
        os.utime(tmp_path / name, (mtime, mtime))
    ds = toolkit.load(tmp_path, account="me", cache=False)
    f = ds.followers
    assert f["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    assert f["followers"].tolist() == [100, pd.NA, 106, 110]
    assert f["new_follows"].tolist() == [pd.NA, pd.NA, 5, pd.NA]
    assert f.loc[2, "source_file"] == str(tmp_path / "new.csv")
    report = ds.report.set_index(ds.report["source_file"].map(lambda s: Path(s).name))
    assert report["duplicates_merged"].to_dict() == {"flows.csv": 1, "new.csv": 0, "old.csv": 1}
    assert (report["rows_read"] == report["rows_loaded"] + report["rows_rejected"]
            + report["duplicates_merged"]).all()


@pytest.mark.parametrize("cache", ["off", "per-file entries"])
def test_overlapping_daily_files_count_each_repeated_record_once(tmp_path, monkeypatch, cache):
    # an X overview record feeds both ``daily`` and ``followers``: a day exported twice is one
    # merged record, not two (also when each file's tables come from the cache)
    older = tmp_path / OVERVIEW.name
    newer = tmp_path / "account_overview_analytics_2026-04-15_2026-04-24.csv"
    older.write_bytes(OVERVIEW.read_bytes())
    newer.write_bytes(OVERVIEW.read_bytes())
    if cache == "off":
        ds = toolkit.load(tmp_path, account="north_wind", cache=False)
    else:
        import shutil

        monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path.parent / f"{tmp_path.name}-cache"))
        toolkit.load(tmp_path, account="north_wind")
        shutil.rmtree(tmp_path.parent / f"{tmp_path.name}-cache" / "datasets")  # whole-load entry gone
        ds = toolkit.load(tmp_path, account="north_wind")
    report = ds.report.set_index(ds.report["source_file"].map(lambda s: Path(s).name))
    repeated = int(report.loc[older.name, "rows_read"] - report.loc[older.name, "rows_rejected"])
    assert report.loc[older.name, "duplicates_merged"] == repeated
    assert report.loc[older.name, "rows_loaded"] == 0
    assert report.loc[newer.name, "duplicates_merged"] == 0
    assert len(ds.daily) == len(ds.followers) == repeated
    assert not ds.daily.duplicated(["account", "platform", "date"]).any()
    assert (report["rows_read"] == report["rows_loaded"] + report["rows_rejected"]
            + report["duplicates_merged"]).all()


def test_a_negative_count_is_placed_by_file_and_spreadsheet_row_whatever_the_index():
    posts = toolkit.load(LEGACY_Q1).posts.copy()
    posts.loc[posts.index[3], "likes"] = -3
    file, row = posts.loc[posts.index[3], ["source_file", "source_row"]]
    assert row != 3  # the spreadsheet row is not the position
    expected = f"{file}, row {row}, column 'likes': counts must be zero or more (found: -3)"
    for indexed in (posts, posts.set_index("post_id", drop=False),
                    posts.set_index("published_at", drop=False).rename_axis(None)):
        with pytest.raises(SchemaError) as info:
            validate_posts(indexed)
        assert str(info.value) == expected
    # without a source the error gives the position, never an index label
    unsourced = posts.assign(source_file=pd.NA, source_row=pd.NA).astype(
        {"source_file": "string", "source_row": "Int64"}).set_index("published_at", drop=False)
    with pytest.raises(SchemaError, match=r"position 3 of posts \(counting from 0\)") as info:
        validate_posts(unsourced)
    assert (info.value.file, info.value.row, info.value.column) == (None, None, "likes")
