"""Smaller figures that ``docs/validation.md`` quotes beside the robustness study, one command each.

The robustness study (:mod:`toolkit.calibration.robustness`) gives the tables; the reading of them
quotes a few more figures measured on its profiles or on small null profiles. Each has a function
here returning a table (its defaults: the size and seed of the run the docs quote) and a command
printing it with its seed and CPU time::

    python -m toolkit.calibration.extras NAME [--profiles N] [--seed S]

* ``residual-autocorrelation``: the glm's lag-1 residual autocorrelation per before/after scenario;
* ``weekly-check``: how often the glm's between-weeks autocorrelation check fires, and the glm's
  false positives where it fires and where it does not;
* ``change-term``: content_lift's glm given the change date under the mix shift, rejections per term;
* ``weeks-with-both``: the weeks holding both labelled and other posts, per scenario;
* ``bayes-few-weeks``: bayes on null profiles of 3, 5 and 10 weeks, its interval as given and as
  its draws alone would give it.

The first four draw "the first n profiles" of a scenario exactly as the study does
(:func:`toolkit.calibration.robustness.profile`), so with the study's seed they are its profiles.

>>> residual_autocorrelation(2, scenarios=("ideal",))[["scenario", "profiles"]]
  scenario  profiles
0    ideal         2
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time

import numpy as np
import pandas as pd

from toolkit.calibration.robustness import CHANGE, LABEL, LEVEL, SCENARIOS, profile

IDEAL = "ideal"
SPARSE = "sparse posting (0.4 a day)"
SPELLS = "strong autocorrelation (AR 0.85)"
MIX = "mix shifts at the change (personal 0.2 -> 0.6), level +30%"
FEW_LABELLED = "few labelled posts (5%)"
BEFORE_AFTER_SCENARIOS = tuple(n for n, s in SCENARIOS.items() if "before_after" in s.analyses)
ALPHA = 1 - LEVEL


def _glm(posts: pd.DataFrame):
    """before_after's default method on one profile, as the study runs it."""
    from toolkit.before_after import before_after  # noqa: PLC0415

    return before_after(posts, change=CHANGE, method="glm", warn=False)


def _check(diagnostics: pd.DataFrame, name: str) -> pd.Series:
    """The glm's row of one check in ``before_after(...).diagnostics``."""
    rows = diagnostics[(diagnostics["method"] == "glm") & (diagnostics["check"] == name)]
    return rows.iloc[0]


def residual_autocorrelation(n_profiles: int = 40, seed: int = 99,
                             scenarios: tuple[str, ...] = BEFORE_AFTER_SCENARIOS) -> pd.DataFrame:
    """The glm's lag-1 autocorrelation of its daily residuals (``before_after(posts,
    change="2024-07-01", method="glm").diagnostics``, check "residual autocorrelation (lag 1)") on
    the first ``n_profiles`` profiles of each scenario: one row per scenario with its median and
    quartiles."""
    rows = []
    for name in scenarios:
        r1 = [_check(_glm(profile(name, i, seed)[0]).diagnostics,
                     "residual autocorrelation (lag 1)")["statistic"] for i in range(n_profiles)]
        q1, median, q3 = np.quantile(r1, [0.25, 0.5, 0.75])
        rows.append({"scenario": name, "profiles": n_profiles, "median": median,
                     "quartile_1": q1, "quartile_3": q3})
    return pd.DataFrame(rows)


def weekly_check(n_profiles: int = 500, seed: int = 20261122,
                 scenarios: tuple[str, ...] = (SPELLS, IDEAL, SPARSE)) -> pd.DataFrame:
    """How often the glm's check "residual autocorrelation between weeks (lag 1)" fires (p < 0.05),
    and the glm's false positive rate (p < 0.05; no scenario here plants a change) on the profiles
    where it fired and where it did not: whether the check picks out the runs that err."""
    rows = []
    for name in scenarios:
        fired, rejected = [], []
        for i in range(n_profiles):
            result = _glm(profile(name, i, seed)[0])
            weekly = _check(result.diagnostics, "residual autocorrelation between weeks (lag 1)")
            fired.append(weekly["p_value"] < ALPHA)
            rejected.append(result.table.iloc[0]["p_value"] < ALPHA)
        fired, rejected = np.array(fired), np.array(rejected)
        rows.append({"scenario": name, "profiles": n_profiles, "fired": fired.mean(),
                     "runs_fired": int(fired.sum()),
                     "false_positives_when_fired": rejected[fired].mean() if fired.any() else np.nan,
                     "false_positives_when_not": rejected[~fired].mean() if (~fired).any() else np.nan})
    return pd.DataFrame(rows)


def change_term(n_profiles: int = 300, seed: int = 20261122, scenario: str = MIX) -> pd.DataFrame:
    """content_lift's glm given the change date (``content_lift(posts, label=("content_label",
    "personal"), metric="likes", method="glm", change="2024-07-01")``) on the first ``n_profiles``
    profiles of the mix-shift scenario, where no label effect is planted: per term ("label, before
    change", "label, after change", "gain after change"), the share of runs with p < 0.05."""
    from toolkit.content_lift import content_lift  # noqa: PLC0415

    tables = []
    for i in range(n_profiles):
        table = content_lift(profile(scenario, i, seed)[0], label=LABEL, metric="likes", method="glm",
                             change=CHANGE).table
        tables.append(table[["term", "p_value"]])
    runs = pd.concat(tables, ignore_index=True)
    runs["rejected"] = runs["p_value"] < ALPHA
    out = runs.groupby("term", sort=False).agg(runs=("rejected", "size"),
                                               rejection_rate=("rejected", "mean")).reset_index()
    return out.assign(scenario=scenario)[["scenario", "term", "runs", "rejection_rate"]]


