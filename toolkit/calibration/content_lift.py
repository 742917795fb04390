"""Calibration of :func:`toolkit.content_lift` on simulated profiles with a known truth.

Each profile is one year of posts from :func:`toolkit.simulate.simulate_profile` (about 2 posts a day,
30 % personal, NB2 counts with size 5, AR(1) day shocks with coefficient 0.5 and SD 0.15, weekday and
hour effects, a growing audience). Three scenarios:

* **no lift**: personal posts earn the same per impression; ``rejection_rate`` is the false positive
  rate at alpha 0.05 (target 0.03 to 0.07).
* **planted lift**: personal posts earn +20 % per impression; ``coverage`` is the share of 95 %
  intervals that contain 0.20 (target 0.93 to 0.97) and ``rejection_rate`` the power.
* **family of 5**: five independent profiles analysed as one family of tests, three without and two
  with a +30 % lift; ``rejection_rate`` is the family-wise error rate (Holm, and no adjustment for
  comparison) or the false discovery rate (Benjamini-Hochberg), target at most 0.05.

The naive per-post Welch t-test runs on the same profiles for comparison.

>>> table = study(3, seed=1, progress=False, days=60, n_resamples=99, family_runs=1)
>>> sorted(table["scenario"].unique())
['family of 5', 'no lift', 'planted lift']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.calibration import STUDY_COLUMNS
from toolkit.content_lift import adjust_pvalues, content_lift

TITLE = "Content lift: does personal content lift engagement?"
DESCRIPTION = (
    "One simulated year per profile (`simulate_profile(days=365, posts_per_day=2, personal_share=0.3, "
    "dispersion=5, ar1=0.5, shock_sd=0.15, weekday_effects=True)`), metric `likes` per impression, "
    "label `content_label == 'personal'`, default glm controls; permutation, bootstrap and bayes with "
    "999 resamples. bayes \"rejects\" when its 95% credible interval excludes 0. `welch` is the naive "
    "per-post t-test, shown for comparison. In the family scenario `rejection_rate` is the family-wise "
    "error rate (holm, none) or the false discovery rate (bh) over three true nulls and two +30% lifts."
)
METHODS = ("glm", "permutation", "bootstrap", "bayes", "welch")
PLANTED = 0.20
FAMILY_LIFTS = (0.0, 0.0, 0.0, 0.3, 0.3)
LABEL = ("content_label", "personal")


def _profile(seed: int, lift: float, days: int = 365):
    from toolkit.simulate import simulate_profile

    return simulate_profile(days=days, posts_per_day=2.0, personal_share=0.3, personal_lift=lift,
                            dispersion=5.0, ar1=0.5, shock_sd=0.15, weekday_effects=True, seed=seed,
                            text=False).posts


def _seed(*keys: int) -> int:
    return int(np.random.SeedSequence(list(keys)).generate_state(1)[0])


def score(row: pd.Series, lift: float) -> tuple[bool, bool, float] | None:
    """One method's answer on one profile (a row of ``content_lift(...).table``): whether it rejects
    no lift at alpha 0.05 (bayes: its interval excludes 0), whether its interval contains the true
    ``lift``, and its estimate; ``None`` when it gave no interval (or, bayes apart, no p-value).

    >>> score(pd.Series({"method": "bayes", "ci_low": 0.01, "ci_high": 0.3, "p_value": np.nan,
    ...                  "lift": 0.15}), 0.2)
    (True, True, 0.15)
    """
    interval = pd.notna(row["ci_low"]) and pd.notna(row["ci_high"])
    if not interval or row["method"] != "bayes" and pd.isna(row["p_value"]):
        return None
    if row["method"] == "bayes":
        reject = row["ci_low"] > 0 or row["ci_high"] < 0
    else:
        reject = row["p_value"] < 0.05
    return bool(reject), bool(row["ci_low"] <= lift <= row["ci_high"]), float(row["lift"])


def study(n_profiles: int = 1000, seed: int = 20261122, progress: bool = True, *,
          n_resamples: int = 999, days: int = 365, methods: tuple[str, ...] = METHODS,
          family_runs: int | None = None,
          scenarios: tuple[str, ...] = ("no lift", "planted lift", "family of 5"),
          strata: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run the calibration study; one row per method and scenario (columns ``STUDY_COLUMNS``).

    ``days``, ``methods``, ``n_resamples`` and ``family_runs`` (default ``n_profiles``) make the
    smaller versions the tests run; the published study uses the defaults. ``scenarios`` picks a
    subset (each scenario draws its own seeds, so a split run gives the same numbers as a whole one).
    ``strata`` is passed to :func:`toolkit.content_lift` (permutation, bootstrap and bayes only), e.g.
    to measure what comparing within week x media type cells costs in power.
    """
    from toolkit.progress import progress_bar

    family_runs = n_profiles if family_runs is None else family_runs

    rows = []
    for s, (scenario, lift) in enumerate((("no lift", 0.0), ("planted lift", PLANTED))):
        if scenario not in scenarios:
            continue
        out = {m: [] for m in methods}
        for i in progress_bar(range(n_profiles), desc=f"content_lift: {scenario}", disable=not progress):
            posts = _profile(_seed(seed, s, i), lift, days)
            t = content_lift(posts, label=LABEL, metric="likes", method=list(methods),
                             n_resamples=n_resamples, seed=_seed(seed, s, i, 1),
                             strata=list(strata) or None).table
            for _, r in t.iterrows():
                answer = score(r, lift)
                if answer is not None:  # no answer: counted out of ``runs``, not as "did not reject"
                    out[r["method"]].append(answer)
        for m in methods:
            a = np.array(out[m], dtype=float).reshape(-1, 3)
            rows.append({"analysis": "content_lift", "method": m, "scenario": scenario, "true_lift": lift,
                         "runs": len(a), "rejection_rate": a[:, 0].mean(), "coverage": a[:, 1].mean(),
                         "mean_lift": a[:, 2].mean(),
                         "target": ("FPR 0.03-0.07" if lift == 0 else "coverage 0.93-0.97")
                         + (" (naive, comparison)" if m == "welch" else "")})
    # family of tests: three true nulls, two true lifts, glm p-values
    null = np.array([lift == 0 for lift in FAMILY_LIFTS])
    fam = {"holm": [], "bh": [], "none": []}
    if "family of 5" not in scenarios:
        family_runs = 0
    for i in progress_bar(range(family_runs), desc="content_lift: family", disable=not progress):
        p = []
        for j, lift in enumerate(FAMILY_LIFTS):
            posts = _profile(_seed(seed, 2, i, j), lift, days)
            p.append(content_lift(posts, label=LABEL, metric="likes", method="glm").table.loc[0, "p_value"])
        for how in fam:
            rej = adjust_pvalues(p, how) < 0.05
            v = int((rej & null).sum())
            fam[how].append((v > 0, v / max(int(rej.sum()), 1), rej[~null].mean()))
    for how, values in fam.items():
        if not values:
            continue
        a = np.array(values, dtype=float)
        is_fdr = how == "bh"
        rows.append({"analysis": "content_lift", "method": f"glm + {how}", "scenario": "family of 5",
                     "true_lift": np.nan, "runs": len(a),
                     "rejection_rate": a[:, 1].mean() if is_fdr else a[:, 0].mean(),
                     "coverage": np.nan, "mean_lift": np.nan,
                     "target": "FDR <= 0.05" if is_fdr else ("FWER <= 0.05" if how == "holm"
                                                             else "FWER (unadjusted, comparison)")})
    return pd.DataFrame(rows, columns=list(STUDY_COLUMNS))
