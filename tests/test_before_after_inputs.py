"""toolkit.before_after: bad inputs name what is wrong, and text and assumptions say what was done.

Data come from the seeded simulation toolkit.before_after._demo_posts (+25% planted on 2024-07-01,
720 posts from 2024-03-03 to 2024-10-28, three a day).
"""

from __future__ import annotations

import datetime
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.before_after import _demo_posts, before_after
from toolkit.errors import AnalysisError, ConfoundWarning, SpecError

CHANGE = "2024-07-01"


@pytest.fixture(scope="module")
def posts():
    return _demo_posts()


@pytest.fixture(scope="module")
def two_accounts(posts):
    # the control: the same simulation without a lift (seeded); a third of its impressions missing
    control = _demo_posts(seed=2, lift=0.0).assign(account="ctrl")
    control["post_id"] = control["post_id"] + "c"
    control["impressions"] = control["impressions"].astype("Float64")
    control.loc[control.index[::3], "impressions"] = np.nan
    return pd.concat([posts, control], ignore_index=True)


def _error(posts, **kwargs) -> AnalysisError:
    kwargs.setdefault("change", CHANGE)
    with pytest.raises(AnalysisError) as err:
        before_after(posts, warn=False, **kwargs)
    return err.value


# --- 1: posts whose metric is missing are counted in the text ------------------------------------

def test_left_out_counts_posts_with_a_missing_metric(posts):
    p = posts.copy()
    p["likes"] = p["likes"].astype("Float64")
    p.loc[p.index[:10], "likes"] = np.nan
    r = before_after(p, change=CHANGE, metric="likes", warn=False)
    assert "Left out: 10 posts (missing likes)." in r.text
    # every post after the change without a metric: the error says why the data end early
    p.loc[p["published_at"] >= pd.Timestamp(CHANGE, tz="UTC"), "likes"] = np.nan
    err = _error(p, metric="likes")
    assert err.parameter == "change" and "left out: 370 posts (missing likes)" in str(err)


# --- 2, 10, 12: the control account --------------------------------------------------------------

def test_control_account_must_be_another_account(two_accounts, posts):
    err = _error(two_accounts, method="did", account="demo", control_account="demo")
    assert err.parameter == "control_account" and "another account" in str(err)
    err = _error(posts, method="did", control_account="demo")  # the only account
    assert err.parameter == "control_account"


@pytest.mark.parametrize("method", ["did", "glm"])
def test_unknown_control_account_is_named(two_accounts, posts, method):
    err = _error(two_accounts, method=method, control_account="nope")
    assert err.parameter == "control_account" and "'ctrl', 'demo'" in str(err)
    err = _error(posts, method=method, account="demo", control_account="nope")
    assert err.parameter == "control_account"


def test_did_text_names_the_control_and_its_left_out_posts(two_accounts):
    r = before_after(two_accounts, change=CHANGE, method="did", control_account="ctrl", warn=False)
    # 720 control posts, every third without impressions: 240 left out, 480 used
    assert "relative to the control account 'ctrl'" in r.text
    assert ("Control account 'ctrl': 480 posts used; left out: 240 posts (missing or zero "
            "impressions).") in r.text
    assert "control account 'ctrl'" in r.assumptions


def test_duplicated_methods_are_an_error(posts):
    err = _error(posts, method=["glm", "its", "glm"])
    assert err.parameter == "method" and "once" in str(err)


# --- 3: the placebo band follows level -----------------------------------------------------------

def test_placebo_band_text_and_charts_use_the_level(posts):
    r = before_after(posts, change=CHANGE, method="glm", level=0.80, warn=False)
    plc = r.placebo(n=8, progress=False)
    lifts = plc.details["placebo"]["lift"]
    # the band is the middle 80%: the 10% and 90% quantiles of the placebo lifts
    assert plc.table.loc[0, "placebo_low"] == pytest.approx(lifts.quantile(0.10))
    assert plc.table.loc[0, "placebo_high"] == pytest.approx(lifts.quantile(0.90))
    assert "the middle 80% of placebo lifts" in plc.text and "95%" not in plc.text
    assert "middle 80%" in plc.chart().to_dict()["title"]
    no_exposure = before_after(posts, change=CHANGE, level=0.80, exposure=None, warn=False)
    assert "(80% intervals)" in no_exposure.chart().to_dict()["title"]


