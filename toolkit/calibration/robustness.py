"""Robustness of the default methods when the simulated account bends the calibration studies' assumptions.

The sibling studies (``before_after``, ``content_lift``) simulate one ideal account: regular posting at
two posts a day, NB2 size 5, AR(1) day shocks with coefficient 0.5, the same content mix all year. Real
accounts bend this. Each scenario here changes one thing (see :data:`SCENARIOS`) in the same simulated
year (``toolkit.simulate.simulate_profile``, 1 January to 30 December 2024, change date 1 July) and runs
the default methods on every profile:

* :func:`toolkit.before_after` (``glm``, ``its``; ``counterfactual`` on the first ``cf_profiles``
  profiles of a scenario, as its state-space fit is slow), metric ``engagements`` per impression;
* :func:`toolkit.content_lift` (``glm``, ``permutation``, ``bootstrap``, ``bayes``; ``welch``, the naive
  per-post test, for comparison), metric ``likes`` per impression, label ``content_label == 'personal'``.

No scenario plants a content lift, so every content-lift row is a false positive rate. The before/after
rows are too, except in the scenario where the account's level rises by 30 % at the change (planted
lift: ``coverage`` is the share of 95 % intervals that contain +30 %). A profile of scenario ``s``
(its position in :data:`SCENARIOS`) number ``i`` is simulated with seed ``SeedSequence([seed, s, i])``,
so a run of some scenarios gives the same figures as the full run.

>>> table = study(2, seed=1, progress=False, scenarios=("ideal", "few labelled posts (5%)"),
...               cf_profiles=0, n_resamples=99)
>>> list(table.columns) == list(STUDY_COLUMNS)
True
>>> sorted(table["analysis"].unique()), sorted(table["scenario"].unique())
(['before_after', 'content_lift'], ['few labelled posts (5%)', 'ideal'])
>>> int(table["runs"].max())
2
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.calibration import STUDY_COLUMNS
from toolkit.calibration.before_after import summarise
from toolkit.calibration.content_lift import _seed, score

TITLE = "When the assumptions bend (robustness)"

START = "2024-01-01"
CHANGE = "2024-07-01"
LEVEL = 0.95
#: the ideal account of the sibling studies; every scenario changes some of these
BASE = {"days": 365, "start": START, "change": CHANGE, "posts_per_day": 2.0, "personal_share": 0.3,
        "dispersion": 5.0, "ar1": 0.5, "shock_sd": 0.15, "weekday_effects": True, "text": False}
BEFORE_AFTER_METHODS = ("glm", "its", "counterfactual")
CONTENT_LIFT_METHODS = ("glm", "permutation", "bootstrap", "bayes", "welch")
LABEL = ("content_label", "personal")


@dataclass(frozen=True)
class Scenario:
    """``profile``: :func:`~toolkit.simulate.simulate_profile` arguments that differ from :data:`BASE`;
    ``gap_weeks``: weeks before the change whose posts are dropped from the simulated table;
    ``analyses``: which of ``before_after`` and ``content_lift`` run on it."""

    profile: dict[str, Any] = field(default_factory=dict)
    gap_weeks: int = 0
    analyses: tuple[str, ...] = ("before_after", "content_lift")


#: name -> scenario; the order fixes the seeds (do not reorder, append)
SCENARIOS: dict[str, Scenario] = {
    "ideal": Scenario(),
    "posting doubles at the change (2 -> 4 a day)": Scenario({"posts_per_day_after": 4.0}),
    "sparse posting (0.4 a day)": Scenario({"posts_per_day": 0.4}),
    "strong autocorrelation (AR 0.85)": Scenario({"ar1": 0.85}),
    "heavy overdispersion (size 1)": Scenario({"dispersion": 1.0}),
    "no posts for 4 weeks before the change": Scenario(gap_weeks=4),
    "mix shifts at the change (personal 0.2 -> 0.6), level +30%": Scenario(
        {"personal_share": 0.2, "personal_share_after": 0.6, "change_lift": 0.3}),
    "few labelled posts (5%)": Scenario({"personal_share": 0.05}, analyses=("content_lift",)),
    "media types drive engagement (video +30%, link -30%)": Scenario(
        {"media_effects": {"video": 0.3, "link": -0.3}}, analyses=("content_lift",)),
}

DESCRIPTION = (
    "One simulated year per profile (`simulate_profile(days=365, posts_per_day=2, personal_share=0.3, "
    "dispersion=5, ar1=0.5, shock_sd=0.15, weekday_effects=True)`, change date 1 July), with one thing "
    "changed per scenario. before_after: `glm`, `its`, `counterfactual` (fewer profiles), metric "
    "engagements per impression, defaults otherwise. content_lift: `glm` (default controls: trend, "
    "weekday, hour, media type), `permutation`, `bootstrap`, `bayes` (999 resamples) and the naive "
    "`welch`, metric likes per impression, label personal. Nothing is planted except a +30% level "
    "change in the mix-shift scenario (a before_after coverage check); every other row is a false "
    "positive rate at alpha 0.05. The gap scenario drops the posts of the 28 days before 1 July; the "
    "media scenario plants effects of media types (not of the label) on engagement per impression."
)


def simulate(scenario: Scenario, seed: int) -> tuple[pd.DataFrame, float]:
    """One profile of ``scenario``: its posts table and the planted before/after lift."""
    from toolkit.simulate import simulate_profile  # noqa: PLC0415

    kwargs = {**BASE, **scenario.profile}
    posts = simulate_profile(seed=seed, **kwargs).posts
    if scenario.gap_weeks:
        change = pd.Timestamp(CHANGE, tz="UTC")
        ts = posts["published_at"]
        gap = (ts >= change - pd.Timedelta(weeks=scenario.gap_weeks)) & (ts < change)
        posts = posts[~gap].reset_index(drop=True)
    return posts, float(kwargs.get("change_lift", 0.0))


def profile(name: str, i: int, seed: int) -> tuple[pd.DataFrame, float]:
    """Profile number ``i`` of scenario ``name`` as :func:`study` draws it under master ``seed``
    (:func:`simulate` with ``SeedSequence([seed, s, i])``, ``s`` the scenario's position in
    :data:`SCENARIOS`): its posts table and the planted before/after lift. Other figures measured on
    "the first n profiles" of a scenario draw them here, so they are the study's profiles."""
    return simulate(SCENARIOS[name], _seed(seed, list(SCENARIOS).index(name), i))


