"""Tests of the export writers and of the bundled sample data.

Format facts checked here come from EXPORT-FORMATS.md (the quirks of real exports); counts are
compared with the simulator's known truth (``toolkit.simulate.sample_profiles``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.exports import (
    X_LEGACY_HEADER_EN,
    X_LEGACY_HEADER_PT,
    X_OVERVIEW_HEADER,
    X_POSTS_HEADERS,
    accrual,
    counts_as_of,
    write_follower_history,
    write_x_legacy_daily,
    write_x_legacy_posts,
    write_x_overview,
    write_x_posts,
)
from toolkit.simulate import SAMPLE_ACCOUNTS, main, sample_profiles, simulate_profile

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sim():
    return simulate_profile(days=60, posts_per_day=3, seed=21, purge=("2024-02-01", 0.1))


@pytest.fixture(scope="module")
def truth():
    return {s.truth["account"]: s for s in sample_profiles()}


def _records(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _sha(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (hidden ones, e.g. editor checkpoints, skipped)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


# ---------------------------------------------------------------------------------------------
# sample data
def test_sample_data_regenerates_byte_for_byte(tmp_path):
    assert main(["--out", str(tmp_path)]) == 0
    bundled, fresh = _sha(SAMPLE), _sha(tmp_path)
    assert sorted(bundled) == sorted(fresh)
    assert bundled == fresh
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < 4_000_000  # a few MB at most


def test_sample_truth_is_what_the_readme_states(truth):
    main_truth = truth["harborbakes"].truth
    assert str(main_truth["change"].date()) == "2024-10-01" and main_truth["change_lift"] == 0.25
    assert main_truth["personal_lift"] == 0.30
    assert str(main_truth["purge"]["date"].date()) == "2025-02-15" and main_truth["purge"]["size"] == 0.12
    assert main_truth["spike"] is None
    assert str(truth["trailmixstudio"].truth["spike"]["date"].date()) == "2024-08-20"
    assert truth["oficina_pedal"].truth["change"] is None
    readme = (SAMPLE.parent / "README.md").read_text(encoding="utf-8")
    for sim_ in truth.values():
        t = sim_.truth
        assert f"{t['n_posts']:,}" in readme
        assert f"; {t['n_posts'] / len(sim_.followers):.2f})" in readme  # realised posts per day
        last = int(sim_.followers["followers"].iloc[-1])
        assert f"{last:,}" in readme
    assert f"{-main_truth['purge']['followers_delta']:,}" in readme
    assert len(SAMPLE_ACCOUNTS) == 3


def test_every_sample_file_is_described_in_the_readme():
    readme = (SAMPLE.parent / "README.md").read_text(encoding="utf-8")
    for path in SAMPLE.rglob("*.csv"):
        name = path.name
        generic = re.sub(r"_\d{8}_\d{8}_(en|pt)\.csv$", r"_<from>_<to>_\1.csv", name)
        assert f"`{name}`" in readme or f"`{generic}`" in readme or f"`labels/{name}`" in readme, name


# ---------------------------------------------------------------------------------------------
# X legacy
def test_legacy_export_has_the_real_quirks(sim, tmp_path):
    path = write_x_legacy_posts(sim.posts, tmp_path, handle="north_wind", start="2024-01-01",
                                end="2024-01-31", extra=sim.extra)
    assert path.name == "tweet_activity_metrics_north_wind_20240101_20240131_en.csv"
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"\n")
    records = _records(path)
    assert tuple(records[0]) == X_LEGACY_HEADER_EN and len(records[0]) == 40
    rows = records[1:]
    in_window = sim.posts["published_at"] < pd.Timestamp("2024-02-01", tz="UTC")
    assert len(rows) == int(in_window.sum())
    # every field double-quoted: each physical record starts and ends with a quote
    text = data.decode("utf-8")
    assert text.count('"') >= 2 * 40 * len(records)
    assert all(r[:1] == '"' for r in re.split(r'"\n(?=")', text)[1:])
    for row in rows:
        assert re.fullmatch(r"\d{19}", row[0])
        assert row[1] == f"https://twitter.com/north_wind/status/{row[0]}"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d \+0000", row[3])
        floats, ints = row[4:15], row[15:22]
        assert all(re.fullmatch(r"\d+\.0", v) for i, v in enumerate(floats) if i != 2), floats
        assert float(row[6]) == pytest.approx(float(row[5]) / float(row[4]))
        assert all(re.fullmatch(r"\d+", v) for v in ints), ints
        assert row[22:] == ["-"] * 18
    # newest first, raw newlines kept in texts (about 3 in 10 records span lines)
    times = [r[3] for r in rows]
    assert times == sorted(times, reverse=True)
    multiline = np.mean(["\n" in r[2] for r in rows])
    assert 0.1 < multiline < 0.5
    # engagements = every interaction column (all but impressions, rate, media views)
    for row in rows[:20]:
        parts = [float(row[i]) for i in range(7, 22) if i != 20]
        assert float(row[5]) == sum(parts)


def test_legacy_counts_match_the_posts(sim, tmp_path):
    path = write_x_legacy_posts(sim.posts, tmp_path, handle="a", start="2024-01-01", end="2024-02-29")
    frame = pd.DataFrame(_records(path)[1:], columns=X_LEGACY_HEADER_EN).set_index("Tweet id")
    posts = sim.posts.set_index("post_id")
    for source, canonical in [("impressions", "impressions"), ("likes", "likes"), ("retweets", "shares"),
                              ("replies", "comments"), ("user profile clicks", "profile_visits"),
                              ("url clicks", "clicks"), ("follows", "follows")]:
        values = frame[source].astype(float).astype("int64")
        assert (values == posts.loc[values.index, canonical].astype("int64")).all(), source
    assert (frame["Tweet text"] == posts.loc[frame.index, "text"]).all()


def test_portuguese_and_favorites_headers(sim, tmp_path):
    pt = write_x_legacy_posts(sim.posts, tmp_path, handle="a", start="2024-01-01", end="2024-01-10", lang="pt")
    assert pt.name.endswith("_pt.csv")
    header = _records(pt)[0]
    assert tuple(header) == X_LEGACY_HEADER_PT and len(header) == 40
    assert header[:4] == ["id do Tweet", "link permanente do Tweet", "texto do Tweet", "horário"]
    assert "favoritos" in header and "cliques no perfil do usuário:" in header
    fav = write_x_legacy_posts(sim.posts, tmp_path, handle="b", start="2024-01-01", end="2024-01-10",
                               likes_header="favorites")
    header = _records(fav)[0]
    assert "favorites" in header and "likes" not in header and "promoted favorites" in header


def test_missing_counts_are_dashes_not_zeros(sim, tmp_path):
    posts = sim.posts.copy()
    posts.loc[posts.index[:3], "likes"] = pd.NA
    path = write_x_legacy_posts(posts, tmp_path, handle="a", start="2024-01-01", end="2024-03-01")
    frame = pd.DataFrame(_records(path)[1:], columns=X_LEGACY_HEADER_EN).set_index("Tweet id")
    assert (frame.loc[posts["post_id"].iloc[:3], "likes"] == "-").all()


def test_a_missing_count_leaves_the_totals_missing_not_zero_or_partial(sim, tmp_path):
    """A total over a missing count is missing ("-"): a 0 or a sum of the other parts would be an
    undercount, which a loader then takes for the platform's own total."""
    import toolkit

    posts = sim.posts.copy()
    day = posts["published_at"].dt.floor("D")
    first = posts.index[0]  # published on Jan 1
    posts.loc[first, "likes"] = pd.NA
    posts.loc[day == pd.Timestamp("2024-01-02", tz="UTC"), "impressions"] = pd.NA
    pid = posts.loc[first, "post_id"]
    # legacy per-post file: the post's engagements and rate are missing, the other posts' are not
    legacy = write_x_legacy_posts(posts, tmp_path, handle="a", start="2024-01-01", end="2024-01-03")
    frame = pd.DataFrame(_records(legacy)[1:], columns=X_LEGACY_HEADER_EN).set_index("Tweet id")
    assert frame.loc[pid, ["likes", "engagements", "engagement rate"]].tolist() == ["-", "-", "-"]
    assert (frame.drop(index=pid)["engagements"] != "-").all()
    back = toolkit.engagement(toolkit.load(legacy, progress=False).posts).set_index("post_id")
    assert pd.isna(back.loc[pid, "likes"]) and pd.isna(back.loc[pid, "engagements"])
    # legacy daily file: a day with a missing count on one post has that total missing; a day
    # without posts (Dec 31) has nothing to count: 0
    daily = write_x_legacy_daily(posts, tmp_path, handle="a", start="2023-12-31", end="2024-01-03")
    records = _records(daily)
    frame = pd.DataFrame(records[1:], columns=records[0]).set_index("Date")
    cells = ["Tweets published", "impressions", "likes", "engagements", "engagement rate"]
    assert frame.loc["2023-12-31", cells].tolist() == ["0", "0", "0", "0", "0.0"]
    assert frame.loc["2024-01-01", cells].tolist()[2:] == ["-", "-", "-"]
    assert frame.loc["2024-01-02", "impressions"] == "-" and frame.loc["2024-01-02", "engagement rate"] == "-"
    assert frame.loc["2024-01-02", "likes"] != "-" and "-" not in frame.loc["2024-01-03", cells].tolist()
    # new daily overview: the same
    overview = write_x_overview(posts, sim.followers, tmp_path / "overview.csv", extra=sim.extra)
    frame = pd.DataFrame(_records(overview)[1:], columns=X_OVERVIEW_HEADER).set_index("Date")
    assert frame.loc["Mon, Jan 1, 2024", ["Likes", "Engagements"]].tolist() == ["-", "-"]
    assert frame.loc["Mon, Jan 1, 2024", "Impressions"] != "-"
    assert frame.loc["Tue, Jan 2, 2024", "Impressions"] == "-" and frame.loc["Tue, Jan 2, 2024", "Likes"] != "-"
    assert "-" not in frame.loc["Wed, Jan 3, 2024"].tolist()


