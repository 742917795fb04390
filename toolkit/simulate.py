"""Simulated social media profiles with known, planted effects, and the bundled sample data.

Engagement Lab's calibration studies, tests and sample data all come from :func:`simulate_profile`,
a generative model of one account whose every effect is recorded in ``Simulation.truth``, so that
an analysis can be checked against the value it should find.

The model (one profile, ``days`` consecutive UTC days from ``start``)
----------------------------------------------------------------------
Followers
    The daily follower count grows by organic flows: ``new_follows[d] ~ Poisson(A[d] * (growth +
    churn))`` and ``unfollows[d] ~ Poisson(A[d] * churn)``, where ``A[d] = followers_start *
    (1 + growth) ** d`` is the *active* audience and ``churn = 0.0005``. A **purge** removes a
    fraction of the followers on its date (the platform deleting inactive or fake accounts); a
    **spike** adds bought followers on its date. Purged and bought followers are inactive: they change
    the follower count but not the active audience, so impressions do not jump with them. The purge is
    counted in that day's ``unfollows`` and the spike in its ``new_follows``, so ``followers[d] -
    followers[d-1] == new_follows[d] - unfollows[d]`` holds on every day. The count of a date holds
    for the whole day; ``posts.followers`` is the count on the post's publish date (an as-of join).
Posting
    ``Poisson(posts_per_day)`` posts per day, at hours drawn from a daily rhythm (morning, lunch and
    evening peaks, quiet nights) and uniform minutes; times are UTC with minute resolution, as X
    exports them. A post is ``personal`` with probability ``personal_share`` (otherwise ``brand``);
    its media type is drawn from a mix that depends on the label (brand posts often carry a link).
Impressions
    ``impressions ~ 1 + NB2(mean = A[d] * reach_rate * exp(w_imp[weekday] + h_imp[hour] +
    m_imp[media]), size = impressions_dispersion)``, and ``reach ~ Binomial(impressions, 0.8)``
    (so ``reach <= impressions``).
Engagement
    Each day has a shock ``s[d]`` on the log engagement rate, a stationary Gaussian AR(1) with
    coefficient ``ar1`` and standard deviation ``shock_sd``, shared by all posts of that day. Every
    engagement count ``y`` of post ``i`` (likes, comments, shares, clicks, saves, profile_visits,
    follows) is ``Poisson(G[i] * mu[i, y])`` with one Gamma(shape=``dispersion``, mean 1) frailty
    ``G[i]`` per post, i.e. NB2 with size ``dispersion``::

        mu = impressions * base_rate[y] * exp(w[weekday] + h[hour]
                                             + personal * log(1 + personal_lift)
                                             + log(1 + media_effects[media])
                                             + after_change * log(1 + change_lift)
                                             + s[d] - shock_sd**2 / 2)

    Because the frailty is shared, any sum of the counts (e.g. total engagements) is itself NB2 with
    the same size. The ``- shock_sd**2 / 2`` term makes ``E[exp(s)] = 1``, so without weekday/hour
    effects the expected engagement per impression is exactly ``base_rate``. Weekday and hour
    effects are centred (mean zero on the log scale over weekdays and over the posting-hour rhythm).
    By default media type affects impressions only, never the engagement rate, so the planted
    lifts are the true rate ratios whatever an analysis controls for. ``media_effects`` plants
    media-type effects on the rate too; since the media mix depends on the label, the personal
    posts' rate ratio is then ``personal_lift`` only within media types.
Text
    Personal posts are first person, use personal-life vocabulary, often ask the audience a
    question and never carry links; brand posts speak about products and offers and usually end
    with an ``https://example.com`` link. About 3 in 10 texts span several lines. Texts are built by
    vectorised choice of template pieces (``text=False`` skips them for speed).
Ids
    ``post_id`` is a 19-digit X-style snowflake (millisecond time since the X epoch shifted left by
    22 bits, plus a per-account worker id and a sequence), unique; its time part falls in the
    post's publish minute, so ids sort by time to the minute.

Everything is drawn from ``numpy.random.default_rng(seed)``: the same arguments give the same
profile, bit for bit.

>>> sim = simulate_profile(days=60, posts_per_day=3, change="2024-02-01", change_lift=0.25, seed=1)
>>> sim  # doctest: +ELLIPSIS
Simulation('sim': ... posts over 60 days, change 2024-02-01 +25%, personal +0%, dispersion 5.0, ar1 0.5, seed 1)
>>> sim.truth["change_lift"], str(sim.truth["change"].date())
(0.25, '2024-02-01')
>>> sim.posts["post_id"].str.len().eq(19).all() and sim.posts["post_id"].is_unique
True
>>> bool((sim.posts["reach"] <= sim.posts["impressions"]).all())
True
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray, BooleanArray, IntegerArray

from toolkit.errors import SpecError, is_number, unordered_date
from toolkit.schema import FOLLOWERS, MEDIA_TYPES, PLATFORMS, POSTS

__all__ = ["Simulation", "simulate_profile", "BASE_RATES", "EXTRA_RATES", "ENGAGEMENT_METRICS", "main"]

#: engagement counts the simulator draws, in the order of ``BASE_RATES``
ENGAGEMENT_METRICS = ("likes", "comments", "shares", "clicks", "saves", "profile_visits", "follows")

#: expected count per impression of each metric at the reference weekday/hour (X-like sizes)
BASE_RATES: dict[str, float] = {
    "likes": 0.020,
    "comments": 0.003,
    "shares": 0.004,
    "clicks": 0.002,
    "saves": 0.0015,
    "profile_visits": 0.0025,
    "follows": 0.0003,
}

#: rates of the counts only some exports carry (see ``Simulation.extra``)
EXTRA_RATES: dict[str, float] = {
    "detail_expands": 0.010,
    "permalink_clicks": 0.001,
    "hashtag_clicks": 0.0004,
    "media_views": 0.040,
    "media_engagements": 0.004,
    "sends": 0.0008,
}

CHURN = 0.0005
REACH_SHARE = 0.8
X_EPOCH_MS = 1288834974657

# Posting rhythm over the 24 UTC hours (relative weights).
_HOUR_WEIGHTS = np.array(
    [0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.4, 1.0, 1.6, 1.5, 1.1, 1.2,
     1.6, 1.5, 1.0, 0.9, 1.0, 1.3, 1.7, 1.8, 1.6, 1.1, 0.7, 0.4]
)
_HOUR_P = _HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()

# Log-rate effects of the weekday (Mon..Sun) on engagement per impression, and on impressions.
_WEEKDAY_RATE = np.array([0.06, 0.08, 0.05, 0.02, -0.03, -0.12, -0.06])
_WEEKDAY_IMP = np.array([0.05, 0.06, 0.04, 0.02, 0.0, -0.10, -0.07])


def _hour_band_effects(values: dict[tuple[int, int], float]) -> np.ndarray:
    out = np.zeros(24)
    for (lo, hi), v in values.items():
        out[lo:hi] = v
    return out


# Hour bands: night 0-6, morning 7-11, midday 12-14, afternoon 15-17, evening 18-21, late 22-23.
_BANDS = {(0, 7): -0.15, (7, 12): 0.04, (12, 15): 0.08, (15, 18): -0.02, (18, 22): 0.10, (22, 24): -0.06}
_HOUR_RATE = _hour_band_effects(_BANDS)
_HOUR_IMP = _hour_band_effects({k: v * 0.6 for k, v in _BANDS.items()})

_MEDIA_IMP = {"photo": 0.10, "video": 0.25, "link": -0.15, "text": 0.0, "other": 0.0}
#: media mix by content label (probabilities over MEDIA_TYPES order photo, video, link, text, other)
_MEDIA_MIX = {
    "personal": np.array([0.45, 0.15, 0.0, 0.40, 0.0]),
    "brand": np.array([0.30, 0.10, 0.45, 0.15, 0.0]),
}


def _centre(effects: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    w = np.full(len(effects), 1 / len(effects)) if weights is None else weights / weights.sum()
    return effects - float(np.dot(effects, w))


WEEKDAY_RATE = _centre(_WEEKDAY_RATE)
WEEKDAY_IMP = _centre(_WEEKDAY_IMP)
HOUR_RATE = _centre(_HOUR_RATE, _HOUR_P)
HOUR_IMP = _centre(_HOUR_IMP, _HOUR_P)


@dataclass
class Simulation:
    """One simulated profile.

    Attributes
    ----------
    posts
        Canonical ``posts`` table (:data:`toolkit.schema.POSTS`), one row per post, in time order.
    followers
        Canonical ``followers`` table, one row per day.
    truth
        Every planted effect and parameter (change date and lift, personal lift, purge/spike dates
        and sizes, dispersion, AR(1) coefficient, seed, base rates, weekday/hour effects ...).
    extra
        Counts that only some exports carry (X's detail expands, permalink clicks, hashtag clicks,
        media views, media engagements, and ``sends``: shares by message or link, which X's new
        export calls Shares, as opposed to reposts), drawn from the same model with :data:`EXTRA_RATES`,
        aligned with ``posts``; the export writers use them.
    """

    posts: pd.DataFrame
    followers: pd.DataFrame
    truth: dict[str, Any] = field(default_factory=dict)
    extra: pd.DataFrame | None = None

    def __repr__(self) -> str:
        t = self.truth
        change = "no change" if t.get("change") is None else \
            f"change {t['change'].date()} {t['change_lift']:+.0%}"
        events = [f"{k} {t[k]['date'].date()} {t[k]['followers_delta']:+,}" for k in ("purge", "spike") if t.get(k)]
        return (f"Simulation({t.get('account')!r}: {len(self.posts):,} posts over {len(self.followers):,} days, "
                f"{change}, personal {t.get('personal_lift', 0):+.0%}, dispersion {t.get('dispersion')}, "
                f"ar1 {t.get('ar1')}" + "".join(f", {e}" for e in events) + f", seed {t.get('seed')})")


# --------------------------------------------------------------------------------------------
# text templates
_P_OPEN = np.array([
    "I finally took a day off and went hiking with my kids.",
    "My grandmother taught me this recipe when I was ten.",
    "Honestly, I was nervous before opening the shop this morning.",
    "I spent the weekend painting the kitchen with my partner.",
    "Today my daughter asked me why I started this business.",
    "I burned the first batch this morning and laughed about it with my team.",
    "My dog refused to leave the bakery door today.",
    "I remember my first day here, ten years ago, like it was yesterday.",
    "I went back to my hometown for my mother's birthday.",
    "Last night I could not sleep, so I wrote down everything I am grateful for.",
    "I ran my first 10k on Sunday and my legs still hurt.",
    "My son made me breakfast for once. It was mostly toast.",
    "I'm proud of my team this week.",
    "Confession: I still get butterflies when a regular says hello.",
])
_P_MID = np.array([
    "I feel lucky to have my family and friends around me.",
    "It reminded me why I love what I do.",
    "We talked for hours and I missed my own bedtime.",
    "Life is busy, but these little moments matter to me.",
    "My heart is full.",
    "I'm still smiling about it.",
    "It was messy and perfect.",
    "I will never forget how it felt.",
])
_P_ASK = np.array([
    "What do you do to unwind on weekends?",
    "Have you ever had a day like that?",
    "What was the first thing you ever cooked?",
    "How do you make time for the people you love?",
    "Who taught you your favourite recipe?",
    "Do you remember your first job?",
    "What made you smile today?",
])
_B_OPEN = np.array([
    "New in store: our seasonal sourdough loaf.",
    "Save 20% on all pastries this week.",
    'Our "Morning Bun" is back for a limited time.',
    "Limited offer: free delivery on orders over $30.",
    "Introducing the new café menu, now available at all locations.",
    "Our holiday gift boxes are now on sale.",
    "Try the new oat-milk latte, only $3.50 this month.",
    "Order ahead and skip the line with our app.",
    "Sale ends Sunday: two loaves for the price of one.",
    "Catering for your next event? Get a quote in minutes.",
    "Fresh product drop: spelt croissants, every Friday.",
    "Members get 10% off every purchase.",
])
_B_MID = np.array([
    "Available while supplies last.",
    "Order online today.",
    "Discount applied at checkout.",
    "Shop now before it sells out.",
    "Offer valid in store and online.",
    "#sale #bakery",
    "Book your order now.",
])
_B_LINK = np.array([
    "https://example.com/shop",
    "https://example.com/offers",
    "https://example.com/menu",
    "https://example.com/shop?utm_source=x",
    "https://example.com/gifts",
])


_SEP1 = (" ", "\n")
_SEP2 = (" ", "\n\n")


def _combine(parts: list[np.ndarray]) -> np.ndarray:
    """Every combination of the pieces (first piece varies slowest), joined as given."""
    grids = np.meshgrid(*[np.arange(len(p)) for p in parts], indexing="ij")
    out = np.full(grids[0].shape, "", dtype=object)
    for piece, idx in zip(parts, grids):
        out = out + np.asarray(piece, dtype=object)[idx]
    return out.ravel()


_TEXT_TABLES: dict[str, np.ndarray] = {}


def _text_tables() -> dict[str, np.ndarray]:
    """All personal and brand texts the templates can make, built once (a few thousand strings)."""
    if not _TEXT_TABLES:
        ask = np.concatenate([[""], _P_ASK])
        link = np.concatenate([[""], _B_LINK])
        # separator before a missing question or link is dropped
        for name, first, mid, last in (("personal", _P_OPEN, _P_MID, ask), ("brand", _B_OPEN, _B_MID, link)):
            table = _combine([first, np.array(_SEP1), mid, np.array(_SEP2), last])
            _TEXT_TABLES[name] = np.array([t.rstrip() for t in table], dtype=object)
            _TEXT_TABLES[name + "_tag"] = np.array(["#" in t for t in table], dtype=bool)
    return _TEXT_TABLES


def _texts(rng: np.random.Generator, personal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised text generation: one string per post, picked from the template combinations,
    and whether each text holds a hashtag.

    About 6 in 10 personal posts end with a question to the audience; 7 in 10 brand posts end with
    a link; each of the two separators is a line break with probability 0.18, so about 3 in 10
    texts span several lines.
    """
    n = len(personal)
    tables = _text_tables()
    u = rng.random((6, n))
    sep1 = (u[0] < 0.18).astype(np.int64)
    sep2 = (u[1] < 0.18).astype(np.int64)
    # personal: open(14) x sep1(2) x mid(8) x sep2(2) x ask(1 + 7)
    n_ask = len(_P_ASK) + 1
    ask = np.where(u[2] < 0.6, 1 + (u[3] * len(_P_ASK)).astype(np.int64), 0)
    p_open = (u[4] * len(_P_OPEN)).astype(np.int64)
    p_mid = (u[5] * len(_P_MID)).astype(np.int64)
    p_idx = (((p_open * 2 + sep1) * len(_P_MID) + p_mid) * 2 + sep2) * n_ask + ask
    # brand: open(12) x sep1(2) x mid(7) x sep2(2) x link(1 + 5), reusing the same uniforms
    n_link = len(_B_LINK) + 1
    link = np.where(u[2] < 0.7, 1 + (u[3] * len(_B_LINK)).astype(np.int64), 0)
    b_open = (u[4] * len(_B_OPEN)).astype(np.int64)
    b_mid = (u[5] * len(_B_MID)).astype(np.int64)
    b_idx = (((b_open * 2 + sep1) * len(_B_MID) + b_mid) * 2 + sep2) * n_link + link
    out = tables["brand"][b_idx]
    out[personal] = tables["personal"][p_idx[personal]]
    has_tag = tables["brand_tag"][b_idx]
    has_tag[personal] = tables["personal_tag"][p_idx[personal]]
    return out, has_tag


