"""LadderPanel driven by setting widget values, checking the tables and charts it produces.

Expected values come from the toolkit.metrics functions called directly on the same posts (the panel
must only wire them) and from hand-computed cases written out in the comments.
"""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit import metrics as m
from toolkit.errors import AnalysisError
from toolkit.simulate import simulate_profile
from toolkit.widgets.explore import ALL
from toolkit.widgets.followers import YOUR_WEIGHTS, LadderPanel


@pytest.fixture(scope="module")
def posts():
    a = simulate_profile(days=90, seed=21, account="alice", platform="x").posts
    b = simulate_profile(days=90, seed=22, account="bob", platform="x").posts
    return pd.concat([a, b], ignore_index=True)


@pytest.fixture()
def panel(posts):
    return LadderPanel(posts)


def _rows(chart):
    spec = chart.to_dict()
    return spec["datasets"][spec["data"]["name"]]


def test_initial_views_use_the_default_ladder(panel, posts):
    assert set(panel.charts) == {"ladder", "groups"}
    assert panel.current_weights == {k: float(v) for k, v in m.DEFAULT_WEIGHTS.items()}
    pd.testing.assert_frame_equal(panel.tables["ladder"], m.ladder(posts))
    sens = panel.tables["sensitivity"]
    assert sens["weights"].iloc[0] == YOUR_WEIGHTS and sens["spearman_vs_baseline"].iloc[0] == pytest.approx(1)
    # the slider weights equal the default ladder, so the default row ranks exactly like them
    assert sens["spearman_vs_baseline"].iloc[1] == pytest.approx(1) and sens["top_overlap"].iloc[1] == 1
    assert panel.status.value.startswith(f"{len(posts):,} posts of all accounts")
    assert panel.by.value == "content_label"


def test_weight_slider_changes_ladder_groups_ranking_and_top(panel, posts):
    before_top = panel.tables["top"]["post_id"].tolist()
    before_bars = _rows(panel.charts["ladder"])
    panel.weights["likes"].value = 0.0
    panel.weights["clicks"].value = 10.0
    assert set(panel.rebuilt) == {"ladder", "groups", "sensitivity", "top"}
    weights = {"likes": 0.0, "saves": 2.0, "shares": 2.0, "comments": 3.0, "clicks": 10.0}
    assert panel.current_weights == weights
    ladder = panel.tables["ladder"].set_index("signal")
    assert ladder.loc["likes", "weighted_per_1000"] == 0
    assert ladder.loc["clicks", "weighted_per_1000"] == pytest.approx(10 * ladder.loc["clicks", "per_1000_impressions"])
    assert _rows(panel.charts["ladder"]) != before_bars
    # groups: metrics.aggregate of the score under the slider weights (engagement() with those weights)
    scored = m.engagement(posts, weights)
    expect = m.aggregate(scored, "content_label", metric=m.WEIGHTED_ENGAGEMENT)
    got = panel.tables["groups"]
    assert got["value"].astype(float).tolist() == pytest.approx(expect["value"].astype(float).tolist())
    # sensitivity: the slider weights are the baseline row
    sens = panel.tables["sensitivity"]
    assert sens["definition"].iloc[0] == "likes 0, saves 2, shares 2, comments 3, clicks 10"
    assert sens["spearman_vs_baseline"].iloc[1] < 1  # the default ladder now ranks posts differently
    # top posts: ranked by the new score per impression
    top = panel.tables["top"]
    rate = f"{m.WEIGHTED_ENGAGEMENT} per impressions"
    assert top[rate].is_monotonic_decreasing
    assert top["post_id"].tolist() == m.top_posts(scored, metric=m.WEIGHTED_ENGAGEMENT, denominator="impressions",
                                                  n=5)["post_id"].tolist()
    assert top["post_id"].tolist() != before_top
    assert {"account", "post_id", "text"} <= set(top.columns) and "platform" not in top.columns  # both on x
    assert "clicks 10" in panel.status.value


def test_account_and_grouping(panel, posts):
    panel.account.value = "bob"
    bob = posts[posts["account"] == "bob"]
    pd.testing.assert_frame_equal(panel.tables["ladder"], m.ladder(bob))
    assert panel.tables["top"]["post_id"].isin(bob["post_id"]).all()
    assert "account" not in panel.tables["top"].columns  # one account: the column would say nothing
    assert panel.status.value.startswith(f"{len(bob):,} posts of bob")
    panel.by.value = "account"
    assert panel.rebuilt == ["groups", "sensitivity"]  # ladder and top do not depend on the grouping
    assert panel.tables["groups"]["account"].astype(str).tolist() == ["bob"]
    panel.account.value = ALL
    assert panel.tables["groups"]["account"].astype(str).tolist() == ["alice", "bob"]
    assert "rate[alice]" in panel.tables["sensitivity"].columns


def test_reset_puts_the_default_ladder_back_in_one_refresh(panel):
    panel.weights["comments"].value = 7.5
    calls = []
    original = panel.refresh
    panel.refresh = lambda *a, **k: calls.append(1) or original(*a, **k)
    panel.reset.click()
    assert calls == [1]
    assert panel.current_weights == {k: float(v) for k, v in m.DEFAULT_WEIGHTS.items()}