# --- 4: the change is a calendar date ------------------------------------------------------------

@pytest.mark.parametrize("change", ["2024-07-01T00:00+02:00", "2024-07-01T00:00-05:00",
                                    pd.Timestamp("2024-07-01", tz="Europe/Berlin"),
                                    datetime.date(2024, 7, 1)])
def test_change_keeps_its_calendar_date(posts, change):
    plain = before_after(posts, change=CHANGE, warn=False)
    r = before_after(posts, change=change, warn=False)
    assert r.details["data"].change == pd.Timestamp(CHANGE)
    pd.testing.assert_frame_equal(r.table, plain.table)


def test_change_with_a_time_of_day_is_an_error(posts):
    err = _error(posts, change="2024-07-01T18:00")
    assert err.parameter == "change" and "'2024-07-01'" in str(err) and "T18:00" in str(err)


# --- 5, 10: the metric and the exposure ----------------------------------------------------------

def test_fractional_metric_is_an_error(posts):
    p = posts.copy()
    p["rate"] = p["likes"] / p["impressions"]
    err = _error(p, metric="rate", exposure=None)
    assert (err.parameter, err.column) == ("metric", "rate")
    assert f"first {float(p['rate'].iloc[0])!r} on post p0" in str(err)


def test_text_metric_is_said_not_numeric(posts):
    err = _error(posts.assign(txt="abc"), metric="txt")
    assert (err.parameter, err.column) == ("metric", "txt") and "numeric" in str(err)
    assert "'abc'" in str(err)


def test_negative_exposure_is_an_error(posts):
    p = posts.copy()
    p["impressions"] = -p["impressions"]
    err = _error(p)
    assert (err.parameter, err.column) == ("exposure", "impressions")
    assert "zero or more" in str(err) and "720 negative" in str(err)


# --- 6, 10: window and exclude -------------------------------------------------------------------

@pytest.mark.parametrize("window", [-5, 0, (None, -3), (7.5, None), "abc", (7, 7, 7)])
def test_bad_window_names_window(posts, window):
    assert _error(posts, window=window).parameter == "window"


@pytest.mark.parametrize("exclude", [datetime.date(2024, 7, 2), pd.Timestamp("2024-07-02"),
                                     [datetime.date(2024, 7, 2)]])
def test_exclude_accepts_dates(posts, exclude):
    as_text = before_after(posts, change=CHANGE, exclude="2024-07-02", warn=False)
    r = before_after(posts, change=CHANGE, exclude=exclude, warn=False)
    pd.testing.assert_frame_equal(r.table, as_text.table)
    assert "3 posts (excluded days)" in r.text


@pytest.mark.parametrize("exclude, words", [
    (7.0, "float"), (-3, "1 or more"), (0, "1 or more"),
    (("2024-07-10", "2024-07-01"), "start on or before end"),
    (("2030-01-01", "2030-02-01"), "outside the days analysed"),
])
def test_bad_exclude_names_exclude(posts, exclude, words):
    err = _error(posts, exclude=exclude)
    assert err.parameter == "exclude" and words in str(err)


# --- 7: followers control ------------------------------------------------------------------------

def test_followers_control_without_followers_names_the_column(posts):
    err = _error(posts.drop(columns="followers"), controls=["followers"])
    assert (err.parameter, err.column) == ("controls", "followers")


# --- 8: placebo dates that cannot be analysed ----------------------------------------------------

def test_placebo_says_how_many_dates_were_used_and_why(posts):
    # window and exclusion leave weeks too few for its at 2 of the 5 fake dates
    r = before_after(posts, change=CHANGE, method="its", window=(70, None), exclude="2024-05-20",
                     warn=False)
    plc = r.placebo(n=5, progress=False)
    assert len(plc.details["placebo"]) == 3 and len(plc.details["failed"]) == 2
    assert ("Placebo dates: 5 requested, 3 used; left out: too few weeks with posts for method "
            "'its': the minimum is 4 on each side (2 dates).") in plc.text


