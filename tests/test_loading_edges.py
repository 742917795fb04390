"""Files as users assemble and spreadsheets damage them: nothing lost, nothing invented.

Each case is a small variation of a fixture (tests/fixtures/) written to tmp_path; the expected
rows are counted from the variation itself.
"""

from __future__ import annotations

import builtins
import csv
import io
import os

import pandas as pd
import pytest

import toolkit
from platform_checks import check_dataset, fixture
from toolkit.errors import DataFormatError
from toolkit.loading.parse import parse_counts


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))


def test_blank_lines_and_lines_of_empty_cells_are_not_records(tmp_path):
    path = tmp_path / "likes_only.csv"
    path.write_text("Title,Hearts,Replies\nFirst post,10,1\n\nSecond post,20,2\n,,\n   \n")
    ds = toolkit.load(path, mapping={"text": "Title", "likes": "Hearts", "comments": "Replies"},
                      account="me", cache=False)
    check_dataset(ds)
    assert ds.posts["text"].tolist() == ["First post", "Second post"]
    assert ds.report.loc[0, "rows_read"] == 2
    # row numbers are the rows a spreadsheet shows: the blank line is row 3
    assert ds.posts["source_row"].tolist() == [2, 4]


def test_blank_lines_in_a_large_platform_export_keep_row_numbers(tmp_path):
    # above 64 kB the fast reader is used: it must hand blank lines to the exact one
    source = fixture("x/tweet_activity_metrics_north_wind_20240301_20240531_en.csv")
    header, *records = _rows(source)  # captions hold newlines: split records, not lines
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerows([header, records[0]])
    out.write("\n")
    writer.writerows(records[1:])
    path = tmp_path / source.name
    path.write_text(out.getvalue() + "\n" * 70_000, encoding="utf-8")
    assert path.stat().st_size > 1 << 16
    ds = toolkit.load(path, cache=False)
    check_dataset(ds)
    assert ds.report.loc[0, "rows_read"] == len(records) and ds.rejected.empty
    assert sorted(ds.posts["source_row"]) == [2] + list(range(4, 3 + len(records)))


def test_generic_row_ids_of_two_files_are_not_merged(tmp_path):
    mapping = {"published_at": "Date", "text": "Caption", "likes": "Hearts"}
    (tmp_path / "posts_jan.csv").write_text("Date,Caption,Hearts\n2024-01-05,one,10\n2024-01-09,two,20\n")
    (tmp_path / "posts_feb.csv").write_text("Date,Caption,Hearts\n2024-02-03,three,30\n")
    ds = toolkit.load(tmp_path, mapping=mapping, account="me", cache=False)
    check_dataset(ds)
    assert sorted(ds.posts["text"]) == ["one", "three", "two"]
    assert ds.report["duplicates_merged"].sum() == 0
    assert set(ds.posts["post_id"]) == {"posts_jan.csv:row2", "posts_jan.csv:row3", "posts_feb.csv:row2"}


def test_instagram_posts_of_one_day_with_the_same_caption_stay_apart(tmp_path):
    source = fixture("instagram/instagram_post_insights.csv")
    lines = source.read_bytes().decode("utf-8").split("\r\n")
    twin = "2022-01-04,900,500,200,100,100,8,1,0,70,4,0,0.00,,#sourdough"
    lines[2:2] = ["2022-01-04,1200,700,200,100,200,10,2,1,90,5,0,0.00,,#bakery", twin, twin]
    path = tmp_path / source.name
    path.write_text("\r\n".join(lines), encoding="utf-8")
    ds = toolkit.load(path, account="northwind", cache=False)
    check_dataset(ds)
    # two different uncaptioned posts on 4 January: two posts; the row repeated cell for cell: merged
    day = ds.posts[ds.posts["published_at"] == pd.Timestamp("2022-01-04", tz="UTC")]
    assert sorted(day["likes"]) == [70, 90, 180]
    assert ds.report.loc[0, "duplicates_merged"] == 1
    assert day["post_id"].str.endswith("-2").sum() == 1


