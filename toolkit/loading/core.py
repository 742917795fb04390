"""``toolkit.load``: any mix of export files -> one set of canonical tables, nothing lost.

For each file the format is recognised from its header (or named by the caller), the format's
parser builds canonical rows, and every record that cannot be used is kept in ``rejected`` with
its reason. Then overlapping exports of one account are merged (the row from the latest export
wins, and the report counts the merge) and follower histories are joined onto posts as of the
publish time.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from toolkit import display
from toolkit.errors import DataFormatError, EngagementLabError, SchemaError
from toolkit.loading import registry
from toolkit.loading.build import constant
from toolkit.loading.parse import _arrow_text
from toolkit.loading.readers import sniff
from toolkit.loading.source import Parsed, Source, rejected_frame
from toolkit.loading.workbooks import kind_of, read_workbook
from toolkit.schema import (
    DAILY,
    FOLLOWERS,
    POSTS,
    REJECTED,
    REPORT,
    conform,
    validate_followers,
    validate_posts,
)

__all__ = ["Dataset", "load", "detect"]

#: file-name dates such as tweet_activity_metrics_me_20240101_20240331_en.csv
#: or account_analytics_content_2025-01-10_2025-02-09.csv
_RANGE = re.compile(r"(?<!\d)(20\d{2})-?(\d{2})-?(\d{2})_(20\d{2})-?(\d{2})-?(\d{2})(?!\d)")
#: Meta Business Suite's month names: Oct-01-2023_Nov-30-2023_northwind_posts.csv
_NAMED_RANGE = re.compile(r"(?<![A-Za-z])([A-Za-z]{3})-(\d{2})-(20\d{2})_([A-Za-z]{3})-(\d{2})-(20\d{2})(?!\d)")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                                       "oct", "nov", "dec"), start=1)}


@dataclass
class Dataset:
    """The canonical tables loaded from a set of export files.

    Attributes
    ----------
    posts
        One row per post (columns of ``toolkit.schema.POSTS``).
    followers
        One row per account and day (``toolkit.schema.FOLLOWERS``).
    daily
        Account-level daily totals from overview files (``toolkit.schema.DAILY``).
    rejected
        Records that could not be loaded: ``source_file``, ``source_row``, ``reason``, ``raw``.
    report
        One row per file: ``source_file``, ``format``, ``account`` (the account the file was read
        for, from ``account=`` or its file name, even when no row is kept; NA when only its rows
        name accounts), ``rows_read``, ``rows_loaded``, ``rows_rejected``, ``duplicates_merged``,
        ``summary_rows``, ``encoding``, ``notes``.
        For every file ``rows_read == rows_loaded + rows_rejected + duplicates_merged``; a post or a
        follower or daily day exported again is merged into one row (the latest export wins).
    """

    posts: pd.DataFrame
    followers: pd.DataFrame
    daily: pd.DataFrame
    rejected: pd.DataFrame
    report: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"Dataset({len(self.posts)} posts, {len(self.followers)} follower days, "
                f"{len(self.daily)} daily rows, {len(self.rejected)} rejected, "
                f"{len(self.report)} files)")

    def _repr_html_(self) -> str:
        return f"<p>{self!r}</p>" + self.report.to_html(index=False, border=0)


#: files a folder holds next to its exports (a README, a dataset's description): when such a file
#: matches no format, a folder load passes over it and says so; named on its own, it is an error
_DOCUMENT_SUFFIXES = {".md", ".txt", ".rst", ".pdf", ".html", ".htm", ".doc", ".docx", ".rtf"}


def _as_paths(paths) -> tuple[list[Path], list[Path], list[Path], set[Path]]:
    """The files to load (folders expanded), each once; the ones named more than once; the
    folders inside a folder given, which are not read (a label file there is no export); and the
    files named themselves, not found in a folder (resolved)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    inner: list[Path] = []
    named: set[Path] = set()
    for p in paths:
        if isinstance(p, str) and not p.strip():  # Path("") is the current folder
            raise DataFormatError("expected a file or folder path", parameter="paths", found=repr(p))
        p = Path(p)
        if p.is_dir():
            inside = sorted(q for q in p.iterdir() if not q.name.startswith("."))
            out.extend(q for q in inside if q.is_file())
            inner.extend(q for q in inside if q.is_dir())
        elif p.exists():
            out.append(p)
            named.add(p.resolve())
        else:
            raise DataFormatError("no such file", file=p)
    if not out:
        raise DataFormatError("expected at least one export file", parameter="paths", found=paths)
    seen: set[Path] = set()
    once, again = [], []
    for p in out:  # a folder and a file in it, or a file listed twice: one file, read once
        (again if p.resolve() in seen else once).append(p)
        seen.add(p.resolve())
    return once, again, inner, named