def weeks_with_both(n_profiles: int = 50, seed: int = 20261122,
                    scenarios: tuple[str, ...] = (SPARSE, FEW_LABELLED, IDEAL)) -> pd.DataFrame:
    """The weeks holding both labelled and other posts, the only ones that inform bayes and
    bootstrap (column ``weeks_with_both`` of ``content_lift(...).table``, as bayes counts them), on
    the first ``n_profiles`` profiles of each scenario: mean, least and most."""
    from toolkit.content_lift import content_lift  # noqa: PLC0415

    rows = []
    for name in scenarios:
        # the count does not depend on the draws: 99 of them keep it quick
        weeks = [int(content_lift(profile(name, i, seed)[0], label=LABEL, metric="likes",
                                  method="bayes", n_resamples=99).table.iloc[0]["weeks_with_both"])
                 for i in range(n_profiles)]
        rows.append({"scenario": name, "profiles": n_profiles, "mean": np.mean(weeks),
                     "least": min(weeks), "most": max(weeks)})
    return pd.DataFrame(rows)


def bayes_few_weeks(n_profiles: int = 100, seed: int = 0,
                    weeks: tuple[int, ...] = (3, 5, 10), n_draws: int = 10_000) -> pd.DataFrame:
    """bayes on null profiles of a few weeks (``simulate_profile(days=7 * G, posts_per_day=3,
    seed=seed + i, text=False)``, from Monday 1 January 2024, so G calendar weeks; its draws with
    ``content_lift(..., seed=seed + i)``, as the docs' figures were measured): the share of runs
    whose 95% interval leaves out 0 as bayes gives it (``rejection_rate``; from the t posterior when
    fewer than 5 draws lie beyond a widened tail) and as the draws read at the widened tails would
    give it (``rejection_rate_draws``: their quantiles at ``expanded_tail(0.95, weeks_with_both,
    bayesian=True)`` and its complement). ``draws_beyond_tail`` is that tail times the draws for
    G weeks that all hold both kinds of post (a few profiles have a week without a labelled post)."""
    from toolkit.content_lift import content_lift, expanded_tail  # noqa: PLC0415
    from toolkit.simulate import simulate_profile  # noqa: PLC0415

    rows = []
    for g in weeks:
        given, from_draws, informative = [], [], []
        for i in range(n_profiles):
            posts = simulate_profile(days=7 * g, posts_per_day=3, seed=seed + i, text=False).posts
            result = content_lift(posts, label=LABEL, metric="likes", method="bayes",
                                  n_resamples=n_draws, seed=seed + i)
            row = result.table.iloc[0]
            draws = result.details["bayes"]["likes"]["label"]
            tail = expanded_tail(LEVEL, int(row["weeks_with_both"]), bayesian=True)
            low, high = np.quantile(draws, [tail, 1 - tail])
            given.append(row["ci_low"] > 0 or row["ci_high"] < 0)
            from_draws.append(low > 0 or high < 0)
            informative.append(int(row["weeks_with_both"]))
        rows.append({"weeks": g, "profiles": n_profiles,
                     "weeks_with_both": f"{min(informative)}-{max(informative)}",
                     "draws_beyond_tail": expanded_tail(LEVEL, g, bayesian=True) * n_draws,
                     "rejection_rate": np.mean(given), "rejection_rate_draws": np.mean(from_draws)})
    return pd.DataFrame(rows)


#: command name -> function; its defaults are the size and seed of the run the docs quote
COMMANDS = {
    "residual-autocorrelation": residual_autocorrelation,
    "weekly-check": weekly_check,
    "change-term": change_term,
    "weeks-with-both": weeks_with_both,
    "bayes-few-weeks": bayes_few_weeks,
}


def main(argv: list[str] | None = None) -> int:
    """``python -m toolkit.calibration.extras NAME [--profiles N] [--seed S]``: run one measurement
    (by default at the size and seed the docs quote) and print its table, seed and CPU time."""
    parser = argparse.ArgumentParser(prog="python -m toolkit.calibration.extras",
                                     description="Figures docs/validation.md quotes beside the "
                                                 "robustness study.")
    parser.add_argument("name", choices=list(COMMANDS))
    parser.add_argument("--profiles", type=int, default=None,
                        help="profiles per scenario (default: the size the docs quote)")
    parser.add_argument("--seed", type=int, default=None, help="master seed (default: the docs')")
    args = parser.parse_args(argv)
    function = COMMANDS[args.name]
    defaults = inspect.signature(function).parameters
    n_profiles = defaults["n_profiles"].default if args.profiles is None else args.profiles
    seed = defaults["seed"].default if args.seed is None else args.seed
    print(f"{args.name} --profiles {n_profiles} --seed {seed}")
    cpu = time.process_time()
    table = function(n_profiles, seed=seed)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"CPU time: {time.process_time() - cpu:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
