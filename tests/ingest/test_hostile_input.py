"""Hostile and odd files (docs/sources.md, "Hostile and odd files"): every one is rejected
by name or read with a clear decision; no row disappears without a trace, nothing outside
the sources folder is read, nothing hangs the run or eats the machine's memory."""

from __future__ import annotations

import logging
import os
import re
import resource
import zipfile
from pathlib import Path

from dagster_project.ingest import reader
from dagster_project.ingest.loader import load_config, load_source

from .conftest import table, write_delimited, write_xlsx

ERP_HEADER = ["order_id", "order_date", "customer_id", "org_unit", "channel", "net_amount"]
HEADER_LINE = ";".join(ERP_HEADER) + "\r\n"


def line(order_id: str, channel: str = "Webshop", amount: str = "10,00",
         order_date: str = "01.03.2025") -> str:
    return f"{order_id};{order_date};K1;VT;{channel};{amount}\r\n"


def load(con, sources: Path, source: str = "erp_orders"):
    load_config(con, sources, "load-1")
    return load_source(con, source, sources, "load-1")


def rejected(result) -> dict[str, str]:
    return {p.file_name: p.message for p in result.rejected_files}


def test_links_out_of_the_folder_pipes_and_folders_are_rejected_by_name_unread(
        con, sources, tmp_path, caplog):
    folder = sources / "erp_orders"
    write_delimited(folder / "z_good.csv", [ERP_HEADER, ["A1", "01.03.2025", "K1", "VT",
                                                         "Webshop", "10,00"]])
    secret = tmp_path / "outside.csv"    # a readable export, but outside the sources folder
    write_delimited(secret, [ERP_HEADER, ["S1", "01.03.2025", "K1", "VT", "Webshop", "1"]])
    os.symlink(secret, folder / "a_outside.csv")
    os.symlink(tmp_path / "missing.csv", folder / "b_dangling.csv")
    os.mkfifo(folder / "c_pipe.csv")     # opened, it would block the run for ever
    (folder / "d odd ;'name.csv").mkdir()
    inside = sources / "archive.csv"     # a link inside the sources folder is followed
    write_delimited(inside, [ERP_HEADER, ["I1", "01.03.2025", "K1", "VT", "Webshop", "1"]])
    os.symlink(inside, folder / "e_inside.csv")
    for hidden in (".~lock.orders.csv#", "~$orders.xlsx", ".DS_Store"):
        (folder / hidden).write_bytes(b"\x00lock")
    with caplog.at_level(logging.INFO, logger="leitstand.ingest"):
        result = load(con, sources)
    assert rejected(result) == {
        "a_outside.csv": f"a symbolic link to '{secret}', outside the sources folder — not "
                         "read; copy the export into the folder instead",
        "b_dangling.csv": f"a symbolic link to '{tmp_path / 'missing.csv'}', which does not "
                          "exist — put the export itself in the folder",
        "c_pipe.csv": "a named pipe (FIFO), not a regular file — not read (move it elsewhere)",
        "d odd ;'name.csv": "a folder — accepted: .csv, .txt, .xlsx (move it elsewhere)",
    }
    assert table(con, "erp_orders", "order_id", order="1") == [("A1",), ("I1",)]
    for hidden in (".~lock.orders.csv#", "~$orders.xlsx", ".DS_Store"):
        assert f"erp_orders/{hidden}: skipped (a hidden file or an Office lock file)" \
            in caplog.text


