"""Write the fixed fixtures that tests/reference/before_after.R reads (run once; outputs committed).

    .venv/bin/python tests/reference/before_after_fixtures.py
    Rscript tests/reference/before_after.R > tests/reference/before_after_R.txt

``before_after_posts.csv``: 300 days of a simulated account (toolkit.simulate, seed 11, +20% planted
on 2024-06-01), the columns the analysis reads. ``before_after_glm_design.csv``: the post-level
design matrix toolkit.before_after builds from it (after, weekday, hour band, media type), with the
count, the exposure and the calendar week, in time order. ``before_after_its_weekly.csv``: the weekly
series (weeks aligned to the change) and design of the interrupted time series.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.before_after import _design, _its_design, _parse_date, _prepare, _weekly
from toolkit.simulate import simulate_profile

HERE = Path(__file__).parent
CHANGE = "2024-06-01"


def main() -> None:
    if not (HERE / "before_after_posts.csv").exists():  # fixed once; never rewritten
        sim = simulate_profile(days=300, posts_per_day=2, start="2024-01-01", change=CHANGE,
                               change_lift=0.2, seed=11, text=False)
        cols = ["account", "post_id", "published_at", "time_known", "media_type", "impressions",
                "likes", "comments", "shares", "clicks", "saves", "followers"]
        sim.posts[cols].to_csv(HERE / "before_after_posts.csv", index=False)
    posts = read_posts()
    d = _prepare(posts, change=_parse_date(CHANGE, "change"), metric="engagements",
                 exposure="impressions", window=None, exclude=None, account=None)
    X, names, _ = _design(d.frame, ["weekday", "hour_band", "media_type"], d.change,
                          [("after", d.frame["after"].to_numpy(float))])
    design = pd.DataFrame(X, columns=[n.replace("[", "_").replace("]", "") for n in names])
    design.insert(0, "y", d.frame["y"].to_numpy(int))
    design.insert(1, "impressions", d.frame["e"].to_numpy(int))
    design.insert(2, "week", d.frame["week"].dt.strftime("%Y-%m-%d").to_numpy())
    design.to_csv(HERE / "before_after_glm_design.csv", index=False)
    weekly = _weekly(d)
    Xd, dnames = _its_design(weekly)
    its = pd.DataFrame(Xd, columns=[n.replace("[", "_").replace("]", "") for n in dnames])
    its.insert(0, "log_rate", weekly["log_rate"].to_numpy())
    its.insert(0, "week", weekly.index.to_numpy())
    its.to_csv(HERE / "before_after_its_weekly.csv", index=False, float_format="%.17g")


def read_posts() -> pd.DataFrame:
    """The fixture posts as a canonical table (what the tests feed to before_after)."""
    from toolkit.schema import POSTS, conform

    raw = pd.read_csv(HERE / "before_after_posts.csv", dtype={"post_id": str})
    raw["published_at"] = pd.to_datetime(raw["published_at"], utc=True)
    return conform(raw, POSTS)


if __name__ == "__main__":
    main()
