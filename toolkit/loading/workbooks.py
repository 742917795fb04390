"""Reading spreadsheet exports (``.xlsx``, ``.xls``, SpreadsheetML XML, ``.ods``) as tables of strings.

Platforms export workbooks in three shapes: Office Open XML (``.xlsx``, a zip), the older
SpreadsheetML 2003 XML, which Facebook names ``.xls`` although it is plain XML, and binary Excel
97-2003 ``.xls`` (LinkedIn's page exports); a user who re-saved one in LibreOffice may bring an
OpenDocument ``.ods``. All are read into :class:`Sheet` objects: every row with its spreadsheet row number and its cells as text, the
same text a CSV export of the sheet would hold. :func:`sheet_table` then cuts a
:class:`~toolkit.loading.readers.RawTable` out of a sheet, so a workbook format is parsed by the
same code as a CSV one.

The kind of file is recognised from its first bytes, never from its name. Numbers are written as
a spreadsheet shows them: whole numbers without ``.0``, large numbers in scientific notation (a
19-digit post id stored as a number has lost digits and must look like it), dates and times in
ISO form.

>>> kind_of("data/real/dataset_Facebook.csv") is None
True
"""

from __future__ import annotations

import datetime as _dt
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.errors import DataFormatError
from toolkit.loading.parse import normalise_header
from toolkit.loading.readers import RawTable, unique_names

__all__ = [
    "Sheet",
    "kind_of",
    "read_workbook",
    "find_sheet",
    "sheet_table",
    "workbook_header",
    "cell_text",
]

_SS = "urn:schemas-microsoft-com:office:spreadsheet"
_Q = "{" + _SS + "}"


@dataclass
class Sheet:
    """One worksheet: its name and its rows as ``(row number, cells as text)``.

    Row numbers are the ones a spreadsheet shows (the first row is 1); rows with no cells are
    absent. Trailing empty cells are dropped.
    """

    name: str
    rows: list[tuple[int, list[str]]]

    def row(self, number: int) -> list[str]:
        """The cells of spreadsheet row ``number`` (empty when the row is blank)."""
        for n, cells in self.rows:
            if n == number:
                return cells
        return []


#: first bytes of an OLE2 compound document, the container of binary Excel 97-2003 workbooks
_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")


#: an OpenDocument spreadsheet starts with its stored ``mimetype`` member
_ODS = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"


def kind_of(path: Path | str) -> str | None:
    """``"xlsx"``, ``"xml"`` (SpreadsheetML 2003), ``"xls"`` (binary Excel 97-2003), ``"ods"``
    (OpenDocument) or None, from the file's first bytes."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    if head.startswith(b"PK\x03\x04"):
        return "ods" if _ODS in head[:200] else "xlsx"
    if head.startswith(_OLE2):
        return "xls"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<?xml") or text.startswith(b"<Workbook"):
        return "xml" if b"urn:schemas-microsoft-com:office:spreadsheet" in head or b"<Workbook" in head else None
    return None


def cell_text(value: object) -> str:
    """A cell value as the text a CSV export of the sheet would hold.

    >>> [cell_text(v) for v in (None, 215.0, 0.0051546389999999999, 1.47689e18, True)]
    ['', '215', '0.005154639', '1.47689e+18', 'TRUE']
    >>> cell_text(_dt.datetime(2020, 6, 29, 12, 45, 27))
    '2020-06-29T12:45:27'
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


_CACHE: OrderedDict[tuple, OrderedDict[str, Sheet]] = OrderedDict()