def _rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _write(path, rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_facebook_copy_without_its_description_row_keeps_its_first_post(tmp_path):
    source = fixture("facebook/Facebook Insights Data Export (Post) - Northwind Bakery - 2020-06-30.csv")
    rows = _rows(source)
    assert rows[1][0] == "" and rows[1][8].startswith("Lifetime:")  # the fixture has the row
    path = tmp_path / source.name
    _write(path, [rows[0]] + rows[2:])
    ds = toolkit.load(path, cache=False)
    check_dataset(ds)
    assert sorted(ds.posts["post_id"]) == sorted(r[0] for r in rows[2:])
    assert ds.posts["source_row"].min() == 2


def test_partial_iso_dates_are_rejected_not_completed(tmp_path):
    source = fixture("instagram/instagram_post_insights.csv")
    text = source.read_bytes().decode("utf-8")
    first_day = text.split("\r\n")[1].split(",")[0]
    path = tmp_path / source.name
    path.write_text(text.replace(first_day + ",", first_day[:7] + ",", 1), encoding="utf-8")
    ds = toolkit.load(path, account="nw", cache=False)
    check_dataset(ds)
    assert ds.report.loc[0, "rows_rejected"] == 1
    assert f"found '{first_day[:7]}'" in ds.rejected.loc[0, "reason"]
    assert pd.Timestamp(first_day[:7] + "-01", tz="UTC") not in set(ds.posts["published_at"])


def test_counts_beyond_what_a_number_holds_are_rejected():
    counts, reasons = parse_counts(pd.Series(["1e20", "99999999999999999999", "inf", "5"]), "likes")
    assert counts.tolist() == [pd.NA, pd.NA, pd.NA, 5]
    assert reasons.notna().tolist() == [True, True, True, False]
    assert "below 2^53" in reasons[0]


def test_hexadecimal_counts_are_rejected_on_every_path():
    # Arrow's integer cast reads "0x10" as 16; the checked path names it. Both a column of
    # numbers (fast path) and one with other damage (checked path) must reject it alike.
    for cells in (["0x10", "7"], ["0X1f", "7"], ["0x10", "junk"]):
        counts, reasons = parse_counts(pd.Series(cells), "likes")
        assert counts[0] is pd.NA and reasons[0] == f"likes: expected a count, found '{cells[0]}'"
    assert parse_counts(pd.Series(["16", "7"]), "likes")[0].tolist() == [16, 7]


def test_meta_month_names_in_the_file_name_date_the_export(tmp_path):
    source = fixture("meta/Oct-01-2023_Oct-31-2023_northwind_posts.csv")
    rows = _rows(source)
    impressions = rows[0].index("Impressions")
    old = tmp_path / "Oct-01-2023_Oct-31-2023_northwind_posts.csv"
    new = tmp_path / "Oct-01-2023_Nov-30-2023_northwind_posts.csv"
    later = [rows[0]] + [r[:impressions] + [str(int(r[impressions]) + 1000)] + r[impressions + 1:]
                         for r in rows[1:]]
    _write(new, later)
    _write(old, rows)
    os.utime(new, (1_600_000_000, 1_600_000_000))  # file times say the wrong thing: the name decides
    ds = toolkit.load(tmp_path, cache=False)
    check_dataset(ds)
    assert set(ds.posts["source_file"]) == {str(new)}
    assert ds.posts["exported_at"].iloc[0] == pd.Timestamp("2023-11-30 23:59:59", tz="UTC")
    assert sorted(ds.posts["impressions"]) == sorted(int(r[impressions]) + 1000 for r in rows[1:])


def test_a_file_named_twice_is_loaded_once(tmp_path):
    source = fixture("instagram/instagram_post_insights.csv")
    path = tmp_path / source.name
    path.write_bytes(source.read_bytes())
    ds = toolkit.load([tmp_path, path], account="nw", cache=False)
    check_dataset(ds)
    assert len(ds.report) == 1 and len(ds.posts) == ds.report.loc[0, "rows_loaded"] == 6
    assert any("loaded once" in n for n in ds.notes)


@pytest.mark.parametrize("cache", [False, True])
def test_folders_inside_a_folder_are_named_as_not_read(tmp_path, monkeypatch, cache):
    # a folder per platform inside the folder given: not read (a label file may live there), but
    # said, so that no export goes missing without a word, from the cache too
    monkeypatch.setenv("ENGAGEMENT_LAB_CACHE", str(tmp_path / "cache"))
    source = fixture("instagram/instagram_post_insights.csv")
    (tmp_path / "exports" / "youtube").mkdir(parents=True)
    (tmp_path / "exports" / source.name).write_bytes(source.read_bytes())
    for _ in range(2):  # the second load of the cached dataset says it too
        ds = toolkit.load(tmp_path / "exports", account="nw", cache=cache)
        assert len(ds.report) == 1
        assert [n for n in ds.notes if "not read" in n] == [
            f"folders inside a folder are not read (pass them to load them): {tmp_path / 'exports' / 'youtube'}"]
    assert not any("not read" in n for n in toolkit.load(tmp_path / "exports" / source.name, account="nw",
                                                          cache=False).notes)


def test_uci_rows_sorted_oldest_first_load_without_dates(tmp_path):
    source = fixture("uci/facebook_metrics_sample.csv")
    header, *body = [line for line in source.read_text(encoding="utf-8").split("\n") if line]
    path = tmp_path / source.name
    path.write_text("\n".join([header] + body[::-1]) + "\n", encoding="utf-8")
    ds = toolkit.load(path, cache=False)
    check_dataset(ds)
    assert len(ds.posts) and ds.posts["published_at"].isna().all()
    assert "no dates were reconstructed" in ds.report.loc[0, "notes"]


def test_an_unreadable_file_is_named_with_the_cache_on(tmp_path, monkeypatch):
    source = fixture("hootsuite/hootsuite_facebook_posts_no_campaign.csv")
    good = tmp_path / "hootsuite_facebook_posts_2018-01.csv"
    good.write_bytes(fixture("hootsuite/hootsuite_facebook_posts_2018-01.csv").read_bytes())
    locked = tmp_path / source.name
    locked.write_bytes(source.read_bytes())
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # run as root, which reads any file: deny it as for a user
        real_open = builtins.open

        def denied(file, *args, **kwargs):
            if isinstance(file, (str, os.PathLike)) and os.path.basename(file) == locked.name:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", denied)
    with pytest.raises(DataFormatError, match=f"{locked.name}: cannot read the file"):
        toolkit.load(tmp_path)  # the cache is on (hashing the files comes first)


def test_a_workbook_that_cannot_be_opened_says_so_when_recognised(tmp_path):
    # a download cut off halfway: still a zip by its first bytes, but not one that opens
    source = fixture("linkedin/harbor-cycles_updates_1700100000000.xlsx")
    path = tmp_path / source.name
    path.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(DataFormatError, match=f"{path.name}: cannot open the workbook") as err:
        toolkit.load(path, cache=False)
    assert "no format shares any column" not in str(err.value)


@pytest.mark.parametrize("options", [{"mapping": {"likes": "Likes"}}, {"format": "linkedin_page_updates_csv"}])
def test_a_workbook_given_to_a_text_format_is_named_as_a_workbook(options):
    path = fixture("linkedin/harbor-cycles_updates_1700100000000.xlsx")
    with pytest.raises(DataFormatError, match=f"{path.name}: is a workbook .*save the sheet as CSV") as err:
        toolkit.load(path, cache=False, **options)
    assert "newline" not in str(err.value)


@pytest.mark.parametrize("account", ["", "  ", 5])
def test_an_account_that_is_not_a_name_is_refused(account):
    # account= replaces the handle the X file names: '' put every post under an empty name
    path = fixture("x/account_analytics_content_2025-01-12_2025-02-10.csv")
    with pytest.raises(DataFormatError, match="parameter 'account'"):
        toolkit.load(path, account=account, cache=False)


def test_an_empty_path_is_refused_not_read_as_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "my_network_posts.csv").write_bytes(fixture("generic/my_network_posts.csv").read_bytes())
    monkeypatch.chdir(tmp_path)
    for paths in ("", [""], " "):
        with pytest.raises(DataFormatError, match="parameter 'paths'"):
            toolkit.load(paths, mapping={"likes": "Hearts"}, account="me", cache=False)


