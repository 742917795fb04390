"""Benchmark: loading each platform format family vs reading the same file with pandas/openpyxl alone.

Target (issue 3): ``toolkit.load`` within 2x of a bare read of the same file. For every family a
large export is written in the format's real shape (tests/fixtures/make_fixtures.py writers), then
timed in one run, ``--repeat`` times (baseline and load interleaved), reporting medians:

- CSV formats: ``toolkit.load(path, cache=False)`` vs ``pandas.read_csv`` with the encoding,
  preamble and id columns as text (what a careful user would write by hand);
- ``.xlsx`` workbooks: vs ``pandas.read_excel(sheet_name=None, engine="openpyxl", dtype=str)``
  (every sheet, as the loader reads every sheet); binary ``.xls`` the same with ``engine="calamine"``;
- SpreadsheetML ``.xls`` (XML; pandas cannot read it): vs ``xml.etree.ElementTree.iterparse``
  collecting every cell's text into one DataFrame per sheet.

For the CSV formats a second baseline is timed too: the same ``read_csv`` call that also turns the
file's publish dates into datetimes (``parse_dates=`` with the file's ``date_format=``; for Excel
serials ``pandas.to_datetime(unit="D", origin="1899-12-30")``), the least a user needs before any
analysis by date. Both ratios are printed; the issue's target is stated against the bare read.

    python benchmarks/bench_formats.py [--rows 100000] [--xlsx-rows 5000] [--repeat 5] [--only csv]
"""

from __future__ import annotations

import argparse
import codecs
import csv
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

import make_fixtures as mk  # noqa: E402


def hootsuite(folder: Path, n: int) -> Path:
    head = ["Date (GMT)", "Facebook Page", "Post ID", "Post Permalink", "Post Type", "Post Message",
            "Tags", "Campaign", "Reactions", "Comments", "Shares", "Ow.ly Clicks"]
    types = ["Photo", "Video", "Link", "Status", "Event"]
    start = dt.datetime(2018, 1, 1)
    rows = [head]
    for i in range(n):
        pid = "104511112233445" if i % 3 else "200022223333444"
        rows.append([(start + dt.timedelta(minutes=37 * i)).strftime("%Y-%m-%d %H:%M:%S"),
                     "Northwind Bakery" if i % 3 else "Harbor Cycles", f"{pid}_{3000000000000 + i}",
                     f"https://www.facebook.com/{pid}/posts/{3000000000000 + i}", types[i % 5],
                     "(Post with no description)" if i % 11 == 0 else f"Post {i}, with \"quotes\"\nand a line",
                     "", "Launch" if i % 4 == 0 else "", str(i % 97), str(i % 13), str(i % 7),
                     str(i % 5) if types[i % 5] == "Link" else ""])
    path = folder / "hootsuite_facebook_posts.csv"
    mk.write_csv(path, rows)
    return path


def meta_posts(folder: Path, n: int) -> Path:
    rows = [mk.META_FB_OCT]
    base = dt.datetime(2023, 1, 1)
    for i in range(n):
        when = base + dt.timedelta(minutes=53 * i)
        rows.append(mk.meta_fb_row(mk.META_FB_OCT, i, 1, publish=when.strftime("%m/%d/%Y %H:%M")))
    path = folder / "Jan-01-2023_Dec-31-2023_meta_posts.csv"
    mk.write_csv(path, rows, bom=codecs.BOM_UTF8)
    return path


def meta_daily(folder: Path, n: int) -> Path:
    start = dt.date(1990, 1, 1)
    rows = [["Date", "Primary"]] + [[(start + dt.timedelta(days=d)).strftime("%Y-%m-%dT00:00:00"), str(d % 977)]
                                    for d in range(n)]
    path = folder / "Reach.csv"
    mk.write_csv(path, rows, quoting=csv.QUOTE_ALL, encoding="utf-16-le", bom=codecs.BOM_UTF16_LE,
                 preamble=["sep=,", '"Facebook reach"'], newline="\r\n")
    return path