def read_workbook(path: Path | str) -> OrderedDict[str, Sheet]:
    """Every sheet of a workbook, in order, keyed by sheet name.

    The last two workbooks read are remembered (by path, size and modification time), since
    detection and parsing read the same file; :func:`clear_cache` forgets them.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise DataFormatError("cannot read the file", file=path, found=exc.strerror) from None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    kind = kind_of(path)
    if kind == "xlsx":
        sheets = _read_xlsx(path)
    elif kind == "xml":
        sheets = _read_spreadsheetml(path)
    elif kind in ("xls", "ods"):
        sheets = _read_calamine(path, _CALAMINE_KINDS[kind])
    else:
        raise DataFormatError("expected an .xlsx, .xls or .ods workbook or SpreadsheetML XML",
                              file=path, found="none of them (the first bytes are not a zip, an "
                                               "XML workbook or an OLE2 document)")
    _CACHE[key] = sheets
    while len(_CACHE) > 2:
        _CACHE.popitem(last=False)
    return sheets


def _sheet(name: str, values) -> Sheet:
    """A :class:`Sheet` from the cell values of every row from row 1 on (blank rows dropped)."""
    rows = []
    for number, row in enumerate(values, start=1):
        cells = [cell_text(v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            rows.append((number, cells))
    return Sheet(name, rows)


def _read_xlsx(path: Path) -> OrderedDict[str, Sheet]:
    import zipfile

    import openpyxl

    # openpyxl is handed the open file, not its name: given a name, it refuses any that does not
    # end in .xlsx/.xlsm, and the kind was already read from the bytes (an .xlsx named .xls or
    # with no extension is still an .xlsx). In read-only mode rows are read lazily, so the file
    # stays open until every sheet is read.
    with open(path, "rb") as handle:
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError,
                openpyxl.utils.exceptions.InvalidFileException) as exc:
            raise DataFormatError("cannot open the workbook", file=path, found=str(exc)) from None
        sheets: OrderedDict[str, Sheet] = OrderedDict()
        try:
            for ws in book.worksheets:
                sheets[ws.title] = _sheet(ws.title, ws.iter_rows(values_only=True))
        finally:
            book.close()
    return sheets


_CALAMINE_KINDS = {"xls": "Excel 97-2003 workbook", "ods": "OpenDocument spreadsheet"}


def _read_calamine(path: Path, what: str) -> OrderedDict[str, Sheet]:
    """A binary Excel 97-2003 or an OpenDocument workbook, read with calamine. Date cells become
    ISO text, as in the other workbook shapes; error cells (``#N/A``) are read as empty."""
    from python_calamine import CalamineError, CalamineWorkbook

    sheets: OrderedDict[str, Sheet] = OrderedDict()
    try:
        # From the bytes, not the name: ``from_path`` picks its reader by the file's extension (an
        # .xls named .xlsx would be read as a zip), ``from_filelike`` by the content.
        with open(path, "rb") as handle, CalamineWorkbook.from_filelike(handle) as book:
            for name in book.sheet_names:
                values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)  # from A1
                sheets[name] = _sheet(name, values)
    except (CalamineError, ValueError, OSError) as exc:
        raise DataFormatError(f"cannot read the {what}", file=path,
                              found=f"{type(exc).__name__}: {exc}") from None
    except BaseException as exc:  # a panic inside the Rust reader on a malformed file
        if type(exc).__name__ != "PanicException":
            raise
        raise DataFormatError(f"cannot read the {what}", file=path,
                              found=f"the reader failed: {exc}") from None
    return sheets


def _read_spreadsheetml(path: Path) -> OrderedDict[str, Sheet]:
    sheets: OrderedDict[str, Sheet] = OrderedDict()
    name = None
    rows: list[tuple[int, list[str]]] = []
    row_number = 0
    cells: list[str] = []
    column = 0
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            tag = elem.tag
            if event == "start":
                if tag == _Q + "Worksheet":
                    name = elem.get(_Q + "Name", f"Sheet{len(sheets) + 1}")
                    rows, row_number = [], 0
                elif tag == _Q + "Row":
                    index = elem.get(_Q + "Index")
                    row_number = int(index) if index else row_number + 1
                    cells, column = [], 0
                elif tag == _Q + "Cell":
                    index = elem.get(_Q + "Index")
                    column = int(index) if index else column + 1
                continue
            if tag == _Q + "Cell":
                data = elem.find(_Q + "Data")
                text = "".join(data.itertext()) if data is not None else ""
                while len(cells) < column - 1:
                    cells.append("")
                cells.append(text)
                column += int(elem.get(_Q + "MergeAcross", 0))
                elem.clear()
            elif tag == _Q + "Row":
                while cells and cells[-1] == "":
                    cells.pop()
                if cells:
                    rows.append((row_number, cells))
                elem.clear()
            elif tag == _Q + "Worksheet":
                sheets[name] = Sheet(name, rows)
                elem.clear()
    except ET.ParseError as exc:
        raise DataFormatError("cannot parse the SpreadsheetML workbook", file=path, found=str(exc)) from None
    return sheets