# --------------------------------------------------------------------------------------------
def _event(value: Any, default_size: float, name: str) -> tuple[pd.Timestamp, float] | None:
    """Normalise a purge/spike argument: None, a date, (date, size) or {"date":, "size"/"fraction":}."""
    if value is None:
        return None
    if isinstance(value, dict):
        date = value.get("date")
        size = value.get("size", value.get("fraction", default_size))
    elif isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise SpecError(f"{name} must be a date or a (date, fraction) pair", parameter=name, found=value)
        date, size = value
    else:
        date, size = value, default_size
    try:
        ts = _utc_day(date, name)
    except SpecError:
        raise
    except (TypeError, ValueError):
        raise SpecError(f"{name} date must be a date like '2024-06-15'", parameter=name, found=date) from None
    if not 0 < float(size) < (1 if name == "purge" else 100):
        raise SpecError(f"{name} size must be a positive fraction of followers", parameter=name, found=size)
    return ts, float(size)


def _utc_day(value: Any, parameter: str = "start") -> pd.Timestamp:
    if (why := unordered_date(value)) is not None:
        raise SpecError(why, parameter=parameter, found=value)
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(value)
    # the calendar day as written, whatever its zone (as toolkit.before_after reads a change date)
    ts = ts.tz_localize(None) if ts.tzinfo is not None else ts
    return ts.floor("D").tz_localize("UTC")


