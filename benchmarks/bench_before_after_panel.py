"""Benchmark: BeforeAfterPanel, from a control change to the result and chart handed to the browser.

Target (the panels' target of issue 4): a change shows its result in under 300 ms of work in the
kernel, so the panel feels immediate. Measured on the sample data (one account, the 2024-10-01
change, methods glm and its, or those of ``--methods``), with ``toolkit.display.setup("live")``:
each change (interval level, metric, change date) runs the
panel's callback, which refits or (for the interval level) recomputes from the kept fits, and
displays the result and its chart in the panel's output, as in JupyterLab.
Baseline, measured in the same run: the same answer from scratch, i.e. ``toolkit.before_after``
with the new choice, then the result and its chart formatted for display.

    python benchmarks/bench_before_after_panel.py [--repeat 5] [--methods glm,counterfactual]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--methods", default="glm,its", help="the panel's methods, comma-separated")
    args = parser.parse_args(argv)
    import datetime

    from IPython.core.formatters import DisplayFormatter

    import toolkit
    from toolkit import display
    from toolkit.widgets.before_after import BeforeAfterPanel

    display.setup("live")
    posts = toolkit.load(ROOT / "data" / "sample", progress=False).posts
    account, change, methods = "harborbakes", "2024-10-01", args.methods.split(",")
    panel = BeforeAfterPanel(posts, change, account=account, method=methods)
    formatter = DisplayFormatter()

    def scratch(**choice):
        settings = dict(change=panel.change.value, metric=panel.metric.value, exposure=panel.exposure.value,
                        level=panel.level.value) | choice
        settings["change"] = settings["change"].isoformat()
        result = toolkit.before_after(posts, account=account, method=methods, **settings)
        formatter.format(result)
        formatter.format(result.chart())

    # each change is undone by the next, so every repeat measures the same changes
    changes = [("level", 0.9, 0.95, "level"), ("metric", "likes", "engagements", "metric"),
               ("change", datetime.date(2024, 10, 8), datetime.date(2024, 10, 1), "change")]
    rows = []
    for control, value, back, argument in changes:
        fast, slow = [], []
        for _ in range(args.repeat):
            for v in (value, back):
                t = time.perf_counter()
                getattr(panel, control).value = v
                fast.append(time.perf_counter() - t)
                t = time.perf_counter()
                scratch(**{argument: v})
                slow.append(time.perf_counter() - t)
        rows.append((control, 1000 * statistics.median(fast), 1000 * max(fast),
                     1000 * statistics.median(slow)))
    print(f"BeforeAfterPanel on the sample ({account}, {', '.join(methods)}), median of "
          f"{2 * args.repeat}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'change':<8} {'panel ms':>9} {'panel max ms':>13} {'from scratch ms':>16} {'ratio':>6}")
    for control, med, worst, base in rows:
        print(f"{control:<8} {med:>9.0f} {worst:>13.0f} {base:>16.0f} {base / med:>6.1f}")
    worst = max(r[1] for r in rows)
    print(f"\nworst median change: {worst:.0f} ms (target < 300 ms): {'OK' if worst < 300 else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
