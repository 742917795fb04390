"""Reading export files into tables of raw strings, whatever their encoding and damage.

:func:`sniff` decodes the start of a file (BOM, UTF-8, UTF-16, a cp1252 fallback for the lines
that are not UTF-8) so a format can be recognised from its header; :func:`read_csv_table` then
reads every record as text, keeping the spreadsheet row number of each record and setting aside
records with the wrong number of fields.
Parsing values is left to :mod:`toolkit.loading.parse`.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from toolkit.errors import DataFormatError
from toolkit.loading.parse import normalise_header

__all__ = ["Sniff", "RawTable", "sniff", "read_csv_table", "unique_names"]

_HEAD_BYTES = 256 * 1024


@dataclass
class Sniff:
    """The first lines of a text file, decoded, and how it was decoded."""

    path: Path
    #: ``utf-8``, ``utf-8-sig``, ``utf-16-le``, ``utf-16-be``, or ``cp1252`` when the head is not
    #: valid UTF-8 (its lines that are not valid UTF-8 were read as cp1252, the others as UTF-8)
    encoding: str
    bom: bool
    lines: list[str]
    sep: str
    #: physical line breaks inside the sniffed head ("\r\n", "\n", or "\r" alone as in a classic Mac file)
    newline: str

    def header_candidates(self, max_line: int) -> list[tuple[int, list[str]]]:
        """``(line_index, normalised field names)`` for the first ``max_line`` lines."""
        out = []
        for i, line in enumerate(self.lines[:max_line]):
            try:
                fields = next(csv.reader([line], delimiter=self.sep), [])
            except csv.Error:
                fields = []
            out.append((i, [normalise_header(f) for f in fields]))
        return out


@dataclass
class RawTable:
    """Every data record of one file as strings.

    ``frame`` has one column per header field (normalised names, repeats suffixed ``#2``, ``#3``)
    and a ``source_row`` column: the row number a spreadsheet shows for the record (the header is
    the row after any preamble lines). ``header`` keeps the original field names.
    ``invalid`` lists records that could not be split into the header's fields.
    """

    path: Path
    frame: pd.DataFrame
    header: list[str]
    encoding: str
    invalid: list[tuple[int | None, str, str]] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)
    #: only some columns were read (see ``read_csv_table(columns=...)``)
    partial: bool = False
    sep: str = ","
    reread: Callable[[], "RawTable"] | None = field(default=None, repr=False)

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != "source_row"]

    def records(self, rows: pd.Index, sep: str | None = None) -> list[str]:
        """The cells of ``rows`` (labels of ``frame``) joined back into one line each.

        A partial table reads the whole records again (only done for rejected rows).
        """
        if not len(rows):
            return []
        sep = self.sep if sep is None else sep
        frame, labels = self.frame, rows
        if self.partial and self.reread is not None:
            full = self.reread().frame
            wanted = self.frame.loc[rows, "source_row"]
            frame = full.set_index("source_row", drop=False)
            labels = pd.Index(wanted.to_numpy())
        cells = frame.loc[labels, [c for c in frame.columns if c != "source_row"]].astype("string")
        return cells.fillna("").agg(sep.join, axis=1).tolist()


_LINE_BREAK = re.compile(rb"[\r\n]")
_BLOCK_BYTES = 1 << 16  #: :func:`_decode_by_line` decodes blocks of whole lines of about this size


def _decode_by_line(data: bytes) -> tuple[str, int, bool]:
    r"""Decode ``data`` as UTF-8, except the lines that are not valid UTF-8: those are read as cp1252.

    A file assembled from several sources (an export with one row pasted from a legacy Windows
    program) can hold both; reading it whole as cp1252 would turn its UTF-8 text into mojibake
    (an emoji into ``ðŸš€``). Line breaks are the same bytes in both encodings and never part of a
    multi-byte UTF-8 character, so the data is decoded in blocks of whole lines: a block that is
    valid UTF-8 at once, a block without a single UTF-8 character as cp1252 at once (its ASCII
    lines read the same either way), and any other block line by line.

    Returns the text, how many lines were read as cp1252, and whether a line read as UTF-8 holds
    anything but ASCII (if none does, the file is plain cp1252).

    >>> _decode_by_line("naïve\n🚀\n".encode("utf-8") + "café\n".encode("cp1252"))
    ('naïve\n🚀\ncafé\n', 1, True)
    """
    parts: list[str] = []
    fallback_lines = 0
    utf8_text = False
    position = 0
    while position < len(data):
        line_break = _LINE_BREAK.search(data, position + _BLOCK_BYTES)
        end = line_break.end() if line_break else len(data)
        block = data[position:end]
        position = end
        try:
            decoded = [(block.decode("utf-8"), True)]
        except UnicodeDecodeError:
            if block.decode("utf-8", errors="ignore").isascii():  # not one UTF-8 character
                parts.append(block.decode("cp1252", errors="replace"))
                fallback_lines += sum(not line.isascii() for line in block.splitlines())
                continue
            decoded = [_decode_line(line) for line in block.splitlines(keepends=True)]
        for text, is_utf8 in decoded:
            parts.append(text)
            if is_utf8:
                utf8_text = utf8_text or not text.isascii()
            else:
                fallback_lines += 1
    return "".join(parts), fallback_lines, utf8_text


def _decode_line(line: bytes) -> tuple[str, bool]:
    """One line as UTF-8 if it is valid UTF-8, else as cp1252; and whether it was UTF-8."""
    try:
        return line.decode("utf-8"), True
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace"), False


def _encoding_name(base: str, fallback_lines: int, utf8_text: bool) -> str:
    """The encoding to report for a file read by :func:`_decode_by_line`.

    ``base`` is the encoding the file was taken for; the name says how many lines fell back.

    >>> _encoding_name("utf-8", 0, True), _encoding_name("utf-8", 2, False)
    ('utf-8', 'cp1252')
    >>> _encoding_name("utf-8", 1, True), _encoding_name("utf-8-sig", 3, False)
    ('utf-8, 1 line cp1252', 'utf-8-sig, 3 lines cp1252')
    """
    if not fallback_lines:
        return base
    lines = f"{fallback_lines} line{'' if fallback_lines == 1 else 's'} cp1252"
    if base == "utf-8-sig":  # the byte order mark says the file is meant to be UTF-8
        return f"utf-8-sig, {lines}"
    return f"utf-8, {lines}" if utf8_text else "cp1252"


def _decode_head(data: bytes) -> tuple[str, str, bool]:
    if data.startswith(codecs.BOM_UTF8):
        return _decode_by_line(data[3:])[0], "utf-8-sig", True
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le", errors="replace"), "utf-16-le", True
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", errors="replace"), "utf-16-be", True
    if len(data) > 3 and data[1] == 0 and data[3] == 0:
        return data.decode("utf-16-le", errors="replace"), "utf-16-le", False
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError as exc:
        if exc.start > len(data) - 4:  # a character cut at the end of the sniffed block
            return data[: exc.start].decode("utf-8"), "utf-8", False
        return _decode_by_line(data)[0], "cp1252", False


def sniff(path: Path, *, sep: str | None = None, lines: int = 12) -> Sniff:
    """Decode the head of ``path``: encoding, first lines and field separator.

    A ``sep=;`` preamble line (Excel's hint) sets the separator; otherwise the most frequent of
    ``,``, ``;`` and tab in the first line is taken.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise DataFormatError("cannot read the file", file=path, found=exc.strerror) from None
    if not data.strip():
        raise DataFormatError("expected a header row", file=path, found="an empty file")
    text, encoding, bom = _decode_head(data)
    sample = text[:10000]
    # a classic Mac file ends records with "\r" alone (its cells may still break lines with "\n")
    newline = "\r\n" if "\r\n" in sample else "\r" if sample.count("\r") > sample.count("\n") else "\n"
    head = text.splitlines()[:lines]
    if sep is None:
        first = head[0] if head else ""
        if first.lower().startswith("sep=") and len(first) >= 5:
            sep = first[4]
        else:
            sep = max([",", ";", "\t"], key=first.count)
    return Sniff(path=path, encoding=encoding, bom=bom, lines=head, sep=sep, newline=newline)


def unique_names(names: list[str]) -> list[str]:
    """Normalise header names and make repeats unique (``x``, ``x#2``, ...).

    >>> unique_names(["Views", "views ", "Likes"])
    ['views', 'views#2', 'likes']
    """
    seen: dict[str, int] = {}
    out = []
    for name in names:
        key = normalise_header(name)
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return out


def _file_bytes(path: Path, encoding: str) -> tuple[bytes, str]:
    """The whole file as UTF-8 bytes without a byte order mark, and the encoding to report.

    A UTF-8 file is returned as it is (even if it is not valid UTF-8 past the sniffed head:
    :func:`read_csv_table` checks that only when the fast reader fails).
    """
    data = path.read_bytes()
    if encoding == "utf-8-sig":
        return data[3:], encoding
    if encoding in {"utf-16-le", "utf-16-be"}:
        start = 2 if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else 0
        end = len(data) - (len(data) - start) % 2  # a file cut mid-character: half a character is none
        return data[start:end].decode(encoding).encode("utf-8"), encoding
    if encoding == "cp1252":
        text, fallback_lines, utf8_text = _decode_by_line(data)
        return text.encode("utf-8"), _encoding_name("utf-8", fallback_lines, utf8_text)
    return data, encoding


def _header_and_offset(data: bytes, header_line: int, sep: str) -> tuple[list[str], int, list[str]]:
    """The header fields, the byte offset where data starts, and the preamble lines."""
    stream = io.BytesIO(data)
    preamble = []
    for _ in range(header_line):
        preamble.append(stream.readline().decode("utf-8", errors="replace").rstrip("\r\n"))
    start = stream.tell()
    # The header may itself hold quoted newlines: read records until one is complete.
    buffer = b""
    while True:
        line = stream.readline()
        if not line:
            break
        buffer += line
        if buffer.count(b'"') % 2 == 0:
            break
    try:
        fields = next(csv.reader([buffer.decode("utf-8", errors="replace").rstrip("\r\n")], delimiter=sep), [])
    except csv.Error as exc:
        raise DataFormatError("cannot split the header row into fields", row=header_line + 1,
                              found=str(exc)) from None
    if not fields or not any(f.strip() for f in fields):
        raise DataFormatError("expected a header row", row=header_line + 1, found="an empty line")
    return fields, start + len(buffer), preamble


def _head_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(_HEAD_BYTES)


def read_csv_table(path: Path, sniffed: Sniff, *, header_line: int = 0, skip_after_header: int = 0,
                   columns: list[str] | None = None) -> RawTable:
    """Read every record of a delimited file as text.

    Parameters
    ----------
    path, sniffed
        The file and what :func:`sniff` found.
    header_line
        0-based index of the header line (lines before it are a preamble).
    skip_after_header
        Records directly under the header that are not data (e.g. a description row).
    columns
        Normalised names of the only columns to keep (others are not converted at all); the
        table is then ``partial`` and :meth:`RawTable.records` re-reads whole records on demand.

    Records with more or fewer fields than the header go to ``RawTable.invalid`` with the reason.
    A fast multi-threaded reader (pyarrow) streams clean UTF-8 files straight from disk; other
    encodings are transcoded in memory; files with broken records are re-read with Python's csv
    module so every record keeps its exact row number. In a file that is not valid UTF-8 as a
    whole, only the lines that are not are read as cp1252, and ``RawTable.encoding`` says how many
    (e.g. ``utf-8, 1 line cp1252``; ``cp1252`` when no other line holds UTF-8 beyond ASCII).
    """
    path = Path(path)
    sep = sniffed.sep
    direct = sniffed.encoding in ("utf-8", "utf-8-sig") and sniffed.newline != "\r"
    data: bytes | None = None
    encoding = sniffed.encoding
    if direct:
        head = _head_bytes(path)
        bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
        header, offset, preamble = _header_and_offset(head[bom:], header_line, sep)
        size = path.stat().st_size
        if bom + offset >= len(head) and size > len(head):  # the header runs past the head
            direct = False
        start = bom + offset
    if not direct:
        data, encoding = _file_bytes(path, sniffed.encoding)
        if sniffed.newline == "\r":  # the readers below end lines at "\n" (Arrow also at "\r")
            data = data.replace(b"\r", b"\n")
        header, offset, preamble = _header_and_offset(data, header_line, sep)
        start, size = offset, len(data)
    names = unique_names(header)
    keep = list(range(len(names))) if columns is None else \
        [i for i, n in enumerate(names) if n in set(columns)]
    first_row = header_line + 2  # spreadsheet row of the first record under the header
    invalid: list[tuple[int | None, str, str]] = []

    frame = None
    if size - start > (1 << 16) or _has_text(path, data, start):
        try:
            if data is None:
                with pa.OSFile(str(path)) as stream:
                    stream.seek(start)
                    frame = _read_fast(stream, len(names), sep, keep)
            else:
                frame = _read_fast(pa.BufferReader(pa.py_buffer(memoryview(data)[start:])),
                                   len(names), sep, keep)
        except (pa.ArrowInvalid, _Broken):
            frame = None
        if frame is None:
            if data is None:
                data, encoding = _file_bytes(path, sniffed.encoding)
                start = len(data) - (size - start)
            body = bytes(memoryview(data)[start:])
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:  # valid UTF-8 in the sniffed head only: some later lines are not
                text, fallback_lines, utf8_text = _decode_by_line(body)
                body = text.encode("utf-8")
                encoding = _encoding_name(encoding, fallback_lines, utf8_text or not data[:start].isascii())
            frame, invalid = _read_exact(body, len(names), sep, first_row)
            frame = frame[keep + ["source_row"]]
    else:
        frame = pd.DataFrame({i: pd.Series(dtype="string") for i in keep})
        frame["source_row"] = pd.Series(dtype="Int64")
    cut = len(frame) > 0 and _ends_inside_quotes(path, data, start, sep)  # the readers keep what is left
    del data

    if "source_row" not in frame.columns:
        rows = np.arange(first_row, first_row + len(frame), dtype=np.int64)
        frame["source_row"] = pd.arrays.IntegerArray(rows, np.zeros(len(rows), dtype=bool))
    frame.columns = [names[i] for i in keep] + ["source_row"]
    last = frame.index[-1] if len(frame) else None
    if cut and not any(r is not None and r > frame.at[last, "source_row"] for r, _, _ in invalid):
        cells = frame.loc[last, [names[i] for i in keep]].fillna("").astype(str)
        invalid.append((int(frame.at[last, "source_row"]), "the file ends inside a quoted cell: the record "
                        "was cut off (an interrupted download or copy?)", sep.join(cells)))
        frame = frame.drop(index=last)
    if skip_after_header:
        frame = frame.iloc[skip_after_header:]
    partial = len(keep) < len(names)
    table = RawTable(path=path, frame=frame, header=[header[i] for i in keep], encoding=encoding,
                     invalid=invalid, preamble=preamble)
    if partial:
        table.partial = True
        table.reread = lambda: read_csv_table(path, sniffed, header_line=header_line,
                                              skip_after_header=skip_after_header)
    table.sep = sep
    return table


def _has_text(path: Path, data: bytes | None, start: int) -> bool:
    """Whether a small file has anything but whitespace after its header."""
    if data is None:
        with open(path, "rb") as handle:
            handle.seek(start)
            return bool(handle.read().strip())
    return bool(data[start:].strip())


def _ends_inside_quotes(path: Path, data: bytes | None, start: int, sep: str) -> bool:
    """Whether the records after ``start`` end inside a quoted cell, as a file cut off mid-record does.

    Only a file that does not end in a line break is checked. Counting quotes is not enough: an
    inch mark in an unquoted cell (``Shaping a 12" boule``) is text to the readers, and would make
    an intact last record look cut. So the records are scanned as the readers split them (see
    :func:`_records_pattern`); a file that does not scan to its end stops inside a quoted cell.
    """
    if data is None:
        with open(path, "rb") as handle:
            handle.seek(-1, io.SEEK_END)
            if handle.read(1) in (b"\n", b"\r"):
                return False
            handle.seek(start)
            data, start = handle.read(), 0
    elif data[-1:] in (b"\n", b"\r"):
        return False
    return _records_pattern(sep).fullmatch(data, start) is None


@functools.lru_cache
def _records_pattern(sep: str) -> re.Pattern[bytes]:
    r"""A pattern matching records that end outside a quoted cell, as the readers (Arrow, csv) split them.

    A ``"`` opens a quoted cell only at the start of a field (after the separator, a line break or
    the start of the records); inside, ``""`` is a quote and the next single ``"`` closes the cell.
    Any other ``"`` is text. The quantifiers are possessive, so a quoted cell that is never closed
    is not re-read as text: the match stops there.

    >>> intact = _records_pattern(",").fullmatch
    >>> bool(intact(b'1,"a, b"\n2,Shaping a 12" boule')), bool(intact(b'1,"a, b"\n2,"Shaping a'))
    (True, False)
    """
    s = re.escape(sep.encode())
    field_start = rb"(?<![^" + s + rb"\r\n])"  # preceded by a separator, a line break or nothing
    mid_field = rb"(?<=[^" + s + rb"\r\n])"
    return re.compile(rb'(?:[^"]++|' + field_start + rb'"(?:[^"]++|"")*+"|' + mid_field + rb'")*+')


class _Broken(Exception):
    pass


def _read_fast(stream, n_fields: int, sep: str, keep: list[int]) -> pd.DataFrame:
    blank_lines, broken = [], []

    def handle(row):
        # Arrow ignores exceptions raised here, so problems are collected and raised after.
        if not row.text.strip(sep + " \r\n"):
            blank_lines.append(row.number)  # a line of spaces or separators is not a record
        else:
            broken.append(row.text)  # a broken record: the exact reader gives it a row number
        return "skip"

    def unreadable(unraisable):
        # A broken record that is not valid UTF-8 never reaches `handle`: Arrow fails to decode it
        # and reports that as an unraisable error. It is a broken record like any other.
        if unraisable.object is handle:
            broken.append(None)
        else:
            previous(unraisable)

    names = [f"c{i}" for i in range(n_fields)]
    previous, sys.unraisablehook = sys.unraisablehook, unreadable
    try:
        table = _arrow_read(stream, names, sep, keep, handle)
    finally:
        sys.unraisablehook = previous
    # Arrow reads an empty line as a record of empty cells (the handler never sees it); so does a
    # line of separators. Either is not a record: the exact reader, which sees every field, skips
    # them while counting rows (a record whose kept cells are all empty may still have others).
    if blank_lines or broken or _all_empty_row(table):
        raise _Broken("blank lines or broken records")
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow"),
                                          pa.large_string(): pd.StringDtype("pyarrow")}.get,
                            self_destruct=True, split_blocks=True)
    del table
    frame.columns = keep
    return frame