def test_a_quote_that_never_closes_rejects_the_file_naming_row_and_column(con, sources):
    """The lenient reader would run the quoted value on to the end of the file (or the next
    quote), swallowing the rows below it: the file is rejected instead, naming the row, the
    column and the value where the quote opens and the rows that could not be read."""
    folder = sources / "erp_orders"
    folder.mkdir(parents=True)
    rows = [line(f"A{i}") for i in range(1, 11)]
    rows[3] = line("A4", channel='"Webshop')
    (folder / "a_open_quote.csv").write_text(HEADER_LINE + "".join(rows), encoding="utf-8")
    # a quote that closes at the next quoted value, six rows further down
    rows = [line(f"B{i}") for i in range(1, 11)]
    rows[2] = line("B3", channel='"Webshop')
    rows[8] = line("B9", channel='"Web;shop"')
    (folder / "b_flipped.csv").write_text(HEADER_LINE + "".join(rows), encoding="utf-8")
    # a blank line below the header: DuckDB counts it, the data rows do not
    rows = [line(f"E{i}") for i in range(1, 5)]
    rows[1] = line("E2", channel='"Webshop')
    (folder / "e_blank_line.csv").write_text(HEADER_LINE + "\r\n" + "".join(rows),
                                             encoding="utf-8")
    # a quote inside an unquoted value is a character, as in Excel
    (folder / "c_inner.csv").write_text(HEADER_LINE + line("C1", channel='Web"shop'),
                                        encoding="utf-8")
    result = load(con, sources)

    def message(row: int, last_line: int) -> str:
        return (f"row {row}: a quote opened in column 'channel' (value starting "
                f"'\"Webshop') is never closed: row {row} to the end of the file "
                f"(line {last_line}) could not be read — close the quote (or remove it) in "
                "the export and save it again")

    assert rejected(result) == {"a_open_quote.csv": message(4, 11),
                                "b_flipped.csv": message(3, 11),
                                "e_blank_line.csv": message(2, 6)}
    assert table(con, "erp_orders", "order_id, channel") == [("C1", 'Web"shop')]
    assert result.rows_total == 1 and result.rows_quarantined == 0


def rewrite_sheet(path: Path, edit) -> None:
    """Rewrite the first sheet's XML of the workbook `path` with `edit(zip, name, xml)`."""
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name == "xl/worksheets/sheet1.xml":
                edit(z, name, data.decode())
            else:
                z.writestr(name, data)


def erp_workbook(path: Path, rows: int = 3) -> Path:
    return write_xlsx(path, [ERP_HEADER, *[[f"X{i}", "01.03.2025", "K1", "VT", "Webshop", 10]
                                           for i in range(1, rows + 1)]])


def test_an_xlsx_zip_bomb_is_refused_by_name_without_being_unpacked(con, sources):
    """A 150 MB sheet of blanks packs into a few hundred KB: refused from the zip's own
    directory (the unpacked sizes it declares), so memory stays where it was."""
    bomb = erp_workbook(sources / "erp_orders" / "bomb.xlsx")

    def blanks(z, name, xml):
        head, tail = xml.split("</sheetData>")
        with z.open(name, "w", force_zip64=True) as f:
            f.write(head.encode())
            for _ in range(150):
                f.write(b" " * 2**20)
            f.write(("</sheetData>" + tail).encode())

    rewrite_sheet(bomb, blanks)
    size = bomb.stat().st_size
    assert size < 2 * 2**20
    erp_workbook(sources / "erp_orders" / "good.xlsx")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = load(con, sources)
    [(name, message)] = rejected(result).items()
    assert name == "bomb.xlsx"
    assert message == (
        f"the workbook would unpack to 150 MB from {size / 2**20:.1f} MB on disk (limits: "
        "100 times its size, 1,024 MB) — not opened, as a zip bomb would be; export the data "
        "as .csv/.txt (delimited)")
    assert len(table(con, "erp_orders")) == 3
    # unpacking it (openpyxl reads the blanks as one text) took 150 MB and more
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024


def test_a_workbook_declaring_too_small_a_size_loses_no_row(con, sources):
    """openpyxl's read-only mode trusts the sheet's declared dimension (`A1:F4`): a row below
    it — here after 20,000 empty rows — was dropped without a word. The cells decide."""
    book = erp_workbook(sources / "erp_orders" / "late.xlsx")
    cells = "".join(f'<c r="{col}20010" t="inlineStr"><is><t>{v}</t></is></c>' for col, v in
                    zip("ABCDEF", ["LATE", "01.03.2025", "K1", "VT", "Webshop", "5"],
                        strict=True))

    def late_row(z, name, xml):
        empty = "".join(f'<row r="{n}"/>' for n in range(10, 20010))
        xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:F4"/>', xml)
        z.writestr(name, xml.replace("</sheetData>",
                                     f'{empty}<row r="20010">{cells}</row></sheetData>'))

    rewrite_sheet(book, late_row)
    result = load(con, sources)
    assert result.rejected_files == []
    assert table(con, "erp_orders", "order_id, _row_number", order="2") == [
        ("X1", 1), ("X2", 2), ("X3", 3), ("LATE", 20009)]