def _nb(rng: np.random.Generator, mean: np.ndarray, size: float) -> np.ndarray:
    """NB2 draws with the given mean and size (gamma-Poisson)."""
    return rng.poisson(rng.gamma(size, 1.0, len(mean)) * (mean / size))


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """A stationary Gaussian AR(1) series of length ``n`` with marginal SD ``sd``."""
    if n == 0 or sd == 0:
        return np.zeros(n)
    from scipy.signal import lfilter

    eps = rng.standard_normal(n) * sd * np.sqrt(1 - phi**2)
    eps[0] = rng.standard_normal() * sd
    return lfilter([1.0], [1.0, -phi], eps)


def _effects(value: Any, size: int, rate: np.ndarray, imp: np.ndarray, weights: np.ndarray | None,
             name: str) -> tuple[np.ndarray, np.ndarray]:
    """(log-rate effects, log-impression effects) from True/False or ``size`` log-rate effects."""
    if value is True or value is False or value is None or isinstance(value, (int, np.bool_)):
        return (rate, imp) if value else (np.zeros(size), np.zeros(size))
    effects = np.asarray(value, dtype=float)
    if effects.shape != (size,) or not np.isfinite(effects).all():
        raise SpecError(f"{name} needs {size} finite log effects", parameter=name, found=effects.shape)
    return _centre(effects, weights), np.zeros(size)