def detect(path: Path | str) -> tuple[registry.Format, Source]:
    """Recognise the format of ``path`` from its header.

    Raises :class:`DataFormatError` naming the closest known format and the columns that differ
    when nothing matches.
    """
    path = Path(path)
    candidates = registry.all_formats()
    best: tuple[float, int, registry.Format | None, int, list[str]] = (0.0, 0, None, 0, [])
    sniffed = None
    for fmt in candidates:
        if fmt.detect is not None:
            header = fmt.detect(path)
            if header is None:
                continue
            lines = [(0, header)]
        else:
            if path.suffix.lower() not in fmt.extensions:
                continue
            if sniffed is None:
                sniffed = sniff(path)
            lines = sniffed.header_candidates(fmt.header_search)
        for line_no, header in lines:
            present = set(header)
            hits = sum(1 for s in fmt.signature if s in present)
            score = hits / len(fmt.signature) if fmt.signature else 0.0
            key = (score, len(fmt.signature))
            if key > best[:2]:
                missing = [s for s in fmt.signature if s not in present]
                best = (score, len(fmt.signature), fmt, line_no, missing)
    score, _, fmt, line_no, missing = best
    if fmt is None or score < 1.0:
        members = _archive_members(path)
        if members is not None:  # e.g. YouTube Studio's download: Table data.csv and others in a zip
            raise DataFormatError("is a zip archive, not an export file: unpack it and load the "
                                  "folder (each file in it is recognised on its own)", file=path,
                                  found=f"{len(members)} files in the archive: {', '.join(members[:8])}"
                                        + (", ..." if len(members) > 8 else ""))
        if kind_of(path) is not None:  # a workbook by its bytes that did not open: say why
            read_workbook(path)
        closest = f"closest format: {fmt.name} ({fmt.description}), missing columns {missing}" \
            if fmt is not None else "no format shares any column"
        header = sniffed.lines[0][:200] if sniffed and sniffed.lines else "(no text header)"
        error = DataFormatError(
            f"matches no supported format; {closest}; pass format= or mapping= to load it",
            file=path, found=f"header {header!r}")
        error.unrecognised = True  # a folder's documentation file is passed over (see load)
        raise error
    source = Source(path=path, format=fmt, sniff=sniffed if fmt.detect is None else None,
                    header_line=line_no)
    return fmt, source