def test_placebo_without_a_usable_date_is_an_error(posts):
    r = before_after(posts, change=CHANGE, method="its", window=(57, None), exclude="2024-05-20",
                     warn=False)
    with pytest.raises(AnalysisError) as err:
        r.placebo(n=5, progress=False)
    assert err.value.parameter == "n" and "0 used" in str(err.value)
    with pytest.raises(AnalysisError):
        r.placebo(n=0, progress=False)


# --- 9: lag --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, lag", [("its", "a"), ("glm", -1), ("its", -1), ("its", 1.5),
                                         ("glm", True)])
def test_bad_lag_names_lag(posts, method, lag):
    assert _error(posts, method=method, robust="hac", lag=lag).parameter == "lag"


# --- 10: robust -----------------------------------------------------------------------------------

@pytest.mark.parametrize("robust", ["weeks", "1 weeks", "four weeks", "4 week", "4.5 weeks", 4, None])
def test_bad_robust_names_robust(posts, robust):
    err = _error(posts, method="glm", robust=robust)
    assert err.parameter == "robust" and "'N weeks'" in str(err)


def test_blocks_too_long_for_the_data_are_refused_with_the_count(posts):
    # 34 weeks of posts: 12-week blocks leave 4 clusters, too few for t on clusters - 1
    err = _error(posts, method="glm", robust="12 weeks")
    assert err.parameter == "robust" and "12 weeks: posts in 4 blocks" in str(err)


def test_four_week_blocks_widen_the_glm_and_did_intervals(posts, two_accounts):
    week = before_after(posts, change=CHANGE, method="glm", warn=False).table.iloc[0]
    block = before_after(posts, change=CHANGE, method="glm", robust="4 weeks", warn=False)
    row = block.table.iloc[0]
    # the same fit here (no control value has its posts in one block only), other errors
    assert row["log_ratio"] == week["log_ratio"]
    assert row["se_type"].startswith("clustered by 4-week block")
    assert row["ci_high"] - row["ci_low"] > week["ci_high"] - week["ci_low"]  # fewer clusters: wider here
    assert "robust='4 weeks' allows" not in block.assumptions  # that advice is for robust="week"
    did = before_after(two_accounts, change=CHANGE, method="did", account="demo",
                       control_account="ctrl", robust="4 weeks", warn=False)
    assert did.table.iloc[0]["se_type"].startswith("clustered by 4-week block")
    assert "blocks of 4 calendar weeks across both accounts" in did.assumptions


# --- 11: assumptions follow the settings ---------------------------------------------------------

def test_assumptions_follow_robust_and_lag(posts):
    r = before_after(posts, change=CHANGE, method=["glm", "its"], robust="hac", lag=3, warn=False)
    assert "CR3" not in r.assumptions and "lag 1 week" not in r.assumptions
    assert "lag 3 posts" in r.assumptions and "lag 3 weeks" in r.assumptions
    default = before_after(posts, change=CHANGE, method=["glm", "its"], warn=False).assumptions
    assert "bias-reduced CR3" in default and "lag 1 week," in default
    model = before_after(posts, change=CHANGE, robust="model", controls=[], warn=False).assumptions
    assert "model-based standard errors" in model and "no controls" in model


def test_a_metric_without_values_is_named_not_the_change_date(posts):
    # an export without clicks: every post is left out for the metric, so the error must say so
    # rather than blame the change date for data that "run from NaT to NaT"
    no_clicks = posts.assign(clicks=pd.array([None] * len(posts), dtype="Int64"))
    err = _error(no_clicks, metric="clicks")
    assert (err.parameter, err.column) == ("metric", "clicks") and "no post has a value" in str(err)


# --- the account analysed and the control account are taken as every analysis takes them ----------