def simulate_profile(
    days: int = 365,
    posts_per_day: float = 2.0,
    start: str = "2024-01-01",
    account: str = "sim",
    platform: str = "x",
    change: Any = None,
    change_lift: float = 0.0,
    personal_share: float = 0.3,
    personal_lift: float = 0.0,
    dispersion: float = 5.0,
    ar1: float = 0.5,
    shock_sd: float = 0.15,
    weekday_effects: bool | Sequence[float] = True,
    followers_start: int = 5000,
    follower_growth: float = 0.001,
    purge: Any = None,
    spike: Any = None,
    seed: int = 0,
    *,
    text: bool = True,
    hour_effects: bool | Sequence[float] | None = None,
    reach_rate: float = 0.25,
    impressions_dispersion: float = 4.0,
    base_rates: dict[str, float] | None = None,
    personal_share_after: float | None = None,
    posts_per_day_after: float | None = None,
    media_effects: Mapping[str, float] | None = None,
) -> Simulation:
    """Simulate one account's posts and daily followers with known planted effects.

    The model is described in the module docstring; every parameter and effect ends up in
    ``Simulation.truth``.

    Parameters
    ----------
    days, posts_per_day, start
        Length of the profile in days, mean posts per day (Poisson), first UTC day.
    account, platform
        Values of the ``account`` and ``platform`` columns.
    change, change_lift
        Strategy-change date (posts published on or after its UTC midnight are "after") and the
        relative lift of engagement per impression after it (0.25 = +25%). ``None``: no change.
    personal_share, personal_lift
        Share of posts labelled ``personal`` and their relative lift over ``brand`` posts.
    dispersion
        NB2 size of the engagement counts (smaller = more overdispersed; ``var = mu + mu**2/size``).
    ar1, shock_sd
        AR(1) coefficient and marginal SD of the day-level shock on the log engagement rate.
    weekday_effects
        Plant weekday (and, unless ``hour_effects`` says otherwise, hour-of-day) effects: ``True``
        for the built-in pattern, ``False`` for none, or seven log-rate effects (Monday first, e.g.
        fitted from an account), centred to mean zero so ``base_rates`` keep their meaning; given
        effects act on engagement per impression only (impressions get no weekday pattern).
    followers_start, follower_growth
        Initial followers and daily organic growth rate of the active audience.
    purge, spike
        ``None``, a date, a ``(date, fraction)`` pair or ``{"date": ..., "fraction": ...}``: a sudden
        drop of followers by ``fraction`` (default 0.12) / a jump by bought followers (default 0.3).
    seed
        Seed of ``numpy.random.default_rng``.
    text
        Generate post texts (``False`` leaves ``text`` missing, slightly faster).
    hour_effects
        Plant hour-of-day effects (default: on when ``weekday_effects`` is not ``False``), or 24
        log-rate effects (UTC hours), centred over the posting rhythm (engagement per impression
        only, as for ``weekday_effects``).
    reach_rate, impressions_dispersion
        Mean impressions per active follower and their NB2 size.
    base_rates
        Engagement per impression of each metric (defaults: :data:`BASE_RATES`).
    personal_share_after
        Share of personal posts after ``change`` (default: unchanged). A different share makes the
        change confounded with the content mix; the planted ``change_lift`` stays the within-label lift.
    posts_per_day_after
        Mean posts per day from the ``change`` date on (default: unchanged), e.g. to check that an
        analysis warns when posting frequency moves with the change.
    media_effects
        Relative effects of media types on engagement per impression, e.g. ``{"video": 0.3,
        "link": -0.3}`` (+30 %, -30 %; types not named: 0). By default media types move impressions
        only. As the media mix depends on the label (brand posts carry links, personal ones do
        not), such effects make the label and the media type confounded.

    Returns
    -------
    Simulation

    Examples
    --------
    >>> sim = simulate_profile(days=30, seed=3, purge=("2024-01-15", 0.1))
    >>> f = sim.followers.set_index("date")["followers"]
    >>> bool(f["2024-01-15"] < 0.95 * f["2024-01-14"])
    True
    >>> simulate_profile(days=30, seed=3).posts.equals(simulate_profile(days=30, seed=3).posts)
    True
    """
    if days < 1:
        raise SpecError("days must be at least 1", parameter="days", found=days)
    if posts_per_day < 0:
        raise SpecError("posts_per_day must be zero or more", parameter="posts_per_day", found=posts_per_day)
    if posts_per_day_after is not None and posts_per_day_after < 0:
        raise SpecError("posts_per_day_after must be zero or more", parameter="posts_per_day_after",
                        found=posts_per_day_after)
    if not 0 <= personal_share <= 1:
        raise SpecError("personal_share must be between 0 and 1", parameter="personal_share", found=personal_share)
    if dispersion <= 0:
        raise SpecError("dispersion must be positive", parameter="dispersion", found=dispersion)
    if media_effects is not None and not isinstance(media_effects, Mapping):
        raise SpecError("media_effects maps media types to effects, e.g. {'video': 0.3}",
                        parameter="media_effects", found=type(media_effects).__name__)
    for media, effect in (media_effects or {}).items():
        if media not in MEDIA_TYPES or not (is_number(effect) and effect > -1):
            raise SpecError(f"media_effects maps media types ({', '.join(MEDIA_TYPES)}) to effects "
                            "above -1", parameter="media_effects", found={media: effect})
    if not -1 < ar1 < 1:
        raise SpecError("ar1 must be strictly between -1 and 1", parameter="ar1", found=ar1)
    for name, lift in (("change_lift", change_lift), ("personal_lift", personal_lift)):
        if lift <= -1:
            raise SpecError("a lift must be greater than -1 (-100%)", parameter=name, found=lift)
    if platform not in PLATFORMS:
        raise SpecError("unknown platform", parameter="platform", found=platform)
    rates = dict(BASE_RATES if base_rates is None else base_rates)
    unknown = set(rates) - set(ENGAGEMENT_METRICS)
    if unknown:
        raise SpecError("base_rates has unknown metrics", parameter="base_rates", found=sorted(unknown))
    w_rate, w_imp = _effects(weekday_effects, 7, WEEKDAY_RATE, WEEKDAY_IMP, None, "weekday_effects")
    if hour_effects is None:
        hour_effects = weekday_effects is not False
    h_rate, h_imp = _effects(hour_effects, 24, HOUR_RATE, HOUR_IMP, _HOUR_P, "hour_effects")

    rng = np.random.default_rng(seed)
    start_ts = _utc_day(start)
    day_index = pd.date_range(start_ts, periods=days, freq="D")
    day_index = day_index.as_unit("ns")
    day_ns = day_index.asi8  # ns since epoch, UTC midnight
    change_ts = None if change is None else _utc_day(change, "change")
    purge_ev = _event(purge, 0.12, "purge")
    spike_ev = _event(spike, 0.30, "spike")

    # ---- followers -----------------------------------------------------------------------
    d = np.arange(days)
    active = followers_start * (1.0 + follower_growth) ** d
    prev_active = np.concatenate([[followers_start], active[:-1]])
    new = rng.poisson(prev_active * (max(follower_growth, 0) + CHURN))
    lost = rng.poisson(prev_active * (CHURN + max(-follower_growth, 0)))
    new[0] = lost[0] = 0  # day 0 is the starting count
    level = followers_start + np.cumsum(new - lost)
    events = sorted(
        [(e[0], kind, e[1]) for e, kind in ((purge_ev, "purge"), (spike_ev, "spike")) if e is not None],
        key=lambda t: t[0],
    )
    event_truth = {}
    for ts, kind, size in events:  # at most two events
        k = int((ts - start_ts) / pd.Timedelta(days=1))
        if not 0 < k < days:
            raise SpecError(f"{kind} date must fall inside the profile, after its first day",
                            parameter=kind, found=str(ts.date()))
        jump = int(round(level[k - 1] * size))
        if kind == "purge":
            lost[k] += jump
            level[k:] -= jump
        else:
            new[k] += jump
            level[k:] += jump
        event_truth[kind] = {"date": ts, "size": size, "followers_delta": jump if kind == "spike" else -jump,
                             "followers_before": int(level[k - 1])}
    level = np.maximum(level, 0)

    # ---- posting times -------------------------------------------------------------------
    if posts_per_day_after is None or change_ts is None:
        per_day = rng.poisson(posts_per_day, days)
    else:
        per_day = rng.poisson(np.where(day_ns >= change_ts.value, posts_per_day_after, posts_per_day))
    n = int(per_day.sum())
    post_day = np.repeat(d, per_day)
    hour = rng.choice(24, size=n, p=_HOUR_P)
    minute = rng.integers(0, 60, n)
    ts_ns = day_ns[post_day] + (hour * 3600 + minute * 60) * 1_000_000_000
    order = np.argsort(ts_ns, kind="stable")
    post_day, hour, ts_ns = post_day[order], hour[order], ts_ns[order]
    weekday = (post_day + start_ts.day_of_week) % 7

    after = np.zeros(n, dtype=bool) if change_ts is None else ts_ns >= change_ts.value
    share = personal_share if personal_share_after is None else np.where(after, personal_share_after, personal_share)
    personal = rng.random(n) < share
    media_u = rng.random(n)
    cum_p = np.cumsum(_MEDIA_MIX["personal"]), np.cumsum(_MEDIA_MIX["brand"])
    media_code = np.where(
        personal,
        np.searchsorted(cum_p[0], media_u, side="right"),
        np.searchsorted(cum_p[1], media_u, side="right"),
    ).clip(0, len(MEDIA_TYPES) - 1)

    # ---- impressions ---------------------------------------------------------------------
    m_imp = np.array([_MEDIA_IMP[m] for m in MEDIA_TYPES])
    imp_mean = active[post_day] * reach_rate * np.exp(w_imp[weekday] + h_imp[hour] + m_imp[media_code])
    impressions = 1 + _nb(rng, np.maximum(imp_mean - 1, 1e-9), impressions_dispersion)
    reach = rng.binomial(impressions, REACH_SHARE)

    # ---- engagement ----------------------------------------------------------------------
    m_rate = np.log1p(np.array([float((media_effects or {}).get(m, 0.0)) for m in MEDIA_TYPES]))
    shock = _ar1(rng, days, ar1, shock_sd)
    log_mult = (
        w_rate[weekday]
        + h_rate[hour]
        + personal * np.log1p(personal_lift)
        + m_rate[media_code]
        + after * np.log1p(change_lift)
        + shock[post_day]
        - shock_sd**2 / 2
    )
    frailty = rng.gamma(dispersion, 1.0 / dispersion, n)
    base_mu = impressions * np.exp(log_mult) * frailty
    counts = {}
    for metric in ENGAGEMENT_METRICS:  # seven metrics, each vectorised over all posts
        if metric in rates:
            counts[metric] = np.minimum(rng.poisson(base_mu * rates[metric]), impressions)

    # counts that only some exports have (X's detail expands, ...): same model, own rates
    extra = {name: rng.poisson(base_mu * r) for name, r in EXTRA_RATES.items()}

    # ---- ids and texts -------------------------------------------------------------------
    worker = int(rng.integers(0, 1024))
    ms = ts_ns // 1_000_000 + rng.integers(0, 60_000, n)
    ids = ((ms - X_EPOCH_MS) << 22) | (worker << 12) | (np.arange(n) % 4096)
    texts, has_tag = _texts(rng, personal) if text else (None, None)
    if text:  # only texts with a hashtag get hashtag clicks
        extra["hashtag_clicks"] = np.where(has_tag, extra["hashtag_clicks"], 0)

    no_mask = np.zeros(n, dtype=bool)
    columns: dict[str, Any] = {
        "account": _repeat(account, n),
        "platform": pd.Categorical.from_codes(np.full(n, PLATFORMS.index(platform)), dtype=POSTS["platform"]),
        "post_id": _strings(pa.array(ids).cast(pa.string())),
        "published_at": pd.DatetimeIndex(ts_ns.view("datetime64[ns]")).tz_localize("UTC"),
        "time_known": np.ones(n, dtype=bool),
        "text": _strings(texts if text else np.full(n, None, dtype=object)),
        "media_type": pd.Categorical.from_codes(media_code, dtype=POSTS["media_type"]),
        "impressions": IntegerArray(impressions.astype(np.int64), no_mask),
        "reach": IntegerArray(reach.astype(np.int64), no_mask),
        **{m: IntegerArray(v.astype(np.int64), no_mask) for m, v in counts.items()},
        "followers": IntegerArray(level[post_day].astype(np.int64), no_mask),
        "paid": BooleanArray(np.zeros(n, dtype=bool), no_mask),
        "content_label": _strings(_LABELS.take(pa.array(personal.astype(np.int8)))),
    }
    posts = _frame(columns, POSTS, n)

    followers = _frame({
        "account": _repeat(account, days),
        "platform": pd.Categorical.from_codes(np.full(days, PLATFORMS.index(platform)), dtype=FOLLOWERS["platform"]),
        "date": day_index,
        "followers": IntegerArray(level.astype(np.int64), np.zeros(days, dtype=bool)),
        "new_follows": IntegerArray(new.astype(np.int64), np.zeros(days, dtype=bool)),
        "unfollows": IntegerArray(lost.astype(np.int64), np.zeros(days, dtype=bool)),
    }, FOLLOWERS, days)
    extra_frame = pd.DataFrame(np.column_stack([v.astype(np.int64) for v in extra.values()]) if n else
                               np.zeros((0, len(extra)), dtype=np.int64), columns=list(extra), index=posts.index)

    truth = {
        "account": account,
        "platform": platform,
        "seed": seed,
        "start": start_ts,
        "days": days,
        "posts_per_day": posts_per_day,
        "n_posts": n,
        "change": change_ts,
        "change_lift": float(change_lift) if change_ts is not None else 0.0,
        "personal_share": personal_share,
        "personal_share_after": personal_share_after,
        "posts_per_day_after": posts_per_day_after,
        "personal_lift": float(personal_lift),
        "media_effects": {m: float((media_effects or {}).get(m, 0.0)) for m in MEDIA_TYPES},
        "dispersion": float(dispersion),
        "ar1": float(ar1),
        "shock_sd": float(shock_sd),
        "weekday_effects": dict(zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), w_rate.round(6))),
        "hour_effects": h_rate.round(6).tolist(),
        "base_rates": rates,
        "reach_rate": reach_rate,
        "impressions_dispersion": impressions_dispersion,
        "followers_start": followers_start,
        "follower_growth": follower_growth,
        "churn": CHURN,
        "day_shock": shock,
        "purge": event_truth.get("purge"),
        "spike": event_truth.get("spike"),
    }
    return Simulation(posts=posts, followers=followers, truth=truth, extra=extra_frame)