def _answers(run, methods: tuple[str, ...], analysis: str) -> list[dict]:
    """``run(methods)`` -> result table; rows of every method's answer. When the call fails, each
    method is run alone, and one that still fails gives a row with no answer and its ``error``."""
    def rows(table: pd.DataFrame) -> list[dict]:
        return [{"analysis": analysis, "method": r["method"], "lift": r["lift"], "ci_low": r["ci_low"],
                 "ci_high": r["ci_high"], "p_value": r["p_value"], "error": None}
                for _, r in table.iterrows()]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return rows(run(list(methods)))
        except Exception:  # noqa: BLE001 - a failure is a finding, counted per method
            out = []
            for m in methods:
                try:
                    out += rows(run([m]))
                except Exception as e:  # noqa: BLE001
                    out.append({"analysis": analysis, "method": m, "lift": np.nan, "ci_low": np.nan,
                                "ci_high": np.nan, "p_value": np.nan,
                                "error": f"{type(e).__name__}: {e}"})
            return out


def analyse(posts: pd.DataFrame, *, before_after_methods: tuple[str, ...] = (),
            content_lift_methods: tuple[str, ...] = (), n_resamples: int = 999, seed: int = 0,
            level: float = LEVEL, robust: str = "week", strata: tuple[str, ...] = ()) -> list[dict]:
    """Every requested method's answer on one profile: rows with ``analysis``, ``method``, ``lift``,
    ``ci_low``, ``ci_high``, ``p_value`` and ``error`` (a method that raised: its message, and no
    answer, so the summary counts it out of ``runs``)."""
    from toolkit.before_after import before_after  # noqa: PLC0415
    from toolkit.content_lift import content_lift  # noqa: PLC0415

    out = []
    if before_after_methods:
        out += _answers(lambda m: before_after(posts, change=CHANGE, method=m, level=level,
                                               robust=robust, warn=False).table,
                        before_after_methods, "before_after")
    if content_lift_methods:
        out += _answers(lambda m: content_lift(posts, label=LABEL, metric="likes", method=m,
                                               n_resamples=n_resamples, seed=seed, level=level,
                                               strata=list(strata)).table,
                        content_lift_methods, "content_lift")
    return out


