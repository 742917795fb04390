"""Reading workbooks (toolkit.loading.workbooks): SpreadsheetML XML, .xlsx and binary .xls into string
tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import toolkit
from toolkit.errors import DataFormatError
from toolkit.loading.workbooks import (
    cell_text,
    find_sheet,
    kind_of,
    read_workbook,
    sheet_table,
    workbook_header,
)

XML = """<?xml version="1.0"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" xmlns:html="http://www.w3.org/TR/REC-html40">
 <Worksheet ss:Name="Key Metrics"><Table>
  <Row><Cell><Data ss:Type="String">Post ID</Data></Cell><Cell><Data ss:Type="String">Views</Data></Cell>
       <Cell><Data ss:Type="String">Views</Data></Cell><Cell><Data ss:Type="String">Note</Data></Cell></Row>
  <Row><Cell><Data ss:Type="String">description</Data></Cell></Row>
  <Row ss:Index="4"><Cell><Data ss:Type="String">1_2</Data></Cell><Cell ss:Index="3"><Data ss:Type="Number">7</Data></Cell>
       <Cell><Data ss:Type="String"><html:B>bold</html:B> text&#10;second line</Data></Cell></Row>
  <Row><Cell ss:MergeAcross="1"><Data ss:Type="String">1_3</Data></Cell><Cell><Data ss:Type="Number">1.47689E+18</Data></Cell></Row>
 </Table></Worksheet>
 <Worksheet ss:Name="Lifetime Talking About This(..."><Table/></Worksheet>
