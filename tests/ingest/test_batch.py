"""Files of one source are read together (those of one layout by one `read_csv`) and typed
together (ingest/batch.py): the tables are exactly those each file read and typed on its
own gives."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.ingest import batch, parse

from .conftest import load_all, quarantine, raw_state, table, write_delimited

GERMAN = ["Auftragsnummer", "Auftragsdatum", "customer_id", "org_unit", "Bestellkanal",
          "Nettobetrag", "Auftragsstatus"]
ENGLISH = ["Order ID", "Order Date", "customer_id", "org_unit", "Channel", "Net Amount",
           "Status"]


def write_orders(sources) -> None:
    """Three readable exports in different conventions, and one without a required column."""
    folder = sources / "erp_orders"
    # ERP: `;`, Windows-1252, decimal comma; an exact duplicate row (collapsed), a key with
    # two versions (quarantined), a formatted empty line (no data row)
    write_delimited(folder / "a_auftraege.csv", [
        GERMAN,
        ["A1", "02.01.2025", "Bäckerei 1", "VT-IN", "Webshop", "1.234,50", "offen"],
        ["A2", "03.01.2025", "K1", "VT-IN", "Telefon", "12,5", "offen"],
        ["", "", "", "", "", "", ""],
        ["A2", "03.01.2025", "K1", "VT-IN", "Telefon", "12,5", "offen"],
        ["A3", "03.01.2025", "K2", "VT-EX", "EDI", "10,00", "offen"],
        ["A3", "03.01.2025", "K2", "VT-EX", "EDI", "11,00", "offen"]])
    # a shop export: `,`, UTF-8, decimal point and thousands comma; A1 again (the later
    # file wins, no duplicate within a file) and an unreadable date
    write_delimited(folder / "b_shop.csv", [
        ENGLISH,
        ["A4", "2025-01-04", "K3", "VT-EX", "Webshop", "1,234.50", "open"],
        ["A1", "2025-01-02", "K1", "VT-IN", "Webshop", "99.00", "open"],
        ["A6", "im Januar", "K3", "VT-EX", "Webshop", "5.00", "open"]],
        delimiter=",", encoding="utf-8")
    write_delimited(folder / "b_zwischen.csv", [
        ["Auftragsnummer", "Bestellkanal"], ["A9", "Webshop"]])
    write_delimited(folder / "c_auftraege.csv", [
        GERMAN, ["A5", "05.01.2025", "Bäckerei 1", "VT-IN", "EDI", "7", "offen"]])


def spy_reads(monkeypatch) -> list[list[str]]:
    """The files of each read from now on (one list per `read_files` call)."""
    read: list[list[str]] = []
    real_read = batch.read_files

    def read_files(con, files, c):
        read.append([f.path.name for f in files])
        return real_read(con, files, c)

    monkeypatch.setattr(batch, "read_files", read_files)
    return read


def load_orders(con, sources) -> list[str]:
    """Load the config and every source (only the orders have files); the orders' rejects."""
    results = {r.source: r for r in load_all(con, sources, "run-1")}
    return [str(p) for p in results["erp_orders"].rejected_files]