def test_a_formula_without_its_value_refuses_the_workbook_by_cell(con, sources):
    """A workbook written by a program that does not calculate (openpyxl, as here) stores
    formulas without their values: read as data, `=4*2.5` was an empty amount — quarantined
    as missing at best, an empty optional field at worst. Refused by cell and column, with
    the fix; a formula in a column nobody reads, or one Excel stored with its value, is
    read as before."""
    folder = sources / "erp_orders"
    write_xlsx(folder / "script.xlsx", [ERP_HEADER + ["Notiz"],
                                        ["S1", "01.03.2025", "K1", "VT", "Webshop", 10, "x"],
                                        ["S2", "01.03.2025", "K1", "VT", "Webshop", "=4*2.5",
                                         "y"]])
    write_xlsx(folder / "notes.xlsx", [ERP_HEADER + ["Notiz"],
                                       ["N1", "01.03.2025", "K1", "VT", "Webshop", 7, "=1+1"]])
    saved = write_xlsx(folder / "saved.xlsx", [ERP_HEADER,
                                               ["E1", "01.03.2025", "K1", "VT", "Webshop", 1]])
    # as Excel saves it: the formula and, beside it, its last value
    rewrite_sheet(saved, lambda z, name, xml: z.writestr(name, re.sub(
        r'<c r="F2"( [^>]*)?>.*?</c>', '<c r="F2"><f>2*3</f><v>6</v></c>', xml)))
    result = load(con, sources)
    assert rejected(result) == {
        "script.xlsx": "cell F3 (column 'net_amount') holds a formula without its value — the "
                       "workbook was written by a program that does not calculate: open it in "
                       "Excel or LibreOffice, save it and put it back, or export the data as "
                       ".csv/.txt (delimited)"}
    assert table(con, "erp_orders", "order_id, net_amount") == [("E1", 6.0), ("N1", 7.0)]


def test_a_formula_without_its_value_is_found_under_a_namespace_prefix(tmp_path):
    """The .NET Open XML SDK writes the sheet with prefixed elements (`<x:c>`, `<x:f>`):
    the check reads those as Excel's own, and a prefixed text result `""` stays an empty
    cell."""
    book = erp_workbook(tmp_path / "sdk.xlsx", rows=2)
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def prefixed(z, name, xml):
        xml = re.sub(r'<c r="F3"( [^>]*)?>.*?</c>', '<c r="F3"><f>4*2.5</f></c>', xml)
        xml = re.sub(r'<c r="E2"( [^>]*)?>.*?</c>', '<c r="E2" t="str"><f>""</f><v></v></c>',
                     xml)
        xml = re.sub(r"<(/?)(\w+)([ >/])", r"<\1x:\2\3", xml)  # every element prefixed
        xml = xml.replace(f'<x:worksheet xmlns="{main}"', f'<x:worksheet xmlns:x="{main}"')
        z.writestr(name, xml)

    rewrite_sheet(book, prefixed)
    assert reader._formula_without_value(book, 1, set(range(6)), ERP_HEADER) == (
        "cell F3 (column 'net_amount') holds a formula without its value — the workbook was "
        "written by a program that does not calculate: open it in Excel or LibreOffice, save "
        "it and put it back, or export the data as .csv/.txt (delimited)")
    assert reader._formula_without_value(book, 1, set(range(5)), ERP_HEADER) is None