def test_group_without_values_says_so_and_missing_rungs_are_disabled(posts):
    # X exports: no media type, no saves, and here no content labels for bob
    x = posts.assign(saves=pd.array([pd.NA] * len(posts), dtype="Int64"),
                     media_type=pd.Series(pd.NA, index=posts.index, dtype="string"),
                     content_label=posts["content_label"].where(posts["account"] == "alice"))
    panel = LadderPanel(x)
    assert "media_type" not in panel.by.options and "media_type" not in panel.tables["top"].columns
    assert panel.weights["saves"].disabled and "saves" not in panel.current_weights
    assert "saves" not in panel.tables["ladder"]["signal"].tolist()
    panel.account.value = "bob"
    assert "groups" not in panel.charts
    assert panel.notes["groups"].startswith("No content label in this selection")
    assert panel.notes["groups"] in [o for o in panel.static_outputs() if isinstance(o, str)]
    assert "order" not in panel.tables["sensitivity"].columns  # no groups to order
    panel.account.value = "alice"
    assert "groups" in panel.charts and "groups" not in panel.notes


def test_zero_weights_give_na_shares_not_errors(panel):
    for slider in panel.weights.values():
        slider.value = 0.0
    assert panel.tables["ladder"]["share_of_score"].isna().all()
    assert panel.tables["ladder"]["weighted_per_1000"].dropna().eq(0).all()


def test_static_outputs_and_bad_arguments(panel, posts):
    outs = panel.static_outputs()
    assert len(outs) == 5 and sum(isinstance(o, pd.DataFrame) for o in outs) == 3
    with pytest.raises(AnalysisError):
        LadderPanel(posts.iloc[:0])
    with pytest.raises(AnalysisError) as err:
        LadderPanel(posts, account="carol")
    assert err.value.parameter == "account"
    with pytest.raises(AnalysisError):
        LadderPanel(posts[["published_at", "impressions"]])
    with pytest.raises(AnalysisError):
        LadderPanel(posts, weights={"likes": -1})


def test_ladder_panel_takes_the_only_account_by_name():
    # a user with one account passes its name, as notebook 05 does with ACCOUNT
    posts = simulate_profile(days=30, seed=5, account="mybrand").posts
    panel = LadderPanel(posts, account="mybrand")
    assert panel.account.value == ALL and len(panel.posts) == len(posts)
    with pytest.raises(AnalysisError, match=r"accounts: \['mybrand'\].*found: harborbakes"):
        LadderPanel(posts, account="harborbakes")


def test_ladder_panel_names_an_unknown_account_as_every_analysis_does(posts):
    # one check for every analysis (metrics.of_account): the same error, listing the accounts
    with pytest.raises(AnalysisError) as expected:
        m.of_account(posts, "carol")
    with pytest.raises(AnalysisError) as err:
        LadderPanel(posts, account="carol")
    assert str(err.value) == str(expected.value)
    panel = LadderPanel(posts, account="bob")
    assert panel.account.value == "bob"
    pd.testing.assert_frame_equal(panel.tables["ladder"], m.ladder(posts[posts["account"] == "bob"]))


def test_posts_without_impressions_open_per_post_instead_of_failing():
    # a Hootsuite export has no impressions (notebook 05 on such data): the views go per post
    from pathlib import Path

    import toolkit

    folder = Path(__file__).resolve().parent / "fixtures" / "hootsuite"
    posts = toolkit.engagement(toolkit.load(folder, cache=False, progress=False).posts)
    assert posts["impressions"].isna().all()
    panel = LadderPanel(posts, account="Northwind Bakery", by="media_type", min_exposure=500)
    assert panel.denominator is None
    mine = panel._subsets["Northwind Bakery"]
    scored = mine.assign(**{m.WEIGHTED_ENGAGEMENT: m.weighted_engagement(mine, m.DEFAULT_WEIGHTS)})
    expected = m.aggregate(scored, "media_type", metric=m.WEIGHTED_ENGAGEMENT, denominator=None)
    pd.testing.assert_frame_equal(panel.tables["groups"], expected)
    expected = m.top_posts(scored, metric=m.WEIGHTED_ENGAGEMENT, n=5).drop(columns=["account", "platform"])
    pd.testing.assert_frame_equal(panel.tables["top"], expected)
    assert panel.tables["ladder"]["total"].notna().all()  # totals and shares, no rate per impression
    # the ranking check is per post too (it was per impression: every rate and order NaN)
    expected = m.weight_sensitivity(mine, {YOUR_WEIGHTS: panel.current_weights, **m.ALTERNATIVE_WEIGHTS},
                                    denominator=None, by="media_type", top=20)
    pd.testing.assert_frame_equal(panel.tables["sensitivity"], expected)
    assert panel.tables["sensitivity"]["spearman_vs_baseline"].notna().all()
    assert "no rate per impression" in panel.widget.children[4].value


def test_ladder_panel_keeps_a_weight_above_its_default_scale(posts):
    # shares weighted 15 were clipped to the slider's end, 10, without a word
    panel = LadderPanel(posts, weights={**m.DEFAULT_WEIGHTS, "shares": 15})
    assert panel.weights["shares"].value == 15 and panel.weights["shares"].max >= 15