def test_a_mapping_with_a_platform_format_is_refused_not_ignored():
    path = fixture("x/account_analytics_content_2025-01-12_2025-02-10.csv")
    with pytest.raises(DataFormatError, match="parameter 'mapping'.*'x_analytics_posts'"):
        toolkit.load(path, format="x_analytics_posts", mapping={"likes": "Bookmarks"}, cache=False)
    ds = toolkit.load(path, format="generic", mapping={"likes": "Bookmarks"}, account="me", cache=False)
    assert ds.report.loc[0, "format"] == "generic"



def test_a_file_with_classic_mac_line_ends_loads_every_record(tmp_path):
    source = fixture("hootsuite/hootsuite_facebook_posts_2018-01.csv")
    header, *records = _rows(source)
    out = io.StringIO()
    # Excel's "CSV (Macintosh)": records end in "\r" alone; a line break inside a cell stays "\n"
    csv.writer(out, lineterminator="\r").writerows([header, *records])
    path = tmp_path / source.name
    path.write_bytes(out.getvalue().encode("utf-8"))
    assert b"\r\n" not in path.read_bytes() and any("\n" in r[5] for r in records)
    ds = toolkit.load(path, cache=False)
    check_dataset(ds)
    assert ds.report.loc[0, "rows_read"] == ds.report.loc[0, "rows_loaded"] == len(records)
    assert sorted(ds.posts["source_row"]) == list(range(2, 2 + len(records)))
    posts = ds.posts.set_index("post_id")
    for r in records:
        assert pd.isna(posts.loc[r[2], "text"]) or posts.loc[r[2], "text"] == r[5]