def test_a_workbook_beyond_the_cell_limit_is_refused_by_name(con, sources, monkeypatch):
    monkeypatch.setattr(reader, "XLSX_MAX_CELLS", 40)
    erp_workbook(sources / "erp_orders" / "big.xlsx", rows=10)   # 11 rows of 6 cells
    erp_workbook(sources / "erp_orders" / "small.xlsx", rows=2)
    result = load(con, sources)
    assert rejected(result) == {
        "big.xlsx": "the first sheet has more than 40 cells (row 7 of the sheet reaches the "
                    "limit) — too large for a workbook here: export the data as .csv/.txt "
                    "(delimited)"}
    assert len(table(con, "erp_orders")) == 2


def test_huge_and_odd_numbers_are_quarantined_never_rounded_or_overflowing(con, sources):
    """A number beyond 15 digits before the decimal point was stored rounded (1e+23 for
    99999999999999999999999) and a 40-digit count overflowed the bigint cast, taking the
    whole source down with a ConversionException; NaN/inf are no numbers; -0 is 0."""
    amounts = ["99999999999999999999999", "1" * 40, "1e308", "NaN", "inf", "-0",
               "999999999999999", "1.000.000.000.000.000,00"]
    folder = sources / "erp_orders"
    folder.mkdir(parents=True)
    (folder / "amounts.csv").write_text(
        HEADER_LINE + "".join(line(f"A{i}", amount=a) for i, a in enumerate(amounts, 1))
        + "".join(line(f"D{i}", order_date=d) for i, d in
                  enumerate(["2026-02-30", "9999-12-31", "0001-01-01"], 1)),
        encoding="utf-8")
    write_delimited(sources / "hr_employees" / "hr.csv", [
        ["employee_id", "org_unit", "role", "entry_date"], ["E1", "VT", "Vertrieb", "01.01.2020"]])
    (sources / "it_usage").mkdir()
    (sources / "it_usage" / "usage.csv").write_text(
        "employee_id;tool;activity_date;events\r\n"
        f"E1;CRM;01.03.2025;{'9' * 40}\r\nE1;ERP;01.03.2025;12\r\n", encoding="utf-8")
    result = load(con, sources)
    load_source(con, "hr_employees", sources, "load-1")
    usage = load_source(con, "it_usage", sources, "load-1")
    too_large = "too large (at most 15 digits before the decimal point)"
    assert con.execute(
        "select file_name, row_number, column_name, reason, raw_value from dq.quarantine "
        "order by all").fetchall() == [
        ("amounts.csv", 1, "net_amount", f"number '{amounts[0]}' {too_large}", amounts[0]),
        ("amounts.csv", 2, "net_amount", f"number '{amounts[1]}' {too_large}", amounts[1]),
        ("amounts.csv", 3, "net_amount", "unparsable number '1e308'", "1e308"),
        ("amounts.csv", 4, "net_amount", "unparsable number 'NaN'", "NaN"),
        ("amounts.csv", 5, "net_amount", "unparsable number 'inf'", "inf"),
        ("amounts.csv", 8, "net_amount", f"number '{amounts[7]}' {too_large}", amounts[7]),
        ("amounts.csv", 9, "order_date", "unparsable date '2026-02-30'", "2026-02-30"),
        ("usage.csv", 1, "events", f"number '{'9' * 40}' {too_large}", "9" * 40),
    ]
    # dates far out are read as written: the gate's date rules judge them
    assert [(o, str(a), str(d)) for o, a, d in table(
        con, "erp_orders", "order_id, net_amount, order_date", order="1")] == [
        ("A6", "0.0", "2025-03-01"), ("A7", "999999999999999.0", "2025-03-01"),
        ("D2", "10.0", "9999-12-31"), ("D3", "10.0", "0001-01-01")]
    assert (result.rows_total, result.rows_loaded, result.rows_quarantined) == (11, 4, 7)
    assert (usage.rows_total, usage.rows_loaded, usage.rows_quarantined) == (2, 1, 1)