def test_legacy_export_refuses_posts_known_only_by_their_date(sim, tmp_path):
    """The legacy file always carries a time of day; a made-up midnight would load back as a real
    time, so date-only posts in the window are an error naming the first of them."""
    from toolkit.errors import AnalysisError

    posts = sim.posts.copy()
    january = (posts["published_at"] < pd.Timestamp("2024-02-01", tz="UTC")).to_numpy()
    dated = [posts.index[january][4], posts.index[january][7], posts.index[~january][0]]
    posts.loc[dated, "time_known"] = False
    with pytest.raises(AnalysisError) as info:
        write_x_legacy_posts(posts, tmp_path / "jan", handle="a", start="2024-01-01", end="2024-01-31")
    message = str(info.value)
    assert "parameter 'posts'" in message and "column 'time_known'" in message
    assert f"2 posts with a date only, the first {posts.loc[dated[0], 'post_id']}" in message
    assert not (tmp_path / "jan").exists()
    # a date-only post outside the window is not written, so it is no obstacle
    later = write_x_legacy_posts(posts.drop(index=dated[:2]), tmp_path, handle="a", start="2024-01-01",
                                 end="2024-01-31")
    assert len(_records(later)) - 1 == int(january.sum()) - 2


def test_writers_are_deterministic(sim, tmp_path):
    a = write_x_legacy_posts(sim.posts, tmp_path / "a", handle="h", start="2024-01-01", end="2024-02-29",
                             extra=sim.extra)
    b = write_x_legacy_posts(sim.posts, tmp_path / "b", handle="h", start="2024-01-01", end="2024-02-29",
                             extra=sim.extra)
    assert a.read_bytes() == b.read_bytes()


