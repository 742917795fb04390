"""Simulator speed: ``simulate_profile`` against the bare random draws its model needs, in one run.

Calibration studies simulate thousands of profiles, so a profile must cost a few milliseconds.
The profile is two years of three posts a day (about 2,200 posts). The baseline draws the same
random numbers with numpy alone (Poisson posts per day, posting hours, NB2 impressions, seven NB2
engagement counts, the AR(1) innovations) without building any table: the floor a vectorised
simulator cannot go below. Printed: median milliseconds per profile for ``simulate_profile`` with
and without texts and for the baseline, the ratios, and the time for 1,000 profiles.

Usage: ``python benchmarks/bench_simulate.py [--profiles 200]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from toolkit.simulate import simulate_profile

DAYS, PER_DAY = 730, 3.0


def bare_draws(seed: int) -> int:
    rng = np.random.default_rng(seed)
    per_day = rng.poisson(PER_DAY, DAYS)
    n = int(per_day.sum())
    rng.choice(24, size=n)
    rng.integers(0, 60, n)
    mean = np.full(n, 1250.0)
    imp = rng.poisson(rng.gamma(4.0, 1.0, n) * mean / 4.0)
    rng.standard_normal(DAYS)
    frailty = rng.gamma(5.0, 0.2, n)
    for rate in (0.02, 0.003, 0.004, 0.002, 0.0015, 0.0025, 0.0003):
        rng.poisson(imp * rate * frailty)
    return n


def timed(fn, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds per call (CPU time is steadier on a shared machine)."""
    wall, cpu = [], []
    for seed in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(seed)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall) * 1e3, statistics.median(cpu) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=200)
    args = parser.parse_args()
    simulate_profile(days=DAYS, posts_per_day=PER_DAY, seed=0)  # imports, template tables
    n = len(simulate_profile(days=DAYS, posts_per_day=PER_DAY, seed=0).posts)
    full = timed(lambda s: simulate_profile(days=DAYS, posts_per_day=PER_DAY, seed=s), args.profiles)
    no_text = timed(lambda s: simulate_profile(days=DAYS, posts_per_day=PER_DAY, seed=s, text=False),
                    args.profiles)
    base = timed(bare_draws, args.profiles)
    print(f"profile: {DAYS} days x {PER_DAY:g} posts/day = {n} posts; median of {args.profiles} runs")
    print(f"{'':30s} {'wall ms':>8s} {'cpu ms':>8s}")
    print(f"{'simulate_profile':30s} {full[0]:8.2f} {full[1]:8.2f}")
    print(f"{'simulate_profile(text=False)':30s} {no_text[0]:8.2f} {no_text[1]:8.2f}")
    print(f"{'bare numpy draws (baseline)':30s} {base[0]:8.2f} {base[1]:8.2f}")
    print(f"{'ratio simulate/baseline':30s} {full[0] / base[0]:8.2f} {full[1] / base[1]:8.2f}")
    print(f"1,000 profiles: {full[0]:.1f} s wall, {full[1]:.1f} s cpu")


if __name__ == "__main__":
    main()