def test_a_line_beyond_the_readers_limit_rejects_the_file_naming_the_row(con, sources):
    folder = sources / "erp_orders"
    folder.mkdir(parents=True)
    long = line("A2", channel="W" * 3_000_000)
    (folder / "long.csv").write_text(HEADER_LINE + line("A1") + long + line("A3"),
                                     encoding="utf-8")
    (folder / "ok.csv").write_text(HEADER_LINE + line("B1"), encoding="utf-8")
    result = load(con, sources)
    assert rejected(result) == {
        "long.csv": f"row 2: a line of {(len(long) - 2) / 1e6:.1f} MB, longer than the "
                    "reader's limit of 2 MB — no export value is that long: check the export "
                    "(a text column run wild, or a line break missing)"}
    assert table(con, "erp_orders", "order_id") == [("B1",)]


def test_nul_bytes_in_a_text_export_are_named_by_row_column_and_value(con, sources):
    """A NUL inside a value was either 'binary content' (in the first 256 KB) or stored as
    it is (further down); NUL padding at the end was 'binary content' too."""
    folder = sources / "erp_orders"
    folder.mkdir(parents=True)
    rows = [line(f"A{i}") for i in range(1, 7)]
    rows[3] = line("A4", channel="Web\x00shop")
    (folder / "a_nul.csv").write_text(HEADER_LINE + "".join(rows), encoding="utf-8")
    far = [line(f"B{i}", channel="Webshop " + "x" * 200) for i in range(1, 2001)]
    far[1499] = line("B1500", channel="Web\x00shop")    # beyond the first 256 KB
    (folder / "b_nul_far.csv").write_text(HEADER_LINE + "".join(far), encoding="utf-8")
    (folder / "c_padded.csv").write_bytes(
        (HEADER_LINE + line("C1") + line("C2")).encode() + b"\x00" * 4096)
    # Excel's "Unicode text": UTF-16 with BOM, tab-separated, NULs in every other byte
    tsv = "\t".join(ERP_HEADER) + "\r\n" + "D1\t01.03.2025\tK1\tVT\tWebshop\t1.234,50\r\n"
    (folder / "d_utf16le.txt").write_bytes(b"\xff\xfe" + tsv.encode("utf-16-le"))
    (folder / "e_utf16be.txt").write_bytes(
        b"\xfe\xff" + tsv.replace("D1", "E1").encode("utf-16-be"))
    result = load(con, sources)
    fix = "— the export is damaged or padded; remove the NUL bytes (save the file again as text)"
    assert rejected(result) == {
        "a_nul.csv": "row 4, column 'channel': the value 'Web\\0shop' holds a NUL byte (\\x00,"
                     f" shown as \\0) {fix}",
        "b_nul_far.csv": "row 1500, column 'channel': the value 'Web\\0shop' holds a NUL byte "
                         f"(\\x00, shown as \\0) {fix}",
        "c_padded.csv": "the file ends in 4,096 NUL bytes (\\x00) after row 2: padding, not "
                        "data — save the export again (or cut the padding off)",
    }
    assert table(con, "erp_orders", "order_id, net_amount", order="1") == [
        ("D1", 1234.5), ("E1", 1234.5)]


def test_a_utf8_export_with_a_few_windows_1252_lines_is_read_line_by_line(con, sources,
                                                                          caplog):
    """Taken for Windows-1252 as a whole, every UTF-8 umlaut became two characters
    ('MÃ¼ller'); now each line is read as UTF-8 where it is valid UTF-8, the others as
    Windows-1252, and the log names those lines."""
    folder = sources / "erp_orders"
    folder.mkdir(parents=True)
    data = (HEADER_LINE.encode() + "A1;01.03.2025;Müller;VT;Webshop;1\r\n".encode()
            + "A2;01.03.2025;Bäcker;VT;Webshop;1\r\n".encode()
            + "A3;01.03.2025;Gärtner;VT;Webshop;1\r\n".encode("cp1252")
            + "A4;01.03.2025;Größe;VT;Webshop;1\r\n".encode())
    (folder / "mixed.csv").write_bytes(data)
    with caplog.at_level(logging.INFO, logger="leitstand.ingest"):
        result = load(con, sources)
    assert result.rejected_files == []
    assert table(con, "erp_orders", "order_id, customer_id", order="1") == [
        ("A1", "Müller"), ("A2", "Bäcker"), ("A3", "Gärtner"), ("A4", "Größe")]
    assert ("erp_orders/mixed.csv: mixed encodings — read as UTF-8, except line(s) 4, which "
            "are not UTF-8 and were read as Windows-1252") in caplog.text


