"""Damaged date columns (toolkit.loading.dates): serials, mixed day/month orders, rejections.

Expected dates are written out by hand (closed form); the property tests damage a known date
sequence the way a day-first spreadsheet does (EXPORT-FORMATS.md) and check that every date the
parser returns is the true one.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.loading.dates import order_of, parse_dates


def days(out) -> list:
    return [None if pd.isna(t) else str(t.date()) for t in out.values]


def test_excel_serials_in_a_text_column():
    out = parse_dates(pd.Series(["2020-12-27", "44193.4123", "44194"]), "Date")
    # 44193 = 2020-12-28 (day 0 = 1899-12-30); .4123 day = 09:53:42.7
    assert out.values.iloc[1] == pd.Timestamp("2020-12-28 09:53:43", tz="UTC")
    assert days(out) == ["2020-12-27", "2020-12-28", "2020-12-29"]
    assert out.reasons.isna().all() and "Excel serial" in out.notes[0]


def test_serial_out_of_range_is_rejected():
    out = parse_dates(pd.Series(["12345", "2020-01-01"]), "Date")
    assert pd.isna(out.values.iloc[0]) and "outside the Excel serial date range" in out.reasons.iloc[0]


def test_clean_month_first_column_uses_the_documented_order():
    cells = pd.Series(["11/9/2025", "11/10/2025", "11/11/2025"])  # no day above 12: order from the format
    out = parse_dates(cells, "Date", ["%m/%d/%Y"])
    assert days(out) == ["2025-11-09", "2025-11-10", "2025-11-11"] and not out.notes


def test_clean_day_first_column_is_proven_by_its_unambiguous_dates():
    cells = pd.Series(["03.04.2021", "25.04.2021", "05.05.2021"])
    out = parse_dates(cells, "Datum")  # 25.04 can only be day-first
    assert days(out) == ["2021-04-03", "2021-04-25", "2021-05-05"]


def test_column_contradicting_the_documented_order_is_read_as_it_proves():
    out = parse_dates(pd.Series(["03/04/2021", "25/04/2021"]), "Date", ["%m/%d/%Y"])
    assert days(out) == ["2021-04-03", "2021-04-25"]
    assert "written dmy, not mdy" in out.notes[0]


def test_no_evidence_no_order_is_rejected_not_guessed():
    out = parse_dates(pd.Series(["03-04-2021", "05-06-2021"]), "Date")
    assert out.values.isna().all()
    assert out.reasons.str.contains("cannot be told apart").all()
    assert out.reasons.str.contains("write these dates year first (2024-05-08)", regex=False).all()  # a remedy a user has


def test_mixed_column_in_descending_order():
    # newest first, as X's new export lists posts
    cells = pd.Series(["6-20-2021", "06-05-2021", "5-28-2021", "5-14-2021"])
    out = parse_dates(cells, "Date")
    assert days(out) == ["2021-06-20", "2021-06-05", "2021-05-28", "2021-05-14"]


def test_impossible_and_invalid_dates_get_reasons():
    cells = pd.Series(["8-14-2020", "02-03-2020", "8-29-2020", "9-15-2020", "13-13-2020"])
    out = parse_dates(cells, "Date")
    # 02-03 is 3 Feb or 2 Mar: neither lies between 14 and 29 August
    assert "fits neither day-first nor month-first" in out.reasons.iloc[1]
    assert "no such day" in out.reasons.iloc[4]
    assert days(out)[0] == "2020-08-14" and days(out)[3] == "2020-09-15"


@pytest.mark.parametrize("cells", [
    ["01/02/2023 10:75", "01/03/2023 10:00", "01/14/2023 09:00"],    # padded: the fixed-width route declines
    ["1/2/2023 10:75", "1/3/2023 10:00", "1/14/2023 9:00"],          # unpadded: the cell-by-cell route
    ["1/2/2023 24:00", "1/3/2023 10:00:61", "1/14/2023 9:00"],
])
def test_a_time_that_does_not_exist_is_rejected_not_rolled_over(cells):
    out = parse_dates(pd.Series(cells), "Date", ["%m/%d/%Y %H:%M"])
    # 10:75 is not 11:15, and 24:00 is not midnight of the next day: nothing is invented
    bad = [0] if "10:75" in cells[0] else [0, 1]
    for i in bad:
        assert pd.isna(out.values.iloc[i])
        assert out.reasons.iloc[i] == f"Date: expected a date, found '{cells[i]}' (no such time)"
    assert out.values.iloc[2] == pd.Timestamp("2023-01-14 09:00", tz="UTC")
    assert out.reasons.iloc[2:].isna().all()


def test_iso_date_cells_swapped_by_a_spreadsheet():
    cells = pd.Series(["9/28/2023", "2023-02-10T00:00:00", "10/14/2023", "10/20/2023"])
    out = parse_dates(cells, "Created date")  # the ISO cell holds 10 Feb; 2 Oct fits the order
    assert days(out) == ["2023-09-28", "2023-10-02", "2023-10-14", "2023-10-20"]


def test_two_known_dates_do_not_prove_an_order():
    cells = pd.Series(["10/1/2023", "2023-02-10T00:00:00", "10/14/2023", "10/20/2023"])
    out = parse_dates(cells, "Created date")
    assert days(out)[:2] == [None, None] and out.reasons.iloc[:2].str.contains("ambiguous").all()


def test_order_of_formats():
    assert order_of(["%d/%m/%Y"]) == "dmy" and order_of(["%Y-%m-%d"]) is None


def spreadsheet_damage(day: dt.date, month_first: bool) -> str:
    """Text a day-first (or month-first) spreadsheet writes back for a date exported the other way.

    Dates it could read in its own order (the day <= 12) become real dates and are written with
    leading zeros; the others stay as the original text.
    """
    first, second = (day.month, day.day) if month_first else (day.day, day.month)
    if second <= 12:
        return f"{first:02d}-{second:02d}-{day.year}"
    return f"{first}-{second}-{day.year}"


@settings(max_examples=60, deadline=None)
@given(start=st.dates(dt.date(2015, 1, 1), dt.date(2025, 1, 1)),
       gaps=st.lists(st.integers(0, 9), min_size=3, max_size=40),
       month_first=st.booleans(), descending=st.booleans())
def test_damaged_columns_never_give_a_wrong_date(start, gaps, month_first, descending):
    truth = [start]
    for gap in gaps:
        truth.append(truth[-1] + dt.timedelta(days=gap))
    if descending:
        truth = truth[::-1]
    cells = pd.Series([spreadsheet_damage(d, month_first) for d in truth])
    out = parse_dates(cells, "Date")
    for got, want, why in zip(out.values, truth, out.reasons):
        if pd.isna(got):
            assert isinstance(why, str) and why  # rejected with a reason
        else:
            assert got.date() == want and pd.isna(why)


@pytest.mark.parametrize("cells, formats, date_only", [
    (["2020-01-05", "2020-01-05", "2021-12-31", "2019-02-28"], ("%Y-%m-%d",), True),
    (["Jan 1, 2010", "Feb 29, 2012", "Jan 1, 2010", "Dec 31, 2020"], ("%b %d, %Y",), False),
    (["2023-03-25 01:30:00", "2023-10-28 02:30:00", "2023-10-28 02:30:00"], ("%Y-%m-%d %H:%M:%S",), False),
    (["44193.4123", "44193", "32874", "73050.9999"], ("%m/%d/%Y",), False),
])
def test_whole_column_route_gives_what_the_cell_by_cell_route_gives(cells, formats, date_only, monkeypatch):
    import toolkit.loading.dates as dates

    values = pd.Series(cells, index=pd.RangeIndex(10, 10 + len(cells)), dtype="string")
    fast = dates.parse_dates(values, "Date", formats, date_only=date_only, tz="Europe/Berlin")
    assert dates._whole_column(dates._arrow(values), values.index, "Date", formats,
                               "Europe/Berlin") is not None  # took the fast route
    monkeypatch.setattr(dates, "_whole_column", lambda *a, **k: None)
    slow = dates.parse_dates(values, "Date", formats, date_only=date_only, tz="Europe/Berlin")
    pd.testing.assert_series_equal(fast.values, slow.values)
    pd.testing.assert_series_equal(fast.reasons, slow.reasons)
    assert fast.notes == slow.notes


@pytest.mark.parametrize("cells, formats", [
    (["2020-01-05", "", "2021-12-31"], ("%Y-%m-%d",)),            # a missing cell: a reason is due
    (["Feb 30, 2012", "Jan 1, 2010"], ("%b %d, %Y",)),            # no such day
    (["05-08-2020", "2020-01-05"], ("%Y-%m-%d",)),                # a numeric day/month cell
    (["44193", "12345"], ("%m/%d/%Y",)),                          # a number outside the serial range
])
def test_whole_column_route_leaves_columns_with_anything_to_decide_to_the_cell_by_cell_route(cells, formats):
    from toolkit.loading.dates import _arrow, _whole_column

    values = pd.Series(cells, dtype="string")
    assert _whole_column(_arrow(values), values.index, "Date", formats, "UTC") is None


def _both_routes(values: pd.Series, formats, order=None, monkeypatch=None):
    """(fixed-width route, cell-by-cell route) of parse_dates on ``values``."""
    import toolkit.loading.dates as dates

    fast = dates._fixed_width_numeric(dates._arrow(values), values.index, "Date",
                                      order or dates.order_of(formats), "UTC")
    monkeypatch.setattr(dates, "_fixed_width_numeric", lambda *a, **k: None)
    monkeypatch.setattr(dates, "_whole_column", lambda *a, **k: None)
    slow = dates.parse_dates(values, "Date", formats, order=order)
    monkeypatch.undo()
    return fast, slow


@pytest.mark.parametrize("cells, formats", [
    (["01/02/2023 00:00", "01/02/2023 10:53", "01/13/2023 01:46", "02/01/2023 09:00"], ("%m/%d/%Y %H:%M",)),
    (["03-02-2023", "02-02-2023", "13-01-2023", "05-01-2023"], ("%m/%d/%Y",)),  # day-first, proven, newest first
    (["01.02.2023T08:00", "03.02.2023T09:30", "03.02.2023T09:30"], ("%d.%m.%Y",)),
    (["01.02.2023 23:59:59", "03.02.2023 00:00:00"], ("%d.%m.%Y %H:%M:%S",)),
    (["01/02/2023", "01/02/2023", "01/02/2023"], ("%m/%d/%Y",)),                   # one day, documented order
])
def test_fixed_width_route_gives_what_the_cell_by_cell_route_gives(cells, formats, monkeypatch):
    values = pd.Series(cells, index=pd.RangeIndex(5, 5 + len(cells)), dtype="string")
    fast, slow = _both_routes(values, formats, monkeypatch=monkeypatch)
    assert fast is not None
    pd.testing.assert_series_equal(fast.values, slow.values)
    pd.testing.assert_series_equal(fast.reasons, slow.reasons)
    assert fast.notes == slow.notes


@pytest.mark.parametrize("cells, formats", [
    (["01/02/2023", "", "01/13/2023"], ("%m/%d/%Y",)),                 # a missing cell
    (["01/13/2023", "13/01/2023", "01/14/2023"], ("%m/%d/%Y",)),       # both orders proven: mixed
    (["01/05/2023", "01/03/2023", "01/04/2023"], ("%m/%d/%Y",)),       # not in date order
    (["01/02/2023", "01/03/2023"], ("%Y-%m-%d",)),                     # no proof, no documented order
    (["01/02/2023", "02/30/2023"], ("%m/%d/%Y",)),                     # no such day either way
    (["01/02/2023 24:00", "01/03/2023 10:00"], ("%m/%d/%Y %H:%M",)),   # no such time
    (["01/02/2023 10:75", "01/03/2023 10:00"], ("%m/%d/%Y %H:%M",)),   # nor this one
    (["01/02/2023 10:15:60", "01/03/2023 10:00:00"], ("%m/%d/%Y %H:%M:%S",)),
    (["1/2/2023", "1/3/2023"], ("%m/%d/%Y",)),                         # no leading zeros
    (["01/02/2023", "01-03-2023"], ("%m/%d/%Y",)),                     # two separators
])
def test_fixed_width_route_leaves_anything_to_decide_to_the_cell_by_cell_route(cells, formats):
    from toolkit.loading.dates import _arrow, _fixed_width_numeric, order_of

    values = pd.Series(cells, dtype="string")
    assert _fixed_width_numeric(_arrow(values), values.index, "Date", order_of(formats), "UTC") is None


@settings(max_examples=80, deadline=None)
@given(start=st.dates(dt.date(2015, 1, 1), dt.date(2025, 1, 1)),
       gaps=st.lists(st.integers(0, 40), min_size=1, max_size=30),
       month_first=st.booleans(), swap=st.sets(st.integers(0, 30), max_size=3),
       descending=st.booleans(), shuffle=st.booleans(), documented=st.sampled_from(["mdy", "dmy", None]))
def test_fixed_width_route_agrees_with_the_cell_by_cell_route(start, gaps, month_first, swap, descending,
                                                              shuffle, documented):
    """Padded numeric dates, some swapped by a spreadsheet, in or out of order: where the fixed-width
    route answers, its answer is the cell-by-cell route's."""
    import random

    truth = [start]
    for gap in gaps:
        truth.append(truth[-1] + dt.timedelta(days=gap))
    if descending:
        truth = truth[::-1]
    if shuffle:
        random.Random(len(truth)).shuffle(truth)
    cells = []
    for i, day in enumerate(truth):
        first, second = (day.month, day.day) if month_first != (i in swap) else (day.day, day.month)
        cells.append(f"{first:02d}/{second:02d}/{day.year}")
    values = pd.Series(cells, dtype="string")
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, slow = _both_routes(values, ("%Y-%m-%d",), order=documented, monkeypatch=monkeypatch)
    if fast is not None:
        pd.testing.assert_series_equal(fast.values, slow.values)
        pd.testing.assert_series_equal(fast.reasons, slow.reasons)
        assert fast.notes == slow.notes


