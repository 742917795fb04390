"""Property-based tests: malformed files either load with every row accounted for, or fail with a
project exception that names the file. Nothing else may escape ``toolkit.load``.

Hypothesis runs derandomized (a fixed seed derived from each test) with no example database, so
the same examples run every time; ``max_examples`` is bounded to keep the file a few seconds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolkit
from toolkit.errors import EngagementLabError

# nor may an error be printed past it (Arrow reports a handler's failure as "unraisable")
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

FIX = Path(__file__).resolve().parent / "fixtures"
SEEDS = {
    "tweet_activity_metrics_fuzz_20240101_20240331_en.csv":
        (FIX / "x" / "tweet_activity_metrics_north_wind_20240101_20240331_en.csv").read_bytes(),
    "tweet_activity_metrics_fuzz_20240601_20240831_pt.csv":
        (FIX / "x" / "tweet_activity_metrics_north_wind_20240601_20240831_pt.csv").read_bytes(),
    "account_analytics_content_2026-03-25_2026-04-23.csv":
        (FIX / "x" / "account_analytics_content_2026-03-25_2026-04-23.csv").read_bytes(),
    "account_overview_analytics_2026-04-14_2026-04-23.csv":
        (FIX / "x" / "account_overview_analytics_2026-04-14_2026-04-23.csv").read_bytes(),
    "facebook_metrics.csv": (FIX / "uci" / "facebook_metrics_sample.csv").read_bytes(),
    "followers.csv": (FIX / "followers" / "north_wind_followers.csv").read_bytes(),
}
GENERIC = (FIX / "generic" / "my_network_posts.csv").read_bytes()
GENERIC_MAPPING = {"post_id": "ID", "published_at": "Date", "likes": "Hearts", "comments": "Replies",
                   "impressions": "Views", "media_type": "Kind", "paid": "Boosted"}

FUZZ = settings(max_examples=12, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check(name: str, content: bytes, **kwargs) -> None:
    """Load ``content`` saved as ``name``: accounted rows, or a project error naming the file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            ds = toolkit.load(path, cache=False, **kwargs)
        except EngagementLabError as exc:
            assert name in str(exc), f"error does not name the file: {exc}"
            assert exc.message
            return
        finally:
            assert path.read_bytes() == content  # inputs are never modified
        report = ds.report.iloc[0]
        assert report["rows_read"] == report["rows_loaded"] + report["rows_rejected"] + \
            report["duplicates_merged"]
        assert len(ds.rejected) == report["rows_rejected"]
        assert ds.rejected["reason"].notna().all()
        toolkit.schema.validate_posts(ds.posts)


seeds = st.sampled_from(sorted(SEEDS))


@FUZZ
@given(name=seeds, data=st.data())
def test_truncated_files(name, data):
    content = SEEDS[name]
    cut = data.draw(st.integers(min_value=0, max_value=len(content)))
    check(name, content[:cut])


@FUZZ
@given(name=seeds, data=st.data())
def test_random_byte_damage(name, data):
    content = bytearray(SEEDS[name])
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        at = data.draw(st.integers(min_value=0, max_value=len(content)))
        junk = data.draw(st.binary(min_size=0, max_size=8))
        if data.draw(st.booleans()):
            content[at:at + len(junk)] = junk  # overwrite
        else:
            content[at:at] = junk  # insert
    check(name, bytes(content))


@FUZZ
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".xls"]))
def test_random_bytes(content, suffix):
    check("random" + suffix, content)


def _cells(name: str, data) -> bytes:
    """Damage cell values of a seed file: wrong field counts, bad dates, bad counts, odd ids."""
    text = SEEDS[name].decode("utf-8")
    sep = ";" if ";" in text.splitlines()[0] else ","
    lines = text.split("\n")
    junk = st.sampled_from(["", "-", "x", "1.5", "-3", "1.2E+18", "2024-13-45", "Feb 31 2025", '"',
                            "N/A", "  7 ", "9" * 30, "nan", "1,000", "\u00a0", "\ufeff"])
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        i = data.draw(st.integers(min_value=1, max_value=max(1, len(lines) - 1)))
        if i >= len(lines):
            continue
        fields = lines[i].split(sep)
        action = data.draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace" and fields:
            j = data.draw(st.integers(min_value=0, max_value=len(fields) - 1))
            fields[j] = data.draw(junk)
        elif action == "drop" and len(fields) > 1:
            fields.pop()
        else:
            fields.append(data.draw(junk))
        lines[i] = sep.join(fields)
    return "\n".join(lines).encode("utf-8")


@FUZZ
@given(name=seeds, data=st.data())
def test_bad_cells_and_field_counts(name, data):
    check(name, _cells(name, data))


@FUZZ
@given(name=seeds, encoding=st.sampled_from(["utf-16", "utf-16-le", "cp1252", "latin-1", "utf-8-sig"]),
       crlf=st.booleans())
def test_odd_encodings_and_line_ends(name, encoding, crlf):
    text = SEEDS[name].decode("utf-8")
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    check(name, text.encode(encoding, errors="replace"))


@FUZZ
@given(data=st.data())
def test_generic_mapping_on_damaged_files(data):
    content = bytearray(GENERIC)
    at = data.draw(st.integers(min_value=0, max_value=len(content)))
    content[at:at] = data.draw(st.binary(max_size=6))
    check("mapped.csv", bytes(content), mapping=GENERIC_MAPPING)