_STRING = pd.api.types.pandas_dtype(POSTS["post_id"])


def _strings(values: np.ndarray | pa.Array) -> Any:
    """A ``string`` column from an object array or a pyarrow array, without pandas' slow path."""
    array = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    if getattr(_STRING, "storage", None) == "pyarrow":
        return ArrowStringArray(array)
    return pd.array(array.to_numpy(zero_copy_only=False), dtype=_STRING)  # pragma: no cover


_LABELS = pa.array(["brand", "personal"], type=pa.string())


def _repeat(value: str, n: int) -> Any:
    """A ``string`` column holding ``value`` ``n`` times."""
    return _strings(pa.array([value], type=pa.string()).take(pa.array(np.zeros(n, dtype=np.int8))))


def _frame(columns: dict[str, Any], schema: Mapping[str, object], n: int) -> pd.DataFrame:
    """A canonical table from columns already in their dtypes; absent columns become NA."""
    out = {}
    for name, dtype in schema.items():
        if name in columns:
            out[name] = columns[name]
        elif dtype == "Int64":
            out[name] = IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
        elif dtype == "string":
            out[name] = _strings(pa.nulls(n, type=pa.string()))
        elif str(dtype) == str(POSTS["published_at"]):
            out[name] = pd.DatetimeIndex(np.full(n, np.datetime64("NaT", "ns"))).tz_localize("UTC")
        else:
            out[name] = pd.array(np.full(n, None, dtype=object), dtype=dtype) if n else pd.array([], dtype=dtype)
    return pd.DataFrame(out, copy=False)


