"""Metrics pinned on hand-computed cases (closed forms written out in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from toolkit import metrics as m
from toolkit.errors import AnalysisError, DataFormatError
from toolkit.simulate import simulate_profile


def _posts(**columns):
    n = len(next(iter(columns.values())))
    frame = {"published_at": pd.date_range("2024-01-01 09:00", periods=n, freq="D", tz="UTC")}
    for name, values in columns.items():
        frame[name] = pd.array(values, dtype="Int64") if name not in ("content_label", "post_id", "media_type") \
            else values
    return pd.DataFrame(frame)


def test_engagements_are_na_aware_sums():
    posts = _posts(likes=[10, None, 0, None], comments=[2, None, 0, 5], shares=[1, None, None, None],
                   clicks=[3, None, 0, None], saves=[None, None, None, None])
    out = m.engagement(posts)
    # row 0: 10 + 2 + 1 + 3; row 1: everything NA -> NA; rows 2 and 3 miss counts the table
    # reports elsewhere (shares; likes, shares, clicks) -> NA, not an undercount passed off as a
    # total; saves are reported by no post, so they are left out of every sum
    assert out[m.ENGAGEMENTS].tolist() == [16, pd.NA, pd.NA, pd.NA]
    assert str(out[m.ENGAGEMENTS].dtype) == "Int64"
    assert out[m.ENGAGEMENTS_SOURCE].tolist() == ["sum", pd.NA, pd.NA, pd.NA]
    zero = m.engagement(posts.assign(shares=pd.array([1, None, 0, None], dtype="Int64")))
    assert zero[m.ENGAGEMENTS].tolist()[2] == 0  # all present and zero: a real zero


def test_counts_an_export_does_not_report_are_left_out_of_its_posts_sums():
    # two files: one reports clicks, the other has no clicks column values at all (Instagram)
    posts = _posts(likes=[10, 20, 30], clicks=[1, None, None])
    posts["source_file"] = pd.array(["x.csv", "x.csv", "instagram.csv"], dtype="string")
    out = m.engagement(posts)
    assert out[m.ENGAGEMENTS].tolist() == [11, pd.NA, 30]
    assert m.weighted_engagement(posts).tolist() == [14.0, pd.NA, 30.0]


def test_source_engagements_are_kept_and_only_gaps_filled():
    posts = _posts(likes=[10, 10, None], comments=[1, 1, None])
    posts[m.ENGAGEMENTS] = pd.array([100, None, None], dtype="Int64")
    out = m.engagement(posts)
    # the export's own figure (100, which counts more than likes + comments) wins; row 1 falls back
    assert out[m.ENGAGEMENTS].tolist() == [100, 11, pd.NA]
    assert out[m.ENGAGEMENTS_SOURCE].tolist() == ["export", "sum", pd.NA]


def test_input_is_not_modified():
    posts = _posts(likes=[1, 2], impressions=[10, 0])
    before = posts.copy()
    m.engagement(posts)
    pd.testing.assert_frame_equal(posts, before)


def test_weighted_engagement_default_ladder():
    posts = _posts(likes=[10, None], shares=[1, None], comments=[2, None], clicks=[3, None], saves=[0, None])
    out = m.engagement(posts)
    # 1*10 + 2*1 + 3*2 + 4*3 + 2*0 = 30; all NA -> NA
    assert out[m.WEIGHTED_ENGAGEMENT].tolist() == [30.0, pd.NA]
    w = m.DEFAULT_WEIGHTS
    assert w["likes"] < w["shares"] < w["comments"] < w["clicks"]


def test_weighted_engagement_custom_weights_and_errors():
    posts = _posts(likes=[10], clicks=[1])
    assert m.engagement(posts, {"likes": 0.5, "clicks": 10})[m.WEIGHTED_ENGAGEMENT].tolist() == [15.0]
    with pytest.raises(AnalysisError, match="weights") as err:
        m.engagement(posts, {"likes": -1})
    assert err.value.parameter == "weights"
    with pytest.raises(AnalysisError):
        m.engagement(posts, {})


def test_rates_hand_computed_with_na_and_zero_denominators():
    posts = _posts(likes=[12, 5, 3, None, 7], clicks=[2, 1, 0, 1, None], follows=[1, 0, None, 0, 0],
                   impressions=[200, 0, None, 50, 100], reach=[100, 10, 0, None, 70],
                   followers=[1000, 0, 300, 100, None])
    out = m.engagement(posts)
    # engagements = likes + clicks: 14, 6, 3, then NA where one of them is missing
    assert out[m.ENGAGEMENTS].tolist() == [14, 6, 3, pd.NA, pd.NA]
    assert out[m.RATE_IMPRESSIONS].tolist() == [14 / 200, pd.NA, pd.NA, pd.NA, pd.NA]
    assert out[m.RATE_REACH].tolist() == [14 / 100, 6 / 10, pd.NA, pd.NA, pd.NA]
    assert out[m.RATE_FOLLOWERS].tolist() == [14 / 1000, pd.NA, 3 / 300, pd.NA, pd.NA]
    assert out[m.CLICK_THROUGH].tolist() == [2 / 200, pd.NA, pd.NA, 1 / 50, pd.NA]
    assert out[m.FOLLOWS_PER_IMPRESSION].tolist() == [1 / 200, pd.NA, pd.NA, 0.0, 0.0]
    for name in m.RATES:
        values = out[name].to_numpy(dtype=float, na_value=np.nan)
        assert not np.isinf(values).any(), name
        assert str(out[name].dtype) == "Float64"


def test_rate_function_never_inf_or_zero_for_missing():
    r = m.rate(pd.Series([0, 5, None], dtype="Int64"), pd.Series([0, 0, 0], dtype="Int64"))
    assert r.isna().all()


def test_aggregate_ratio_of_sums_and_mean_of_ratios_hand_computed():
    posts = _posts(likes=[1, 2, 3, 9], impressions=[10, 10, 20, 0])
    ros = m.aggregate(posts, "year", metric="likes")
    # zero-impression post left out: R = (1+2+3) / (10+10+20) = 0.15
    assert ros["n_posts"].tolist() == [4] and ros["n_used"].tolist() == [3]
    assert ros["value"].iloc[0] == pytest.approx(0.15)
    # ratio-estimator SE (Cochran 6.9): resid y - R d = (-0.5, 0.5, 0); sum sq 0.5;
    # se = sqrt(0.5 / (3 * 2)) / (40 / 3)
    se = math.sqrt(0.5 / 6) / (40 / 3)
    assert ros["ci_low"].iloc[0] == pytest.approx(0.15 - 1.959963984540054 * se)
    assert ros["ci_high"].iloc[0] == pytest.approx(0.15 + 1.959963984540054 * se)
    mor = m.aggregate(posts, "year", metric="likes", how="mean_of_ratios")
    # ratios 0.1, 0.2, 0.15: mean 0.15, sd 0.05
    assert mor["value"].iloc[0] == pytest.approx(0.15)
    assert mor["ci_high"].iloc[0] == pytest.approx(0.15 + 1.959963984540054 * 0.05 / math.sqrt(3))
    assert ros.attrs["description"] == "likes per impression (ratio of sums, by year)"
    assert mor.attrs["description"] == "likes per impression (mean of per-post ratios, by year)"
    assert set(ros["how"]) == {"ratio_of_sums"}


def test_aggregate_ratios_differ_when_small_posts_have_unusual_rates():
    posts = _posts(likes=[10, 1], impressions=[100, 1])
    # ratio of sums 11/101; mean of ratios (0.1 + 1) / 2
    assert m.aggregate(posts, "year", metric="likes")["value"].iloc[0] == pytest.approx(11 / 101)
    assert m.aggregate(posts, "year", metric="likes", how="mean_of_ratios")["value"].iloc[0] == pytest.approx(0.55)


def test_aggregate_group_with_only_zero_denominators_is_na():
    posts = _posts(likes=[1, 2, 3], impressions=[0, 0, 10], media_type=["photo", "photo", "video"])
    out = m.aggregate(posts, "media_type", metric="likes").set_index("media_type")
    assert pd.isna(out.loc["photo", "value"]) and out.loc["photo", "n_used"] == 0
    assert out.loc["video", "value"] == pytest.approx(0.3)
    assert pd.isna(out.loc["video", "ci_low"])  # one post: no interval


def test_aggregate_periods_per_post_and_sum():
    # 2024-01-07 is a Sunday, 2024-01-08 a Monday: two different weeks
    posts = pd.DataFrame({
        "published_at": pd.to_datetime(["2024-01-07 23:00", "2024-01-08 01:00", "2024-01-09 12:00"], utc=True),
        "likes": pd.array([4, 6, None], dtype="Int64"),
    })
    per_post = m.aggregate(posts, "week", metric="likes", denominator=None)
    assert per_post["period"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-08"]
    assert per_post["value"].tolist() == [4.0, 6.0]
    assert per_post["n_posts"].tolist() == [1, 2]
    total = m.aggregate(posts, "month", metric="likes", denominator=None, how="sum")
    assert total["value"].tolist() == [10.0]
    assert total.attrs["description"] == "total likes (sum, by month)"
    # the same hours in New York fall a day earlier
    ny = m.aggregate(posts, "day", metric="likes", denominator=None, tz="America/New_York")
    assert ny["period"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-07", "2024-01-09"]


def test_aggregate_errors_name_the_parameter():
    posts = _posts(likes=[1], impressions=[10])
    for kwargs, parameter in (({"how": "median"}, "how"), ({"by": "fortnight"}, "by"),
                              ({"metric": "hearts"}, "metric"), ({"denominator": "views"}, "denominator")):
        with pytest.raises(AnalysisError) as err:
            m.aggregate(posts, **{"by": "week", "metric": "likes", **kwargs})
        assert err.value.parameter == parameter


def test_aggregate_adds_engagement_columns_on_demand():
    posts = _posts(likes=[1, 3], comments=[1, 1], impressions=[10, 10])
    out = m.aggregate(posts, "year")  # engagements per impression
    assert out["value"].iloc[0] == pytest.approx(6 / 20)


def test_weekday_hour_counts_intervals_shrinkage_and_sparse_flags():
    posts = pd.DataFrame({
        "published_at": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 09:30", "2024-01-02 18:00",
                                        "2024-01-03 00:00"], utc=True),
        "time_known": [True, True, True, False],
        "likes": pd.array([10, 30, 1, 500], dtype="Int64"),
        "impressions": pd.array([100, 100, 100, 100], dtype="Int64"),
    })
    cells = m.weekday_hour(posts, metric="likes", prior_posts=2, min_posts=2)
    assert len(cells) == 168 and cells["n_posts"].sum() == 3  # the date-only post is left out
    mon9 = cells[(cells["weekday"] == "Mon") & (cells["hour"] == 9)].iloc[0]
    tue18 = cells[(cells["weekday"] == "Tue") & (cells["hour"] == 18)].iloc[0]
    # overall r0 = 41/300, mean exposure 100, k = 2: shrunk = (Y + 2 r0 100) / (D + 200)
    r0 = 41 / 300
    assert mon9["shrunk"] == pytest.approx((40 + 200 * r0) / 400)
    assert tue18["shrunk"] == pytest.approx((1 + 200 * r0) / 300)
    assert not mon9["sparse"] and tue18["sparse"]
    empty = cells[cells["n_posts"] == 0]
    assert empty["value"].isna().all() and empty["sparse"].all()
    assert empty["shrunk"].astype(float).round(12).eq(round(r0, 12)).all()
    with pytest.raises(AnalysisError):
        m.weekday_hour(posts, how="sum")


def test_top_and_bottom_posts():
    posts = _posts(likes=[5, 50, None, 1], impressions=[10, 1000, 100, 2000], post_id=["a", "b", "c", "d"])
    assert m.top_posts(posts, metric="likes", n=2)["post_id"].tolist() == ["b", "a"]
    assert m.top_posts(posts, metric="likes", n=1, bottom=True)["post_id"].tolist() == ["d"]
    rated = m.top_posts(posts, metric="likes", denominator="impressions", n=3)
    assert rated["post_id"].tolist() == ["a", "b", "d"]
    assert rated["likes per impressions"].tolist() == [0.5, 0.05, 0.0005]


def test_weight_sensitivity_baseline_row_and_rank_change():
    posts = _posts(likes=[100, 10, 50, 20], clicks=[0, 20, 5, 1], impressions=[1000] * 4,
                   content_label=["brand", "personal", "brand", "personal"])
    t = m.weight_sensitivity(posts, {"ladder": m.DEFAULT_WEIGHTS, "likes only": {"likes": 1}}, top=1)
    base = t.iloc[0]
    assert base["spearman_vs_baseline"] == pytest.approx(1.0) and base["top_overlap"] == 1.0
    # ladder scores 100, 90, 70, 24 -> ranks 4,3,2,1; likes only 100,10,50,20 -> ranks 4,1,3,2
    # Spearman = 1 - 6 * (0 + 4 + 1 + 1) / (4 * 15) = 0.4
    assert t.iloc[1]["spearman_vs_baseline"] == pytest.approx(0.4)
    # group rates: ladder brand 170/2000, personal 114/2000; likes only brand 150/2000, personal 30/2000
    assert base["rate[brand]"] == pytest.approx(0.085) and base["rate[personal]"] == pytest.approx(0.057)
    assert t.iloc[1]["order"] == "brand > personal"


def test_engagement_on_simulated_profile_matches_sum_of_counts():
    from toolkit.simulate import simulate_profile

    posts = simulate_profile(days=20, seed=1).posts
    out = m.engagement(posts)
    expected = sum(posts[c].astype("int64") for c in m.INTERACTION_COLUMNS)
    assert out[m.ENGAGEMENTS].astype("int64").tolist() == expected.tolist()
    assert (out[m.ENGAGEMENTS_SOURCE] == "sum").all()


def test_ladder_hand_computed_and_missing_signals_left_out():
    posts = pd.DataFrame({
        "account": ["a", "a", "b"],
        "likes": pd.array([90, 10, 5], dtype="Int64"),
        "clicks": pd.array([5, 5, None], dtype="Int64"),
        "follows": pd.array([1, 0, None], dtype="Int64"),
        "impressions": pd.array([1000, 1000, 100], dtype="Int64"),
    })
    out = m.ladder(posts, "account")
    a = out[out["account"] == "a"].set_index("signal")
    # a: likes 100 / 2000 impressions = 50 per 1,000; clicks 10 / 2000 = 5; interactions 110
    assert a.loc["likes", "per_1000_impressions"] == pytest.approx(50)
    assert a.loc["clicks", "per_1000_impressions"] == pytest.approx(5)
    assert a.loc["likes", "share_of_interactions"] == pytest.approx(100 / 110)
    assert pd.isna(a.loc["follows", "share_of_interactions"])  # follows are not interactions
    b = out[out["account"] == "b"]
    assert b["signal"].tolist() == ["likes"]  # b's export has no clicks or follows


def test_with_labels_fills_only_missing(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("post_id,content_label\n1,personal\n2,\n3,personal\n", encoding="utf-8")
    posts = pd.DataFrame({"post_id": pd.array(["1", "2", "3", "4"], dtype="string"),
                          "content_label": pd.array([None, None, "brand", None], dtype="string")})
    out = m.with_labels(posts, path)
    assert out["content_label"].tolist() == ["personal", pd.NA, "brand", pd.NA]
    assert out.attrs["labelled"] == 1
    assert posts["content_label"].isna().sum() == 3  # input untouched
    with pytest.raises(DataFormatError, match="needs columns post_id and the label column"):
        m.with_labels(posts, pd.DataFrame({"post_id": ["1"]}))
    # a mistyped path names the file (it was pandas' bare FileNotFoundError)
    with pytest.raises(DataFormatError, match="label file not found") as err:
        m.with_labels(posts, tmp_path / "lables.csv")
    assert err.value.file.endswith("lables.csv")


def test_ladder_with_weights_scores_each_rung():
    posts = pd.DataFrame({
        "likes": pd.array([90, 10], dtype="Int64"),
        "shares": pd.array([4, None], dtype="Int64"),
        "clicks": pd.array([5, 5], dtype="Int64"),
        "follows": pd.array([1, 0], dtype="Int64"),
        "impressions": pd.array([1000, 1000], dtype="Int64"),
    })
    out = m.ladder(posts, weights={"likes": 1, "shares": 5, "clicks": 2}).set_index("signal")
    # likes 100/2000 -> 50 per 1,000; shares 4 over the 1000 impressions where present -> 4; clicks 10/2000 -> 5
    assert out["per_1000_impressions"].tolist() == pytest.approx([50, 4, 5, 0.5])
    assert out.loc[["likes", "shares", "clicks"], "weighted_per_1000"].tolist() == pytest.approx([50, 20, 10])
    # score totals: likes 1*100, shares 5*4, clicks 2*10 -> 140 over both posts; shares are counted
    # on the first post only, whose score is 90 + 20 + 10 = 120; follows have no weight
    assert out.loc[["likes", "shares", "clicks"], "share_of_score"].tolist() == pytest.approx([100 / 140, 20 / 120, 20 / 140])
    assert pd.isna(out.loc["follows", "weight"]) and pd.isna(out.loc["follows", "share_of_score"])
    assert list(m.ladder(posts).columns) == list(m.LADDER_COLUMNS)
    zero = m.ladder(posts, weights={"likes": 0, "clicks": 0})  # a score of 0 has no shares
    assert zero["share_of_score"].isna().all()
    with pytest.raises(AnalysisError):
        m.ladder(posts, weights={"likes": -1})


def test_ladder_shares_of_pooled_exports_count_each_signal_on_the_posts_that_count_it():
    # an Instagram account counts saves, an X account does not: the saves' share is of the
    # Instagram posts' interactions alone (in each account, the shares are its own ladder's)
    insta = pd.DataFrame({"account": "i", "likes": pd.array([80, 60], dtype="Int64"),
                          "saves": pd.array([20, 40], dtype="Int64")})
    x = pd.DataFrame({"account": "x", "likes": pd.array([900, 1100], dtype="Int64"),
                      "saves": pd.array([None, None], dtype="Int64")})
    pooled = m.ladder(pd.concat([insta, x], ignore_index=True)).set_index("signal")
    assert pooled.loc["saves", "share_of_interactions"] == pytest.approx(60 / 200)  # not 60 / 2200
    assert pooled.loc["saves", "share_of_interactions"] == m.ladder(insta).set_index("signal").loc[
        "saves", "share_of_interactions"]
    assert pooled.loc["likes", "share_of_interactions"] == pytest.approx(2140 / 2200)
    assert pooled.loc["saves", "share_of_score"] == pytest.approx(2 * 60 / (140 + 2 * 60))
    by = m.ladder(pd.concat([insta, x], ignore_index=True), by="account").set_index(["account", "signal"])
    assert by.loc[("i", "saves"), "share_of_interactions"] == pytest.approx(0.3)
    assert by.loc[("x", "likes"), "share_of_interactions"] == 1.0 and ("x", "saves") not in by.index


def test_weight_sensitivity_matches_a_plain_pandas_computation():
    # reference: the same statistics spelled with pandas (rank().corr, sort_values, groupby sums),
    # on a simulated profile with missing counts, zero impressions and tied rates
    from toolkit.simulate import simulate_profile

    posts = simulate_profile(days=120, seed=5).posts
    posts["saves"] = posts["saves"].mask(posts.index % 3 == 0)
    posts["impressions"] = posts["impressions"].mask(posts.index % 11 == 0, 0)
    alternatives = {"mine": {"likes": 0, "clicks": 10, "saves": 2}, **m.ALTERNATIVE_WEIGHTS}
    got = m.weight_sensitivity(posts, alternatives, top=7).set_index("weights")
    den = posts["impressions"].astype("Float64")
    rates = {k: m.rate(m.weighted_engagement(posts, w), den).astype(float) for k, w in alternatives.items()}
    base = rates["mine"]
    base_top = set(base.dropna().sort_values(ascending=False, kind="stable").index[:7])
    for name, r in rates.items():
        both = base.notna() & r.notna()
        assert got.loc[name, "spearman_vs_baseline"] == pytest.approx(base[both].rank().corr(r[both].rank()))
        mine = set(r.dropna().sort_values(ascending=False, kind="stable").index[:7])
        assert got.loc[name, "top_overlap"] == len(mine & base_top) / 7
        score = m.weighted_engagement(posts, alternatives[name]).astype(float)
        used = score.notna() & (den > 0).fillna(False)
        sums = pd.DataFrame({"s": score[used], "d": den[used].astype(float),
                             "g": posts["content_label"][used]}).groupby("g").sum()
        for label in sums.index:
            assert got.loc[name, f"rate[{label}]"] == pytest.approx(sums.loc[label, "s"] / sums.loc[label, "d"])
        assert got.loc[name, "rate"] == pytest.approx(score[used].sum() / den[used].astype(float).sum())


def test_sum_counts_posts_without_a_denominator():
    # a total needs no exposure: 10 + 5 + 7, whatever impressions are known
    posts = pd.DataFrame({
        "published_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
        "likes": pd.array([10, 5, 7], dtype="Int64"),
        "impressions": pd.array([100, None, 0], dtype="Int64")})
    out = m.aggregate(posts, "week", metric="likes", how="sum")
    assert out["value"].tolist() == [22.0] and out["n_used"].tolist() == [3]


def test_posts_without_a_group_value_form_their_own_group():
    posts = pd.DataFrame({
        "content_label": pd.array(["brand", None, None], dtype="string"),
        "likes": pd.array([1, 2, 3], dtype="Int64"), "impressions": pd.array([10, 10, 10], dtype="Int64")})
    out = m.aggregate(posts, "content_label", metric="likes")
    assert out["n_posts"].tolist() == [1, 2]
    assert out["content_label"].iloc[0] == "brand" and pd.isna(out["content_label"].iloc[1])
    assert out["value"].tolist() == pytest.approx([0.1, 0.25])


def test_date_only_posts_keep_their_day_in_any_time_zone():
    # stored at midnight UTC of their day; New York is five hours behind, yet the day is the day
    posts = pd.DataFrame({
        "published_at": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-08 03:00"], utc=True,
                                       format="ISO8601"),
        "time_known": [False, False, True],
        "likes": pd.array([1, 2, 3], dtype="Int64"), "impressions": pd.array([10, 10, 10], dtype="Int64")})
    days = m.aggregate(posts, "day", metric="likes", tz="America/New_York")["period"]
    assert days.dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-07", "2024-01-08"]
    weekdays = m.aggregate(posts, "weekday", metric="likes", tz="America/New_York")
    assert weekdays["weekday"].tolist() == [0, 6]  # Monday twice (date-only), Sunday 22:00 local once


def test_counts_that_are_text_or_fractions_are_named_errors():
    posts = pd.DataFrame({"likes": ["1,200", "3"], "impressions": pd.array([10, 10], dtype="Int64"),
                          "published_at": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    with pytest.raises(AnalysisError, match="expected a numeric column") as err:
        m.aggregate(posts, "week", metric="likes")
    assert err.value.column == "likes"
    with pytest.raises(AnalysisError, match=r"expected counts \(whole numbers, zero or more\)") as err:
        m.engagement(posts.assign(likes=[1.5, 2.0]))
    assert "1 value, first 1.5 on row 0" in str(err.value)
    assert (err.value.parameter, err.value.column) == ("posts", "likes")
    # negative and infinite counts are errors too (they were summed, or overflowed)
    for bad, shown in (([3, -2], "-2"), ([3, float("inf")], "inf")):
        with pytest.raises(AnalysisError, match=f"first {shown} on row 1"):
            m.engagement(posts.assign(likes=bad))


def test_without_source_files_each_account_and_platform_is_one_export():
    posts = _posts(likes=[10, 20, 30], saves=[1, None, None])
    posts["account"] = pd.array(["a", "a", "b"], dtype="string")
    assert m.engagement(posts)[m.ENGAGEMENTS].tolist() == [11, pd.NA, 30]


def test_ladder_keeps_posts_without_a_group_value():
    posts = _posts(likes=[1, 2, 3], impressions=[10, 10, 10])
    posts["content_label"] = pd.array(["a", None, None], dtype="string")
    ladder = m.ladder(posts, by="content_label")
    likes = ladder[ladder["signal"] == "likes"]
    assert likes["total"].tolist() == [1.0, 5.0] and likes["content_label"].isna().tolist() == [False, True]


def test_side_by_side_puts_each_aggregate_in_its_own_column():
    # each column must equal the aggregate() it names (the independent computation: aggregate's
    # own hand-computed tests above), scaled by per; the interval belongs to interval_for
    posts = m.engagement(simulate_profile(days=60, seed=2).posts)
    table = m.side_by_side(posts, "month", {
        "rate": dict(metric="likes"),
        "per_post": dict(metric="likes", denominator=None),
        "per_1000": dict(metric="likes", denominator="followers", per=1000),
    }, interval_for="per_1000")
    rate = m.aggregate(posts, "month", metric="likes")
    per_follower = m.aggregate(posts, "month", metric="likes", denominator="followers")
    assert table.columns.tolist() == ["period", "n_posts", "rate", "per_post", "per_1000", "ci_low", "ci_high"]
    assert table["period"].tolist() == rate["period"].tolist()
    assert table["n_posts"].tolist() == rate["n_posts"].tolist()
    np.testing.assert_allclose(table["rate"].astype(float), rate["value"].astype(float))
    np.testing.assert_allclose(table["per_post"].astype(float),
                               m.aggregate(posts, "month", metric="likes", denominator=None)["value"].astype(float))
    np.testing.assert_allclose(table["per_1000"].astype(float), 1000 * per_follower["value"].astype(float))
    np.testing.assert_allclose(table["ci_high"].astype(float), 1000 * per_follower["ci_high"].astype(float))
    assert "per_1000: likes per follower (ratio of sums, by month), x 1000" in table.attrs["description"]


def test_side_by_side_names_bad_measures():
    posts = simulate_profile(days=20, seed=2).posts
    with pytest.raises(AnalysisError, match="interval_for"):
        m.side_by_side(posts, "month", {"a": dict(metric="likes")}, interval_for="b")
    with pytest.raises(AnalysisError, match=r"measures\['a'\]"):
        m.side_by_side(posts, "month", {"a": dict(metric="likes", scale=3)})
    with pytest.raises(AnalysisError, match="per must be"):
        m.side_by_side(posts, "month", {"a": dict(metric="likes", per=0)})
    with pytest.raises(AnalysisError, match="at least one"):
        m.side_by_side(posts, "month", {})


def test_days_in_zones_where_clocks_skip_midnight():
    # Chile moved its clocks from 00:00 to 01:00 on 8 September 2024: that day has no midnight,
    # yet it is a day with posts. Posts at 12:00 UTC are 08:00 or 09:00 in Santiago: same day.
    times = pd.date_range("2024-09-06 12:00", periods=5, freq="D", tz="UTC")
    posts = pd.DataFrame({"published_at": times, "likes": pd.array([1] * 5, dtype="Int64")})
    table = m.aggregate(posts, "day", metric="likes", denominator=None, how="sum", tz="America/Santiago")
    assert table["period"].dt.strftime("%Y-%m-%d").tolist() == [f"2024-09-{d:02d}" for d in range(6, 11)]


def test_unknown_time_zone_is_named():
    posts = simulate_profile(days=10, seed=1).posts
    with pytest.raises(AnalysisError, match="parameter 'tz'.*Europe/Lisbn"):
        m.aggregate(posts, "day", tz="Europe/Lisbn")


def test_of_account_lists_the_accounts_there_are_and_names_its_parameter():
    # a post without an account is left out of the list (it used to make sorting the list fail)
    posts = pd.DataFrame({"account": pd.array(["b", None, "a"], dtype="string"), "likes": [1, 2, 3]})
    assert m.of_account(posts, "a")["likes"].tolist() == [3]
    with pytest.raises(AnalysisError) as err:
        m.of_account(posts, "c", parameter="control_account")
    assert str(err.value) == ("parameter 'control_account': no posts of this account "
                              "(accounts: ['a', 'b']) (found: c)")
    with pytest.raises(AnalysisError, match=r"^parameter 'account': posts have no account column \(found: a\)$"):
        m.of_account(posts.drop(columns="account"), "a")


def test_dates_given_as_text_are_read_as_the_analyses_read_them():
    # a hand-made table with published_at as ISO text: read as UTC times (an offset converted),
    # instead of an AttributeError from the .dt accessor
    posts = pd.DataFrame({"published_at": ["2024-01-01 23:30", "2024-01-02 01:00+02:00", "2024-01-02 09:00"],
                          "likes": pd.array([1, 2, 4], dtype="Int64"),
                          "impressions": pd.array([10, 10, 10], dtype="Int64")})
    days = m.aggregate(posts, "day", metric="likes", how="sum", denominator=None)
    # 01:00+02:00 is 23:00 UTC on 1 January: that day has 1 + 2 likes, 2 January has 4
    assert days["period"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]
    assert days["value"].tolist() == [3, 4]
    cells = m.weekday_hour(posts, metric="likes")
    assert cells.loc[cells["n_posts"] > 0, ["weekday", "hour"]].values.tolist() == [["Mon", 23], ["Tue", 9]]
    bad = posts.assign(published_at=["2024-01-01", "soon", "2024-01-02"])
    with pytest.raises(AnalysisError) as err:
        m.aggregate(bad, "day", metric="likes")
    assert err.value.column == "published_at"


@pytest.mark.parametrize("function, kwargs, parameter", [
    ("top_posts", {"n": "x"}, "n"),
    ("top_posts", {"n": 2.5}, "n"),
    ("top_posts", {"n": -1}, "n"),
    ("weekday_hour", {"min_posts": "x"}, "min_posts"),
    ("weekday_hour", {"prior_posts": "x"}, "prior_posts"),
    ("weekday_hour", {"prior_posts": -1}, "prior_posts"),
    ("weight_sensitivity", {"top": "x"}, "top"),
    ("weight_sensitivity", {"top": 0}, "top"),
])
def test_counts_of_the_wrong_type_are_named(function, kwargs, parameter):
    # text and fractions raised bare TypeErrors from numpy; prior_posts=-1 shrank sparse cells away
    # from the overall rate and n=-1 returned no posts, both without a word
    posts = _posts(likes=[5, 50, 1], impressions=[10, 1000, 2000], post_id=["a", "b", "c"],
                   content_label=["personal", "brand", "brand"])
    metric = {"weight_sensitivity": {}}.get(function, {"metric": "likes"})
    with pytest.raises(AnalysisError) as err:
        getattr(m, function)(posts, **metric, **kwargs)
    assert err.value.parameter == parameter


def test_weekday_hour_cells_refuses_a_negative_prior_too():
    with pytest.raises(AnalysisError) as err:
        m.weekday_hour_cells(np.array([0, 1]), np.array([1.0, 2.0]), None, prior_posts=-1)
    assert err.value.parameter == "prior_posts"


def test_weights_name_an_unknown_count_instead_of_leaving_it_out():
    # {"like": 1} (for "likes") scored the posts without their likes
    posts = pd.DataFrame({"likes": pd.array([10, 20], dtype="Int64"), "comments": pd.array([1, 2], dtype="Int64")})
    for weights in ({"like": 1, "comments": 3}, {"impressions": 1}):
        with pytest.raises(AnalysisError, match="weights are for the interaction counts") as err:
            m.weighted_engagement(posts, weights)
        assert err.value.parameter == "weights"
    with pytest.raises(AnalysisError, match="weights must be numbers"):
        m.weighted_engagement(posts, {"likes": True})


def test_weight_sensitivity_names_a_missing_column_and_shows_ties():
    posts = pd.DataFrame({"likes": pd.array([100, 10, 50], dtype="Int64"),
                          "clicks": pd.array([0, 20, 5], dtype="Int64"),
                          "impressions": pd.array([1000, 1000, 1000], dtype="Int64"),
                          "content_label": ["brand", "personal", "brand"]})
    for kwargs, parameter in ((dict(denominator="impresions"), "denominator"), (dict(by="content_lable"), "by")):
        with pytest.raises(AnalysisError, match="no such column") as err:
            m.weight_sensitivity(posts, **kwargs)
        assert err.value.parameter == parameter
    # every weight 0: every rate is 0, a tie, not "brand > personal"
    t = m.weight_sensitivity(posts, {"ladder": m.DEFAULT_WEIGHTS, "nothing": {"likes": 0}}, top=1)
    assert t.loc[1, "order"] == "brand = personal"


def test_hours_leave_out_date_only_posts_and_say_so():
    posts = pd.DataFrame({"published_at": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 15:00"], utc=True),
                          "time_known": [False, True], "likes": pd.array([3, 5], dtype="Int64"),
                          "impressions": pd.array([100, 100], dtype="Int64")})
    table = m.aggregate(posts, "hour", metric="likes")
    assert table["hour"].tolist() == [15] and str(table["hour"].dtype) == "Int64"  # not 15.0
    assert "1 post with a date but no time of day left out" in table.attrs["description"]
    from toolkit.charts.explore import group_bars

    dates_only = posts.assign(time_known=False)
    spec = group_bars(dates_only, "hour", metric="likes").to_dict()
    assert "None of these posts has a known time of day (2 give a day only, or a date the loader rebuilt)" in str(spec)