def test_the_file_order_tie_break_needs_a_contradiction_and_enough_dates():
    # the tie-break of a one-cell contradiction (test_platforms_damaged) must not fire without one:
    # no date proves an order, so the documented month-first reading stands (the note is not there)
    out = parse_dates(pd.Series(["05/10/2023", "06/10/2023", "03/11/2023"]), "Date", ["%m/%d/%Y"])
    assert days(out) == ["2023-05-10", "2023-06-10", "2023-03-11"] and out.notes == []
    # nor when the proof agrees with the documented order, whatever the file's order
    out = parse_dates(pd.Series(["13/10/2023 10:00", "11/05/2023 09:00", "12/11/2023 08:00"]), "Date",
                      ["%d/%m/%Y %H:%M"])
    assert days(out) == ["2023-10-13", "2023-05-11", "2023-11-12"]
    # nor on three dates, which run in order by chance one time in three
    out = parse_dates(pd.Series(["10/03/2023", "13/10/2023", "10/11/2023"]), "Date", ["%m/%d/%Y"])
    assert days(out) == ["2023-03-10", "2023-10-13", "2023-11-10"]


@pytest.mark.parametrize("parse", ["parse_dates", "parse_datetimes"])
@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin", "America/New_York"])
def test_a_day_level_column_keeps_each_day_as_written(parse, tz):
    # a day is the calendar day the export writes, whatever its offset or the zone of times
    # without one; read as an instant and cut in UTC, Berlin's midnight is the day before and
    # New York's late evening the day after
    from toolkit.loading.parse import parse_datetimes

    cells = pd.Series(["2024-01-01T00:00:00+01:00", "2024-01-02T23:30:00-05:00", "2024-01-03 00:30",
                       "2024-01-04"])
    if parse == "parse_dates":
        days = parse_dates(cells, "date", date_only=True, tz=tz).values
    else:
        days, _ = parse_datetimes(cells, "date", ("ISO8601",), date_only=True, tz=tz)
    assert days.dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-01-01 00:00", "2024-01-02 00:00", "2024-01-03 00:00", "2024-01-04 00:00"]