def test_legacy_daily_file(sim, tmp_path):
    path = write_x_legacy_daily(sim.posts, tmp_path, handle="north_wind", start="2024-01-01", end="2024-01-31",
                                extra=sim.extra)
    assert path.name == "daily_tweet_activity_metrics_north_wind_20240101_20240131_en.csv"
    records = _records(path)
    assert len(records[0]) == 38 and records[0][:3] == ["Date", "Tweets published", "impressions"]
    assert path.read_text(encoding="utf-8").startswith('"Date","Tweets published"')
    frame = pd.DataFrame(records[1:], columns=records[0])
    assert frame["Date"].tolist() == [f"2024-01-{d:02d}" for d in range(1, 32)]
    january = sim.posts[sim.posts["published_at"] < pd.Timestamp("2024-02-01", tz="UTC")]
    assert frame["Tweets published"].astype(int).sum() == len(january)
    assert frame["likes"].astype(int).sum() == january["likes"].sum()
    assert (frame.filter(like="promoted") == "-").all().all()


# ---------------------------------------------------------------------------------------------
# X new account analytics
@pytest.mark.parametrize("variant, pattern", [
    (1, r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [1-9]\d?, 20\d\d"),
    (2, r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d 20\d\d"),
])
def test_new_per_post_export(sim, tmp_path, variant, pattern):
    path = write_x_posts(sim.posts, tmp_path / "posts.csv", handle="north_wind", variant=variant, extra=sim.extra)
    text = path.read_text(encoding="utf-8")
    assert text.split("\n", 1)[0] == ",".join(X_POSTS_HEADERS[variant])  # unquoted header
    records = _records(path)
    rows = records[1:]
    assert len(rows) == len(sim.posts)
    assert all(re.fullmatch(pattern, r[1]) for r in rows)
    days = [pd.Timestamp(r[1].replace(",", "")) for r in rows]
    assert days == sorted(days, reverse=True)  # newest first
    # quoted only when needed: a text without comma, quote or newline is written bare
    bare = next(r for r in rows if not re.search(r'[,"\n]', r[2]))
    assert f",{bare[2]}," in text
    posts = sim.posts.set_index("post_id")
    frame = pd.DataFrame(rows, columns=X_POSTS_HEADERS[variant]).set_index("Post id")
    assert (frame["Likes"].astype("int64") == posts.loc[frame.index, "likes"].astype("int64")).all()
    assert (frame["Reposts"].astype("int64") == posts.loc[frame.index, "shares"].astype("int64")).all()
    assert (frame["Bookmarks"].astype("int64") == posts.loc[frame.index, "saves"].astype("int64")).all()
    day = posts.loc[frame.index, "published_at"].dt.tz_localize(None).dt.floor("D")
    assert (pd.Series(days, index=frame.index) == day).all()


def test_daily_overview(sim, tmp_path):
    path = write_x_overview(sim.posts, sim.followers, tmp_path / "overview.csv", extra=sim.extra)
    data = path.read_bytes()
    assert not data.endswith(b"\n")  # no trailing newline, like the real file
    records = _records(path)
    assert tuple(records[0]) == X_OVERVIEW_HEADER
    frame = pd.DataFrame(records[1:], columns=X_OVERVIEW_HEADER)
    assert len(frame) == len(sim.followers)
    flows = sim.followers.iloc[::-1]
    assert (frame["New follows"].astype(int).to_numpy() == flows["new_follows"].to_numpy()).all()
    assert (frame["Unfollows"].astype(int).to_numpy() == flows["unfollows"].to_numpy()).all()
    assert frame["Create Post"].astype(int).sum() == len(sim.posts)
    assert frame["Likes"].astype(int).sum() == sim.posts["likes"].sum()
    # the purge is counted in that day's Unfollows (organic unfollows plus the purged followers)
    purge_row = frame[frame["Date"] == "Thu, Feb 1, 2024"]
    purged = -sim.truth["purge"]["followers_delta"]
    assert int(purge_row["Unfollows"].iloc[0]) == int(sim.followers.set_index("date").loc["2024-02-01", "unfollows"])
    assert int(purge_row["Unfollows"].iloc[0]) >= purged > 0


def test_follower_history(sim, tmp_path):
    plain = write_follower_history(sim.followers, tmp_path / "f.csv")
    lines = plain.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "date,followers" and lines[1] == "2024-01-01,5000" and len(lines) == 61
    with_account = write_follower_history(sim.followers, tmp_path / "g.csv", account=True)
    assert with_account.read_text(encoding="utf-8").splitlines()[1] == "2024-01-01,sim,5000"


# ---------------------------------------------------------------------------------------------
# lifetime counts grow between exports
def test_counts_as_of_never_exceed_later_counts(sim):
    early, extra = counts_as_of(sim.posts, "2024-01-20", "2024-03-31", extra=sim.extra, seed=1)
    later = sim.posts.loc[early.index]
    for column in ("impressions", "likes", "comments", "shares", "clicks", "follows"):
        assert (early[column] <= later[column]).all()
    assert (extra <= sim.extra.loc[extra.index]).all().all()
    before = later["published_at"] < pd.Timestamp("2024-01-20", tz="UTC")
    # old posts keep most of their counts; accrual(19 d) / accrual(70 d) ~ 0.94
    ratio = early.loc[before, "likes"].sum() / later.loc[before, "likes"].sum()
    assert 0.85 < ratio < 0.99
    assert accrual(0.0) == 0 and accrual(1e6) == pytest.approx(1.0)


def test_counts_as_of_matches_extra_by_post_and_leaves_out_later_posts(sim):
    """``extra`` is matched to the posts by index label, not row position, and posts published
    after ``when`` are left out: an export taken then cannot hold them."""
    when = pd.Timestamp("2024-01-20", tz="UTC")
    posts = sim.posts.iloc[::-2]  # newest first, half of the posts: neither order nor length of extra
    early, extra = counts_as_of(posts, when, "2024-03-31", extra=sim.extra, seed=1)
    assert early.index.equals(posts.index[(posts["published_at"] <= when).to_numpy()])
    assert extra.index.equals(early.index)
    later = sim.extra.loc[extra.index]
    assert (extra <= later).all().all()
    # thinned like the posts' own counts (accrual(19 d) / accrual(70 d) ~ 0.94 for old posts)
    old = early.index[early["published_at"] < when - pd.Timedelta(days=2)]
    ratio = extra.loc[old].sum().sum() / later.loc[old].sum().sum()
    assert 0.85 < ratio < 0.99


def test_overlapping_sample_exports_grow_and_the_latest_holds_the_truth(truth):
    files = sorted(SAMPLE.glob("tweet_activity_metrics_harborbakes_*_en.csv"))
    assert len(files) == 7
    frames = []
    for k, path in enumerate(files):
        rows = _records(path)
        header = rows[0]
        frame = pd.DataFrame(rows[1:], columns=header).rename(columns={"favorites": "likes"})
        frames.append(frame.assign(file=k))
    both = pd.concat(frames)
    dup = both[both.duplicated("Tweet id", keep=False)]
    assert dup["Tweet id"].nunique() > 150  # 14-day overlaps between consecutive files
    wide = dup.pivot_table(index="Tweet id", columns="file", values="likes", aggfunc="first")
    first = dup.groupby("Tweet id")["file"].min()
    early = np.array([float(wide.loc[i, f]) for i, f in first.items()])
    late = np.array([float(wide.loc[i, f + 1]) for i, f in first.items()])
    assert (early <= late).all() and (early < late).mean() > 0.2
    latest = both.drop_duplicates("Tweet id", keep="last").set_index("Tweet id")
    posts = truth["harborbakes"].posts.set_index("post_id")
    assert len(latest) == len(posts)
    assert (latest["likes"].astype(float).astype("int64") == posts.loc[latest.index, "likes"]).all()


# ---------------------------------------------------------------------------------------------
# round trip through the loaders
COMPARED = ["impressions", "likes", "comments", "shares", "clicks", "profile_visits", "follows"]


def _load(paths, **kwargs):
    import toolkit

    return toolkit.load(sorted(str(p) for p in paths), **kwargs)


def test_loading_the_main_account_reproduces_the_simulated_counts(truth):
    sim_ = truth["harborbakes"]
    ds = _load(list(SAMPLE.glob("tweet_activity_metrics_harborbakes_*.csv"))
               + [SAMPLE / "followers_harborbakes.csv"])
    assert ds.rejected.empty
    assert int(ds.report["duplicates_merged"].sum()) == sum(
        len(_records(p)) - 1 for p in SAMPLE.glob("tweet_activity_metrics_harborbakes_*.csv")) - len(sim_.posts)
    loaded = ds.posts.set_index("post_id").sort_index()
    expected = sim_.posts.set_index("post_id").sort_index()
    assert loaded.index.equals(expected.index)
    for column in COMPARED + ["followers"]:
        pd.testing.assert_series_equal(loaded[column], expected[column], check_names=False)
    pd.testing.assert_series_equal(loaded["published_at"], expected["published_at"], check_names=False)
    pd.testing.assert_series_equal(loaded["text"], expected["text"], check_names=False)
    assert (loaded["account"] == "harborbakes").all() and loaded["time_known"].all()
    assert (loaded["paid"] == False).all()  # noqa: E712  (every promoted cell is "-")


def test_loading_the_portuguese_control_account(truth):
    sim_ = truth["oficina_pedal"]
    ds = _load(SAMPLE.glob("tweet_activity_metrics_oficina_pedal_*_pt.csv"))
    assert ds.rejected.empty
    loaded = ds.posts.set_index("post_id").sort_index()
    expected = sim_.posts.set_index("post_id").sort_index()
    assert loaded.index.equals(expected.index)
    for column in COMPARED:
        if column == "follows":
            continue  # see test_portuguese_follows_column_is_loaded
        pd.testing.assert_series_equal(loaded[column], expected[column], check_names=False, obj=column)


def _loader_knows_seguiram() -> bool:
    from toolkit.loading.platforms import x

    aliases = x.LEGACY_COLUMNS.get("follows", ())
    return "seguiram" in ((aliases,) if isinstance(aliases, str) else aliases)


@pytest.mark.xfail(not _loader_knows_seguiram(), strict=True,
                   reason="known loader bug: the Portuguese follows column is mapped as 'seguidores'; the "
                   "real _pt.csv header says 'seguiram' (runs as a normal test once the loader knows it)")
def test_portuguese_follows_column_is_loaded(truth):
    ds = _load(SAMPLE.glob("tweet_activity_metrics_oficina_pedal_*_pt.csv"))
    loaded = ds.posts.set_index("post_id").sort_index()["follows"]
    expected = truth["oficina_pedal"].posts.set_index("post_id").sort_index()["follows"]
    pd.testing.assert_series_equal(loaded, expected, check_names=False)


def test_loading_the_new_x_exports(truth):
    sim_ = truth["trailmixstudio"]
    ds = _load(SAMPLE.glob("account_*_trailmixstudio_*.csv"), account="trailmixstudio")
    assert ds.rejected.empty
    loaded = ds.posts.set_index("post_id").sort_index()
    expected = sim_.posts.set_index("post_id").sort_index()
    assert loaded.index.equals(expected.index)
    for column in COMPARED + ["saves"]:
        pd.testing.assert_series_equal(loaded[column], expected[column], check_names=False, obj=column)
    assert not loaded["time_known"].any()
    day = expected["published_at"].dt.floor("D")
    pd.testing.assert_series_equal(loaded["published_at"].dt.floor("D"), day, check_names=False)
    flows = ds.followers.dropna(subset=["new_follows"]).set_index("date").sort_index()
    truth_flows = sim_.followers.set_index("date").sort_index()
    assert (flows["new_follows"] == truth_flows.loc[flows.index, "new_follows"]).all()
    assert (flows["unfollows"] == truth_flows.loc[flows.index, "unfollows"]).all()


# ---------------------------------------------------------------------------------------------
# any text and any missing counts survive the writers (property-based)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXTS = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                 max_size=40)
_COUNTS = st.one_of(st.none(), st.integers(min_value=0, max_value=10**7))
_BASE = simulate_profile(days=3, posts_per_day=6, seed=1).posts


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_TEXTS, _COUNTS, _COUNTS), min_size=1, max_size=8))
def test_any_text_and_missing_counts_round_trip_through_the_writers(tmp_path_factory, rows):
    base = _BASE.iloc[np.arange(len(rows)) % len(_BASE)].reset_index(drop=True)
    base["post_id"] = pd.array([str(1750000000000000000 + i) for i in range(len(rows))], dtype="string")
    base["text"] = pd.array([r[0] for r in rows], dtype="string")
    base["likes"] = pd.array([r[1] for r in rows], dtype="Int64")
    base["impressions"] = pd.array([r[2] for r in rows], dtype="Int64")
    folder = tmp_path_factory.mktemp("w")
    legacy = write_x_legacy_posts(base, folder, handle="h", start="2024-01-01", end="2024-01-03")
    new = write_x_posts(base, folder / "new.csv", handle="h", variant=2)
    for path, id_col, text_col, likes_col, imp_col in ((legacy, 0, 2, 9, 4), (new, 0, 2, 5, 4)):
        back = {r[id_col]: r for r in _records(path)[1:]}
        assert len(back) == len(base)
        for pid, text, likes, imp in zip(base["post_id"], base["text"], base["likes"], base["impressions"]):
            row = back[pid]
            assert row[text_col] == text
            for cell, value in ((row[likes_col], likes), (row[imp_col], imp)):
                assert cell == "-" if pd.isna(value) else int(float(cell)) == value


def test_loading_the_whole_sample_folder_as_the_readme_says(truth):
    import toolkit

    ds = toolkit.load(str(SAMPLE))
    n = sum(len(s.posts) for s in truth.values())
    assert n == 3216 and len(ds.posts) == n  # data/README.md
    assert ds.rejected.empty
    assert ds.posts["followers"].notna().all()
    assert int(ds.report["duplicates_merged"].sum()) == 416
    assert len(ds.daily) == len(truth["trailmixstudio"].followers)
