"""Small, seeded version of the content-lift calibration study (the full one: ``make validate``).

Truth comes from toolkit.simulate (no lift, or a planted +20%); the bands are binomial: with R runs and
a true rate p, the count of rejections has SD sqrt(R p (1 - p)); we allow 3 SD, so a calibrated method
fails this test with probability about 0.1-0.2%. The runs are few, so this catches gross
miscalibration only (binomial tails, scipy.stats.binom): a true false positive rate of 0.10 fails
the 100-run bound about 30% of the time, 0.15 about 84%, 0.20 about 99%; the 30-family bound
(0.169) catches an uncorrected family (FWER 0.149 in the full study) only 28% of the time. The full
study (docs/validation.md, 1,000 runs, SE 0.007) measures the rates; Holm and BH themselves are
checked against R's p.adjust (tests/test_content_lift_reference.py). Every run must give an answer
(``runs``): a method returning no p-value would otherwise pass as never rejecting (bayes, which
runs no test, rejects when its interval leaves out 0). Profiles span 26 weeks: the week-based
methods assume 20 or more weeks (with 17 weeks the bootstrap's coverage drops to about 0.88, which
is why content_lift's text warns below 20); bayes's text warns below 40, but with its posterior
widened for the weeks it has it holds here too (bayes and bootstrap both 0.07 false positives and
0.91 coverage in these 100 runs; in the full study's year of posts, 0.050 and 0.955).
"""

import math
from pathlib import Path

import pytest

from toolkit.calibration import STUDY_COLUMNS
from toolkit.calibration.content_lift import study

RUNS = 100
FAMILY_RUNS = 30


@pytest.fixture(scope="module")
def table():
    return study(RUNS, seed=20261122, progress=False, days=182,
                 methods=("glm", "permutation", "bootstrap", "bayes"), n_resamples=199,
                 family_runs=FAMILY_RUNS).set_index(["method", "scenario"])


def _band(p, runs):
    return 3 * math.sqrt(p * (1 - p) / runs)


def test_columns(table):
    assert list(table.reset_index()[list(STUDY_COLUMNS)].columns) == list(STUDY_COLUMNS)


@pytest.mark.parametrize("method", ["glm", "permutation", "bootstrap", "bayes"])
def test_false_positive_rate_near_alpha(table, method):
    assert table.loc[(method, "no lift"), "runs"] == RUNS
    fpr = table.loc[(method, "no lift"), "rejection_rate"]
    assert fpr <= 0.05 + _band(0.05, RUNS)  # 100 runs: at most 0.115


@pytest.mark.parametrize("method", ["glm", "permutation", "bootstrap", "bayes"])
def test_coverage_of_the_planted_lift(table, method):
    assert table.loc[(method, "planted lift"), "runs"] == RUNS
    cover = table.loc[(method, "planted lift"), "coverage"]
    assert cover >= 0.95 - _band(0.95, RUNS)  # 100 runs: at least 0.885
    assert abs(table.loc[(method, "planted lift"), "mean_lift"] - 0.2) < 0.04  # no gross bias


def test_holm_and_bh_control_their_error_rates(table):
    assert table.loc[("glm + holm", "family of 5"), "rejection_rate"] <= 0.05 + _band(0.05, FAMILY_RUNS)
    assert table.loc[("glm + bh", "family of 5"), "rejection_rate"] <= 0.05 + _band(0.05, FAMILY_RUNS)


def test_make_validate_writes_its_tables_and_leaves_the_written_reading_alone(tmp_path):
    from toolkit.calibration.__main__ import main

    docs = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
    before = docs.read_bytes()
    out = tmp_path / "validation.md"
    assert main(["--profiles", "2", "--seed", "1", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert f"--out {out.as_posix()} --profiles 2 --seed 1" in text
    for section in ("## Before vs after a change", "## Content lift"):
        assert section in text
    assert text.count("| content_lift |") >= 5 and text.count("| before_after |") >= 4
    assert docs.read_bytes() == before


def test_strata_reach_the_methods():
    # the same profiles and resamples within week x media type cells give other estimates
    kwargs = dict(seed=20261122, progress=False, days=182, methods=("permutation",), n_resamples=99,
                  scenarios=("planted lift",))
    weeks = study(3, **kwargs).iloc[0]
    cells = study(3, strata=("media_type",), **kwargs).iloc[0]
    assert weeks["runs"] == cells["runs"] == 3 and weeks["mean_lift"] != cells["mean_lift"]