@pytest.mark.parametrize("kwargs, parameter", [
    (dict(account="carol"), "account"),
    (dict(account="demo", control_account="carol"), "control_account"),
    (dict(method="did", control_account="carol"), "control_account"),
])
def test_unknown_accounts_are_named_as_metrics_of_account_names_them(two_accounts, kwargs, parameter):
    # one check (metrics.of_account): parameter, the accounts there are, and what was given
    err = _error(two_accounts, **kwargs)
    assert str(err) == (f"parameter '{parameter}': no posts of this account (accounts: ['ctrl', 'demo']) "
                        "(found: carol)")


def test_posts_without_an_account_column_name_the_account_parameter(posts):
    err = _error(posts.drop(columns="account"), account="demo")
    assert str(err) == "parameter 'account': posts have no account column (found: demo)"
    err = _error(posts.drop(columns="account"), method="did", control_account="demo")
    assert str(err) == "parameter 'control_account': posts have no account column (found: demo)"


def test_panel_shows_the_error_of_an_unknown_account(two_accounts):
    from toolkit.widgets.before_after import BeforeAfterPanel

    panel = BeforeAfterPanel(two_accounts, change=CHANGE, account="carol")
    assert panel.result is None
    assert "parameter 'account': no posts of this account (accounts: ['ctrl', 'demo'])" in panel.status.value


def test_panel_shows_an_error_as_text_not_markup(two_accounts):
    # an account name is user data: "<b>" in it must show as written, not turn the status bold
    from toolkit.widgets.before_after import BeforeAfterPanel

    panel = BeforeAfterPanel(two_accounts, change=CHANGE, account="<b>carol</b>")
    assert "(found: &lt;b&gt;carol&lt;/b&gt;)" in panel.status.value
    assert "<b>" not in panel.status.value


def test_did_counts_posts_without_followers_on_the_account_they_belong_to(posts):
    # 10 analysed posts and 30 control posts lack followers (set here): the followers control
    # leaves them out, and each account's sentence counts its own, whichever method runs first
    mine = posts.copy()
    mine.loc[mine.index[:10], "followers"] = pd.NA
    control = _demo_posts(seed=2, lift=0.0).assign(account="ctrl")
    control["post_id"] = control["post_id"] + "c"
    control.loc[control.index[:30], "followers"] = pd.NA
    both = pd.concat([mine, control], ignore_index=True)
    for methods in (["did"], ["glm", "did"], ["did", "glm"]):
        r = before_after(both, change=CHANGE, method=methods, account="demo", control_account="ctrl",
                         controls=["weekday", "followers"], warn=False)
        assert "Left out: 10 posts (missing followers)." in r.text, methods
        assert (f"Control account 'ctrl': {len(control) - 30:,} posts used; left out: 30 posts "
                "(missing followers).") in r.text, methods


def test_posts_without_followers_are_left_out_by_the_count_models_only(posts):
    # its and counterfactual have no followers control: they use the posts glm leaves out, and
    # the text says whose sentence "left out" is
    mine = posts.copy()
    mine.loc[mine.index[:200], "followers"] = pd.NA
    r = before_after(mine, change=CHANGE, method=["glm", "its", "counterfactual"],
                     controls=["weekday", "followers"], warn=False)
    n = r.table.set_index("method")[["n_baseline", "n_treatment"]].sum(axis=1)
    assert n["glm"] == len(mine) - 200 and n["counterfactual"] == len(mine)
    assert "Left out: 200 posts (missing followers; glm only, for the followers control)." in r.text


@pytest.mark.parametrize("level", ["0.95", None, 95, float("nan"), True])
def test_a_level_that_is_not_a_fraction_is_named(posts, level):
    # a level typed as text or as a percentage is an error naming it, not a TypeError from a comparison
    assert _error(posts, level=level).parameter == "level"


@pytest.mark.parametrize("method", ["glm", "its", "counterfactual"])
def test_a_metric_zero_on_every_post_is_named_not_turned_into_a_lift(posts, method):
    # no likes at all: the change of a zero rate is 0 / 0; its and counterfactual returned the
    # change in exposure (log((0 + 0.5) / impressions)) as a lift, glm blamed its own convergence
    err = _error(posts.assign(likes=pd.array([0] * len(posts), dtype="Int64")), metric="likes",
                 method=method)
    assert err.parameter == "metric" and err.column == "likes"
    assert "zero on every usable post" in str(err)


