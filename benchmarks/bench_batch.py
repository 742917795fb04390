"""Benchmark: one analysis for each of 500 simulated accounts, 1 worker vs 2 workers.

Target (issue 7): batch analysis scales near-linearly with cores. Two baselines are measured in
the same run, ``--repeat`` times interleaved (medians reported):

- **serial**: the same ``run_batch`` call with ``n_jobs=1`` (in this process). Speed-up = serial
  time / parallel time; efficiency = speed-up / workers.
- **ideal split**: the accounts cut in advance into one share per worker (equal numbers of posts),
  each share analysed serially in its own forked process, all started together at a barrier: no
  pool, no scheduling, no data transfer. This is the most the machine's cores give to any
  parallel run: on a virtual machine whose cores share physical ones with other guests, two busy
  processes each run slower than one alone, so even perfect parallel code falls short of linear
  there. ``run_batch`` time / ideal-split time is the overhead of the batch machinery itself
  (1.0 = none).

    python benchmarks/bench_batch.py [--accounts 500] [--days 180] [--method glm] [--workers 2] [--repeat 3]

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
import multiprocessing
import os
import statistics
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


def _share(posts: pd.DataFrame, kwargs: dict, barrier, queue) -> None:
    from toolkit.batch import run_batch

    barrier.wait()
    start = time.perf_counter()
    run_batch(posts, timed_content_lift, n_jobs=1, progress=False, **kwargs)
    queue.put(time.perf_counter() - start)


def ideal_split(posts: pd.DataFrame, workers: int, kwargs: dict) -> float:
    """Wall time of ``workers`` forked processes, each analysing its own share of the accounts
    serially, started together (the share sizes are balanced by posts in advance)."""
    sizes = posts.groupby("account").size().sort_values(ascending=False)
    shares: list[list[str]] = [[] for _ in range(workers)]
    load = [0] * workers
    for account, n in sizes.items():  # largest first, each to the least loaded share
        k = load.index(min(load))
        shares[k].append(account)
        load[k] += int(n)
    context = multiprocessing.get_context("fork")
    barrier, queue = context.Barrier(workers + 1), context.Queue()
    procs = [context.Process(target=_share, args=(posts[posts["account"].isin(share)], kwargs, barrier, queue))
             for share in shares]
    for proc in procs:
        proc.start()
    barrier.wait()
    times = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    return max(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--method", default="glm")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
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

    t_serial, t_parallel, t_ideal = [], [], []
    for _ in range(args.repeat):  # interleaved, so a burst of load on the machine hits all three
        t0 = time.perf_counter()
        serial = run_batch(posts, timed_content_lift, n_jobs=1, progress=False, **kwargs)
        t_serial.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        parallel = run_batch(posts, timed_content_lift, n_jobs=args.workers, progress=False, **kwargs)
        t_parallel.append(time.perf_counter() - t0)
        t_ideal.append(ideal_split(posts, args.workers, kwargs))
    numbers = [c for c in serial.table.columns if c not in ("cpu_seconds", "pid")]
    same = serial.table[numbers].equals(parallel.table[numbers])
    ts, tp, ti = (statistics.median(t) for t in (t_serial, t_parallel, t_ideal))
    speedup, ceiling = ts / tp, ts / ti
    per_worker = parallel.table.groupby("pid")["cpu_seconds"].sum()
    print(f"medians of {args.repeat} (runs in brackets):")
    print(f"1 worker (serial baseline): {ts:.2f} s ({1000 * ts / args.accounts:.1f} ms per account) "
          f"[{', '.join(f'{t:.2f}' for t in t_serial)}]")
    print(f"{args.workers} workers, run_batch: {tp:.2f} s [{', '.join(f'{t:.2f}' for t in t_parallel)}]")
    print(f"{args.workers} workers, ideal split: {ti:.2f} s [{', '.join(f'{t:.2f}' for t in t_ideal)}]")
    print(f"speed-up: {speedup:.2f}x, efficiency {speedup / args.workers:.0%}; the ideal split gives "
          f"{ceiling:.2f}x on this machine; run_batch / ideal split = {tp / ti:.2f} "
          f"(load average after: {os.getloadavg()[0]:.2f}); identical tables: {same}; "
          f"failed accounts: {len(serial.errors)}")
    print(f"analysis CPU time, last run: serial {serial.table['cpu_seconds'].sum():.2f} s; "
          f"{len(per_worker)} workers {', '.join(f'{v:.2f}' for v in per_worker)} s (more CPU per "
          f"account when both cores are busy means the cores slow each other down)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
