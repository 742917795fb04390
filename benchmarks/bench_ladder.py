"""Benchmark: LadderPanel recomputation per weight-slider or account change on a 50,000-post profile.

Target (issue 4, as for the exploration panel): under 300 ms per change on 50,000 posts.
Baseline, measured in the same run: the naive way to answer the same change, i.e. filter the posts
with pandas, recompute every engagement column with the new weights (``toolkit.engagement``) and
call the public tables (``toolkit.metrics.ladder``, ``aggregate``, ``weight_sensitivity``,
``top_posts``) from scratch. The ratio is baseline / panel. Process CPU time per change is printed
beside wall time (the machine may be shared).

    python benchmarks/bench_ladder.py [--posts 50000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import pandas as pd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from toolkit import metrics as m
    from toolkit.simulate import simulate_profile
    from toolkit.widgets.followers import YOUR_WEIGHTS, LadderPanel

    accounts = 4
    per_day = args.posts / accounts / 730
    posts = pd.concat([simulate_profile(days=730, posts_per_day=per_day, seed=s, account=f"a{s}").posts
                       for s in range(accounts)], ignore_index=True)
    t = time.perf_counter()
    panel = LadderPanel(posts)
    build = time.perf_counter() - t

    def naive(account: str, weights: dict) -> None:
        sub = posts if account == "(all)" else posts[posts["account"] == account]
        scored = m.engagement(sub, weights)
        m.ladder(scored, weights=weights)
        m.aggregate(scored, "content_label", metric=m.WEIGHTED_ENGAGEMENT)
        m.weight_sensitivity(sub, {YOUR_WEIGHTS: weights, **m.ALTERNATIVE_WEIGHTS})
        m.top_posts(scored, metric=m.WEIGHTED_ENGAGEMENT, denominator="impressions", n=5)

    def timed(fn) -> tuple[float, float]:
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - w0, time.process_time() - c0

    results = {}
    for label, changes in (
        ("slider (all accounts)", [("(all)", v) for v in (5.0, 6.0, 7.0, 8.0, 9.0)][: args.repeat]),
        ("account", [(a, 4.0) for a in ("a0", "a1", "a2", "a3", "(all)")][: args.repeat]),
    ):
        mine, base = [], []
        for account, clicks in changes:
            def change(account=account, clicks=clicks):
                panel.account.value = account
                panel.weights["clicks"].value = clicks
            mine.append(timed(change))
            base.append(timed(lambda: naive(account, panel.current_weights)))
        wall = statistics.median(x for x, _ in mine)
        cpu = statistics.median(x for _, x in mine)
        bwall = statistics.median(x for x, _ in base)
        results[label] = (wall, cpu, bwall)
    print(f"LadderPanel on {len(posts):,} posts ({accounts} accounts); build {build:.2f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    for label, (wall, cpu, bwall) in results.items():
        print(f"  {label:22s} panel {1000 * wall:6.0f} ms (cpu {1000 * cpu:5.0f} ms)   "
              f"naive {1000 * bwall:6.0f} ms   ratio {bwall / wall:4.1f}x   target < 300 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
