"""The personal-content lift on the X legacy ``engagements`` total of the sample model.

Every interaction count carries the planted +30% per impression, but the platform total also
counts media engagements (photo and video posts only: 60% of personal posts, 40% of brand posts
in the harborbakes model) and hashtag clicks (brand posts with a hashtag only, 1 in 7), so its
lift differs. Closed form from the rates, and a check by simulation (ratio of sums, no model):

    .venv/bin/python tests/reference/engagements_total_lift.py

prints (toolkit at the commit that added this script):

    closed form, personal / brand on the engagements total: 1.3217
    12 simulated accounts (seeds 500-511), mean +- SE:
      likes: 1.300 +- 0.005
      engagements total: 1.318 +- 0.005
      strategy change on the total: 1.256 +- 0.010

Quoted in data/README.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.simulate import BASE_RATES, EXTRA_RATES, SAMPLE_ACCOUNTS, simulate_profile

#: the counts the legacy export adds up into its ``engagements`` column (toolkit.exports)
TOTAL = ["shares", "comments", "likes", "profile_visits", "clicks", "follows"]
EXTRA = ["detail_expands", "permalink_clicks", "hashtag_clicks"]


def closed_form() -> float:
    """Personal / brand expected total per impression in the harborbakes model."""
    core = sum(BASE_RATES[c] for c in TOTAL) + EXTRA_RATES["detail_expands"] + EXTRA_RATES["permalink_clicks"]
    media = EXTRA_RATES["media_engagements"]
    personal = 1.3 * (core + media * (0.45 + 0.15))  # photo + video shares of personal posts
    brand = core + media * (0.30 + 0.10) + EXTRA_RATES["hashtag_clicks"] / 7
    return personal / brand


def simulated(seeds=range(500, 512)) -> np.ndarray:
    spec = {**SAMPLE_ACCOUNTS[0], "posts_per_day": 20}
    spec.pop("purge")
    out = []
    for seed in seeds:
        sim = simulate_profile(days=547, start="2024-01-01", seed=seed, **spec)
        posts, extra = sim.posts, sim.extra
        media = posts["media_type"].isin(["photo", "video"]).to_numpy()
        total = sum(posts[c].astype(int).to_numpy() for c in TOTAL) \
            + sum(extra[c].to_numpy() for c in EXTRA) + np.where(media, extra["media_engagements"].to_numpy(), 0)
        personal = (posts["content_label"] == "personal").to_numpy()
        after = (posts["published_at"] >= pd.Timestamp("2024-10-01", tz="UTC")).to_numpy()
        exposure = posts["impressions"].astype(float).to_numpy()
        likes = posts["likes"].astype(float).to_numpy()

        def ratio(mask, y):
            return (y[mask].sum() / exposure[mask].sum()) / (y[~mask].sum() / exposure[~mask].sum())

        out.append([ratio(personal, likes), ratio(personal, total), ratio(after, total)])
    return np.array(out)


if __name__ == "__main__":
    print(f"closed form, personal / brand on the engagements total: {closed_form():.4f}")
    runs = simulated()
    print(f"{len(runs)} simulated accounts (seeds 500-511), mean +- SE:")
    for k, name in enumerate(["likes", "engagements total", "strategy change on the total"]):
        print(f"  {name}: {runs[:, k].mean():.3f} +- {runs[:, k].std(ddof=1) / np.sqrt(len(runs)):.3f}")
