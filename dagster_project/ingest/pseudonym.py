"""Keyed pseudonyms: e-mail addresses used as ids are stored only as HMAC-SHA256 values.

An id field (`employee_id`, `customer_id`) whose value looks like an e-mail address, or any
value of such a field under an identifier header (`Email`, `User Principal Name`), is
replaced while the file is read — before any table, even a temporary one, holds it — by
`ps-` and the first 24 hex digits of HMAC-SHA256(key, the address lower-cased and
trimmed). The key is generated once per data dir (`pseudonym.key` beside the build
database, readable by its owner only), so the same address gives the same pseudonym in
every source and every run: joins between the Teams report and the HR export still work,
and the address is stored nowhere. The HMAC is computed in DuckDB SQL (two SHA-256 over
blobs), so a pseudonymised column costs a hash per cell, nothing in Python.

Survey exports without a response id (Google Forms) get one the same way: the keyed hash
of all the cells of the response (identifier cells included; they are hashed, never
stored) and the response's position among identical ones (`response_hash_sql`).
"""

from __future__ import annotations

import os
import secrets
from functools import cache
from pathlib import Path

import duckdb

KEY_FILE = "pseudonym.key"
PREFIX = "ps-"
# hex digits kept of the 64 of an HMAC-SHA256 (96 bits: no collision among any number of
# people a company has)
DIGITS = 24
_BLOCK = 64  # SHA-256's block size in bytes


def key_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The key file of the data dir the connection's database lives in (None: in memory)."""
    rows = con.execute("select path from duckdb_databases() "
                       "where database_name = current_database()").fetchall()
    path = rows[0][0] if rows else None
    if not path or path == ":memory:":
        return None
    return Path(path).resolve().parent / KEY_FILE


@cache
def _ephemeral_key() -> bytes:
    """For a database in memory (`leitstand inspect`, tests): a key for this process only."""
    return secrets.token_bytes(32)


def load_key(con: duckdb.DuckDBPyConnection) -> bytes:
    """The data dir's key, generated (owner-only) on first use."""
    path = key_path(con)
    if path is None:
        return _ephemeral_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    key = bytes.fromhex(path.read_text().strip())
    if len(key) < 16:
        raise ValueError(f"{path}: not a pseudonym key — delete it only if no pseudonyms "
                         "are stored yet (it decides every pseudonym of this data dir)")
    return key


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Define the temp macros `lt_hmac(text)`, `lt_pseudonym(text)` and `lt_id_cell(text)`
    with this data dir's key (session-only: the key is never written to a database)."""
    key = load_key(con).ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    con.execute(f"""create or replace temp macro lt_hmac(x) as
        sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode(x))))""")
    # an address: lower-cased and trimmed first, so `Anna.Berg@x.de ` and `anna.berg@x.de`
    # are one person
    con.execute(f"""create or replace temp macro lt_pseudonym(x) as
        case when nullif(trim(x), '') is not null
             then '{PREFIX}' || left(lt_hmac(lower(trim(x))), {DIGITS}) end""")
    # an id cell: pseudonymised when it holds an e-mail address
    con.execute("""create or replace temp macro lt_id_cell(x) as
        case when contains(x, '@') then lt_pseudonym(x) else x end""")


def row_hash_sql(cells: list[str]) -> str:
    """SQL for the keyed hash of a row's cells as read (NULL and empty alike)."""
    joined = " || chr(31) || ".join(f"coalesce({c}, '')" for c in cells) or "''"
    return f"left(lt_hmac({joined}), {DIGITS})"