# --------------------------------------------------------------------------------------------
# bundled sample data
#: fixed seed of ``data/sample`` (each account adds its index)
SAMPLE_SEED = 20240101
SAMPLE_START, SAMPLE_END = "2024-01-01", "2025-06-30"
SAMPLE_CHANGE = "2024-10-01"

#: the invented accounts of ``data/sample`` and their planted effects
SAMPLE_ACCOUNTS: tuple[dict[str, Any], ...] = (
    {   # main account: X legacy exports in overlapping 91-day files, plus a follower history
        "account": "harborbakes", "posts_per_day": 2.5, "change": SAMPLE_CHANGE, "change_lift": 0.25,
        "personal_share": 0.35, "personal_lift": 0.30, "dispersion": 4.0, "ar1": 0.5, "shock_sd": 0.15,
        "followers_start": 8000, "follower_growth": 0.0015, "purge": ("2025-02-15", 0.12),
    },
    {   # second account: X new account-analytics exports (both header variants) + daily overview
        "account": "trailmixstudio", "posts_per_day": 1.5, "change": None, "change_lift": 0.0,
        "personal_share": 0.5, "personal_lift": 0.30, "dispersion": 6.0, "ar1": 0.4, "shock_sd": 0.12,
        "followers_start": 3000, "follower_growth": 0.002, "spike": ("2024-08-20", 0.35),
    },
    {   # control account: no change, Portuguese legacy exports in consecutive 91-day files
        "account": "oficina_pedal", "posts_per_day": 2.0, "change": None, "change_lift": 0.0,
        "personal_share": 0.3, "personal_lift": 0.30, "dispersion": 5.0, "ar1": 0.5, "shock_sd": 0.15,
        "followers_start": 12000, "follower_growth": 0.0008,
    },
)