def find_sheet(sheets: OrderedDict[str, Sheet], *names: str) -> Sheet | None:
    """The first sheet whose name starts like one of ``names``.

    Names are compared normalised and cut the way spreadsheets cut sheet names (31 characters,
    sometimes ending in ``...``), so ``"Lifetime Talking About This(Post) by action type"`` finds
    the sheet ``Lifetime Talking About This(...``.
    """
    normalised = {normalise_header(n): s for n, s in sheets.items()}
    for wanted in names:
        target = normalise_header(wanted)
        for have, sheet in normalised.items():
            stem = have.rstrip(".").rstrip("(").rstrip()
            if have == target or (stem and target.startswith(stem) and len(stem) >= 12):
                return sheet
    return None


def workbook_header(path: Path | str, rows: int = 3) -> list[str] | None:
    """Header fields for format detection, or None when ``path`` is not a workbook.

    The normalised cells of the first ``rows`` rows of every sheet, plus ``sheet:<name>`` for
    each sheet name, so a format's signature can require sheets as well as columns.
    """
    if kind_of(path) is None:
        return None
    try:
        sheets = read_workbook(path)
    except DataFormatError:
        return None
    out: list[str] = []
    for name, sheet in sheets.items():
        out.append("sheet:" + normalise_header(name))
        for _, cells in sheet.rows[:rows]:
            out.extend(normalise_header(c) for c in cells if c != "")
    return out


def header_row(sheet: Sheet, signature: tuple[str, ...], search: int = 5) -> int:
    """Index (in ``sheet.rows``) of the first of ``search`` rows holding every ``signature`` field."""
    for i, (_, cells) in enumerate(sheet.rows[:search]):
        names = {normalise_header(c) for c in cells}
        if all(s in names for s in signature):
            return i
    return 0


def sheet_table(path: Path | str, sheet: Sheet, *, header_index: int = 0, skip_after_header: int = 0,
                columns: slice | None = None, encoding: str = "") -> RawTable:
    """A :class:`RawTable` from one sheet: the row at ``header_index`` is the header.

    ``skip_after_header`` rows under the header are not data (a description row). ``columns``
    takes a block of columns (for side-by-side tables). Rows with every cell empty are not
    records; rows with non-empty cells beyond the header go to ``invalid``.
    """
    path = Path(path)
    block = columns or slice(None)
    if header_index >= len(sheet.rows):
        raise DataFormatError("expected a header row", file=path, column=None,
                              found=f"sheet {sheet.name!r} has {len(sheet.rows)} rows")
    header = sheet.rows[header_index][1][block]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    names = unique_names(header)
    data, numbers, invalid = [], [], []
    for number, cells in sheet.rows[header_index + 1 + skip_after_header:]:
        cells = cells[block]
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            invalid.append((number, f"expected {width} cells, found {len(cells)}", ",".join(cells)))
            continue
        data.append((cells + [""] * width)[:width])
        numbers.append(number)
    frame = pd.DataFrame(data, columns=names, dtype="string") if data else \
        pd.DataFrame({n: pd.Series(dtype="string") for n in names})
    frame["source_row"] = pd.array(numbers, dtype="Int64")
    preamble = [",".join(cells) for _, cells in sheet.rows[:header_index]]
    return RawTable(path=path, frame=frame, header=list(header), invalid=invalid, preamble=preamble,
                    encoding=encoding or (kind_of(path) or ""))


def clear_cache() -> None:
    """Forget remembered workbooks."""
    _CACHE.clear()