def _summarise_content(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (method, scenario), g in runs.groupby(["method", "scenario"], sort=False):
        true = float(g["true_lift"].iloc[0])
        answers = [a for a in (score(r, true) for _, r in g.iterrows()) if a is not None]
        a = np.array(answers, dtype=float).reshape(-1, 3)
        rows.append({"analysis": "content_lift", "method": method, "scenario": scenario,
                     "true_lift": true, "runs": len(a),
                     "rejection_rate": a[:, 0].mean() if len(a) else np.nan,
                     "coverage": a[:, 1].mean() if len(a) else np.nan,
                     "mean_lift": a[:, 2].mean() if len(a) else np.nan,
                     "target": ("FPR 0.03-0.07" if true == 0 else "coverage 0.93-0.97")
                     + (" (naive, comparison)" if method == "welch" else "")})
    return pd.DataFrame(rows, columns=list(STUDY_COLUMNS))


def study(n_profiles: int = 500, seed: int = 20261122, progress: bool = True, *,
          cf_profiles: int | None = 200, n_resamples: int = 999,
          scenarios: tuple[str, ...] | None = None,
          before_after_methods: tuple[str, ...] = BEFORE_AFTER_METHODS,
          content_lift_methods: tuple[str, ...] = CONTENT_LIFT_METHODS,
          level: float = LEVEL, robust: str = "week", strata: tuple[str, ...] = (),
          return_runs: bool = False) -> pd.DataFrame:
    """Run ``n_profiles`` profiles of each scenario; one row per analysis, method and scenario.

    Parameters
    ----------
    n_profiles
        Profiles per scenario. The default, 500 (with ``cf_profiles=200``), is the size of the run
        in ``docs/validation.md``, about 20 minutes of one core (1,219 s of CPU). ``make validate``
        runs its studies at 1,000 profiles, which would take this one about twice as long, so it
        is run on its own (``python -m toolkit.calibration.robustness``), not by ``python -m
        toolkit.calibration``.
    seed
        Master seed; profile ``i`` of scenario number ``s`` uses ``SeedSequence([seed, s, i])`` and
        its content-lift resamples ``SeedSequence([seed, s, i, 1])``.
    progress
        Show a tqdm progress bar.
    cf_profiles
        Run before_after's ``counterfactual`` on the first ``cf_profiles`` profiles of each
        scenario only (``None``: all of them; 0: never). Its rows' ``runs`` say how many.
    n_resamples
        Resamples of content_lift's permutation, bootstrap and bayes.
    scenarios
        Names from :data:`SCENARIOS` to run (default all).
    before_after_methods, content_lift_methods
        The methods to run (empty: leave that analysis out).
    level
        Interval level; ``rejection_rate`` is the share of runs with p < 1 - level (bayes: interval
        excluding 0).
    robust
        ``before_after``'s standard errors (the default ``"week"``; ``"4 weeks"`` for the block
        clusters meant for spells lasting weeks).
    strata
        ``content_lift``'s strata for permutation, bootstrap and bayes (default: weeks only), e.g.
        ``("media_type",)``; give only those methods with it.
    return_runs
        Also return the per-profile results (a second DataFrame; ``error`` holds the message of a
        method that raised, a run that ``runs`` does not count).

    Returns
    -------
    DataFrame with :data:`toolkit.calibration.STUDY_COLUMNS`.
    """
    from toolkit.progress import progress_bar  # noqa: PLC0415

    if strata and set(content_lift_methods) - {"permutation", "bootstrap", "bayes"}:
        raise ValueError("strata apply to permutation, bootstrap and bayes only; give only those in "
                         f"content_lift_methods, not {list(content_lift_methods)}")
    names = list(SCENARIOS) if scenarios is None else list(scenarios)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenarios {unknown}; expected some of {list(SCENARIOS)}")
    cf_profiles = n_profiles if cf_profiles is None else cf_profiles
    runs = []
    with progress_bar(total=n_profiles * len(names), desc="robustness", disable=not progress) as bar:
        for name in names:
            s = list(SCENARIOS).index(name)
            scenario = SCENARIOS[name]
            ba = before_after_methods if "before_after" in scenario.analyses else ()
            cl = content_lift_methods if "content_lift" in scenario.analyses else ()
            for i in range(n_profiles):
                posts, ba_lift = profile(name, i, seed)
                ba_i = tuple(m for m in ba if m != "counterfactual" or i < cf_profiles)
                for row in analyse(posts, before_after_methods=ba_i, content_lift_methods=cl,
                                   n_resamples=n_resamples, seed=_seed(seed, s, i, 1), level=level,
                                   robust=robust, strata=strata):
                    true = ba_lift if row["analysis"] == "before_after" else 0.0
                    row.update(scenario=name, true_lift=true, profile=i)
                    runs.append(row)
                bar.update(1)
    runs_df = pd.DataFrame(runs, columns=["analysis", "method", "scenario", "true_lift", "profile",
                                          "lift", "ci_low", "ci_high", "p_value", "error"])
    parts = []
    ba_runs = runs_df[runs_df["analysis"] == "before_after"]
    if len(ba_runs):
        parts.append(summarise(ba_runs, level))
    cl_runs = runs_df[runs_df["analysis"] == "content_lift"]
    if len(cl_runs):
        parts.append(_summarise_content(cl_runs))
    table = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=list(STUDY_COLUMNS)))
    order = {n: k for k, n in enumerate(SCENARIOS)}
    table = table.sort_values(["analysis", "scenario"], kind="stable",
                              key=lambda c: c.map(order) if c.name == "scenario" else c)
    table = table.reset_index(drop=True)[list(STUDY_COLUMNS)]
    return (table, runs_df) if return_runs else table