def _archive_members(path: Path) -> list[str] | None:
    """The files in ``path`` when it is a zip archive other than an office document (an .xlsx or
    .ods is a zip too), else None."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" in names or "mimetype" in names:  # Office Open XML, OpenDocument
        return None
    return [n for n in names if not n.endswith("/") and not n.startswith("__MACOSX/")]


def _source_for(path: Path, name: str) -> Source:
    """The :class:`Source` for ``path`` read as the format called ``name`` (``load(format=name)``).

    A named format skips detection, not its check. A file whose header holds fewer than half of
    the format's signature columns is another format's, and is refused naming the columns missing
    and found. One that holds most of them is parsed: exports drift from month to month (a column
    renamed or dropped), and naming the format is how a user loads such a file. If its parser
    cannot do without the columns it lacks (it fails inside pandas, with a ``KeyError`` or a
    "length mismatch"), the loader raises the same error naming them.
    """
    fmt = registry.get(name)
    if fmt.detect is not None:
        header = fmt.detect(path)
        if header is not None:
            return _checked(Source(path=path, format=fmt), fmt, [(0, header)], path)
        if kind_of(path) is not None:  # a workbook by its bytes that did not open: say why
            read_workbook(path)
        raise _not_this_format(path, fmt, sniff(path).header_candidates(1),
                               what="workbooks (this file is text)")
    kind = kind_of(path)
    if kind is not None:  # its bytes would be split as if they were lines of text
        what = "mapping= (the generic format)" if name == "generic" else f"format {name!r}"
        raise DataFormatError(f"is a workbook ({kind}), but {what} reads delimited text: save the "
                              "sheet as CSV and load that file", file=path)
    sniffed = sniff(path)
    lines = sniffed.header_candidates(fmt.header_search)
    best = max(lines, key=lambda line: sum(s in line[1] for s in fmt.signature), default=(0, []))
    return _checked(Source(path=path, format=fmt, sniff=sniffed, header_line=best[0]), fmt, lines, path)


def _checked(source: Source, fmt: registry.Format, lines: list[tuple[int, list[str]]],
             path: Path) -> Source:
    """``source``, with the signature columns its best header line lacks; refused when it lacks
    half of them or more (see :func:`_source_for`)."""
    error = _not_this_format(path, fmt, lines)
    header = next((h for i, h in lines if i == source.header_line), []) if lines else []
    lacking = tuple(s for s in fmt.signature if s not in header)
    if 2 * len(lacking) >= len(fmt.signature) and fmt.signature:
        raise error
    source.lacking, source.not_this_format = lacking, error if lacking else None
    return source


def _not_this_format(path: Path, fmt: registry.Format, lines: list[tuple[int, list[str]]],
                     what: str = "") -> DataFormatError:
    """The error for a file that is not of the format it was loaded with: it names the format, the
    columns the format needs, the ones missing and the columns found (on the line closest to the
    format). ``what`` says what the format reads when the file is of another kind."""
    closest = max((h for _, h in lines), key=lambda h: sum(s in h for s in fmt.signature), default=[])
    missing = [s for s in fmt.signature if s not in closest]
    shown = closest[:40] + (["..."] if len(closest) > 40 else [])
    reads = f"reads {what} and " if what else ""
    return DataFormatError(
        f"was loaded with format={fmt.name!r} ({fmt.description}), which {reads}needs the columns "
        f"{list(fmt.signature)}; missing: {missing}. Pass the format of this file, or "
        "format='auto' to recognise it", file=path, found=f"columns {shown}")


def exported_at_from(path: Path) -> tuple[pd.Timestamp | None, str]:
    """When an export was taken: the end of the date range in its name, else its file time."""
    match = _RANGE.search(path.name)
    end = match.group(4, 5, 6) if match else None
    named = _NAMED_RANGE.search(path.name) if end is None else None
    if named and named.group(4).lower() in _MONTHS:
        end = named.group(6), f"{_MONTHS[named.group(4).lower()]:02d}", named.group(5)
    if end is not None:
        y, m, d = end
        try:
            stamp = pd.Timestamp(f"{y}-{m}-{d}", tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
            return stamp, "file name date range"
        except ValueError:  # not a date after all (month 13): fall back to the file time
            pass
    stamp = pd.Timestamp(path.stat().st_mtime, unit="s", tz="UTC").floor("s")
    return stamp, "file modification time"


#: errors of damaged files seen by readers and parsers (turned into DataFormatError naming the file)
_DAMAGE = (ValueError, TypeError, KeyError, IndexError, UnicodeError, csv.Error, EOFError,
           SyntaxError, zipfile.BadZipFile, pa.ArrowException)


def _parse_one(path: Path, format: str, account: str | None, mapping) -> tuple[str, Parsed]:
    if mapping is not None and format == "auto":
        format = "generic"
    fmt = None
    try:
        if format == "auto":
            fmt, source = detect(path)
        else:
            source = _source_for(path, format)
            fmt = source.format
        source.account = account
        source.mapping = dict(mapping) if mapping is not None else None
        if fmt.parse is None:
            raise DataFormatError(f"format {fmt.name!r} has no parser", file=path)
        try:
            parsed = fmt.parse(source)
        except _DAMAGE as exc:
            if source.not_this_format is not None:  # a forced format without columns it needs
                raise source.not_this_format from exc
            raise
        if source.lacking:
            parsed.notes.append(f"loaded as format={fmt.name!r}, whose columns {list(source.lacking)} "
                                "this file lacks")
        _note_impossible_counts(parsed)
    except EngagementLabError as exc:
        if exc.file is None:  # say which file, whatever part of the loader noticed
            raise type(exc)(exc.message, file=path, row=exc.row, column=exc.column,
                            parameter=exc.parameter, found=exc.found) from None
        raise
    except _DAMAGE as exc:
        what = f"as {fmt.name} ({fmt.description})" if fmt is not None else "as any supported format"
        raise DataFormatError(f"cannot be read {what}; the file looks damaged", file=path,
                              found=f"{type(exc).__name__}: {exc}") from exc
    _account_invalid(source, parsed)
    return fmt.name, parsed


def _note_impossible_counts(parsed: Parsed) -> None:
    """Say how many posts report more reach (people) than impressions (views): one of the two is
    wrong, and rates per reach and per impression disagree for them. They are loaded as written."""
    posts = parsed.posts
    if posts is None or not len(posts) or not {"reach", "impressions"} <= set(posts.columns):
        return
    over = int((posts["reach"] > posts["impressions"]).fillna(False).sum())
    if over:
        parsed.notes.append(f"{over:,} post{'' if over == 1 else 's'} report more reach than "
                            "impressions (reach counts people, impressions views): loaded as written")


def _account_invalid(source: Source, parsed: Parsed) -> None:
    """Records the reader could not split into fields go to ``rejected`` (once) and count as read."""
    raw = source.raw
    if raw is None or not raw.invalid:
        return
    have = set()
    if parsed.rejected is not None and len(parsed.rejected):
        have = set(zip(parsed.rejected["source_row"].astype("Int64").fillna(-1).astype(int),
                       parsed.rejected["reason"].astype(str)))
    missing = [(r, why, text) for r, why, text in raw.invalid if (r if r is not None else -1, why) not in have]
    if not missing:
        return
    extra = rejected_frame(str(source.path), [r for r, _, _ in missing], [w for _, w, _ in missing],
                           [t for _, _, t in missing])
    parsed.rejected = extra if parsed.rejected is None or not len(parsed.rejected) else \
        pd.concat([parsed.rejected, extra], ignore_index=True)
    parsed.rows_read += len(missing)


def _merge_posts(posts: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Keep one row per (platform, account, post_id): the one from the latest export.

    Returns the merged posts (sorted by publish time, account, post id) and the number of rows
    dropped per source file.
    """
    if posts.empty:
        return posts, pd.Series(dtype="int64")
    key = ["platform", "account", "post_id"]
    if posts["post_id"].is_unique:  # no key repeats, so nothing to merge (the common case)
        return _sorted(posts.reset_index(drop=True)), pd.Series(dtype="int64")
    order = posts.assign(_order=range(len(posts)))
    order = order.sort_values(["exported_at", "_order"], na_position="first", kind="stable")
    dup = order.duplicated(key, keep="last")
    dropped = order.loc[dup, "source_file"].value_counts()
    kept = order.loc[~dup].drop(columns="_order")
    return _sorted(kept.reset_index(drop=True)), dropped