def _arrow_read(stream, names: list[str], sep: str, keep: list[int], handle) -> pa.Table:
    return pacsv.read_csv(
        stream,
        read_options=pacsv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 20),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True,
                                         ignore_empty_lines=False, invalid_row_handler=handle),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, include_columns=[names[i] for i in keep],
            strings_can_be_null=False, quoted_strings_can_be_null=False),
    )


def _all_empty_row(table: pa.Table) -> bool:
    """Whether some row has only empty (or blank) cells, checked column by column while any is left."""
    rows = None
    for column in table.columns:
        empty = pc.equal(pc.utf8_trim_whitespace(column), "")
        rows = empty if rows is None else pc.and_(rows, empty)
        if not pc.any(rows).as_py():
            return False
    return rows is not None


def _read_exact(body, n_fields: int, sep: str, first_row: int):
    text = bytes(body).decode("utf-8", errors="replace")
    rows, numbers, invalid = [], [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    row_number = first_row
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            invalid.append((row_number, f"cannot split the record into fields ({exc})", ""))
            row_number += 1
            continue
        if all(not f.strip() for f in record):
            # a blank line, or a line of empty cells as spreadsheets append: not a record, but a
            # row a spreadsheet shows, so the rows after it keep their numbers
            row_number += 1
            continue
        if len(record) != n_fields:
            raw = sep.join(record)
            invalid.append((row_number, f"expected {n_fields} fields, found {len(record)}", raw))
        else:
            rows.append(record)
            numbers.append(row_number)
        row_number += 1
    frame = pd.DataFrame(rows, columns=range(n_fields), dtype="string") if rows else \
        pd.DataFrame({i: pd.Series(dtype="string") for i in range(n_fields)})
    frame["source_row"] = pd.array(numbers, dtype="Int64")
    return frame, invalid