def main(argv: list[str] | None = None) -> int:
    """``python -m toolkit.calibration.robustness [--profiles 500] [--cf-profiles 200] [--seed 20261122]
    [--out reports/robustness.md] [--runs FILE.csv]``: run the study and write its table as Markdown
    (and the per-profile runs as CSV)."""
    parser = argparse.ArgumentParser(prog="python -m toolkit.calibration.robustness")
    parser.add_argument("--out", type=Path, default=Path("reports/robustness.md"))
    parser.add_argument("--profiles", type=int, default=500)
    parser.add_argument("--cf-profiles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--runs", type=Path, default=None, help="also write the per-profile runs (CSV)")
    args = parser.parse_args(argv)
    wall, cpu = time.perf_counter(), time.process_time()
    table, runs = study(args.profiles, seed=args.seed, cf_profiles=args.cf_profiles, progress=True,
                        return_runs=True)
    failed = runs[runs["error"].notna()]
    failures = "".join(f"\n* {a} {m}, {sc}: {len(g)} runs raised {g['error'].iloc[0]!r}"
                       + (" (first shown)" if g["error"].nunique() > 1 else "")
                       for (a, m, sc), g in failed.groupby(["analysis", "method", "scenario"], sort=False))
    text = (f"## {TITLE}\n\nGenerated by `python -m toolkit.calibration.robustness --out "
            f"{args.out.as_posix()} --profiles {args.profiles} --cf-profiles {args.cf_profiles} "
            f"--seed {args.seed}`, {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}.\n\n"
            f"{DESCRIPTION}\n\n" + table.to_markdown(index=False, floatfmt=".3f")
            + (f"\n\nRuns without an answer (a method raised):{failures}" if failures else "")
            + f"\n\nTime: {time.perf_counter() - wall:.0f} s wall, {time.process_time() - cpu:.0f} s CPU "
            f"on {platform.machine()}.\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    if args.runs is not None:
        args.runs.parent.mkdir(parents=True, exist_ok=True)
        runs.to_csv(args.runs, index=False)
        print(f"wrote {args.runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