def sample_profiles(seed: int = SAMPLE_SEED) -> list[Simulation]:
    """The simulated profiles behind ``data/sample`` (one per :data:`SAMPLE_ACCOUNTS` entry).

    >>> [s.truth["account"] for s in sample_profiles()]
    ['harborbakes', 'trailmixstudio', 'oficina_pedal']
    """
    days = (_utc_day(SAMPLE_END) - _utc_day(SAMPLE_START)).days + 1
    return [simulate_profile(days=days, start=SAMPLE_START, seed=seed + i, **spec)
            for i, spec in enumerate(SAMPLE_ACCOUNTS)]


def _windows(start: pd.Timestamp, end: pd.Timestamp, length: int, step: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    out = []
    lo = start
    while lo <= end:
        hi = min(lo + pd.Timedelta(days=length - 1), end)
        if hi == end:  # the last export is a full window ending on the last day (may overlap more)
            out.append((max(start, end - pd.Timedelta(days=length - 1)), end))
            break
        out.append((lo, hi))
        lo = lo + pd.Timedelta(days=step)
    return out


def _legacy_series(sim: Simulation, out: Path, *, handle: str, lang: str, step: int, seed: int,
                   first_likes_header: str = "likes") -> list[Path]:
    """Legacy exports of 91-day windows every ``step`` days; overlapping posts show smaller counts in
    the earlier file (lifetime counts grow), the latest file holds the simulated counts."""
    from toolkit.exports import counts_as_of, write_x_legacy_posts

    windows = _windows(_utc_day(SAMPLE_START), _utc_day(SAMPLE_END), 91, step)
    exported = [hi + pd.Timedelta(days=1) - pd.Timedelta(seconds=1) for _, hi in windows]
    t = sim.posts["published_at"]
    final = pd.Series(pd.NaT, index=sim.posts.index, dtype=t.dtype)
    for (lo, hi), stamp in zip(windows, exported):
        final[(t >= lo) & (t < hi + pd.Timedelta(days=1))] = stamp
    paths = []
    for k, ((lo, hi), stamp) in enumerate(zip(windows, exported)):
        posts, extra = sim.posts, sim.extra
        if k < len(windows) - 1:
            posts, extra = counts_as_of(sim.posts, stamp, final, extra=sim.extra, seed=seed + k)
        paths.append(write_x_legacy_posts(posts, out, handle=handle, start=lo, end=hi, lang=lang, extra=extra,
                                          likes_header=first_likes_header if k == 0 else "likes"))
    return paths


def write_sample_data(out: str | Path, seed: int = SAMPLE_SEED) -> list[Path]:
    """Write the bundled sample exports into ``out`` (see ``data/README.md``); returns the paths.

    Deterministic: the same ``seed`` writes the same bytes.
    """
    from toolkit.exports import write_follower_history, write_x_overview, write_x_posts

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    main_sim, second, control = sample_profiles(seed)
    paths: list[Path] = []
    # 1. main account: English legacy exports, overlapping by 14 days; the oldest says "favorites"
    paths += _legacy_series(main_sim, out, handle="harborbakes", lang="en", step=77, seed=seed,
                            first_likes_header="favorites")
    paths.append(write_follower_history(main_sim.followers, out / "followers_harborbakes.csv", account=True))
    # the owner's own content tags, in a sub-folder so that loading sample/*.csv skips them
    labels = main_sim.posts[["post_id", "content_label"]]
    rows = "post_id,content_label\n" + "".join(f"{i},{c}\n" for i, c in zip(labels["post_id"], labels["content_label"]))
    (out / "labels").mkdir(exist_ok=True)
    (out / "labels" / "harborbakes.csv").write_bytes(rows.encode("utf-8"))
    paths.append(out / "labels" / "harborbakes.csv")
    # 2. second account: new per-post exports (2024: header variant 1, 2025: variant 2) + overview
    posts, extra = second.posts, second.extra
    in_2024 = (posts["published_at"] < pd.Timestamp("2025-01-01", tz="UTC")).to_numpy()
    paths.append(write_x_posts(posts[in_2024], out / "account_analytics_content_trailmixstudio_20240101_20241231.csv",
                               handle="trailmixstudio", variant=1, extra=extra))
    paths.append(write_x_posts(posts[~in_2024], out / "account_analytics_content_trailmixstudio_20250101_20250630.csv",
                               handle="trailmixstudio", variant=2, extra=extra))
    paths.append(write_x_overview(posts, second.followers,
                                  out / "account_overview_analytics_trailmixstudio_20240101_20250630.csv",
                                  date_style=1, extra=extra))
    paths.append(write_follower_history(second.followers, out / "followers_trailmixstudio.csv", account=True))
    # 3. control account: Portuguese legacy exports, consecutive 91-day files
    paths += _legacy_series(control, out, handle="oficina_pedal", lang="pt", step=91, seed=seed + 100)
    paths.append(write_follower_history(control.followers, out / "followers_oficina_pedal.csv", account=True))
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m toolkit sample-data --out DIR``: write the bundled sample data (see data/README.md)."""
    parser = argparse.ArgumentParser(prog="python -m toolkit sample-data",
                                     description="Regenerate the sample exports from their fixed seed.")
    parser.add_argument("--out", type=Path, default=Path("data/sample"), help="output folder")
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED, help="base seed (default: the bundled one)")
    args = parser.parse_args(argv)
    written = write_sample_data(args.out, seed=args.seed)
    for path in written:
        print(path)
    return 0