def test_a_file_cut_off_inside_a_quoted_cell_rejects_that_record(tmp_path):
    # a download cut short: '"2024-01-14T00:00:00","996"' ends as '"2024-01-14T00:00:00","99'
    source = fixture("meta/Reach.csv")
    text = source.read_bytes().decode("utf-16")
    assert text.endswith('","996"\r\n')
    path = tmp_path / source.name
    path.write_bytes(text[: -len('6"\r\n')].encode("utf-16"))
    ds = toolkit.load(path, account="nw", cache=False)
    check_dataset(ds)
    assert 99 not in set(ds.daily["reach"])
    assert ds.report.loc[0, "rows_rejected"] == 1 and "cut off" in ds.rejected.loc[0, "reason"]
    # every line but the two preamble lines, the header and the cut record
    assert ds.report.loc[0, "rows_loaded"] == len(ds.daily) == text.count("\n") - 3 - 1


def test_a_utf16_file_cut_off_mid_character_loads_what_is_whole(tmp_path):
    # a UTF-16 download cut short by an odd number of bytes ends with half a character
    source = fixture("meta/Reach.csv")
    data = source.read_bytes()
    path = tmp_path / source.name
    path.write_bytes(data[: -len('6"\r\n'.encode("utf-16-le")) - 1])
    ds = toolkit.load(path, account="nw", cache=False)
    check_dataset(ds)
    assert ds.report.loc[0, "rows_rejected"] == 1 and "cut off" in ds.rejected.loc[0, "reason"]
    assert ds.report.loc[0, "rows_loaded"] == len(ds.daily) == data.decode("utf-16").count("\n") - 3 - 1


# -- the last record of a file without a final line break (a " that is text, or a cut record) ----

INCH_MARK = b'Shaping a 12" boule'  # an unquoted caption holding a " (legal in an unquoted cell)


@pytest.mark.parametrize("name, records", [("instagram/instagram_post_insights.csv", 6),
                                           ("instagram/instagram_post_insights_cp1252.csv", 4)])
def test_an_inch_mark_in_an_unquoted_cell_does_not_make_the_last_record_look_cut(tmp_path, name, records):
    # the quotes of the file add up to an odd number, yet every record is whole
    source = fixture(name)
    data = source.read_bytes().rstrip(b"\r\n").replace(b"Shaping session", INCH_MARK)
    assert data.count(b'"') % 2 == 1 and data.count(b"\r\n") == records
    path = tmp_path / source.name
    path.write_bytes(data)
    ds = toolkit.load(path, account="nw", cache=False)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (records, records, 0)
    assert ds.posts["text"].str.startswith('Shaping a 12" boule').sum() == 1