def linkedin_page(folder: Path, n: int) -> Path:
    rows = [[mk.LI_PREAMBLE] + [""] * (len(mk.LI_HEAD) - 1), mk.LI_HEAD]
    start = dt.date(1995, 1, 1)
    for i, r in enumerate(mk.li_rows(n, serial=True)):
        r = list(r)
        day = start + dt.timedelta(days=i // 20)  # 20 posts a day keeps 1M rows before 2100
        r[5] = (day - dt.date(1899, 12, 30)).days + (0.375 if i % 2 else 0)
        r[0] = f"{r[0]} {i}"
        r[1] = f"https://www.linkedin.com/feed/update/urn:li:activity:71{i:017d}"
        r[5] = f"{r[5]:.4f}" if isinstance(r[5], float) else r[5]
        r[12], r[17] = mk.java_double(r[12]), mk.java_double(r[17])
        rows.append(r)
    path = folder / "northwind-bakery_updates_1700000000000.csv"
    mk.write_csv(path, rows)
    return path


def linkedin_page_xls(folder: Path, n: int) -> Path:
    """The page export as LinkedIn serves it: a binary Excel 97-2003 workbook with date cells."""
    rows = [[mk.LI_PREAMBLE], mk.LI_HEAD]
    for i, r in enumerate(mk.li_rows(n, serial=True)):
        r = list(r)
        r[0] = f"{r[0]} {i}"
        r[1] = f"https://www.linkedin.com/feed/update/urn:li:activity:71{i:017d}"
        r[5] = dt.datetime(1995, 1, 1) + dt.timedelta(days=i // 20, hours=9 * (i % 2))
        rows.append(r)
    path = folder / "northwind-bakery_updates_1700000000000.xls"
    mk.write_xls(path, {"Update Engagement": rows})
    return path


def youtube(folder: Path, n: int) -> Path:
    shy = "\u00ad"
    head = ["Content", "Video title", f"Video pub{shy}lish time", "Duration", "Views", "Watch time (hours)",
            f"Sub{shy}scribers gained", f"Sub{shy}scribers lost", "Likes", "Dislikes", "Shares",
            "Comments added", f"Im{shy}pres{shy}sions", "Impressions click-through rate (%)"]
    start = dt.date(2010, 1, 1)
    rows = [head, ["Total", "", "", ""] + ["1"] * 10]
    for i in range(n):
        day = start + dt.timedelta(days=i // 20)
        rows.append([f"v{i:010d}", f"Video {i}", day.strftime("%b %-d, %Y"), "0:03:09", str(100 + i % 900),
                     "1.5", str(i % 7), str(i % 3), str(i % 50), str(i % 4), str(i % 9), str(i % 6),
                     str(2000 + i % 5000), "4.1"])
    path = folder / "Table data.csv"
    mk.write_csv(path, rows)
    return path


def instagram(folder: Path, n: int) -> Path:
    start = dt.date(1990, 1, 1)
    rows = [mk.IG_HEAD] + mk.ig_rows([(start + dt.timedelta(days=i // 20)).isoformat() for i in range(n)])
    for i, r in enumerate(rows[1:]):
        r[13] = f"{r[13]} #{i}"
    path = folder / "instagram_post_insights.csv"
    mk.write_csv(path, rows, newline="\r\n")
    return path


def facebook_posts(n: int):
    return mk.fb_posts("104511112233445", 0, n, day0=20) if n <= 19 else [
        dict(p, posted=dt.datetime(2019, 1, 1) + dt.timedelta(minutes=71 * k), id=f"104511112233445_{9 * 10**15 + k}")
        for k, p in enumerate(mk.fb_posts("104511112233445", 0, 1, day0=20) * n)]


def facebook_xml(folder: Path, n: int) -> Path:
    path = folder / "Facebook Insights Data Export (Post) - Northwind Bakery - 2020-07-31.xls"
    mk.write_spreadsheetml(path, mk.fb_workbook(facebook_posts(n), "104511112233445", datetime_cells=False))
    return path


def facebook_xlsx(folder: Path, n: int) -> Path:
    path = folder / "Facebook Insights Data Export (Post) - Northwind Bakery - 2020-07-31.xlsx"
    mk.write_xlsx(path, mk.fb_workbook(facebook_posts(n), "104511112233445", datetime_cells=True))
    return path


def linkedin_creator(folder: Path, n: int) -> Path:
    start = dt.date(1990, 1, 1)
    days = [(start + dt.timedelta(days=k)).strftime("%-m/%-d/%Y") for k in range(n)]
    top = [["Maximum of 50 posts available to include in this list"], [],
           ["Post URL", "Post publish date", "Engagements", "", "Post URL", "Post publish date", "Impressions"]]
    for k in range(50):
        url = f"https://www.linkedin.com/feed/update/urn:li:activity:73{k:017d}"
        top.append([url, days[-1 - k], 90 - k, "", url, days[-1 - k], 5000 - k])
    path = folder / "Content_1990-01-01_2020-01-01_JaneQuill.xlsx"
    mk.write_xlsx(path, {
        "DISCOVERY": [["Overall Performance", "x"], ["Impressions", 1]],
        "ENGAGEMENT": [["Date", "Impressions", "Engagements"]] + [[d, 1000 + k % 97, k % 31] for k, d in enumerate(days)],
        "TOP POSTS": top,
        "FOLLOWERS": [[f"Total followers on {days[-1]}:", 10**6], [], ["Date", "New followers"]]
                     + [[d, k % 9] for k, d in enumerate(days)],
        "DEMOGRAPHICS": [["Top Demographics", "Value", "Percentage"]],
    })
    return path


def xml_baseline(path: Path) -> dict[str, pd.DataFrame]:
    ns = "{urn:schemas-microsoft-com:office:spreadsheet}"
    sheets, rows, cells, name = {}, [], [], None
    for event, elem in ET.iterparse(path, events=("start", "end")):
        if event == "start":
            if elem.tag == ns + "Worksheet":
                name, rows = elem.get(ns + "Name"), []
            continue
        if elem.tag == ns + "Data":
            cells.append(elem.text or "")
        elif elem.tag == ns + "Row":
            rows.append(cells)
            cells = []
            elem.clear()
        elif elem.tag == ns + "Worksheet":
            width = max((len(r) for r in rows), default=0)
            sheets[name] = pd.DataFrame([r + [""] * (width - len(r)) for r in rows[1:]])
            elem.clear()
    return sheets


def dated(path: Path, column: str, date_format: str, **kwargs) -> pd.DataFrame:
    """``read_csv(**kwargs)`` with ``column`` read as datetimes in ``date_format``."""
    return pd.read_csv(path, parse_dates=[column], date_format=date_format, **kwargs)


def dated_serial(path: Path, column: str, **kwargs) -> pd.DataFrame:
    frame = pd.read_csv(path, **kwargs)
    frame[column] = pd.to_datetime(frame[column], unit="D", origin="1899-12-30")
    return frame


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of each CSV export")
    parser.add_argument("--xlsx-rows", type=int, default=5_000, help="posts/days of each workbook")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="run the families whose label contains this text")
    args = parser.parse_args(argv)
    os.environ["TQDM_DISABLE"] = "1"

    import toolkit
    from toolkit.loading.workbooks import clear_cache

    n, w = args.rows, args.xlsx_rows
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shy = "\u00ad"
        cases = [  # label, writer, bare baseline, its description, baseline with dates parsed (CSV)
            ("facebook classic .xls (SpreadsheetML)", lambda: facebook_xml(folder, w), lambda p: xml_baseline(p),
             "ElementTree.iterparse, every cell's text", None),
            ("facebook classic .xlsx", lambda: facebook_xlsx(folder, w),
             lambda p: pd.read_excel(p, sheet_name=None, engine="openpyxl", dtype=str),
             "read_excel(sheet_name=None, engine='openpyxl', dtype=str)", None),
            ("hootsuite csv", lambda: hootsuite(folder, n), lambda p: pd.read_csv(p, dtype={"Post ID": str}),
             "read_csv(dtype={'Post ID': str})",
             lambda p: dated(p, "Date (GMT)", "%Y-%m-%d %H:%M:%S", dtype={"Post ID": str})),
            ("meta posts csv (BOM)", lambda: meta_posts(folder, n),
             lambda p: pd.read_csv(p, encoding="utf-8-sig", dtype={"Post ID": str, "Page ID": str}),
             "read_csv(encoding='utf-8-sig', dtype={'Post ID': str, 'Page ID': str})",
             lambda p: dated(p, "Publish time", "%m/%d/%Y %H:%M", encoding="utf-8-sig",
                             dtype={"Post ID": str, "Page ID": str})),
            ("meta daily csv (UTF-16)", lambda: meta_daily(folder, min(n, 30_000)),
             lambda p: pd.read_csv(p, encoding="utf-16", skiprows=2),
             "read_csv(encoding='utf-16', skiprows=2)",
             lambda p: dated(p, "Date", "%Y-%m-%dT%H:%M:%S", encoding="utf-16", skiprows=2)),
            ("linkedin page csv", lambda: linkedin_page(folder, n), lambda p: pd.read_csv(p, skiprows=1),
             "read_csv(skiprows=1)", lambda p: dated_serial(p, "Created date", skiprows=1)),
            ("linkedin page .xls (Excel 97-2003)", lambda: linkedin_page_xls(folder, w),
             lambda p: pd.read_excel(p, sheet_name=None, engine="calamine", dtype=str, header=None),
             "read_excel(sheet_name=None, engine='calamine', dtype=str, header=None)", None),
            ("linkedin creator .xlsx", lambda: linkedin_creator(folder, w),
             lambda p: pd.read_excel(p, sheet_name=None, engine="openpyxl", dtype=str, header=None),
             "read_excel(sheet_name=None, engine='openpyxl', dtype=str, header=None)", None),
            ("youtube csv", lambda: youtube(folder, n), lambda p: pd.read_csv(p, dtype={"Content": str}),
             "read_csv(dtype={'Content': str})",
             lambda p: dated(p, f"Video pub{shy}lish time", "%b %d, %Y", dtype={"Content": str})),
            ("instagram csv", lambda: instagram(folder, n), lambda p: pd.read_csv(p),
             "read_csv()", lambda p: dated(p, "Date", "%Y-%m-%d")),
        ]
        print(f"cores: {os.cpu_count()}, load average at start: {_load()}; "
              f"CSV rows {n:,}, workbook rows {w:,}, median of {args.repeat} (min in brackets)")
        print(f"{'format family':40s} {'MB':>6s} {'baseline s':>10s} {'load s':>8s} {'ratio':>6s} "
              f"{'(min)':>6s} {'dated s':>8s} {'ratio':>6s}  rows loaded  load avg  baseline")
        worst = 0.0
        for label, make, baseline, described, with_dates in cases:
            if args.only and args.only not in label:
                continue
            path = make()
            ds = toolkit.load(path, cache=False)  # warm-up, and the row count
            loaded = int(ds.report["rows_loaded"].sum())
            t_base, t_load, t_dated = [], [], []
            for _ in range(args.repeat):  # interleaved, so a burst of load on the machine hits all
                t_base += timed(lambda: baseline(path), 1)
                t_load += timed(lambda: (clear_cache(), toolkit.load(path, cache=False)), 1)
                if with_dates is not None:
                    t_dated += timed(lambda: with_dates(path), 1)
            ratio = statistics.median(t_load) / statistics.median(t_base)
            dated_cols = (f"{statistics.median(t_dated):8.2f} {statistics.median(t_load) / statistics.median(t_dated):6.2f}"
                          if t_dated else f"{'':8s} {'':6s}")
            worst = max(worst, ratio)
            size = path.stat().st_size / 1e6
            what = described if described.startswith("ElementTree") else f"pandas.{described}"
            print(f"{label:40s} {size:6.1f} {statistics.median(t_base):10.2f} {statistics.median(t_load):8.2f} "
                  f"{ratio:6.2f} {min(t_load) / min(t_base):6.2f} {dated_cols}  {loaded:>11,}  {_load():>8s}  {what}",
                  flush=True)
        print(f"worst ratio (medians): {worst:.2f} (target <= 2.0); load average at end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