def _merge_days(frame: pd.DataFrame, exported: Mapping[str, pd.Timestamp | None]
                ) -> tuple[pd.DataFrame, pd.Series]:
    """One row per (platform, account, date) in a ``followers`` or ``daily`` table.

    Overlapping exports repeat days, and files of one account can hold different columns for the
    same day (Meta's daily files hold one metric each). Each column takes its value from the latest
    export that has one (``exported`` maps a source file to its export time; files without one count
    as oldest, and rows of one file keep their order); ``source_file`` names that latest export.
    Rows that name no account merge only with rows of their own file: two such files may be two
    accounts' days (an X account overview's file name names no handle).
    Returns the merged table and the number of rows folded away per source file.
    """
    key = ["platform", "account", "date"]
    apart = 0  # days that files naming no account both hold, kept apart
    if frame["account"].isna().any() and frame["source_file"].nunique() > 1:
        series = frame["account"].astype("string")
        per_file = series.fillna("file:" + frame["source_file"].astype("string"))
        frame = frame.assign(_series=per_file.to_numpy())
        key = ["platform", "_series", "date"]
        unnamed = frame[series.isna().to_numpy()]
        apart = int(unnamed.drop_duplicates(["platform", "_series", "date"])
                    .duplicated(["platform", "date"]).sum())
    if frame.empty or (frame["date"].is_unique if _one_series(frame) else not frame.duplicated(key).any()):
        out = frame.drop(columns="_series", errors="ignore")
        out.attrs["days_kept_apart"] = apart
        return out, pd.Series(dtype="int64")
    stamps = frame["source_file"].map(lambda f: exported.get(f)).astype("datetime64[ns, UTC]")
    order = frame.assign(_exported=stamps, _order=np.arange(len(frame)))
    order = order.sort_values(["_exported", "_order"], na_position="first", kind="stable")
    dropped = order.loc[order.duplicated(key, keep="last"), "source_file"].value_counts()
    # GroupBy.last skips missing values: per column, the latest export that has one
    groups = order.groupby(key, sort=False, dropna=False, observed=True)
    merged = groups.last().reset_index()
    values = [c for c in frame.columns
              if c not in key and c not in ("account", "source_file", "_series")]
    differ = (groups[values].nunique() > 1).any(axis=1) if values else pd.Series(dtype=bool)
    merged = merged[[c for c in frame.columns if c != "_series"]]
    merged.attrs["conflicting_days"] = int(differ.sum())  # read by load() for its notes
    merged.attrs["days_kept_apart"] = apart
    return merged, dropped


