"""Benchmark: toolkit.before_after on two years of 3 posts a day.

Targets (issue 5): the three main methods (glm, its, counterfactual) together in under 1 s;
100 placebo dates in under 10 s. The baseline, measured in the same run on the same posts, is one
fixed-dispersion negative binomial GLM fit with statsmodels (``sm.GLM(..., NegativeBinomial)``
with the same design and offset): the least a count-model analysis has to do. Ratios are
our time / baseline time. Times are the best of ``--repeat`` runs; the machine's load average is
printed because other processes on a shared machine slow every figure.

    python benchmarks/bench_before_after.py [--repeat 3] [--placebo 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--placebo", type=int, default=100)
    args = parser.parse_args(argv)

    import statsmodels.api as sm

    from toolkit.before_after import _design, before_after
    from toolkit.simulate import simulate_profile

    sim = simulate_profile(days=730, posts_per_day=3, start="2024-01-01", change="2025-01-01",
                           change_lift=0.2, seed=1, text=False)
    posts = sim.posts
    change = "2025-01-01"
    print(f"posts: {len(posts):,} over 730 days; cores: {os.cpu_count()}, "
          f"load average: {os.getloadavg()[0]:.2f}")
    warnings.simplefilter("ignore")
    # warm-up (imports, first calls)
    r = before_after(posts, change=change, method=["glm", "its", "counterfactual"], warn=False)

    d = r.details["data"]
    X, _, _ = _design(d.frame, ["weekday", "hour_band", "media_type"], d.change,
                      [("after", d.frame["after"].to_numpy(float))])
    y = d.frame["y"].to_numpy(float)
    off = np.log(d.frame["e"].to_numpy(float))
    alpha = 1.0 / r.table.loc[0, "dispersion"]

    def baseline():
        sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=alpha), offset=off).fit()

    t_base = best(baseline, args.repeat)
    t_three = best(lambda: before_after(posts, change=change, method=["glm", "its", "counterfactual"],
                                        warn=False), args.repeat)
    per = {}
    for m in ("glm", "its", "counterfactual"):
        per[m] = best(lambda m=m: before_after(posts, change=change, method=m, warn=False), args.repeat)
    t0 = time.perf_counter()
    plc = r.placebo(n=args.placebo, method="glm", progress=False)
    t_placebo = time.perf_counter() - t0
    n_placebo = len(plc.details["placebo"])

    print(f"baseline (statsmodels NB GLM, one fit, fixed alpha): {t_base * 1000:.0f} ms")
    print(f"glm + its + counterfactual together: {t_three:.3f} s "
          f"(target < 1 s; {t_three / t_base:.1f} x baseline)")
    for m, t in per.items():
        print(f"  {m:<15} alone: {t:.3f} s ({t / t_base:.1f} x baseline)")
    print(f"{n_placebo} placebo dates (glm): {t_placebo:.2f} s "
          f"(target < 10 s; {t_placebo / t_base:.0f} x baseline)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
