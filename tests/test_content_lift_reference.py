"""content_lift against independent implementations in R.

Every expected number below was produced by ``tests/reference/content_lift.R`` (R with MASS, sandwich and
coin) on the fixture CSVs in ``tests/reference/`` (made by ``make_content_lift_fixtures.py``); the full
R output is kept in ``tests/reference/content_lift_R.txt``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.content_lift import adjust_pvalues, content_lift, rate_ratio_permutation

REF = Path(__file__).parent / "reference"
LABEL = ("content_label", "personal")


def _posts(name: str) -> pd.DataFrame:
    raw = pd.read_csv(REF / name, dtype={"post_id": str})
    return pd.DataFrame({
        "account": raw["account"].astype("string"),
        "post_id": raw["post_id"].astype("string"),
        "published_at": pd.to_datetime(raw["published_at"], utc=True),
        "time_known": raw["time_known"].astype(bool),
        "media_type": raw["media_type"].astype("string"),
        "impressions": raw["impressions"].astype("Int64"),
        "likes": raw["likes"].astype("Int64"),
        "comments": raw["comments"].astype("Int64"),
        "content_label": raw["content_label"].astype("string"),
    })


def _r_name(name: str) -> str:
    """MASS coefficient names -> toolkit design names."""
    if name == "(Intercept)":
        return "intercept"
    for factor in ("weekday", "hour", "media_type", "account"):
        if name.startswith(factor) and name != factor:
            return f"{factor}[{name[len(factor):]}]"
    return name


def _coefs(result, metric):
    table = result.details["glm"][metric]["coefficients"]
    return dict(zip(table["term"], table["estimate"]))


def _check(result, metric, names, values, theta):
    ours = _coefs(result, metric)
    expected = {_r_name(n): v for n, v in zip(names.split(), values)}
    assert set(ours) == set(expected)
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, rel=1e-4, abs=1e-7), name
    assert result.details["glm"][metric]["theta"] == pytest.approx(theta, rel=1e-4)
    # the table's dispersion is that theta, in the toolkit's one meaning (NB size, as before_after)
    row = result.table[(result.table["method"] == "glm") & (result.table["metric"] == metric)]
    assert row["dispersion"].to_numpy() == pytest.approx(theta, rel=1e-4)


GLM_NAMES = ("(Intercept) label trend weekday1 weekday2 weekday3 weekday4 weekday5 weekday6 hourevening "
             "hourmorning hournight media_typephoto media_typetext media_typevideo")


def test_glm_matches_mass_glm_nb_default_controls():
    r = content_lift(_posts("content_lift_posts.csv"), label=LABEL, metric="likes", method="glm")
    # R: glm.nb(likes ~ label + trend + weekday + hour + media_type + offset(log(impressions)))
    coef = [-3.8904002649990979, 0.3244556796230159, 0.1049960460346486, 0.0894618772941554,
            0.1916374326895257, 0.0785693267244243, 0.1735767615362716, -0.1284237185590580,
            -0.1180147267443755, 0.0324987814223881, -0.0886272011657397, -0.0442281175485655,
            -0.0544151855234104, -0.0590636083823246, -0.1023029880390228]
    _check(r, "likes", GLM_NAMES, coef, theta=4.69427855324672)
    assert r.table.loc[0, "lift"] == pytest.approx(np.expm1(0.3244556796230159), rel=1e-4)
    # R: sandwich::vcovCL(fit, cluster = ~week, type = "HC1") gives 0.0649605733567825 for label with
    # theta held fixed; ours also propagates the uncertainty of theta, so agreement is close, not exact.
    assert r.table.loc[0, "se_log"] == pytest.approx(0.0649605733567825, rel=0.03)


def test_glm_matches_mass_without_controls():
    r = content_lift(_posts("content_lift_posts.csv"), label=LABEL, metric="likes", method="glm", controls=[])
    # R: glm.nb(likes ~ label + offset(log(impressions)))
    _check(r, "likes", "(Intercept) label", [-3.886574470097877, 0.269498227700978], theta=4.35728262988742)


def test_glm_change_interaction_matches_mass():
    r = content_lift(_posts("content_lift_posts.csv"), label=LABEL, metric="comments", method="glm",
                     change="2024-04-15")
    # R: glm.nb(comments ~ label * after + trend + weekday + hour + media_type + offset(log(impressions)))
    names = ("(Intercept) label after trend weekday1 weekday2 weekday3 weekday4 weekday5 weekday6 "
             "hourevening hourmorning hournight media_typephoto media_typetext media_typevideo label:after")
    coef = [-5.88345002297664710, 0.51183297423149710, 0.00445471340632678, 0.15672298514710184,
            0.14096846897612209, 0.29383692736369266, 0.14940882164302960, 0.12199264717129192,
            -0.12746827682440776, -0.20661858657276025, 0.11211821862584401, -0.04204312616125364,
            0.07742499497731081, -0.04332226859043654, -0.12362823622767280, -0.00661352019714835,
            -0.23556183078993839]
    _check(r, "comments", names, coef, theta=4.65968148470143)
    gain = r.table.set_index("term").loc["gain after change", "lift"]
    assert gain == pytest.approx(np.expm1(-0.23556183078993839), rel=1e-4)


def test_glm_pooled_accounts_matches_mass_with_account_effects():
    r = content_lift(_posts("content_lift_pooled.csv"), label=LABEL, metric="likes", method="glm")
    names = ("(Intercept) label accountb trend weekday1 weekday2 weekday3 weekday4 weekday5 weekday6 "
             "hourevening hourmorning hournight media_typephoto media_typetext media_typevideo")
    # R: glm.nb(likes ~ label + account + trend + weekday + hour + media_type + offset(log(impressions)))
    coef = [-3.8134249884767737, 0.2090847231304295, 0.0416795008190280, 0.1549897442450284,
            -0.0635636360671665, -0.0214091182359406, -0.0691419814501480, -0.2014020463465079,
            -0.1779045978964542, -0.1254619870620580, 0.0162757635181135, 0.0186414120054428,
            -0.4070498665728379, -0.0167858183955425, -0.0600914627559166, 0.0105424161172998]
    _check(r, "likes", names, coef, theta=4.67144897168852)


def test_welch_and_mannwhitney_match_r():
    r = content_lift(_posts("content_lift_posts.csv"), label=LABEL, metric="likes",
                     method=["welch", "mannwhitney"], n_resamples=200)
    t = r.table.set_index("method")
    # R: t.test(rate[label == 1], rate[label == 0], var.equal = FALSE)
    assert t.loc["welch", "statistic"] == pytest.approx(4.56629712326198, rel=1e-9)
    assert t.loc["welch", "df"] == pytest.approx(185.476974448882, rel=1e-9)
    assert t.loc["welch", "p_value"] == pytest.approx(9.025295824759e-06, rel=1e-7)
    # R: wilcox.test(rate[label == 1], rate[label == 0], exact = FALSE, correct = TRUE)
    assert t.loc["mannwhitney", "statistic"] == pytest.approx(21793)
    assert t.loc["mannwhitney", "p_value"] == pytest.approx(1.0277445197371e-06, rel=1e-7)


@pytest.mark.parametrize("stratified, coin_p", [
    (True, 0.00381),     # R: oneway_test(y ~ treat | block, approximate(200000), alternative = "greater")
    (False, 0.004745),   # R: oneway_test(y ~ treat, approximate(200000), alternative = "greater")
])
def test_permutation_p_matches_coin_within_monte_carlo_error(stratified, coin_p):
    # Equal block sizes and labelled shares make the Mantel-Haenszel ratio monotone in coin's linear
    # statistic, so the one-sided p-values estimate the same number.
    p = pd.read_csv(REF / "content_lift_perm.csv")
    strata = p["block"].to_numpy() if stratified else np.zeros(len(p), dtype=int)
    n = 20_000
    obs, null = rate_ratio_permutation(p["y"].to_numpy(float), np.ones(len(p)), p["treat"].to_numpy(bool),
                                       strata, n_resamples=n, seed=7)
    ours = (1 + np.sum(null >= obs - 1e-12)) / (n + 1)
    # Monte Carlo SE of the difference: ours (n = 20,000) and coin's (200,000 resamples)
    se = np.sqrt(coin_p * (1 - coin_p) * (1 / n + 1 / 200_000))
    assert abs(ours - coin_p) < 3 * se


def test_adjustments_match_p_adjust():
    pv = [0.001, 0.012, 0.03, 0.04, 0.2]
    # R: p.adjust(pv, "holm") and p.adjust(pv, "BH")
    assert adjust_pvalues(pv, "holm") == pytest.approx([0.005, 0.048, 0.090, 0.090, 0.200])
    assert adjust_pvalues(pv, "bh") == pytest.approx([0.005, 0.030, 0.050, 0.050, 0.200])
