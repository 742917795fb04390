"""Benchmark: ExplorePanel recomputation per control change on a 50,000-post profile, and chart
building for 200,000 posts.

Target (issue 4): recomputation per widget change on a 50,000-post profile under 300 ms.
Baseline, measured in the same run: the naive way to answer the same change, i.e. filter the
posts with pandas and call the public builders (``toolkit.charts.explore``) and tables
(``toolkit.metrics``) from scratch for every view. The ratio is baseline / panel.

"Recompute" is the panel's callback: tables and chart objects of the views the change affects.
In a live kernel each rebuilt chart is then displayed: serialised to a Vega-Lite spec, which the
project's live renderer (``toolkit.display``) hands to a chart widget. That cost is printed
separately as "render", measured as ``_repr_mimebundle_()`` of the rebuilt charts as the panel
displays them (``toolkit.display.redrawn``, without Altair's schema check, which the tests make)
with ``toolkit.display.setup("live")``: what displaying them in JupyterLab runs. Beside it, the
same charts through Altair's own display path, schema check included.

On a shared machine wall time includes waiting for a core; the process CPU time per change
(``time.process_time``) is printed beside it, with the load average.

    python benchmarks/bench_explore.py [--posts 50000] [--big 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

import pandas as pd


def _median_ms(values):
    return 1000 * statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=50_000)
    parser.add_argument("--big", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    from toolkit import display
    from toolkit import metrics as m
    from toolkit.charts import explore as ce
    from toolkit.followers import detect_events
    from toolkit.simulate import simulate_profile
    from toolkit.widgets.explore import ALL, ExplorePanel

    days = 730
    per_day = args.posts / days / 2
    sims = [simulate_profile(days=days, posts_per_day=per_day, seed=s, account=a, platform=p,
                             purge=("2024-09-01", 0.1) if a == "alice" else None)
            for s, a, p in ((1, "alice", "x"), (2, "bob", "instagram"))]
    posts = pd.concat([s.posts for s in sims], ignore_index=True)
    followers = pd.concat([s.followers for s in sims], ignore_index=True)
    print(f"profile: {len(posts):,} posts, 2 accounts, {days} days; load average {os.getloadavg()[0]:.1f}")

    display.setup("live")
    t0 = time.perf_counter()
    panel = ExplorePanel(posts, followers)
    print(f"panel construction (precomputation + first build): {1000 * (time.perf_counter() - t0):.0f} ms")

    # each change is undone by the next pair, so every repeat measures the same changes
    changes = [
        ("metric", "likes", "engagements"),
        ("denominator", "reach", "impressions"),
        ("how", "mean_of_ratios", "ratio_of_sums"),
        ("freq", "week", "day"),
        ("account", "alice", ALL),
        ("platform", "instagram", ALL),
        ("start", dt.date(2024, 6, 1), panel.start.value),
        ("end", dt.date(2025, 3, 31), panel.end.value),
    ]
    baseline_events = detect_events(followers)

    def naive(state):
        """Everything from scratch on the pandas-filtered posts."""
        p = m.engagement(posts)
        sel = pd.Series(True, index=p.index)
        if state["account"] != ALL:
            sel &= p["account"] == state["account"]
        if state["platform"] != ALL:
            sel &= p["platform"].astype(str) == state["platform"]
        day = p["published_at"].dt.tz_localize(None).dt.floor("D")
        sel &= (day >= pd.Timestamp(state["start"])) & (day <= pd.Timestamp(state["end"]))
        sub = p.loc[sel]
        metric, den, how = state["metric"], state["denominator"], state["how"]
        charts = [
            ce.time_series(sub, metric=metric, denominator=den, how=how, freq=state["freq"]),
            ce.group_bars(sub, "media_type", metric=metric, denominator=den, how=how),
            ce.group_bars(sub, "content_label", metric=metric, denominator=den, how=how),
            ce.heatmap(sub, metric=metric, denominator=den, how=how),
            ce.distribution(sub, metric=metric, denominator=den),
        ]
        m.top_posts(sub, metric=metric, denominator=den)
        m.top_posts(sub, metric=metric, denominator=den, bottom=True)
        m.aggregate(sub, "year", metric=metric, denominator=den, how=how)
        f = followers[followers["account"] == state["account"]] if state["account"] != ALL else followers
        charts.append(ce.follower_history(f, baseline_events[baseline_events["account"].isin(f["account"])]))
        return charts

    rows = []
    for control, value, back in changes:
        fast, cpu, render, checked, slow = [], [], [], [], []
        for _ in range(args.repeat):
            for v in (value, back):
                t, c = time.perf_counter(), time.process_time()
                getattr(panel, control).value = v
                fast.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
                shown = [panel.charts[key] for name in panel.rebuilt
                         for key in {"groups": ("media_type", "content_label")}.get(name, (name,))
                         if key in panel.charts]
                t = time.perf_counter()
                for chart in shown:
                    display.redrawn(chart)._repr_mimebundle_()
                render.append(time.perf_counter() - t)
                t = time.perf_counter()
                for chart in shown:  # Altair's own display path, with its schema check
                    chart._repr_mimebundle_()
                checked.append(time.perf_counter() - t)
            state = dict(panel.state, **{control: value})
            t = time.perf_counter()
            naive(state)
            slow.append(time.perf_counter() - t)
        rows.append({
            "change": control,
            "views rebuilt": len(panel.rebuilt),
            "recompute ms (median)": round(_median_ms(fast)),
            "recompute ms (max)": round(1000 * max(fast)),
            "recompute cpu ms": round(_median_ms(cpu)),
            "render ms (live display)": round(_median_ms(render)),
            "render ms with Altair's check": round(_median_ms(checked)),
            "naive ms": round(_median_ms(slow)),
            "naive / panel": round(statistics.median(slow) / statistics.median(fast), 1),
        })
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False))
    print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    worst = table["recompute ms (median)"].max()
    print(f"\nworst median recompute per change: {worst} ms (target < 300 ms): "
          f"{'OK' if worst < 300 else 'OVER TARGET'}")

    # ---- chart building for a large profile -------------------------------------------------
    import altair as alt

    alt.data_transformers.enable("default")  # as before display.setup: to_dict gives Vega-Lite
    big_days = 1000
    big = simulate_profile(days=big_days, posts_per_day=args.big / big_days, seed=3, purge=("2025-01-10", 0.1))
    t = time.perf_counter()
    bp = m.engagement(big.posts)
    t_eng = time.perf_counter() - t
    print(f"\n{len(bp):,} posts, {big_days} days: engagement() {1000 * t_eng:.0f} ms")
    build_rows = []
    for name, build in (
        ("time_series", lambda: ce.time_series(bp)),
        ("group_bars media_type", lambda: ce.group_bars(bp, "media_type")),
        ("group_bars content_label", lambda: ce.group_bars(bp, "content_label")),
        ("heatmap", lambda: ce.heatmap(bp)),
        ("distribution", lambda: ce.distribution(bp)),
        ("follower_history", lambda: ce.follower_history(big.followers)),
    ):
        t = time.perf_counter()
        chart = build()
        t_build = time.perf_counter() - t
        t = time.perf_counter()
        rows_shipped = ce.data_rows(chart)
        t_dict = time.perf_counter() - t
        build_rows.append({"chart": name, "build ms": round(1000 * t_build), "to_dict ms": round(1000 * t_dict),
                           "rows in spec": rows_shipped})
    build = pd.DataFrame(build_rows)
    print(build.to_string(index=False))
    print(f"total build {build['build ms'].sum()} ms, total to_dict {build['to_dict ms'].sum()} ms, "
          f"{build['rows in spec'].sum():,} rows shipped for {len(bp):,} posts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
