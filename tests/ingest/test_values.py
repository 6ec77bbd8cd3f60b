"""The value parsers (DuckDB SQL macros) on messy inputs: numbers, dates, booleans, empties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.ingest import parse
from dagster_project.ingest.contracts import all_contracts
from dagster_project.ingest.values import (
    DATETIME_FORMATS,
    decide_convention,
    install_macros,
    sql_str,
)


@pytest.fixture(scope="module")
def sql():
    con = duckdb.connect()
    install_macros(con)
    yield con
    con.close()


def each(sql, expr: str, *columns: list[str]) -> list:
    """`expr` of c0, c1, … for every row of the equal-length string lists, in their order:
    one query per hypothesis example (a query plans the macros anew, ~0.1 s each)."""
    unnest = ", ".join(f"unnest(?::varchar[]) as c{i}" for i in range(len(columns)))
    rows = sql.execute(f"select {expr} from (select {unnest}, "
                       f"unnest(range({len(columns[0])})) as _i) order by _i",
                       list(columns)).fetchall()
    return [r[0] for r in rows]


def parse_number(sql, text: str, conv: str) -> float | None:
    return parse_numbers(sql, [text], [conv])[0]


def parse_numbers(sql, texts: list[str], convs: list[str]) -> list[float | None]:
    return each(sql, "lt_number(lt_text(c0), c1)", texts, convs)


def number_styles(sql, texts: list[str]) -> list[str | None]:
    return each(sql, "lt_number_style(lt_number_text(lt_text(c0)))", texts)


def group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def fmt(value: Decimal, decimal_sep: str, thousands: bool, places: int) -> str:
    """A number as a German (',') or English ('.') export writes it."""
    sign = "-" if value < 0 else ""
    q = abs(value).quantize(Decimal(1).scaleb(-places)) if places else abs(value).quantize(1)
    whole, _, frac = f"{q:f}".partition(".")
    if thousands:
        whole = group(whole, "." if decimal_sep == "," else ",")
    return sign + whole + (decimal_sep + frac if frac else "")


amounts = st.decimals(min_value=Decimal("-99999999"), max_value=Decimal("99999999"),
                      allow_nan=False, allow_infinity=False, places=2)


written = st.tuples(amounts, st.sampled_from([",", "."]), st.booleans())


@settings(max_examples=30, deadline=None)
@given(cases=st.lists(st.tuples(written, st.sampled_from([0, 1, 2])), min_size=1, max_size=40))
def test_numbers_read_back_with_the_columns_convention(sql, cases):
    texts = [fmt(value, sep, thousands, places) for (value, sep, thousands), places in cases]
    seps = [sep for (_, sep, _), _ in cases]
    got = parse_numbers(sql, texts, seps)
    for text, sep, number in zip(texts, seps, got, strict=True):
        expected = float(Decimal(text.replace("." if sep == "," else ",", "")
                                 .replace(",", ".")))
        assert number == pytest.approx(expected), text


@settings(max_examples=30, deadline=None)
@given(cases=st.lists(st.tuples(written, st.sampled_from([0, 1, 2, 3])), min_size=1,
                      max_size=40))
def test_a_mixed_column_never_misreads_a_number(sql, cases):
    """With the convention unknown ('?'), a value is read correctly or not at all."""
    texts = [fmt(value, sep, thousands, places) for (value, sep, thousands), places in cases]
    got = parse_numbers(sql, texts, ["?"] * len(texts))
    for text, ((_, sep, _), _), number in zip(texts, cases, got, strict=True):
        thousands_sep = "." if sep == "," else ","
        expected = float(Decimal(text.replace(thousands_sep, "").replace(sep, ".")))
        assert number is None or number == pytest.approx(expected), text


columns = st.tuples(st.lists(amounts, min_size=1, max_size=30), st.sampled_from([",", "."]),
                   st.sampled_from([",", "."]))


@settings(max_examples=40, deadline=None)
@given(cases=st.lists(columns, min_size=1, max_size=4))
def test_column_convention_comes_from_its_unambiguous_values(sql, cases):
    """Each case is a column (its values, the separator it was written with, the file's
    convention); the columns of one example are typed in one query each way."""
    texts = [[fmt(v, decimal_sep, True, 2) for v in values] for values, decimal_sep, _ in cases]
    styles = number_styles(sql, [t for column in texts for t in column])
    convs, checked = [], []
    for (values, decimal_sep, file_convention), column in zip(cases, texts, strict=True):
        column_styles, styles = styles[:len(column)], styles[len(column):]
        conv = decide_convention(column_styles.count(","), column_styles.count("."),
                                 file_convention)
        assert conv in (decimal_sep, file_convention)
        if any(s is not None for s in column_styles):
            assert conv == decimal_sep
            convs += [conv] * len(column)
            checked += zip(values, column, strict=True)
    got = parse_numbers(sql, [t for _, t in checked], convs) if checked else []
    for (v, t), number in zip(checked, got, strict=True):
        assert number == pytest.approx(float(v)), t


@settings(max_examples=30, deadline=None)
@given(texts=st.lists(st.text(alphabet="0123456789-.,a", max_size=9), min_size=1, max_size=40))
def test_a_value_shows_a_decimal_separator_only_as_its_shapes_tell(sql, texts):
    """lt_number_style skips the shape matches for values without a separator: exactly
    the values that fit both shapes or neither (fails if a separator were not looked for)."""
    got = each(sql, "[lt_number_style(c0), case when lt_de_shape(c0) and not lt_en_shape(c0) "
               "then ',' when lt_en_shape(c0) and not lt_de_shape(c0) then '.' end]", texts)
    for text, (style, by_shapes) in zip(texts, got, strict=True):
        assert style == by_shapes, text


@pytest.mark.parametrize(
    ("text", "conv", "expected"),
    [
        ("1.234,50", ",", 1234.5),
        ("1,234.50", ".", 1234.5),
        ("1234,5", ".", 1234.5),          # the comma shows itself as decimal
        ("1234.5", ",", 1234.5),
        ("1.234", ",", 1234.0),           # German file: a thousands separator
        ("1.234", ".", 1.234),
        ("0.025", ",", 0.025),            # a leading zero is never a thousands group
        ("1.234.567", ".", 1234567.0),    # two dot groups: thousands
        ("12 %", ",", 12.0),
        ("45%", ".", 45.0),
        ("45,0 %", ",", 45.0),
        ("1.234,50-", ",", -1234.5),      # SAP writes the minus behind
        ("-1.234,50", ",", -1234.5),
        ("€ 1.234,50", ",", 1234.5),
        ("1 234,50", ",", 1234.5),
        ("1\u00a0234,50", ",", 1234.5),
        ("1'234.50", ".", 1234.5),
        ("1.234", "?", None),             # ambiguous in a mixed column: not guessed
        ("12,34,56", ".", None),
        ("zwölf", ",", None),
        ("1.2.3", ",", None),
        ("k.A.", ",", None),
    ],
)
def test_number_examples(sql, text, conv, expected):
    got = parse_number(sql, text, conv)
    assert got == (pytest.approx(expected) if expected is not None else None)


def parse_timestamp(sql, text: str):
    return parse_timestamps(sql, [text])[0]


def parse_timestamps(sql, texts: list[str]) -> list:
    return each(sql, "lt_timestamp(lt_text(c0))", texts)


DATE_WRITERS = {
    "de": lambda d: d.strftime("%d.%m.%Y"),
    "de-short-year": lambda d: d.strftime("%d.%m.%y"),
    "de-unpadded": lambda d: f"{d.day}.{d.month}.{d.year}",
    "iso": lambda d: d.isoformat(),
    "sap": lambda d: d.strftime("%Y%m%d"),
}
TIME_WRITERS = {
    "hh:mm": lambda t: (f" {t:%H:%M}", t.replace(second=0)),
    "hh:mm:ss": lambda t: (f" {t:%H:%M:%S}", t),
    "none": lambda t: ("", dt.time(0, 0)),
}


def written_timestamp(day: dt.date, time: dt.time, date_writer: str, time_writer: str,
                      iso_t: bool) -> tuple[str, dt.datetime]:
    """The text a tool writes for a day and time, and the timestamp it means."""
    if date_writer == "sap" and time_writer != "none":
        time_writer = "none"
    suffix, expected_time = TIME_WRITERS[time_writer](time)
    text = DATE_WRITERS[date_writer](day)
    if suffix and date_writer == "iso" and iso_t:
        suffix = "T" + suffix.strip()
    return text + suffix, dt.datetime.combine(day, expected_time)


@settings(max_examples=30, deadline=None)
@given(cases=st.lists(st.builds(
    written_timestamp, st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    st.times().map(lambda t: t.replace(microsecond=0)), st.sampled_from(sorted(DATE_WRITERS)),
    st.sampled_from(sorted(TIME_WRITERS)), st.booleans()), min_size=1, max_size=40))
def test_dates_and_times_read_back(sql, cases):
    got = parse_timestamps(sql, [text for text, _ in cases])
    for (text, expected), timestamp in zip(cases, got, strict=True):
        assert timestamp == expected, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31.12.25", dt.datetime(2025, 12, 31)),          # two-digit year = 20yy
        ("01.01.99", dt.datetime(2099, 1, 1)),
        ("31.12.2025 14:05", dt.datetime(2025, 12, 31, 14, 5)),
        ("2025-12-31T14:05:33", dt.datetime(2025, 12, 31, 14, 5, 33)),
        ("2025-12-31T14:05:33+01:00", dt.datetime(2025, 12, 31, 14, 5, 33)),  # as written
        ("2025-02-29T14:05:33", None),                    # no such day (2025)
        ("2025-12-31 14:05:33.250", dt.datetime(2025, 12, 31, 14, 5, 33, 250000)),
        ("31.12.2025, 14:05", dt.datetime(2025, 12, 31, 14, 5)),   # Forms, German locale
        ("45747", dt.datetime(2025, 3, 31)),                        # Excel serial day
        ("45747.5", dt.datetime(2025, 3, 31, 12)),
        ("31.02.2025", None),
        ("2025-13-01", None),
        ("gestern", None),
        ("-", None),
    ],
)
def test_date_examples(sql, text, expected):
    assert parse_timestamp(sql, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ja", True), ("Nein", False), ("TRUE", True), ("false", False), ("yes", True),
     ("No", False), ("1", True), ("0", False), ("x", True), ("X", True), ("wahr", True),
     ("vielleicht", None)],
)
def test_booleans(sql, text, expected):
    assert sql.execute("select lt_bool(lt_text(?))", [text]).fetchall()[0][0] is expected


@pytest.mark.parametrize("text", ["", "   ", "-", "k.A.", "K.A.", "n/a", "N/A", "NULL",
                                  "null", " k. A. "])
def test_empty_markers_mean_no_value(sql, text):
    assert sql.execute("select lt_text(?)", [text]).fetchall()[0][0] is None


def test_text_is_trimmed_but_kept(sql):
    assert sql.execute("select lt_text(?)", ["  Webshop \t"]).fetchall()[0][0] == "Webshop"


@pytest.mark.parametrize(
    "text",
    ["  Webshop \t", "Bürö", "Bürö\u00a0", "\u202fx", "a\r\n", "\r\n", " ", "", "\fx ",
     "x\f", "\u0600 ", "ä ü", "Straße"],
)
def test_trim_removes_exactly_the_blank_characters_at_either_end(sql, text):
    """Spaces, tabs, line breaks, non-breaking and narrow non-breaking spaces; nothing
    else (a form feed stays), whatever the other characters are."""
    expected = text.strip(" \t\n\r\u00a0\u202f")
    assert sql.execute("select lt_trim(?)", [text]).fetchall()[0][0] == expected


# ISO shapes go to DuckDB's timestamp cast; whatever reaches it must read as the formats do.
ISO_EDGES = [
    "2025-01-01", "2024-02-29", "2023-02-29", "2025-02-30", "2025-13-01", "2025-00-10",
    "2025-01-00", "0000-01-01", "0001-01-01", "9999-12-31", "2025-01-01 00:00",
    "2025-01-01 23:59", "2025-01-01 24:00", "2025-01-01 24:00:00", "2025-01-01 23:60",
    "2025-01-01 23:59:60", "2025-01-01 99:00", "2025-01-01T10:11", "2025-01-01T10:11:12",
    "2025-01-01 10:11:12.5", "2025-01-01 10:11:12.123456", "2025-01-01 10:11:12.1234567",
    "2025-01-01 10:11:12.", "2025-01-01 10:11:12Z", "2025-01-01 10:11+02:00",
    "2025-01-01  10:11", "2025-1-1",
]


def general_path(sql, text: str):
    return general_paths(sql, [text])[0]


def general_paths(sql, texts: list[str]) -> list:
    formats = "[" + ", ".join(sql_str(f) for f in DATETIME_FORMATS) + "]"
    return each(sql, f"try_strptime(lt_datetime_text(c0), {formats})", texts)


@pytest.mark.parametrize("text", ISO_EDGES)
def test_iso_fast_path_reads_as_the_formats_do(sql, text):
    """Hours 24, seconds 60, seven decimals and time zones are not the cast's to read (it
    would roll 24:00 over to the next day and round the seventh decimal)."""
    assert parse_timestamp(sql, text) == general_path(sql, text)


def iso_text(year: int, month: int, day: int, hour: int, minute: int, second: int,
             fraction: str, shape: str, sep: str) -> str:
    text = f"{year:04d}-{month:02d}-{day:02d}"
    if shape != "date":
        text += f"{sep}{hour:02d}:{minute:02d}"
    if shape in ("hh:mm:ss", "hh:mm:ss.f"):
        text += f":{second:02d}"
    if shape == "hh:mm:ss.f":
        text += "." + fraction
    return text


@settings(max_examples=30, deadline=None)
@given(texts=st.lists(st.builds(
    iso_text, st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
    st.integers(0, 61), st.integers(0, 61), st.text("0123456789", max_size=8),
    st.sampled_from(["date", "hh:mm", "hh:mm:ss", "hh:mm:ss.f"]), st.sampled_from([" ", "T"])),
    min_size=1, max_size=40))
def test_iso_fast_path_agrees_with_the_formats(sql, texts):
    for text, fast, general in zip(texts, parse_timestamps(sql, texts), general_paths(sql, texts),
                                   strict=True):
        assert fast == general, text


def test_value_lists_stay_expressions_in_the_typing_statement(sql):
    """DuckDB turns `x in (...)` of five constants or more (and `list_contains` of a
    constant list) into a join, one per expression: typing 1.36 M order lines took 0.92 s
    with them, 0.79 s without (`sql_one_of`)."""
    for c in all_contracts().values():
        if c.is_survey:
            continue
        columns = ", ".join(f"{parse.ident('s__' + f.name)} varchar" for f in c.fields)
        sql.execute("create or replace temp table _staged (_file integer, "
                    f"_row_number bigint, _overflow varchar, {columns})")
        select = parse._typed_select(c, {f.name: "," for f in c.fields}, "", looked_up=[])
        plan = sql.execute(f"explain {select}").fetchall()[0][1]
        assert "JOIN" not in plan.upper().replace(" ", "_"), c.name
