"""Benchmark: one analysis for each of 500 simulated accounts, 1 worker vs 2 workers.

Target (issue 7): batch analysis scales near-linearly with cores. The baseline is the same
``run_batch`` call with ``n_jobs=1`` (serial, in this process), measured in the same run; the
speed-up is serial time / parallel time, the efficiency speed-up / workers.

    python benchmarks/bench_batch.py [--accounts 500] [--days 180] [--method glm] [--workers 2]

The analysis is ``toolkit.content_lift(method=...)`` on likes per impression (personal vs brand)
of each account. The machine's load average is printed: on a shared machine other processes
take cores away from the parallel run and lower the speed-up. Linux's autogroup scheduler gives
one terminal session one fair share of the CPU however many processes it runs, so on a busy
machine the wall-clock speed-up says little; the script therefore also prints the speed-up the
workers' own CPU times allow (total analysis CPU time / the busiest worker's), which contention
does not change.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# one BLAS thread per process in both runs, so the serial baseline does not borrow a second core
# through OpenBLAS and the comparison is process against process
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pandas as pd  # noqa: E402


def timed_content_lift(posts: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """content_lift's table plus the process id and the CPU seconds it took."""
    from toolkit.content_lift import content_lift

    start = time.process_time()
    table = content_lift(posts, **kwargs).table.copy()
    table["cpu_seconds"] = time.process_time() - start
    table["pid"] = os.getpid()
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--method", default="glm")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from toolkit.batch import run_batch
    from toolkit.simulate import simulate_profile

    t0 = time.perf_counter()
    posts = pd.concat([
        simulate_profile(days=args.days, posts_per_day=2, personal_share=0.4, personal_lift=0.2,
                         account=f"acct{i:04d}", text=False, seed=i).posts
        for i in range(args.accounts)
    ], ignore_index=True)
    print(f"simulated {args.accounts} accounts, {len(posts):,} posts in "
          f"{time.perf_counter() - t0:.1f} s")
    kwargs = dict(label=("content_label", "personal"), metric="likes", exposure="impressions",
                  method=args.method, controls=[])
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")

    t0 = time.perf_counter()
    serial = run_batch(posts, timed_content_lift, n_jobs=1, progress=False, **kwargs)
    t_serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    parallel = run_batch(posts, timed_content_lift, n_jobs=args.workers, progress=False, **kwargs)
    t_parallel = time.perf_counter() - t0
    numbers = [c for c in serial.table.columns if c not in ("cpu_seconds", "pid")]
    same = serial.table[numbers].equals(parallel.table[numbers])
    speedup = t_serial / t_parallel
    per_worker = parallel.table.groupby("pid")["cpu_seconds"].sum()
    cpu_bound = per_worker.sum() / per_worker.max()
    print(f"1 worker (serial baseline): {t_serial:.2f} s "
          f"({1000 * t_serial / args.accounts:.1f} ms per account)")
    print(f"{args.workers} workers: {t_parallel:.2f} s")
    print(f"speed-up: {speedup:.2f}x, efficiency {speedup / args.workers:.0%} "
          f"(load average after: {os.getloadavg()[0]:.2f}); identical tables: {same}; "
          f"failed accounts: {len(serial.errors)}")
    print(f"analysis CPU time: serial {serial.table['cpu_seconds'].sum():.2f} s; "
          f"{len(per_worker)} workers {', '.join(f'{v:.2f}' for v in per_worker)} s -> "
          f"CPU-balance speed-up {cpu_bound:.2f}x (what {args.workers} free cores would give, "
          f"before process start-up and data transfer)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
