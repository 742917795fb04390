"""Where the time of a CSV format load goes, stage by stage (the table in benchmarks/README.md).

For each CSV family of ``bench_formats.py`` (the same generated files), ``toolkit.load`` runs
``--repeat`` times with its main steps wrapped in wall-clock timers, next to the bare
``pandas.read_csv`` baseline of ``bench_formats.py``. Stages are counted where they are entered
first (a stage called inside another is part of the outer one), so the stages and "other" add up
to the load. Medians are printed, in milliseconds.

    python benchmarks/profile_formats.py [--rows 100000] [--repeat 7] [--only instagram]

This is a diagnostic, not a benchmark with a target (``bench_formats.py`` holds the target).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_formats as bf  # noqa: E402

#: stage -> the functions (module, name) whose time it counts
STAGES = {
    "read (Arrow, as text)": [("toolkit.loading.readers", "read_csv_table")],
    "dates": [("toolkit.loading.dates", "parse_dates"), ("toolkit.loading.parse", "parse_datetimes")],
    "ids (checked or derived)": [("toolkit.loading.parse", "parse_ids"),
                                 ("toolkit.loading.platforms.instagram", "post_ids"),
                                 ("toolkit.loading.platforms.instagram", "_day_text"),
                                 ("toolkit.loading.platforms.linkedin", "activity_ids")],
    "counts": [("toolkit.loading.parse", "parse_counts")],
    "text and media types": [("toolkit.loading.parse", "clean_text"), ("toolkit.loading.build", "media_types")],
    "duplicates and sort": [("toolkit.loading.core", "_merge_posts")],
    "schema checks": [("toolkit.loading.core", "_frames"), ("toolkit.schema", "validate_posts"),
                      ("toolkit.schema", "validate_followers")],
}

CASES = [  # label, writer, bare baseline (as in bench_formats.py)
    ("Hootsuite", bf.hootsuite, lambda p: pd.read_csv(p, dtype={"Post ID": str})),
    ("YouTube", bf.youtube, lambda p: pd.read_csv(p, dtype={"Content": str})),
    ("Meta posts", bf.meta_posts,
     lambda p: pd.read_csv(p, encoding="utf-8-sig", dtype={"Post ID": str, "Page ID": str})),
    ("Instagram", bf.instagram, lambda p: pd.read_csv(p)),
    ("LinkedIn page", bf.linkedin_page, lambda p: pd.read_csv(p, skiprows=1)),
    ("Meta daily (30k)", lambda folder, n: bf.meta_daily(folder, min(n, 30_000)),
     lambda p: pd.read_csv(p, encoding="utf-16", skiprows=2)),
]


class Timers:
    """Wall time per stage, counted only at the outermost timed call."""

    def __init__(self):
        self.spent: dict[str, float] = defaultdict(float)
        self.depth = 0

    def wrap(self, stage: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            self.depth += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1
                if self.depth == 0:
                    self.spent[stage] += time.perf_counter() - start
        return timed

    def install(self) -> None:
        """Replace each function wherever toolkit modules imported it by name."""
        for stage, functions in STAGES.items():
            for module_name, name in functions:
                original = getattr(importlib.import_module(module_name), name)
                wrapped = self.wrap(stage, original)
                for module in list(sys.modules.values()):
                    if getattr(module, "__name__", "").startswith("toolkit") and \
                            getattr(module, name, None) is original:
                        setattr(module, name, wrapped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="families whose label contains this text")
    args = parser.parse_args(argv)
    os.environ["TQDM_DISABLE"] = "1"

    import toolkit
    import toolkit.loading.platforms.instagram  # noqa: F401 - registered formats, to be wrapped
    import toolkit.loading.platforms.linkedin  # noqa: F401
    from toolkit.loading.workbooks import clear_cache

    timers = Timers()
    timers.install()
    names = list(STAGES) + ["other"]
    print(f"rows {args.rows:,}, median of {args.repeat}, ms; load average {os.getloadavg()[0]:.2f}")
    print(f"{'family':18s} {'read_csv':>8s} {'load':>6s} {'ratio':>5s}  " + "  ".join(names))
    with tempfile.TemporaryDirectory() as tmp:
        for label, make, baseline in CASES:
            if args.only and args.only.lower() not in label.lower():
                continue
            path = make(Path(tmp), args.rows)
            toolkit.load(path, cache=False)  # warm-up
            base, total, per = [], [], defaultdict(list)
            for _ in range(args.repeat):
                start = time.perf_counter()
                baseline(path)
                base.append(time.perf_counter() - start)
                clear_cache()
                timers.spent.clear()
                start = time.perf_counter()
                toolkit.load(path, cache=False)
                total.append(time.perf_counter() - start)
                for name in STAGES:
                    per[name].append(timers.spent.get(name, 0.0))
                per["other"].append(total[-1] - sum(timers.spent.values()))
            b, t = statistics.median(base), statistics.median(total)
            cells = "  ".join(f"{1000 * statistics.median(per[n]):{len(n)}.0f}" for n in names)
            print(f"{label:18s} {1000 * b:8.0f} {1000 * t:6.0f} {t / b:5.2f}  {cells}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
