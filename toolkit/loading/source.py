"""What a format parser receives (:class:`Source`) and returns (:class:`Parsed`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.loading.readers import RawTable, Sniff, read_csv_table
from toolkit.schema import REJECTED

__all__ = ["Source", "Parsed", "rejected_frame"]


@dataclass
class Source:
    """One input file as seen by a format's parser."""

    path: Path
    format: Any  # toolkit.loading.registry.Format
    sniff: Sniff | None = None
    header_line: int = 0
    account: str | None = None
    mapping: dict[str, str] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: with a forced ``format=``: the signature columns the file lacks, and the error to raise if
    #: its parser cannot do without them (see ``toolkit.loading.core._source_for``)
    lacking: tuple[str, ...] = ()
    not_this_format: Exception | None = field(default=None, repr=False)
    #: the last table read by :meth:`table` (so the loader can account for broken records)
    raw: RawTable | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    def table(self, columns: list[str] | None = None) -> RawTable:
        """All records of the file as strings (see :func:`toolkit.loading.readers.read_csv_table`).

        ``columns`` (normalised names) limits the columns read, for speed on large files.
        """
        if self.sniff is None:
            raise TypeError(f"{self.path} is not a delimited text file")
        self.raw = read_csv_table(self.path, self.sniff, header_line=self.header_line,
                                  skip_after_header=self.format.skip_after_header, columns=columns)
        return self.raw


def rejected_frame(source_file: str, rows, reasons, raws) -> pd.DataFrame:
    """A ``rejected`` table from parallel sequences of row numbers, reasons and raw text."""
    frame = pd.DataFrame({"source_file": source_file, "source_row": list(rows),
                          "reason": list(reasons), "raw": list(raws)})
    return frame.astype(dict(REJECTED)) if len(frame) else pd.DataFrame(
        {c: pd.Series(dtype=d) for c, d in REJECTED.items()})


@dataclass
class Parsed:
    """What one file contributed.

    ``rows_read`` counts data records (not headers, preambles, description or summary rows);
    every one of them is in ``posts``/``followers``/``daily`` or in ``rejected``.
    """

    rows_read: int
    #: records that became rows (set when one record feeds several tables, e.g. a daily file's
    #: record feeding both ``daily`` and ``followers``); default: rows in posts+followers+daily
    rows_loaded: int | None = None
    #: tables filled from records that another table already counts (the follower flows of an X
    #: daily file): a repeated day merged away there is not counted as a second merged record
    derived_tables: tuple[str, ...] = ()
    posts: pd.DataFrame | None = None
    followers: pd.DataFrame | None = None
    daily: pd.DataFrame | None = None
    rejected: pd.DataFrame | None = None
    summary_rows: int = 0
    encoding: str = ""
    exported_at: pd.Timestamp | None = None
    notes: list[str] = field(default_factory=list)
    #: the account the file was read for (``load(account=)`` or its file name; an account column in
    #: its rows overrides it): the report names it even when no row is kept
    account: str | None = None