@pytest.mark.parametrize("kwargs, parameter", [
    (dict(method=5), "method"),
    (dict(method=None), "method"),
    (dict(controls=5), "controls"),
])
def test_a_name_list_of_the_wrong_type_is_named(posts, kwargs, parameter):
    # list(5) raised a bare "'int' object is not iterable"
    err = _error(posts, **kwargs)
    assert err.parameter == parameter and "list of" in str(err)


@pytest.mark.parametrize("side", ["after", "before"])
def test_glm_names_the_side_of_the_change_without_engagement(posts, side):
    # the glm blamed its own convergence and method=, not the metric and the posts without engagement
    after = (posts["published_at"] >= pd.Timestamp(CHANGE, tz="UTC")).to_numpy()
    zero = after if side == "after" else ~after
    likes = posts["likes"].astype("Int64").mask(zero, 0)
    err = _error(posts.assign(likes=likes), metric="likes", method="glm")
    assert err.parameter == "metric" and err.column == "likes"
    assert f"no engagement among the posts {side} the change" in str(err)
    assert "converge" not in str(err)


def test_an_empty_posts_table_says_there_are_no_posts(posts):
    # it said "exposure is zero or missing on every post (found: 0 missing, 0 zero)"
    err = _error(posts.iloc[:0])
    assert err.parameter == "posts" and "no posts" in str(err) and "exposure" not in str(err)


def test_a_control_level_seen_in_one_week_only_is_counted_with_the_most_common_one():
    # two night posts, both in one week: that week alone decides the night band (leverage 1), so
    # CR3's correction (I - H_gg)^-1 does not exist. It used to overflow (OverflowError), hit a
    # singular matrix (LinAlgError) or give intervals past +1,000% on sparse profiles (robustness
    # study, 0.4 posts a day). The night band is now counted with the most common band.
    from toolkit.simulate import simulate_profile

    posts = simulate_profile(days=140, posts_per_day=2, seed=3, change="2024-03-15", text=False).posts
    day = posts["published_at"].dt.floor("D")
    posts["published_at"] = day + pd.to_timedelta(10 + posts.index.to_numpy() % 7, unit="h")
    night = posts.index[(day >= pd.Timestamp("2024-02-05", tz="UTC")) & (day < pd.Timestamp("2024-02-08", tz="UTC"))][:2]
    at_night = posts.copy()
    at_night.loc[night, "published_at"] = day[night] + pd.Timedelta(hours=3)
    r = before_after(at_night, change="2024-03-15", method="glm", warn=False)
    assert "counted with their control's most common value" in r.assumptions and "hour band 'night'" in r.assumptions
    # by construction: the same as the two posts published in the most common band (12-18 h)
    in_band = posts.copy()
    in_band.loc[night, "published_at"] = day[night] + pd.Timedelta(hours=13)
    same = before_after(in_band, change="2024-03-15", method="glm", warn=False)
    assert "most common value" not in same.assumptions
    cols = ["lift", "ci_low", "ci_high", "p_value"]
    np.testing.assert_allclose(r.table.loc[0, cols].astype(float), same.table.loc[0, cols].astype(float), rtol=1e-8)
    # other errors need no pooling: the night band keeps its own term
    hac = before_after(at_night, change="2024-03-15", method="glm", robust="hac", warn=False)
    assert "most common value" not in hac.assumptions
    # every other post in one band: the night band was the control's only term, and the text
    # says it was pooled, not that the hour band has one value only
    one_band = posts.assign(published_at=day + pd.Timedelta(hours=13))
    one_band.loc[night, "published_at"] = day[night] + pd.Timedelta(hours=3)
    text = before_after(one_band, change="2024-03-15", method="glm", warn=False).assumptions
    assert "hour band 'night'" in text and "hour band could not be controlled" not in text


