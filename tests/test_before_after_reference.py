"""toolkit.before_after against an independent implementation (R).

Every expected number below was printed by ``Rscript tests/reference/before_after.R`` (R 4.2.2,
MASS 7.3-58.2 ``glm.nb``, sandwich 3.0-2 ``NeweyWest``/``vcovCL``, lmtest ``coeftest``; output kept in
tests/reference/before_after_R.txt) on the fixed fixtures written by
tests/reference/before_after_fixtures.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.before_after import before_after, nb_glm, newey_west

REF = Path(__file__).parent / "reference"
sys.path.insert(0, str(REF))
from before_after_fixtures import CHANGE, read_posts  # noqa: E402

# R: glm.nb(y ~ X - 1 + offset(log(impressions)), control = glm.control(epsilon = 1e-12, maxit = 100))
R_THETA = 4.87533965860744
R_COEF = [-3.42964698213076, 0.180491090418954, 0.00817488436412349, -0.0704706160531767,
          0.0490781883821877, -0.130340364232301, -0.068270765565788, -0.0389725700017264,
          0.0427952044122178, -0.0124403671431076, -0.311458933177092, 0.0365841665403331,
          -0.0518683312923197, -0.00638094266389079]
# R: sqrt(diag(vcov(m)))
R_SE_MODEL = [0.0630102110421859, 0.0380238919267848, 0.0658529989598715, 0.0711737749154764,
              0.0676227790840271, 0.0692912637256537, 0.0698969110155186, 0.0675300882752704,
              0.0463506721896857, 0.0471919784824414, 0.13552215256136, 0.0451184224514379,
              0.0538304322638889, 0.0647541572266045]
# R: sqrt(diag(NeweyWest(m, lag = 14, prewhite = FALSE, adjust = TRUE)))
R_SE_HAC14 = [0.0631653299309384, 0.0428048219654684, 0.0742076977810965, 0.0785796759790161,
              0.0767797389938474, 0.0782759374602959, 0.0746083990893248, 0.0821987905078499,
              0.0350057264590712, 0.0449521466908632, 0.0882235858782547, 0.040422348293546,
              0.0608236330334629, 0.0671622785672341]
# R: sqrt(diag(vcovCL(m, cluster = d$week, type = "HC1", cadjust = TRUE)))
R_SE_WEEK = [0.0625404696057473, 0.0430245152613838, 0.0674568980972733, 0.0812671314859767,
             0.0740815552390948, 0.0794590662057068, 0.0764999752811562, 0.0852608108277384,
             0.033861147237645, 0.039986967446666, 0.0725834327071618, 0.039968942803069,
             0.0666741585421638, 0.0690754095886966]
# R: coeftest(m, vcov. = V_hac) (z test) for "after"
R_HAC_P = 2.48006189681854e-05
# R: sqrt(diag(vcovCL(m, cluster = d$week, type = "HC3"))) (bias-reduced CR3; no G/(G-1))
R_SE_WEEK_CR3 = [0.063985867711125, 0.0458790806181218, 0.069185180705603, 0.0832048368601043,
                 0.0762623349522276, 0.0812158576302797, 0.0780790595680921, 0.0885769795054002,
                 0.0353337002234303, 0.041277008471174, 0.0820405458622451, 0.0404458308672935,
                 0.0690149298964966, 0.0710727649714362]
# R: sqrt(diag(vcovCL(m, cluster = d$week, type = "HC2")))
R_SE_WEEK_CR2 = [0.0625626486296589, 0.0439384493519774, 0.0675641257196907, 0.081321762526657,
                 0.0743305225838435, 0.0794472673442569, 0.0764313868230794, 0.085936134848737,
                 0.034202910664556, 0.0401735777285807, 0.0762753027382902, 0.0397612481030877,
                 0.0670817477320752, 0.069289863737174]
# R: l <- lm(log_rate ~ Z - 1) on the weekly series; NeweyWest(l, lag = 1, prewhite = FALSE, adjust = TRUE)
R_ITS_COEF = [-3.52589561159975, 0.348208970564039, -0.00103778414466856, -0.000287356151873021]
R_ITS_SE_NW1 = [0.0530282624445623, 0.0767353671419311, 0.000941723297357388, 0.00051587283983729]
# R: the same Bartlett lag-1 meat on residuals / (1 - hatvalues(l)), written out in the script
R_ITS_SE_NW1_LEV = [0.0583782708527372, 0.0866944515423184, 0.00107947312988294,
                    0.000582171976507188]
# R: coeftest(l, vcov. = V_lev): Pr(>|t|) of the slope change ("t_after")
R_ITS_SLOPE_P = 0.342438886152141131


@pytest.fixture(scope="module")
def design():
    return pd.read_csv(REF / "before_after_glm_design.csv")


@pytest.fixture(scope="module")
def posts():
    return read_posts()


def test_nb_glm_matches_glm_nb(design):
    X = design.iloc[:, 3:].to_numpy(float)
    fit = nb_glm(design["y"], X, np.log(design["impressions"].to_numpy(float)))
    np.testing.assert_allclose(fit.theta, R_THETA, rtol=1e-4)
    np.testing.assert_allclose(fit.params, R_COEF, rtol=1e-4)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), R_SE_MODEL, rtol=1e-4)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.robust_cov("hac", lag=14))), R_SE_HAC14, rtol=1e-3)
    week_se = np.sqrt(np.diag(fit.robust_cov("week", groups=design["week"].to_numpy())))
    np.testing.assert_allclose(week_se, R_SE_WEEK, rtol=1e-3)


def test_public_glm_uses_the_same_estimator(posts, design):
    """before_after builds the same design from the posts table, and reports R's numbers."""
    r = before_after(posts, change=CHANGE, method="glm", robust="week", warn=False)
    row = r.table.iloc[0]
    assert row["n_baseline"] + row["n_treatment"] == len(design)
    np.testing.assert_allclose(row["log_ratio"], R_COEF[1], rtol=1e-4)
    np.testing.assert_allclose(row["model_se"], R_SE_MODEL[1], rtol=1e-4)
    # default errors: week-clustered CR3 (R: vcovCL(type = "HC3")), t with weeks - 1 df
    np.testing.assert_allclose(row["se"], R_SE_WEEK_CR3[1], rtol=1e-3)
    np.testing.assert_allclose(row["dispersion"], R_THETA, rtol=1e-4)
    n_weeks = design["week"].nunique()
    p_r = 2 * stats.t.sf(abs(R_COEF[1] / R_SE_WEEK_CR3[1]), n_weeks - 1)  # closed form from R's SE
    np.testing.assert_allclose(row["p_value"], p_r, rtol=1e-2)
    np.testing.assert_allclose(row["lift"], np.expm1(R_COEF[1]), rtol=1e-4)
    hac = before_after(posts, change=CHANGE, method="glm", robust="hac", lag=14, warn=False).table.iloc[0]
    np.testing.assert_allclose(hac["se"], R_SE_HAC14[1], rtol=1e-3)
    np.testing.assert_allclose(hac["p_value"], R_HAC_P, rtol=1e-3)


