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
# R: coeftest(m, vcov. = V_cl, df = G - 1) for "after": t value, Pr(>|t|)
R_WEEK_P = 0.000137972271133257
# R: coeftest(m, vcov. = V_hac) (z test) for "after"
R_HAC_P = 2.48006189681854e-05
# R: lm(log_rate ~ Z - 1); NeweyWest(l, lag = 13, prewhite = FALSE, adjust = TRUE)
R_ITS_COEF = [-3.51056171268195, 0.328533429834388, -0.000963950817656167, -0.000597004665890336,
              0.0261879008079259, -0.108180901636722, 0.00851727140923917, -0.123258034583188,
              -0.0678308052884479, -0.074874887146257]
R_ITS_SE_NW13 = [0.0506955289349762, 0.0619356226807039, 0.000765957949201937,
                 0.000382788702030224, 0.0723379724903222, 0.0951647379706363, 0.0885545757319028,
                 0.0821261233705654, 0.0906399168823152, 0.0911965580177993]
# R: coeftest(l, vcov. = V_nw): Pr(>|t|) of the level change ("after")
R_ITS_LEVEL_P = 2.41270802680786e-07


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
    np.testing.assert_allclose(row["se"], R_SE_WEEK[1], rtol=1e-3)
    np.testing.assert_allclose(row["dispersion"], R_THETA, rtol=1e-4)
    np.testing.assert_allclose(row["p_value"], R_WEEK_P, rtol=1e-3)
    np.testing.assert_allclose(row["lift"], np.expm1(R_COEF[1]), rtol=1e-4)
    hac = before_after(posts, change=CHANGE, method="glm", robust="hac", lag=14, warn=False).table.iloc[0]
    np.testing.assert_allclose(hac["se"], R_SE_HAC14[1], rtol=1e-3)
    np.testing.assert_allclose(hac["p_value"], R_HAC_P, rtol=1e-3)


def test_its_matches_lm_with_newey_west(posts):
    daily = pd.read_csv(REF / "before_after_its_daily.csv")
    Z = daily.iloc[:, 2:].to_numpy(float)
    y = daily["log_rate"].to_numpy(float)
    beta = np.linalg.lstsq(Z, y, rcond=None)[0]
    np.testing.assert_allclose(beta, R_ITS_COEF, rtol=1e-6)
    se = np.sqrt(np.diag(newey_west(Z, y - Z @ beta, 13)))
    np.testing.assert_allclose(se, R_ITS_SE_NW13, rtol=1e-4)
    r = before_after(posts, change=CHANGE, method="its", lag=13, warn=False)
    fit = r.details["fits"]["its"]
    np.testing.assert_allclose(fit["beta"], R_ITS_COEF, rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit["cov"])), R_ITS_SE_NW13, rtol=1e-4)
    row = r.table.iloc[0]
    np.testing.assert_allclose(row["level_change"], np.expm1(R_ITS_COEF[1]), rtol=1e-6)
    np.testing.assert_allclose(row["slope_change"], np.expm1(30 * R_ITS_COEF[2]), rtol=1e-6)
    np.testing.assert_allclose(row["level_change_low"],
                               np.expm1(R_ITS_COEF[1] - 1.96 * R_ITS_SE_NW13[1]), rtol=0.01)