def test_spells_lasting_weeks_are_flagged_and_point_to_week_blocks():
    # seeded truth: day shocks with autocorrelation 0.95 (spells of good and bad weeks), no change
    from toolkit.simulate import simulate_profile  # noqa: PLC0415

    posts = simulate_profile(days=364, start="2024-01-01", ar1=0.95, shock_sd=0.3, seed=0).posts
    r = before_after(posts, change=CHANGE, method="glm", warn=False)
    weekly = r.diagnostics.set_index("check").loc["residual autocorrelation between weeks (lag 1)"]
    assert weekly["statistic"] > 0.3 and weekly["p_value"] < 0.01
    assert "neighbouring weeks' residuals are correlated" in r.text and "robust='4 weeks'" in r.text
    blocks = before_after(posts, change=CHANGE, method="glm", robust="4 weeks", warn=False)
    assert "neighbouring weeks" not in blocks.text  # the errors allow for it now
    # independent weeks (the demo's day shocks): no caution
    assert "neighbouring weeks" not in before_after(_demo_posts(), change=CHANGE, warn=False).text


def test_weekly_autocorrelation_pairs_consecutive_weeks_only():
    from toolkit.before_after import _weekly_autocorrelation  # noqa: PLC0415

    # 12 weeks of daily residuals, week 6 missing: weekly sums x, pairs (w, w + 1) with both present
    sums = np.array([3.0, -1.0, 2.0, 0.5, -2.0, 1.0, np.nan, 4.0, -3.0, 1.5, 0.0, -1.0])
    days = pd.date_range("2024-01-01", periods=84, freq="D")
    daily = pd.Series(np.repeat(sums / 7, 7), index=days).dropna()
    r, p = _weekly_autocorrelation(daily)
    x = sums[~np.isnan(sums)] - np.nanmean(sums)
    pairs = [(i, i + 1) for i in range(11) if not np.isnan(sums[i]) and not np.isnan(sums[i + 1])]
    centred = np.full(12, np.nan)
    centred[~np.isnan(sums)] = x
    expected = sum(centred[i] * centred[j] for i, j in pairs) / (x @ x)
    assert len(pairs) == 9 and r == pytest.approx(expected)
    assert p == pytest.approx(stats.norm.sf((expected + 1 / 11) * np.sqrt(11)))


# --- dates as text: day and month in an order the text does not state ------------------------------

def _calls(posts):
    from toolkit.content_lift import content_lift
    from toolkit.design import fit_history, schedule
    from toolkit.exports import legacy_file_name
    from toolkit.simulate import simulate_profile

    label = ("content_label", "personal")
    labelled = posts.assign(content_label=np.where(np.arange(len(posts)) % 2, "personal", "brand"))
    return {
        "before_after change": (lambda v: before_after(posts, change=v, warn=False), "change", AnalysisError),
        "before_after exclude": (lambda v: before_after(posts, change=CHANGE, exclude=[v], warn=False),
                                 "exclude", AnalysisError),
        "content_lift change": (lambda v: content_lift(labelled, label=label, change=v), "change", AnalysisError),
        "schedule start": (lambda v: schedule(v, weeks=2, slots_per_week=3), "start", AnalysisError),
        "fit_history since": (lambda v: fit_history(posts, metric="likes", since=v), "since", AnalysisError),
        "simulate start": (lambda v: simulate_profile(days=10, start=v), "start", SpecError),
        "simulate purge": (lambda v: simulate_profile(days=10, purge=(v, 0.1)), "purge", SpecError),
        "export window": (lambda v: legacy_file_name("someone", v, "2024-12-31"), "start", SpecError),
    }


@pytest.mark.parametrize("call", ["before_after change", "before_after exclude", "content_lift change",
                                  "schedule start", "fit_history since", "simulate start", "simulate purge",
                                  "export window"])