# R: block <- floor((as.Date(week) - as.Date("2024-05-27")) / 7 / 4) (4-week blocks from the change's
# week); sqrt(diag(vcovCL(m, cluster = block, type = "HC3")))[2], the "after" coefficient
R_BLOCKS_4WEEKS = 12
R_SE_4WEEKS_CR3_AFTER = 0.0534953542682931


def test_errors_clustered_by_four_week_blocks_match_vcovcl(posts, design):
    r = before_after(posts, change=CHANGE, method="glm", robust="4 weeks", warn=False)
    row = r.table.iloc[0]
    np.testing.assert_allclose(row["log_ratio"], R_COEF[1], rtol=1e-4)  # the same fit
    np.testing.assert_allclose(row["se"], R_SE_4WEEKS_CR3_AFTER, rtol=1e-3)
    p_r = 2 * stats.t.sf(abs(R_COEF[1] / R_SE_4WEEKS_CR3_AFTER), R_BLOCKS_4WEEKS - 1)
    np.testing.assert_allclose(row["p_value"], p_r, rtol=1e-2)
    assert row["se_type"] == f"clustered by 4-week block, bias-reduced CR3 ({R_BLOCKS_4WEEKS} blocks), t(11)"
    assert "blocks of 4 calendar weeks" in r.assumptions


def test_bias_reduced_cluster_errors_match_vcovcl(design):
    X = design.iloc[:, 3:].to_numpy(float)
    fit = nb_glm(design["y"], X, np.log(design["impressions"].to_numpy(float)))
    weeks = design["week"].to_numpy()
    np.testing.assert_allclose(np.sqrt(np.diag(fit.robust_cov("week", groups=weeks, cr="CR3"))),
                               R_SE_WEEK_CR3, rtol=1e-3)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.robust_cov("week", groups=weeks, cr="CR2"))),
                               R_SE_WEEK_CR2, rtol=1e-3)


def test_its_matches_lm_with_newey_west(posts):
    weekly = pd.read_csv(REF / "before_after_its_weekly.csv")
    Z = weekly.iloc[:, 2:].to_numpy(float)
    y = weekly["log_rate"].to_numpy(float)
    beta = np.linalg.lstsq(Z, y, rcond=None)[0]
    np.testing.assert_allclose(beta, R_ITS_COEF, rtol=1e-6)
    se = np.sqrt(np.diag(newey_west(Z, y - Z @ beta, 1)))
    np.testing.assert_allclose(se, R_ITS_SE_NW1, rtol=1e-4)
    r = before_after(posts, change=CHANGE, method="its", warn=False)
    fit = r.details["fits"]["its"]
    np.testing.assert_allclose(fit["beta"], R_ITS_COEF, rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit["cov"])), R_ITS_SE_NW1_LEV, rtol=1e-4)
    row = r.table.iloc[0]
    np.testing.assert_allclose(row["level_change"], np.expm1(R_ITS_COEF[1]), rtol=1e-6)
    np.testing.assert_allclose(row["slope_change"], np.expm1(30 * R_ITS_COEF[2]), rtol=1e-6)
    np.testing.assert_allclose(row["slope_change_p"], R_ITS_SLOPE_P, rtol=1e-4)