def test_files_typed_together_give_the_tables_of_files_typed_alone(sources, tmp_path,
                                                                    monkeypatch):
    write_orders(sources)
    typed = []
    real_parse = batch.parse_cells

    def parse_cells(con, c, conventions, *args):
        if c.name == "erp_orders":
            typed.append(sorted(conventions))
        return real_parse(con, c, conventions, *args)

    monkeypatch.setattr(batch, "parse_cells", parse_cells)

    together = duckdb.connect(str(tmp_path / "together.duckdb"))
    rejected = load_orders(together, sources)
    assert typed == [[0, 1, 2]]  # the three readable files in one batch
    assert together.execute(  # and nothing of the load is left behind
        "select table_name from information_schema.tables where table_catalog = 'temp' "
        "and table_name similar to '_(read|staged|typed|parsed|in).*'").fetchall() == []
    assert len(rejected) == 1 and "b_zwischen.csv" in rejected[0]
    assert "required column 'order_date' missing" in rejected[0]
    assert table(together, "erp_orders", "order_id, net_amount, _file_name, _row_number",
                 order="order_id") == [
        ("A1", 99.0, "b_shop.csv", 2),
        ("A2", 12.5, "a_auftraege.csv", 2),
        ("A4", 1234.5, "b_shop.csv", 1),
        ("A5", 7.0, "c_auftraege.csv", 1)]
    assert quarantine(together, "erp_orders") == [
        ("a_auftraege.csv", 5, "order_id", "duplicate key with different values in the same file"),
        ("a_auftraege.csv", 6, "order_id", "duplicate key with different values in the same file"),
        ("b_shop.csv", 3, "order_date", "unparsable date 'im Januar'")]
    assert together.execute(
        "select file_name, rows, duplicates_collapsed, encoding, delimiter "
        "from meta.loaded_files where source = 'erp_orders' order by file_name").fetchall() == [
        ("a_auftraege.csv", 5, 1, "cp1252", ";"),
        ("b_shop.csv", 3, 0, "utf-8", ","),
        ("c_auftraege.csv", 1, 0, "cp1252", ";")]

    typed.clear()
    monkeypatch.setattr(batch, "BATCH_ROWS", 1)  # every file is typed on its own
    # ... as a large batch, whose fields to look up the first one chooses for all
    monkeypatch.setattr(parse, "LOOKUP_MIN_ROWS", 1)
    chosen_before = []
    real_lookup = parse.lookup_fields

    def lookup_fields(con, c, chosen=None):
        if c.name == "erp_orders":
            chosen_before.append(None if chosen is None else sorted(chosen))
        return real_lookup(con, c, chosen)

    monkeypatch.setattr(parse, "lookup_fields", lookup_fields)
    alone = duckdb.connect(str(tmp_path / "alone.duckdb"))
    assert load_orders(alone, sources) == rejected
    assert typed == [[0], [0], [0]]
    assert chosen_before == [[], ["erp_orders"], ["erp_orders"]]
    assert raw_state(alone) == raw_state(together)

    read = spy_reads(monkeypatch)
    monkeypatch.setattr(batch, "READ_BYTES", 1)  # every file is read on its own
    one_by_one = duckdb.connect(str(tmp_path / "one_by_one.duckdb"))
    assert load_orders(one_by_one, sources) == rejected
    orders = [names for names in read if names[0].endswith(("auftraege.csv", "shop.csv"))]
    assert orders == [["a_auftraege.csv"], ["b_shop.csv"], ["c_auftraege.csv"]]
    assert raw_state(one_by_one) == raw_state(together)

    read.clear()
    monkeypatch.setattr(batch, "READ_BYTES", 1 << 30)
    both = duckdb.connect(str(tmp_path / "both.duckdb"))
    assert load_orders(both, sources) == rejected
    orders = [names for names in read if names[0].endswith(("auftraege.csv", "shop.csv"))]
    assert orders == [["a_auftraege.csv", "c_auftraege.csv"], ["b_shop.csv"]]  # by layout
    for db in (together, alone, one_by_one, both):
        db.close()


def test_a_ragged_file_is_read_on_its_own_and_the_others_of_its_layout_together(
        sources, con, monkeypatch):
    write_orders(sources)
    # the layout (and encoding) of a_auftraege.csv, with a row of more fields than the
    # header (row 2)
    write_delimited(sources / "erp_orders" / "a_lang.csv", [
        GERMAN,
        ["A7", "06.01.2025", "Bäckerei 2", "VT-IN", "EDI", "1,00", "offen"],
        ["A8", "06.01.2025", "K1", "VT-IN", "EDI", "2,00", "offen", "Max Mustermann"],
        ["A10", "06.01.2025", "K1", "VT-IN", "EDI", "3,00", "offen"]])
    read = spy_reads(monkeypatch)
    rejected = load_orders(con, sources)
    assert len(rejected) == 1 and "b_zwischen.csv" in rejected[0]
    orders = [names for names in read if names[0].endswith(("auftraege.csv", "lang.csv"))]
    assert orders == [["a_auftraege.csv", "a_lang.csv", "c_auftraege.csv"],  # fails
                      ["a_auftraege.csv"], ["a_lang.csv"], ["c_auftraege.csv"]]
    assert [r[0] for r in table(con, "erp_orders", "order_id", order="order_id")] == [
        "A1", "A10", "A2", "A4", "A5", "A7"]
    assert ("a_lang.csv", 2, "(row)", "row has more fields than the header") in quarantine(
        con, "erp_orders")


@pytest.mark.parametrize("rows", [1, 1_000_000])
def test_a_file_that_cannot_be_read_leaves_the_staged_files_of_its_batch_alone(
        sources, con, monkeypatch, rows):
    write_orders(sources)
    (sources / "erp_orders" / "b_kaputt.csv").write_bytes(b"\x00\x01binary\x00")
    monkeypatch.setattr(batch, "BATCH_ROWS", rows)
    rejected = load_orders(con, sources)
    assert len(rejected) == 2 and "b_kaputt.csv" in rejected[0]
    assert [r[0] for r in table(con, "erp_orders", "order_id", order="order_id")] == [
        "A1", "A2", "A4", "A5"]
