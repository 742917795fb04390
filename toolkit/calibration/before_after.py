"""Calibration of :func:`toolkit.before_after` on simulated profiles with a known truth.

Each profile is one year of an account (``toolkit.simulate.simulate_profile``: NB2 engagement
counts over impressions with size 5, AR(1) day shocks with coefficient 0.5 and SD 0.15, weekday and
hour effects, a growing audience, two posts a day on average) with a change date in the middle.
Under **no change** the planted lift is 0 and ``rejection_rate`` is the false positive rate at
alpha = 0.05; under a **planted lift** of +20 % ``coverage`` is the share of 95 % intervals that
contain it. A naive per-post Welch t-test on engagement per impression runs on the same profiles.

>>> table = study(3, seed=1, progress=False, methods=("glm",))
>>> sorted(table["scenario"].unique())
['no change', 'planted lift']
>>> list(table.columns) == list(STUDY_COLUMNS)
True
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.calibration import STUDY_COLUMNS

TITLE = "Before vs after a change (`toolkit.before_after`)"
DESCRIPTION = (
    "One simulated year per profile (NB2 counts over impressions, size 5; AR(1) day shocks, "
    "coefficient 0.5, SD 0.15; weekday and hour effects; follower growth 0.1 %/day; 2 posts a day), "
    "change on 1 July. `glm` uses week-clustered standard errors (CR3) with t(weeks-1) (the default) "
    "and, for comparison, CR1, Newey-West HAC and model-based errors; `its` weekly rates aligned to "
    "the change with Newey-West errors; `counterfactual` the state-space forecast fitted on the "
    "pre-period, its random-walk level kept only when a boundary-corrected likelihood-ratio test "
    "rejects a fixed level at 5%. The naive t-test compares "
    "per-post engagement rates with Welch's test, ignoring overdispersion weights, autocorrelation "
    "and weekday mix."
)

START = "2024-01-01"
CHANGE = "2024-07-01"
PLANTED_LIFT = 0.20
LEVEL = 0.95
ROWS = ("glm", "glm (week CR1 errors)", "glm (week CR3 errors)", "glm (HAC errors)",
        "glm (model-based errors)", "its", "counterfactual", "t-test (naive, per post)")


def _profile_seed(seed: int, i: int, scenario: int) -> int:
    return int(np.random.SeedSequence([seed, scenario, i]).generate_state(1)[0])


def _ttest(posts: pd.DataFrame, change: pd.Timestamp, level: float) -> tuple[float, float, float, float]:
    from toolkit.metrics import engagement  # noqa: PLC0415

    e = engagement(posts)
    r = (e["engagements"].astype(float) / e["impressions"].astype(float)).to_numpy()
    after = (posts["published_at"] >= change).to_numpy()
    a, b = r[after], r[~after]
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(level)
    mb = b.mean()
    return a.mean() / mb - 1, ci.low / mb, ci.high / mb, float(res.pvalue)


def simulate_and_analyse(seed: int, lift: float, days: int = 365, posts_per_day: float = 2.0,
                         level: float = LEVEL,
                         methods: tuple[str, ...] = ("glm", "its", "counterfactual")) -> list[dict]:
    """One profile: every calibrated method's lift, interval and p-value."""
    from toolkit.before_after import before_after  # noqa: PLC0415
    from toolkit.simulate import simulate_profile  # noqa: PLC0415

    sim = simulate_profile(days=days, posts_per_day=posts_per_day, start=START, change=CHANGE,
                           change_lift=lift, seed=seed, text=False)
    change = pd.Timestamp(CHANGE, tz="UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = before_after(sim.posts, change=CHANGE, method=list(methods), level=level, warn=False)
    out = []
    for _, row in r.table.iterrows():
        out.append({"method": row["method"], "lift": row["lift"], "ci_low": row["ci_low"],
                    "ci_high": row["ci_high"], "p_value": row["p_value"]})
    glm = r.details["fits"]["glm"]
    fit, names = glm["fit"], glm["names"]
    b = float(fit.params[1])
    d = r.details["data"].frame
    n_days = d["day"].nunique()
    lag = int(round(max(7, min(round(2 * n_days ** (1 / 3)), n_days // 4)) * len(d) / n_days))
    weeks = d["week"].to_numpy()
    n_weeks = len(np.unique(weeks))
    variants = (("glm (week CR1 errors)", fit.robust_cov("week", groups=weeks, cr="CR1"), n_weeks - 1),
                ("glm (week CR3 errors)", fit.robust_cov("week", groups=weeks, cr="CR3"), n_weeks - 1),
                ("glm (HAC errors)", fit.robust_cov("hac", lag=lag), None),
                ("glm (model-based errors)", fit.cov, None))
    for label, cov, df in variants:
        se = math.sqrt(cov[1, 1])
        q = stats.norm.ppf(0.5 + level / 2) if df is None else stats.t.ppf(0.5 + level / 2, df)
        p = 2 * (stats.norm.sf(abs(b / se)) if df is None else stats.t.sf(abs(b / se), df))
        out.append({"method": label, "lift": math.expm1(b), "ci_low": math.expm1(b - q * se),
                    "ci_high": math.expm1(b + q * se), "p_value": p})
    lt, lo, hi, p = _ttest(sim.posts, change, level)
    out.append({"method": "t-test (naive, per post)", "lift": lt, "ci_low": lo, "ci_high": hi,
                "p_value": p})
    return out


def study(n_profiles: int = 1000, seed: int = 20261122, progress: bool = True, *,
          days: int = 365, posts_per_day: float = 2.0, lift: float = PLANTED_LIFT,
          level: float = LEVEL, return_runs: bool = False,
          scenarios: tuple[str, ...] = ("no change", "planted lift"),
          methods: tuple[str, ...] = ("glm", "its", "counterfactual")) -> pd.DataFrame:
    """Run ``n_profiles`` simulated profiles per scenario and summarise how the methods behave.

    Parameters
    ----------
    n_profiles
        Profiles per scenario (no change; planted lift).
    seed
        Master seed; profile ``i`` of scenario ``s`` uses ``SeedSequence([seed, s, i])``.
    progress
        Show a tqdm progress bar.
    scenarios
        Which scenarios to run (both by default).
    methods
        Which :func:`toolkit.before_after` methods to run (``glm`` is always run: its fit gives the
        rows comparing standard-error types).
    days, posts_per_day, lift, level
        Profile length, posting rate, planted lift of the second scenario, interval level.
    return_runs
        Also return the per-profile results (a second DataFrame).

    Returns
    -------
    DataFrame with :data:`toolkit.calibration.STUDY_COLUMNS`: ``rejection_rate`` (share with
    p < 1 - level), ``coverage`` (share of intervals containing the planted lift), ``mean_lift``.
    """
    from toolkit.progress import progress_bar  # noqa: PLC0415

    runs = []
    chosen = [(s, name, true) for s, (name, true) in enumerate((("no change", 0.0), ("planted lift", lift)))
              if name in scenarios]
    total = n_profiles * len(chosen)
    with progress_bar(total=total, desc="before/after calibration", disable=not progress) as bar:
        for s, name, true in chosen:
            for i in range(n_profiles):
                for row in simulate_and_analyse(_profile_seed(seed, i, s), true, days=days,
                                                posts_per_day=posts_per_day, level=level,
                                                methods=tuple(dict.fromkeys(("glm",) + tuple(methods)))):
                    row.update(scenario=name, true_lift=true, profile=i)
                    runs.append(row)
                bar.update(1)
    runs_df = pd.DataFrame(runs)
    table = summarise(runs_df, level)
    return (table, runs_df) if return_runs else table


def summarise(runs: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """The study table from per-profile runs (columns method, scenario, true_lift, lift, ci_low,
    ci_high, p_value), e.g. runs computed in chunks by :func:`simulate_and_analyse`.

    ``runs`` counts the runs with a p-value and an interval; the rates are over those runs (a run
    without them is neither a rejection nor a miss, so a method that gave none would show few runs,
    not a perfect false positive rate)."""
    rows = []
    for (method, scenario), g in runs.groupby(["method", "scenario"], sort=False):
        true = float(g["true_lift"].iloc[0])
        g = g[g["p_value"].notna() & g["ci_low"].notna() & g["ci_high"].notna()]
        rows.append({
            "analysis": "before_after", "method": method, "scenario": scenario,
            "true_lift": true, "runs": len(g),
            "rejection_rate": float((g["p_value"] < 1 - level).mean()),
            "coverage": float(((g["ci_low"] <= true) & (true <= g["ci_high"])).mean()),
            "mean_lift": float(g["lift"].mean()),
            "target": ("false positives 0.03-0.07" if true == 0 else "coverage 0.93-0.97"),
        })
    table = pd.DataFrame(rows, columns=list(STUDY_COLUMNS))
    order = {m: k for k, m in enumerate(ROWS)}
    table = table.sort_values(["scenario", "method"],
                              key=lambda c: c.map(order) if c.name == "method" else c)
    return table.reset_index(drop=True)
