"""Load speed: ``toolkit.load`` against a bare ``pandas.read_csv`` of the same file, in one run.

Writes a legacy X per-post export (40 quoted columns, 1 in 3 texts with embedded newlines, float
counts, ``-`` promoted cells) to a temporary folder, then, ``--repeat`` times:

- ``pandas``: ``pandas.read_csv(path, dtype={"Tweet id": str})``
- ``load``: ``toolkit.load(path, cache=False)`` (parse, validate, merge; no cache)
- ``first``/``second``: ``toolkit.load(path)`` with an empty cache (parse + write the cache),
  then again (served from the cache)

and prints the medians and the ratios (targets: load/pandas <= 2.0, first/second >= 10).
Peak memory of a load is measured in a fresh subprocess as the rise of the peak resident set
size (``VmHWM`` in ``/proc/self/status``) over the resident size before loading, divided by the
memory of the final posts DataFrame (``memory_usage(deep=True)``; target <= 3).

Usage: ``python benchmarks/bench_load.py [--rows 1000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

METRICS = ["impressions", "engagements", "engagement rate", "retweets", "replies", "likes",
           "user profile clicks", "url clicks", "hashtag clicks", "detail expands",
           "permalink clicks", "app opens", "app installs", "follows", "email tweet", "dial phone",
           "media views", "media engagements"]
HEADER = ["Tweet id", "Tweet permalink", "Tweet text", "time"] + METRICS + [f"promoted {m}" for m in METRICS]
WORDS = ("launch coffee team morning thread build data notes weekend photo question ship learn "
         "today update story design city music river").split()


def write_export(path: Path, rows: int, seed: int = 1) -> None:
    """A legacy X export of ``rows`` records (1 in 3 texts span several lines)."""
    rng = random.Random(seed)
    dash = ",".join(['"-"'] * 18)
    base = 1_300_000_000_000_000_000
    start = 1_577_836_800  # 2020-01-01
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(",".join(f'"{h}"' for h in HEADER) + "\n")
        chunk = []
        for i in range(rows):
            tid = base + i * 7919
            words = rng.choices(WORDS, k=rng.randint(4, 18))
            text = " ".join(words)
            if i % 3 == 0:
                text = text.replace(" ", "\n", 2)
            if i % 11 == 0:
                text += ' "quoted"'.replace('"', '""')
            when = time.strftime("%Y-%m-%d %H:%M +0000", time.gmtime(start + i * 97))
            imp = rng.randint(100, 50_000)
            counts = [rng.randint(0, 300) for _ in range(9)]
            eng = sum(counts)
            floats = ",".join(f'"{v:.1f}"' for v in [imp, eng]) + f',"{eng / imp:.6f}",' + \
                ",".join(f'"{v:.1f}"' for v in counts[:8])
            ints = ",".join(f'"{rng.randint(0, 9)}"' for _ in range(7))
            chunk.append(f'"{tid}","https://twitter.com/bench_handle/status/{tid}","{text}","{when}",'
                         f"{floats},{ints},{dash}\n")
            if len(chunk) == 10_000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


_MEMORY_CHILD = r"""
import json, sys, os
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
import pandas, pyarrow, toolkit
from toolkit.loading import load
import toolkit.loading.platforms.x  # imports paid before the measurement
base = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS
what = sys.argv[2]
if what == "pandas":
    frame = pandas.read_csv(sys.argv[1], dtype={"Tweet id": str})
else:
    frame = load(sys.argv[1], cache=False).posts
peak = status("VmHWM:")
print(json.dumps({"rise": peak - base, "frame": int(frame.memory_usage(deep=True).sum())}))
"""


def memory(path: Path, what: str) -> dict:
    env = dict(os.environ, TQDM_DISABLE="1")
    out = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(path), what], check=True,
                         capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _loadavg() -> str:
    """The machine's 1/5/15-minute load average (timings on a shared machine depend on it)."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ["TQDM_DISABLE"] = "1"
    import pandas as pd

    import toolkit
    from toolkit.loading import cache as file_cache

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = tmp / "tweet_activity_metrics_bench_handle_20200101_20231231_en.csv"
        t = _timed(lambda: write_export(path, args.rows))
        size = path.stat().st_size
        print(f"wrote {args.rows:,} rows, {size / 1e6:.0f} MB in {t:.1f} s")
        toolkit.load(path, cache=False)  # warm imports and the page cache
        times: dict[str, list[float]] = {"pandas": [], "load": [], "first": [], "second": []}
        ratios, speedups = [], []
        for i in range(args.repeat):
            os.environ["ENGAGEMENT_LAB_CACHE"] = str(tmp / f"cache{i}")
            t_pd = _timed(lambda: pd.read_csv(path, dtype={"Tweet id": str}))
            t_load = _timed(lambda: toolkit.load(path, cache=False))
            t_first = _timed(lambda: toolkit.load(path))
            t_second = _timed(lambda: toolkit.load(path))
            for key, value in zip(times, (t_pd, t_load, t_first, t_second)):
                times[key].append(value)
            ratios.append(t_load / t_pd)
            speedups.append(t_first / t_second)
            print(f"run {i + 1}: pandas {t_pd:.2f} s, load {t_load:.2f} s (ratio {t_load / t_pd:.2f}), "
                  f"first {t_first:.2f} s, cached {t_second:.3f} s (x{t_first / t_second:.1f}); "
                  f"load average {_loadavg()}", flush=True)
            file_cache_dir = file_cache.cache_dir()
            if file_cache_dir is not None:
                import shutil

                shutil.rmtree(file_cache_dir, ignore_errors=True)
        mem_load = memory(path, "load")
        mem_pd = memory(path, "pandas")
    figures = {
        "rows": args.rows,
        "file_mb": round(size / 1e6, 1),
        "pandas_s": round(statistics.median(times["pandas"]), 2),
        "load_s": round(statistics.median(times["load"]), 2),
        "ratio_load_over_pandas": round(statistics.median(ratios), 2),
        "first_load_s": round(statistics.median(times["first"]), 2),
        "cached_load_s": round(statistics.median(times["second"]), 3),
        "cache_speedup": round(statistics.median(speedups), 1),
        "load_peak_rise_mb": round(mem_load["rise"] / 1e6),
        "posts_frame_mb": round(mem_load["frame"] / 1e6),
        "peak_over_frame": round(mem_load["rise"] / mem_load["frame"], 2),
        "pandas_peak_rise_mb": round(mem_pd["rise"] / 1e6),
        "cores": os.cpu_count(),
        "load_average_at_end": _loadavg(),
    }
    print(json.dumps(figures, indent=2))
    print(f"ratio load/pandas (median of {args.repeat}): {figures['ratio_load_over_pandas']} "
          f"(target <= 2.0); peak memory / final DataFrame: {figures['peak_over_frame']} "
          f"(target <= 3); cached load speed-up: x{figures['cache_speedup']} (target >= 10)")
    return figures


if __name__ == "__main__":
    main()
