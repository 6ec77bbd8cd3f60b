"""New files hashed and copied to UTF-8 ahead of their reads, by a thread of their own."""

from __future__ import annotations

import hashlib
import threading

import pytest

from dagster_project.ingest import batch, loader, prefetch
from dagster_project.ingest.loader import load_source
from dagster_project.ingest.prefetch import prefetched
from dagster_project.ingest.sniff import hash_and_encoding

from .conftest import write_delimited

CP1252 = "Kunde;Betrag\nMüller „Nord“;1.234,50 €\n".encode("cp1252")


def _files(tmp_path, contents: dict[str, bytes]):
    paths = []
    for name, data in contents.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append((path, path.stat()))
    return paths


def test_files_come_in_order_hashed_with_a_utf8_copy_where_duckdb_needs_one(tmp_path):
    files = _files(tmp_path, {"a.csv": CP1252, "b.csv": b"x;y\n1;2\n",
                              "c.csv": CP1252 + b"\n", "d.csv": CP1252 + b"\n\n"})
    with prefetched(files, lambda name, file_hash: name == "c.csv") as prepared:
        got = list(prepared)
        folder = got[0].utf8_copy.parent
        assert [p.path.name for p in got] == ["a.csv", "b.csv", "c.csv", "d.csv"]
        for p, (path, stat) in zip(got, files, strict=True):
            assert (p.file_hash, p.encoding) == hash_and_encoding(path)
            assert p.file_hash == hashlib.sha256(path.read_bytes()).hexdigest()
            assert p.stat == stat
        assert got[0].utf8_copy.read_text(encoding="utf-8") == CP1252.decode("cp1252")
        assert got[1].utf8_copy is None  # UTF-8 already: DuckDB reads the file itself
        assert got[2].utf8_copy is None  # loaded already: not read, so not copied
        assert got[3].utf8_copy.read_bytes() == (CP1252 + b"\n\n").decode("cp1252").encode()
    assert not folder.exists()


def test_the_thread_works_ahead_but_no_further_than_its_budget(tmp_path, monkeypatch):
    files = _files(tmp_path, {f"{n}.csv": CP1252 for n in range(6)})
    hashed: list[str] = []
    all_hashed = threading.Event()
    real_hash = prefetch.hash_and_encoding

    def spy(path):
        result = real_hash(path)
        hashed.append(path.name)
        if len(hashed) == len(files):
            all_hashed.set()
        return result

    monkeypatch.setattr(prefetch, "hash_and_encoding", spy)
    with prefetched(files, lambda *_: False) as prepared:
        next(prepared)
        assert all_hashed.wait(timeout=30)  # ahead of the loader, which took one file so far
    monkeypatch.setattr(prefetch, "AHEAD_BYTES", 1)  # one file ahead at most
    hashed.clear()
    all_hashed.clear()
    with prefetched(files, lambda *_: False) as prepared:
        next(prepared)
        assert not all_hashed.wait(timeout=0.5)
        assert len(hashed) <= 2
        assert len(list(prepared)) == len(files) - 1
    assert len(hashed) == len(files)


def test_an_error_comes_at_its_file_and_leaving_early_stops_the_thread(tmp_path):
    files = _files(tmp_path, {"a.csv": CP1252, "b.csv": CP1252, "c.csv": CP1252})
    files[1][0].unlink()  # gone between listing and hashing
    with prefetched(files, lambda *_: False) as prepared:
        first = next(prepared)
        with pytest.raises(FileNotFoundError, match="b.csv"):
            next(prepared)
    assert not first.utf8_copy.parent.exists()
    with prefetched(files[:1], lambda *_: False) as prepared:
        copy = next(prepared).utf8_copy
    assert not copy.exists()
    assert not [t for t in threading.enumerate() if t.name == "leitstand-prefetch"]


def test_whatever_preparing_a_file_raises_reaches_the_loader(tmp_path, monkeypatch):
    """Not only exceptions: were anything the thread raises lost, the loader would wait for
    that file for ever (so the loader's side runs in a thread of the test, with a limit)."""

    class Stopped(BaseException):
        pass

    def hash_and_encoding(path):
        raise Stopped(path.name)

    monkeypatch.setattr(prefetch, "hash_and_encoding", hash_and_encoding)
    files = _files(tmp_path, {"a.csv": CP1252})
    raised: list[BaseException] = []

    def loader_side():
        with prefetched(files, lambda *_: False) as prepared:
            try:
                next(prepared)
            except Stopped as exc:
                raised.append(exc)

    side = threading.Thread(target=loader_side, daemon=True)
    side.start()
    side.join(timeout=30)
    assert not side.is_alive() and [str(e) for e in raised] == ["a.csv"]


def test_the_loader_reads_the_copies_made_ahead_and_removes_each_once_read(
        con, sources, monkeypatch):
    for month in ("01", "02"):
        write_delimited(sources / "crm_leads" / f"leads_2025-{month}.csv", [
            ["Lead-ID", "Erstellt am", "Bereich", "Quelle", "Status", "Abschlussdatum"],
            [f"L-{month}", f"05.{month}.2025", "Vertrieb", "Messe „Süd“", "offen", ""]])

    removed: list[str] = []
    real_read_queued = batch.FileBatch._read_queued

    def read_queued(self):
        copies = [q.utf8_copy for q in self.queued]
        real_read_queued(self)
        removed.extend(c.name for c in copies if c is not None and not c.exists())

    monkeypatch.setattr(batch.FileBatch, "_read_queued", read_queued)
    loader.load_config(con, sources, "run-1")
    result = load_source(con, "crm_leads", sources, "run-1")
    assert result.files_read == 2 and result.rows_loaded == 2
    assert sorted(removed) == ["utf8-0.csv", "utf8-1.csv"]
    assert con.execute("select distinct source_channel from raw.crm_leads").fetchall() == [
        ("Messe „Süd“",)]
