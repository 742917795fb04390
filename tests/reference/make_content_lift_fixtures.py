"""Write the fixture CSVs that tests/reference/content_lift.R reads (run once; the CSVs are committed).

    .venv/bin/python tests/reference/make_content_lift_fixtures.py
    Rscript tests/reference/content_lift.R > tests/reference/content_lift_R.txt

Fixtures come from the project's simulator with fixed seeds, so they can be regenerated bit for bit.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.simulate import simulate_profile

HERE = Path(__file__).parent
COLUMNS = ["account", "post_id", "published_at", "time_known", "media_type", "impressions", "likes",
           "comments", "content_label"]


def main() -> None:
    # one account, 200 days, planted personal lift +30%
    posts = simulate_profile(days=200, posts_per_day=2, personal_lift=0.3, seed=11, text=False).posts
    posts[COLUMNS].to_csv(HERE / "content_lift_posts.csv", index=False)
    # two accounts pooled (account effects, two-way clustering)
    a = simulate_profile(days=120, posts_per_day=2, personal_lift=0.2, seed=12, account="a", text=False).posts
    b = simulate_profile(days=120, posts_per_day=3, personal_lift=0.2, seed=13, account="b",
                         followers_start=20000, text=False).posts
    pd.concat([a, b])[COLUMNS].to_csv(HERE / "content_lift_pooled.csv", index=False)
    # permutation: 20 blocks of 10 posts with 3 labelled each (equal shares, so the Mantel-Haenszel
    # ratio is monotone in coin's linear statistic), counts per post (exposure 1)
    rng = np.random.default_rng(14)
    block = np.repeat(np.arange(20), 10)
    treat = np.tile(np.r_[np.ones(3, bool), np.zeros(7, bool)], 20)
    y = rng.negative_binomial(3, 3 / (3 + 8 * np.exp(0.25 * treat + 0.3 * np.sin(block))))
    pd.DataFrame({"block": block, "treat": treat, "y": y}).to_csv(HERE / "content_lift_perm.csv", index=False)


if __name__ == "__main__":
    main()