def test_a_date_whose_day_and_month_could_swap_is_refused_not_read_month_first(posts, call):
    # pandas reads '01/08/2024' as 8 January; most of the world means 1 August
    run, parameter, error = _calls(posts)[call]
    with pytest.raises(error) as err:
        run("01/08/2024")
    assert err.value.parameter == parameter
    assert "could be 1 August 2024 (day first) or 8 January 2024 (month first)" in str(err.value)
    assert "2024-08-01 or 2024-01-08" in str(err.value)
    with pytest.raises(error, match="which comes first: write it year first, as 2024-07-13"):
        run("13/07/2024")  # only one reading is a date, but the same layout is read the other way round


def test_year_first_text_and_date_objects_are_read_as_before(posts):
    iso = before_after(posts, change="2024-07-01", method="glm", warn=False)
    for same in (datetime.date(2024, 7, 1), pd.Timestamp("2024-07-01"), "1 July 2024", "2024/07/01"):
        other = before_after(posts, change=same, method="glm", warn=False)
        assert other.table["lift"].tolist() == iso.table["lift"].tolist()


def test_a_change_noise_could_produce_is_not_called_no_change():
    null = before_after(_demo_posts(seed=2, lift=0.0), change=CHANGE, method="glm", warn=False)
    assert null.table.loc[0, "p_value"] > 0.05  # seeded, no lift planted
    assert ("noise alone could produce a change this large, so these data cannot tell it from no "
            "change (which is not evidence of no change: see the interval)") in null.text
    assert "Do not trust the glm's p-value when the rate runs in good and bad spells" in null.assumptions


@pytest.mark.parametrize("method", ["glm", "did"])
def test_a_control_value_without_engagement_is_left_out_not_a_failed_fit(posts, method):
    # a 'story' format with no likes on any of its posts: its effect has no finite estimate, and
    # the fit stopped converging; the posts are left out (the limit of the fit) and counted on
    # the account they belong to
    def with_stories(frame, every):
        frame = frame.copy()
        story = np.arange(len(frame)) % every == 0
        frame["media_type"] = np.where(story, "story", frame["media_type"].astype(str))
        frame.loc[story, "likes"] = 0
        return frame, int(story.sum())

    mine, n_mine = with_stories(posts, 37)
    control, n_control = with_stories(_demo_posts(seed=2, lift=0.0).assign(account="ctrl"), 41)
    control["post_id"] = control["post_id"] + "c"
    both = pd.concat([mine, control], ignore_index=True)
    r = before_after(both, change=CHANGE, metric="likes", method=method, account="demo", control_account="ctrl",
                     controls=["weekday", "media_type"], warn=False)
    row = r.table.iloc[0]
    assert "media type 'story'" in r.text
    assert row["n_baseline"] + row["n_treatment"] == len(mine) - n_mine
    if method == "glm":
        assert f"glm left out {n_mine} posts of control values with no likes on any post" in r.text
    else:
        assert f"did left out {n_mine} posts (and {n_control} of the control account's)" in r.text
        assert f"Control account 'ctrl': {len(control) - n_control:,} posts used" in r.text


def test_a_control_value_whose_only_events_lack_followers_is_left_out_too(posts):
    # with the followers control, posts without a follower count are not fitted: a story format
    # whose one liked post has none is eventless among the posts that are
    mine = posts.copy()
    story = np.arange(len(mine)) % 37 == 0
    mine["media_type"] = np.where(story, "story", mine["media_type"].astype(str))
    mine.loc[story, "likes"] = 0
    first = np.flatnonzero(story)[0]
    mine.loc[mine.index[first], "likes"] = 5
    mine.loc[mine.index[first], "followers"] = pd.NA
    r = before_after(mine, change=CHANGE, metric="likes", method="glm",
                     controls=["weekday", "media_type", "followers"], warn=False)
    assert "media type 'story'" in r.text and np.isfinite(r.table.loc[0, "lift"])