def _one_series(frame: pd.DataFrame) -> bool:
    """Whether every row of a ``followers`` or ``daily`` table has the same account and platform."""
    return frame["account"].nunique(dropna=False) <= 1 and frame["platform"].nunique(dropna=False) <= 1


def _by_series_and_day(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` ordered by account, platform and date (left as it is when it already is)."""
    if _one_series(frame) and frame["date"].is_monotonic_increasing:
        return frame.reset_index(drop=True)
    return frame.sort_values(["account", "platform", "date"], kind="stable").reset_index(drop=True)


def _in_order(stamps: pd.Series, accounts: pa.Array, ids: pa.Array) -> bool:
    """Whether rows already run by publish time, then account, then post id, so a stable sort
    would leave them as they are. Accounts may be missing (sorted last, as :func:`_sorted`
    does); a missing time or id always means sorting."""
    if stamps.isna().any() or ids.null_count:
        return False
    t = stamps.array.asi8
    if not (t[1:] >= t[:-1]).all():
        return False
    ties = np.flatnonzero(t[1:] == t[:-1])
    if not len(ties):
        return True
    first, second = pa.array(ties), pa.array(ties + 1)
    a0, a1 = accounts.take(first), accounts.take(second)
    p0, p1 = ids.take(first), ids.take(second)
    if accounts.null_count:
        n0, n1 = pc.is_null(a0), pc.is_null(a1)
        same = pc.or_(pc.and_(n0, n1), pc.fill_null(pc.equal(a0, a1), False))
        before = pc.or_(pc.and_(pc.invert(n0), n1), pc.fill_null(pc.less(a0, a1), False))
    else:
        same, before = pc.equal(a0, a1), pc.less(a0, a1)
    ok = pc.or_(before, pc.and_(same, pc.less_equal(p0, p1)))
    return bool(pc.all(ok).as_py())


def _sorted(posts: pd.DataFrame) -> pd.DataFrame:
    """Posts ordered by publish time, then account and post id (Arrow's multi-key sort)."""
    accounts, ids = _arrow_text(posts["account"]), _arrow_text(posts["post_id"])
    if _in_order(posts["published_at"], accounts, ids):  # exports usually list posts in time order
        return posts
    table = pa.table({
        "t": pa.array(posts["published_at"].array.asi8, mask=posts["published_at"].isna().to_numpy()),
        "a": accounts,
        "p": ids,
    })
    order = pc.sort_indices(table, sort_keys=[("t", "ascending"), ("a", "ascending"),
                                              ("p", "ascending")])
    order = order.to_numpy()
    if (order[1:] > order[:-1]).all():
        return posts
    return posts.take(order).reset_index(drop=True)


#: a post takes the follower history's latest count on or before its publish day, if that count
#: is at most this old; a count from longer ago is not its audience (followers change, purges
#: happen), so such posts keep their followers missing
FOLLOWERS_AT_MOST_DAYS_OLD = 7


def _join_followers(posts: pd.DataFrame, followers: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Fill missing ``posts.followers`` from the follower history, as of the publish day.

    A history row matches posts of its account on its platform; a history without a platform
    (a plain ``date,followers`` file) matches posts of its account on any platform. A post takes
    the latest count on or before its day, at most :data:`FOLLOWERS_AT_MOST_DAYS_OLD` days old.
    Returns the posts, how many were filled, and how many posts of accounts with a history were
    left missing (published before it, after it, or in a gap of its days).
    """
    if followers.empty or posts.empty:  # nothing to join (no follower history loaded)
        return posts, 0, 0
    known = followers.dropna(subset=["followers", "account"])
    if known.empty:
        return posts, 0, 0
    need = posts["followers"].isna() & posts["published_at"].notna()
    if not need.any():
        return posts, 0, 0
    posts = posts.copy()
    filled = 0
    for by_platform in (True, False):
        need = posts["followers"].isna() & posts["published_at"].notna()
        right = known[known["platform"].notna() == by_platform]
        if right.empty or not need.any():
            continue
        left = posts.loc[need, ["account", "platform", "published_at"]].copy()
        left["_day"] = left["published_at"].dt.floor("D")
        left["_idx"] = left.index
        right = right[["account", "platform", "date", "followers"]].rename(columns={"date": "_day"})

        def key(frame):
            text = frame["account"].astype(str)
            return text + "|" + frame["platform"].astype(str) if by_platform else text

        left["_key"] = key(left)
        right = right.assign(_key=key(right))
        joined = pd.merge_asof(left.sort_values("_day"),
                               right[["_key", "_day", "followers"]].sort_values("_day"),
                               on="_day", by="_key", direction="backward",
                               tolerance=pd.Timedelta(days=FOLLOWERS_AT_MOST_DAYS_OLD))
        joined = joined.dropna(subset=["followers"])
        posts.loc[joined["_idx"].to_numpy(), "followers"] = joined["followers"].to_numpy()
        filled += len(joined)
    unmatched = posts["followers"].isna() & posts["published_at"].notna() \
        & posts["account"].isin(known["account"].unique())
    return posts, filled, int(unmatched.sum())


def load(
    paths,
    format: str = "auto",
    account: str | None = None,
    mapping: Mapping[str, str] | None = None,
    *,
    cache: bool = True,
    progress: bool | None = None,
) -> Dataset:
    """Load platform exports into canonical tables.

    Parameters
    ----------
    paths
        A file, a folder (every file in it; the folders inside it are not read, and the
        dataset's ``notes`` name them) or a list of them. Files are never modified.
    format
        ``"auto"`` recognises each file from its header; or a name from :func:`toolkit.formats`
        (a file with fewer than half of that format's signature columns is refused with a
        :class:`DataFormatError` naming them; one that lacks a few, as drifted exports do, loads
        and its report names them).
    account
        Account name for every file of this call that does not name its account in its rows: the
        files that state none need it (a generic CSV without an account column, Instagram and
        Meta exports); it also takes the place of the handle or page in an X or LinkedIn file
        name. An account column inside a file (Hootsuite's ``Facebook Page``) always wins. Load
        several accounts' X files without it: one account= would put them all under one name.
    mapping
        For any other export: canonical column -> the file's column name, e.g.
        ``{"post_id": "ID", "published_at": "Date", "likes": "Hearts"}`` (implies
        ``format="generic"``).
    cache
        Reuse the parsed tables of unchanged files (keyed by the file's content hash).
    progress
        Show a progress bar (default: when more than three files are loaded).

    Returns
    -------
    Dataset
        ``posts``, ``followers``, ``daily``, ``rejected`` and a per-file ``report``.

    Examples
    --------
    >>> ds = load("data/real/dataset_Facebook.csv")
    >>> int(ds.report.loc[0, "rows_read"]), len(ds.posts) + len(ds.rejected)
    (500, 500)
    """
    from toolkit.loading import cache as file_cache

    if account is not None and not (isinstance(account, str) and account.strip()):
        raise DataFormatError("expected an account name (text) or None", parameter="account",
                              found=repr(account))
    if mapping is not None and format not in ("auto", "generic"):  # it would go unread
        raise DataFormatError(f"mapping= is for the generic format; format {format!r} maps its own "
                              "columns: pass one of them", parameter="mapping", found=mapping)
    files, repeated, inner, named = _as_paths(paths)
    keys: list[str | None] = [None] * len(files)
    whole = None
    if cache and file_cache.cache_dir() is not None:
        keys = [file_cache.key_for(p, format=format, account=account, mapping=mapping) for p in files]
        whole = file_cache.dataset_key(keys, format=format, account=account, mapping=mapping)
        hit = file_cache.get_dataset(whole)
        if hit is not None:
            return _registered(_say_unread(hit, repeated, inner))
    per_file = len(files) > 1  # one file: the whole-load entry is the file's entry
    show = len(files) > 3 if progress is None else progress
    iterator = zip(files, keys)
    if show:
        from toolkit.progress import progress_bar

        iterator = progress_bar(iterator, total=len(files), desc="loading", unit="file")
    results: list[tuple[Path, str, Parsed]] = []
    documents: list[Path] = []  # a folder's files that are no export (a README, a description)
    for path, key in iterator:
        hit = file_cache.get(key) if key and per_file else None
        if hit is not None:
            name, parsed = hit
        else:
            try:
                name, parsed = _parse_one(path, format, account, mapping)
            except DataFormatError as exc:
                if (getattr(exc, "unrecognised", False) and path.suffix.lower() in _DOCUMENT_SUFFIXES
                        and path.resolve() not in named):
                    documents.append(path)
                    continue
                raise
            if key and per_file:
                file_cache.put(key, name, parsed)
        results.append((path, name, parsed))
    if not results:
        raise DataFormatError("expected at least one export file; the folder holds documents only",
                              parameter="paths", found=[str(p) for p in documents])
    dataset = assemble(results, account=account)
    if documents:
        dataset.notes.append("not read: files in the folder that are no export of a known format "
                             "(documents): " + ", ".join(map(str, documents)))
    if whole is not None:
        file_cache.put_dataset(whole, dataset)
    return _registered(_say_unread(dataset, repeated, inner))


def _registered(dataset: Dataset) -> Dataset:
    """``dataset``, its handles and post texts registered for a redacted report as it is loaded
    (:func:`toolkit.display.note_data`; nothing happens outside a redacting report build), so that
    data a notebook shows without keeping it in a variable is known too."""
    display.note_data(dataset)
    return dataset


def _say_unread(dataset: Dataset, repeated: list[Path], inner: list[Path]) -> Dataset:
    """The dataset with notes on the files named twice and the folders that were not read."""
    notes = list(dataset.notes)
    if repeated:
        notes.append(f"named more than once, loaded once: {', '.join(map(str, repeated))}")
    if inner:
        notes.append("folders inside a folder are not read (pass them to load them): "
                     + ", ".join(map(str, inner)))
    dataset.notes = notes
    return dataset


#: the empty canonical tables, built once (a load of a daily file has no posts, and so on)
_EMPTY: dict[str, pd.DataFrame] = {}


def _frames(results, attr: str, schema) -> pd.DataFrame:
    frames = [getattr(p, attr) for _, _, p in results if getattr(p, attr) is not None]
    frames = [_conformed(f, schema, attr) for f in frames if len(f)]
    if not frames:
        if attr not in _EMPTY:
            _EMPTY[attr] = pd.DataFrame({c: pd.Series(dtype=d) for c, d in schema.items()})
        return _EMPTY[attr].copy(deep=False)  # Copy-on-Write: a caller's change stays its own
    if len(frames) == 1:  # one file: nothing to concatenate
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)


def _conformed(frame: pd.DataFrame, schema, attr: str) -> pd.DataFrame:
    """One file's table in the canonical dtypes; a mismatch names the file that produced it."""
    try:
        return conform(_with_missing(frame, schema), schema, name=attr)
    except SchemaError as exc:
        files = frame["source_file"].dropna().unique() if "source_file" in frame.columns else []
        if exc.file is not None or len(files) != 1:
            raise
        raise SchemaError(exc.message, file=files[0], row=exc.row, column=exc.column,
                          parameter=exc.parameter, found=exc.found) from None


def _with_missing(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """``frame`` plus the schema's columns it lacks, all missing, built in their dtypes without
    per-cell work (``conform`` would fill them cell by cell). Columns without a default (``bool``)
    are left for ``conform`` to report."""
    missing = {c: constant(None, d, frame.index) for c, d in schema.items()
               if c not in frame.columns and str(d) != "bool"}
    if not missing:
        return frame
    return pd.DataFrame({**{c: frame[c] for c in frame.columns}, **missing}, index=frame.index, copy=False)


def assemble(results: list[tuple[Path, str, Parsed]], account: str | None = None) -> Dataset:
    """Combine per-file results: merge overlapping exports, join followers, account rows."""
    notes: list[str] = []
    for path, _, parsed in results:
        if parsed.posts is not None and len(parsed.posts):
            if "exported_at" not in parsed.posts or parsed.posts["exported_at"].isna().all():
                parsed.posts = parsed.posts.assign(exported_at=parsed.exported_at)
            if account is not None:
                parsed.posts = parsed.posts.assign(account=parsed.posts["account"].fillna(account)
                                                   if "account" in parsed.posts else account)
        for table in ("followers", "daily"):
            frame = getattr(parsed, table)
            if account is not None and frame is not None and len(frame):
                setattr(parsed, table, frame.assign(
                    account=frame["account"].fillna(account) if "account" in frame else account))
    posts = _frames(results, "posts", POSTS)
    followers = _frames(results, "followers", FOLLOWERS)
    daily = _frames(results, "daily", DAILY)
    rejected = _frames(results, "rejected", REJECTED)
    posts, dropped = _merge_posts(posts)
    exported = {str(path): parsed.exported_at for path, _, parsed in results}
    followers, dropped_followers = _merge_days(followers, exported)
    daily, dropped_daily = _merge_days(daily, exported)
    for name, table in (("followers", followers), ("daily", daily)):
        if conflicts := table.attrs.pop("conflicting_days", 0):
            notes.append(f"{name}: {conflicts:,} {'day is' if conflicts == 1 else 'days are'} given "
                         "more than once with different values; each value is the latest export's "
                         "(within a file, its last row's)")
        if apart := table.attrs.pop("days_kept_apart", 0):
            notes.append(f"{name}: {apart:,} {'day is' if apart == 1 else 'days are'} in several files "
                         "that name no account, kept apart as they may be different accounts' (pass "
                         "account= if they are one account's)")
    posts, joined, unmatched = _join_followers(posts, followers)
    if joined:
        notes.append(f"followers at publish time for {joined:,} posts come from the follower history "
                     f"(its latest count on or before the publish day, at most "
                     f"{FOLLOWERS_AT_MOST_DAYS_OLD} days old)")
    if unmatched:
        notes.append(f"followers at publish time stay missing for {unmatched:,} posts of accounts with "
                     f"a follower history: it has no count from their publish day or the "
                     f"{FOLLOWERS_AT_MOST_DAYS_OLD} days before (posts before or after the history, "
                     "or in a gap of its days)")
    followers, daily = _by_series_and_day(followers), _by_series_and_day(daily)
    rows = []
    for path, name, parsed in results:
        source = str(path)
        loaded = parsed.rows_loaded if parsed.rows_loaded is not None else \
            sum(len(t) for t in (parsed.posts, parsed.followers, parsed.daily) if t is not None)
        merged = int(dropped.get(source, 0)) + int(dropped_daily.get(source, 0))
        if "followers" not in parsed.derived_tables:
            merged += int(dropped_followers.get(source, 0))
        rows.append({
            "source_file": source, "format": name, "account": parsed.account, "rows_read": parsed.rows_read,
            "rows_loaded": loaded - merged,
            "rows_rejected": 0 if parsed.rejected is None else len(parsed.rejected),
            "duplicates_merged": merged, "summary_rows": parsed.summary_rows,
            "encoding": parsed.encoding, "notes": "; ".join(parsed.notes),
        })
    report = pd.DataFrame(rows).astype(dict(REPORT))
    validate_posts(posts)
    validate_followers(followers)
    return Dataset(posts=posts, followers=followers, daily=daily,
                   rejected=rejected.reset_index(drop=True), report=report, notes=notes)