def test_a_cut_last_record_is_rejected_even_with_an_inch_mark_elsewhere(tmp_path):
    # the inch mark and the cut cell's opening quote add up to an even number of quotes
    path = tmp_path / "posts.csv"
    path.write_bytes(b'Hearts,Caption\n4,Shaping a 12" boule\n5,"New kitchen, same')  # cut mid-caption
    assert path.read_bytes().count(b'"') % 2 == 0
    ds = toolkit.load(path, mapping={"likes": "Hearts", "text": "Caption"}, account="me", cache=False)
    check_dataset(ds)
    report = ds.report.iloc[0]
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (2, 1, 1)
    assert ds.rejected.loc[0, "source_row"] == 3 and "cut off" in ds.rejected.loc[0, "reason"]
    assert ds.posts["text"].tolist() == ['Shaping a 12" boule']


# -- files mixing UTF-8 with a few cp1252 lines -------------------------------------------------

def _not_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_one_cp1252_line_does_not_turn_the_utf8_lines_into_mojibake(tmp_path):
    source = fixture("x/tweet_activity_metrics_north_wind_20240101_20240331_en.csv")
    data = source.read_bytes().replace(b"Morning run", b"Morning caf\xe9 run")  # \xe9: é in cp1252
    cp1252_lines = sum(_not_utf8(line) for line in data.splitlines())
    assert cp1252_lines == data.count(b"caf\xe9") > 0
    path = tmp_path / source.name
    path.write_bytes(data)
    ds = toolkit.load(path, cache=False)
    check_dataset(ds)
    assert ds.report.loc[0, "encoding"] == f"utf-8, {cp1252_lines} lines cp1252"
    assert ds.report.loc[0, "rows_loaded"] == toolkit.load(source, cache=False).report.loc[0, "rows_loaded"]
    texts = ds.posts["text"]
    assert (texts == "Launch day! \U0001f680 Our planner app is out").sum() == 1
    assert (texts == "Morning café run by the harbour, legs still complaining").sum() == cp1252_lines
    assert not texts.str.contains("ð|Ã", regex=True).any()


def test_a_cp1252_line_past_the_sniffed_head_leaves_the_utf8_lines_as_they_are(tmp_path):
    # the first 256 kB are valid UTF-8; the cp1252 line is only met when the file is read
    rows = ["ID,Caption,Hearts", "p0,Launch day! \U0001f680,5"]
    rows += [f"p{i},plain post {i},1" for i in range(1, 20000)]
    data = "\n".join(rows).encode("utf-8") + "\np20000,café crème,2\n".encode("cp1252")
    assert data[: 256 * 1024].decode("utf-8") and _not_utf8(data)
    path = tmp_path / "posts.csv"
    path.write_bytes(data)
    ds = toolkit.load(path, mapping={"post_id": "ID", "text": "Caption", "likes": "Hearts"},
                      account="me", cache=False)
    assert ds.report.loc[0, "encoding"] == "utf-8, 1 line cp1252"
    assert ds.report.loc[0, "rows_loaded"] == 20001
    texts = ds.posts.set_index("post_id")["text"]
    assert (texts["p0"], texts["p20000"]) == ("Launch day! \U0001f680", "café crème")


def test_a_utf8_header_is_read_as_utf8_when_a_line_under_it_is_cp1252(tmp_path):
    # the sniffed head holds the cp1252 line: the header's own UTF-8 must still name the columns
    path = tmp_path / "posts.csv"
    path.write_bytes("Légende,J’aime\nPain de mie,4\n".encode("utf-8") + "Café,3\n".encode("cp1252"))
    ds = toolkit.load(path, mapping={"text": "Légende", "likes": "J’aime"}, account="me", cache=False)
    check_dataset(ds)
    assert ds.report.loc[0, "encoding"] == "utf-8, 1 line cp1252"
    assert ds.posts["text"].tolist() == ["Pain de mie", "Café"]
    assert ds.posts["likes"].tolist() == [4, 3]