def test_a_sparse_metric_gets_a_caution_for_counterfactual():
    # seeded: about one follow a day (38% of days without one): counterfactual's daily
    # log((y + 0.5) / e) follows the exposure there; likes (no day without) need no caution
    from toolkit.simulate import simulate_profile

    profile = simulate_profile(days=366, posts_per_day=2, change=CHANGE, change_lift=0.25, seed=900).posts
    sparse = before_after(profile, change=CHANGE, metric="follows", method="counterfactual", warn=False)
    assert sparse.details["fits"]["counterfactual"]["zero_days"] > 0.3
    assert "follows is 0 on 38% of the days counterfactual models" in sparse.text
    assert "prefer glm" in sparse.text
    dense = before_after(profile, change=CHANGE, metric="likes", method="counterfactual", warn=False)
    assert "prefer glm" not in dense.text


@pytest.mark.parametrize("method", ["its", "counterfactual"])
def test_a_metric_that_is_zero_after_the_change_is_named_by_every_method(posts, method):
    # its and counterfactual said "fell 100%" with a cumulative effect of "-0"; glm named the cause
    zero = posts.assign(likes=posts["likes"].where(posts["published_at"] < CHANGE, 0))
    with pytest.raises(AnalysisError, match="no engagement among the posts after the change") as err:
        before_after(zero, change=CHANGE, metric="likes", method=method, warn=False)
    assert err.value.parameter == "metric"


def test_excluded_days_do_not_read_as_a_change_in_posting_frequency(posts):
    # three posts every day: dropping two weeks must not make the days around the change look
    # half as busy (their posts are gone, and so are the days)
    for exclude in (14, ("2024-06-17", "2024-06-30")):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConfoundWarning)
            result = before_after(posts, change=CHANGE, exclude=exclude)
        assert "posting frequency changed" not in result.text


@pytest.mark.parametrize("cell", ["n/a", "13/03/2024 09:00"])
def test_publish_times_that_are_not_iso_text_are_named(posts, cell):
    text = posts.assign(published_at=posts["published_at"].dt.strftime("%Y-%m-%d %H:%M"))
    text.loc[5, "published_at"] = cell
    with pytest.raises(AnalysisError, match="published_at must hold dates and times") as err:
        before_after(text, change=CHANGE, warn=False)
    assert err.value.column == "published_at" and cell in str(err.value)
    assert before_after(text.drop(index=5), change=CHANGE, warn=False).table["lift"].notna().all()


@pytest.mark.parametrize("change", ["Jul 2024", "2024-07"])
def test_a_change_date_without_its_day_is_refused(posts, change):
    with pytest.raises(AnalysisError, match="with its day") as err:
        before_after(posts, change=change, warn=False)
    assert err.value.parameter == "change"


def test_the_simulator_plants_a_zoned_change_on_the_day_the_analysis_reads():
    # both read "2024-02-01T00:00+02:00" as 1 February (the calendar day as written)
    from toolkit.before_after import _parse_date
    from toolkit.simulate import simulate_profile

    zoned = "2024-02-01T00:00+02:00"
    truth = simulate_profile(days=60, change=zoned, seed=1).truth["change"]
    assert truth == pd.Timestamp("2024-02-01", tz="UTC") and _parse_date(zoned, "change") == pd.Timestamp("2024-02-01")


def test_the_panel_reads_its_change_date_as_the_analysis_does(posts):
    # "01/10/2024" is refused by before_after (which order?); the panel took it as 10 January
    from toolkit.widgets.before_after import BeforeAfterPanel

    with pytest.raises(AnalysisError, match="01/10/2024") as err:
        BeforeAfterPanel(posts, change="01/10/2024")
    assert err.value.parameter == "change"
    with pytest.raises(AnalysisError, match="not a time of day"):
        BeforeAfterPanel(posts, change="2024-07-01 15:30")
    assert BeforeAfterPanel(posts, change="1 July 2024").change.value == datetime.date(2024, 7, 1)


def test_a_failed_panel_run_drops_the_previous_runs_warnings(posts):
    from toolkit.widgets.before_after import BeforeAfterPanel

    panel = BeforeAfterPanel(posts, change=CHANGE)
    panel.warnings = ["a caution of an earlier run"]
    panel.metric.value = "likes"
    panel.change.value = datetime.date(2030, 1, 1)  # after the data: the run fails
    panel.run()
    assert panel.result is None and panel.warnings == []