def test_formula_text_is_stored_as_written_as_text(con, sources):
    """Formula-looking text is data: stored verbatim (the outputs escape it, see
    tests/ops/test_query.py and tests/ops/test_dashboard_downloads.py)."""
    formulas = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3"]
    write_delimited(sources / "erp_orders" / "f.csv",
                    [ERP_HEADER, *[[f"A{i}", "01.03.2025", "K1", "VT", v, "1"]
                                   for i, v in enumerate(formulas, 1)]], encoding="utf-8")
    result = load(con, sources)
    assert result.rejected_files == [] and result.rows_quarantined == 0
    assert table(con, "erp_orders", "channel", order="order_id") == [(v,) for v in formulas]


def test_a_row_far_beyond_excels_last_row_is_refused_not_waited_for(con, sources,
                                                                    monkeypatch):
    """`<row r="2000000000">` costs a few bytes; openpyxl yields every missing row before it
    (the load hung, and its memory grew). Excel's last row is the limit (here lowered, to be
    quick; the real one takes a few seconds)."""
    monkeypatch.setattr(reader, "XLSX_MAX_ROWS", 1000)
    book = erp_workbook(sources / "erp_orders" / "far.xlsx")
    rewrite_sheet(book, lambda z, name, xml: z.writestr(name, xml.replace(
        "</sheetData>", '<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>FAR</t>'
                        '</is></c></row></sheetData>')))
    erp_workbook(sources / "erp_orders" / "good.xlsx", rows=2)
    result = load(con, sources)
    assert rejected(result) == {
        "far.xlsx": "the first sheet has rows beyond row 1,000, Excel's last row — the workbook "
                    "is damaged or not from a spreadsheet program: export the data as "
                    ".csv/.txt (delimited)"}
    assert len(table(con, "erp_orders")) == 2


def test_messages_never_quote_a_column_that_may_be_personal(con, sources):
    """A NUL in a name column, a quote opened in a free-text column nobody claims: the
    message names row and column, but not the value (it never reaches a log or report)."""
    folder = sources / "erp_orders"
    folder.mkdir(parents=True)
    header = HEADER_LINE.rstrip() + ";Name;Bemerkung\r\n"
    (folder / "a_nul_in_name.csv").write_text(
        header + "A1;01.03.2025;K1;VT;Webshop;1;Erika\x00Muster;\r\n", encoding="utf-8")
    (folder / "b_quote_in_remark.csv").write_text(
        header + "B1;01.03.2025;K1;VT;Webshop;1;;\"Rückruf Frau Muster\r\n"
        "B2;01.03.2025;K1;VT;Webshop;1;;\r\n", encoding="utf-8")
    (folder / "c_nul_in_email_id.csv").write_text(
        "order_id;order_date;customer_id;org_unit;channel;net_amount\r\n"
        "C1;01.03.2025;erika\x00@muster.example;VT;Webshop;1\r\n", encoding="utf-8")
    result = load(con, sources)
    messages = rejected(result)
    assert messages == {
        "a_nul_in_name.csv": "row 1, column 'Name' holds a NUL byte (\\x00, shown as \\0) — "
                             "the export is damaged or padded; remove the NUL bytes (save the "
                             "file again as text)",
        "b_quote_in_remark.csv": "row 1: a quote opened in column 'Bemerkung' is never closed: "
                                 "row 1 to the end of the file (line 3) could not be read — "
                                 "close the quote (or remove it) in the export and save it "
                                 "again",
        "c_nul_in_email_id.csv": "row 1, column 'customer_id' holds a NUL byte (\\x00, shown as "
                                 "\\0) — the export is damaged or padded; remove the NUL bytes "
                                 "(save the file again as text)",
    }
    assert not any("Muster" in m or "erika" in m for m in messages.values())