</Workbook>
"""


@pytest.fixture
def xml_book(tmp_path):
    path = tmp_path / "export.xls"
    path.write_text(XML, encoding="utf-8")
    return path


def test_spreadsheetml_rows_cells_and_row_numbers(xml_book):
    assert kind_of(xml_book) == "xml"
    sheets = read_workbook(xml_book)
    assert list(sheets) == ["Key Metrics", "Lifetime Talking About This(..."]
    rows = sheets["Key Metrics"].rows
    assert [n for n, _ in rows] == [1, 2, 4, 5]  # ss:Index skips row 3
    assert rows[2][1] == ["1_2", "", "7", "bold text\nsecond line"]  # ss:Index skips a cell; html markup
    assert rows[3][1] == ["1_3", "", "1.47689E+18"]  # MergeAcross spans two cells


def test_sheet_table_skips_description_row_and_keeps_repeated_names(xml_book):
    sheet = read_workbook(xml_book)["Key Metrics"]
    raw = sheet_table(xml_book, sheet, skip_after_header=1)
    assert raw.columns == ["post id", "views", "views#2", "note"]
    assert raw.frame["source_row"].tolist() == [4, 5]
    assert raw.frame["views#2"].tolist() == ["7", "1.47689E+18"]


def test_truncated_sheet_names_are_found(xml_book):
    sheets = read_workbook(xml_book)
    found = find_sheet(sheets, "Lifetime Talking About This (Post) by action type")
    assert found is not None and found.name == "Lifetime Talking About This(..."
    assert find_sheet(sheets, "Lifetime Post Stories by action type") is None


def test_header_for_detection(xml_book):
    header = workbook_header(xml_book)
    assert "sheet:key metrics" in header and "post id" in header


def test_cell_text_writes_numbers_as_a_spreadsheet_shows_them():
    assert cell_text(215.0) == "215"
    assert cell_text(1476890000000000001) == "1476890000000000001"  # an int cell keeps every digit
    assert cell_text(1.47689e18) == "1.47689e+18"  # a float cell has lost them and must show it
    assert cell_text(dt.date(2020, 5, 8)) == "2020-05-08"
    assert cell_text(None) == ""


def test_kind_is_read_from_the_bytes_not_the_name(tmp_path):
    fake = tmp_path / "export.xlsx"
    fake.write_text("Post ID,Likes\n1,2\n")
    assert kind_of(fake) is None and workbook_header(fake) is None
    with pytest.raises(DataFormatError, match="matches no supported format"):
        toolkit.load(fake, cache=False)


def test_a_broken_workbook_is_a_project_error(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    assert kind_of(broken) == "xlsx"
    with pytest.raises(DataFormatError):
        read_workbook(broken)
    with pytest.raises(DataFormatError):
        toolkit.load(broken, cache=False)


def test_xlsx_rows(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "ENGAGEMENT"
    ws.append(["Date", "Impressions"])
    ws.append([])
    ws.append(["11/9/2025", 1800.0])
    ws.append([dt.datetime(2025, 11, 10, 8, 30), 12])
    path = tmp_path / "book.xlsx"
    book.save(path)
    rows = read_workbook(path)["ENGAGEMENT"].rows
    assert rows == [(1, ["Date", "Impressions"]), (3, ["11/9/2025", "1800"]),
                    (4, ["2025-11-10T08:30:00", "12"])]


def test_binary_xls_cells_read_as_the_other_readers_write_them(tmp_path):
    # except error cells, which calamine reads as empty: missing, never a made-up value
    import xlwt

    book = xlwt.Workbook()
    ws = book.add_sheet("ENGAGEMENT")
    for c, value in enumerate(["Date", "Impressions", "Rate", "Paid", "Error"]):
        ws.write(0, c, value)
    ws.write(2, 0, "11/9/2025")
    ws.write(2, 1, 1800.0)
    ws.write(2, 2, 0.0051546389999999999)
    ws.write(2, 3, True)
    ws.row(2).set_cell_error(4, 42)  # #N/A (Excel error code 42)
    ws.write(3, 0, dt.datetime(2025, 11, 10, 8, 30), xlwt.easyxf(num_format_str="m/d/yy h:mm"))
    ws.write(3, 1, 12)
    ws.write(3, 2, 1.47689e18)
    ws.write(3, 5, "")  # a blank cell past the others: trailing blanks are dropped
    book.add_sheet("EMPTY")
    path = tmp_path / "book.xls"
    book.save(str(path))
    assert kind_of(path) == "xls"
    sheets = read_workbook(path)
    assert list(sheets) == ["ENGAGEMENT", "EMPTY"] and sheets["EMPTY"].rows == []
    assert sheets["ENGAGEMENT"].rows == [
        (1, ["Date", "Impressions", "Rate", "Paid", "Error"]),
        (3, ["11/9/2025", "1800", "0.005154639", "TRUE"]),  # row 2 is blank: absent; #N/A is empty
        (4, ["2025-11-10T08:30:00", "12", "1.47689e+18"]),
    ]


def test_a_broken_binary_xls_is_a_project_error(tmp_path):
    broken = tmp_path / "updates.xls"
    broken.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504 + b"junk" * 100)
    assert kind_of(broken) == "xls"
    with pytest.raises(DataFormatError, match="cannot read the Excel 97-2003 workbook") as err:
        read_workbook(broken)
    assert str(broken) in str(err.value)
    with pytest.raises(DataFormatError):
        toolkit.load(broken, cache=False)


def _write_ods(path, sheets):
    """A minimal OpenDocument spreadsheet (mimetype stored first, as the standard asks)."""
    import zipfile
    from xml.sax.saxutils import escape

    def cell(value):
        if isinstance(value, dt.datetime):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        if isinstance(value, (int, float)):
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(value)}</text:p></table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{name}">'
        + "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
        + "</table:table>" for name, rows in sheets.items())
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
               "</office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)


def test_an_ods_workbook_loads_like_the_xlsx_it_was_saved_from(tmp_path):
    # a LinkedIn page export re-saved in LibreOffice: the same sheet, now OpenDocument
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
    import make_fixtures as mk

    rows = [[mk.LI_PREAMBLE], mk.LI_HEAD]
    for r in mk.li_rows(3, serial=True):
        r[5] = dt.datetime(1899, 12, 30) + dt.timedelta(days=r[5])  # a date cell
        rows.append(r)
    path = tmp_path / "lakeside-press_updates_1700300000000.ods"
    _write_ods(path, {"Update Engagement": rows})
    assert kind_of(path) == "ods"
    sheet = read_workbook(path)["Update Engagement"]
    assert sheet.rows[1] == (2, mk.LI_HEAD)
    ds = toolkit.load(path, cache=False)
    assert ds.report.loc[0, "format"] == "linkedin_page_updates" and len(ds.posts) == 3
    second = ds.posts.set_index("post_id").loc["7100000000000000001"]
    assert second["published_at"] == pd.Timestamp("2023-10-05 09:00", tz="UTC")
    assert (second["impressions"], second["likes"]) == (1031, 13)


FIXTURES = Path(__file__).parent / "fixtures"
HARBOR_XLSX = FIXTURES / "facebook" / "Facebook Insights Data Export (Post) - Harbor Cycles - 2020-07-31.xlsx"
LAKESIDE_XLS = FIXTURES / "linkedin" / "lakeside-press_updates_1700300000000.xls"


@pytest.mark.parametrize("fixture, wrong_name", [
    (HARBOR_XLSX, "Facebook Insights Data Export (Post) - Harbor Cycles - 2020-07-31.xls"),
    (HARBOR_XLSX, "Facebook Insights Data Export (Post) - Harbor Cycles - 2020-07-31"),
    (LAKESIDE_XLS, "lakeside-press_updates_1700300000000.xlsx"),
], ids=["xlsx-named-xls", "xlsx-no-extension", "xls-named-xlsx"])
def test_a_workbook_with_the_wrong_name_is_read_by_its_bytes(tmp_path, fixture, wrong_name):
    # an .xlsx renamed .xls, or an .xls renamed .xlsx, is the same workbook: the module reads the
    # kind from the bytes, so the readers must not go by the name either
    copy = tmp_path / wrong_name
    copy.write_bytes(fixture.read_bytes())
    assert kind_of(copy) == kind_of(fixture)
    assert read_workbook(copy) == read_workbook(fixture)
    renamed, original = toolkit.load(copy, cache=False), toolkit.load(fixture, cache=False)
    assert renamed.report.loc[0, "format"] == original.report.loc[0, "format"]
    columns = [c for c in original.posts.columns if c != "source_file"]
    pd.testing.assert_frame_equal(renamed.posts[columns], original.posts[columns])
    assert len(renamed.posts) > 0


def test_an_ods_named_xlsx_is_read_by_its_bytes(tmp_path):
    path = tmp_path / "updates.xlsx"
    _write_ods(path, {"Update Engagement": [["Update title", "Impressions"], ["Fresh rye", 12]]})
    assert kind_of(path) == "ods"
    assert read_workbook(path)["Update Engagement"].rows == [
        (1, ["Update title", "Impressions"]), (2, ["Fresh rye", "12"])]
