"""The encoding a file is read with is decided from all of its bytes, chunk by chunk
(ingest/sniff.py): the same decision as looking at the whole file at once, wherever the
chunks happen to split a character."""

from __future__ import annotations

import codecs
import hashlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.ingest import sniff
from dagster_project.ingest.sniff import MIXED, Encoding, hash_and_encoding

# pieces of export text: plain ASCII, umlauts and € in UTF-8, Windows-1252 and Latin-1
PIECES = ["Auftrag;Betrag\r\n", "1.234,50", "x" * 7, "Bäckerei", "Straße", "€ 12", "„Müller“",
          "Groß – Klein"]


def whole_file_decision(data: bytes) -> Encoding:
    """The encoding as decided from the whole file at once."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("utf-16", "utf-8", transcode="utf-16")
    if data.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", "utf-8")
    try:
        data.decode("utf-8")
        return Encoding("utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    if re.search(rb"[\xc2\xc3][\x80-\xbf]|\xe2[\x80-\xbf]{2}", data):
        # a UTF-8 umlaut, euro or quote in a file that is not UTF-8: decided per line
        return Encoding(MIXED, "utf-8", transcode=MIXED)
    if re.search(rb"[\x80-\x9f]", data):
        return Encoding("cp1252", "utf-8", transcode="cp1252")
    return Encoding("cp1252", "latin-1")


@st.composite
def exports(draw):
    parts = draw(st.lists(st.tuples(st.sampled_from(PIECES),
                                    st.sampled_from(["utf-8", "cp1252", "latin-1"])),
                          max_size=12))
    data = b"".join(text.encode(codec, errors="replace") for text, codec in parts)
    if draw(st.booleans()):
        data = codecs.BOM_UTF8 + data
    return data, draw(st.integers(min_value=4, max_value=13))  # the BOM in the first chunk


@settings(max_examples=300, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(export=exports())
def test_the_encoding_is_decided_as_from_the_whole_file(export, tmp_path, monkeypatch):
    data, chunk = export
    monkeypatch.setattr(sniff, "_CHUNK", chunk)  # chunks that split characters
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    assert hash_and_encoding(path) == (hashlib.sha256(data).hexdigest(),
                                       whole_file_decision(data))


@pytest.mark.parametrize(("data", "expected"), [
    (b"abcd\xc3", "cp1252"),                   # a UTF-8 character cut off at the end
    (b"abc\xc3" + b"x" * 20, "cp1252"),         # ... or followed by ASCII: not UTF-8
    (b"abc\xc3" + b"xxxx" + b"\xa4yyy", "cp1252"),  # Ã, ASCII, ¤: no UTF-8 ä
    (b"a\xe4b", "cp1252"),                     # Latin-1 ä: read natively as latin-1
    (b"a\x80b", "cp1252"),                     # Windows-1252 €: transcoded
    ("aäb".encode(), "utf-8"),
    ("aäb\n".encode() + b"\xe4\n", MIXED),     # UTF-8 ä, then a Windows-1252 ä
    ("Ä–\n".encode("cp1252") + b"\xe4\n", "cp1252"),  # C4 96 is UTF-8 'Ė': no evidence
])
def test_chunks_of_ascii_after_a_split_character_are_still_decoded(data, expected, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setattr(sniff, "_CHUNK", 4)
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    assert hash_and_encoding(path)[1].name == expected
    assert hash_and_encoding(path)[1] == whole_file_decision(data)
