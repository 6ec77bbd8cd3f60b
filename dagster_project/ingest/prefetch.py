"""New export files hashed, and copied to UTF-8 where DuckDB cannot decode them, by a
thread of their own ahead of their reads.

Hashing a new file and transcoding a Windows-1252 one is Python's work on one core: for
the orders of scale 480 ~0.7 s and ~2.3 s of their ~15.5 s ingest, while DuckDB's two
threads waited. `prefetched` does it for the files in folder order, in a thread that
keeps up to `AHEAD_BYTES` of files ready ahead of the loader, so it runs while DuckDB
parses and stores the files before (hashlib and file reads and writes release Python's
lock, and so does DuckDB while a statement runs): the orders' ingest of scale 480 took
15.7–16.3 s before, 14.8–15.3 s after (alternating runs). The copies go into a folder of
their own, which is removed when the load ends; the loader removes each one once it is
read.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster_project.ingest.sniff import Encoding, hash_and_encoding, transcode_to_utf8

# Bytes of files hashed (and copied) but not yet taken by the loader: a few monthly order
# exports of scale 480, beyond the `READ_BYTES` the loader holds (batch.py).
AHEAD_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class Prepared:
    """A new or changed file, hashed and ready to be read."""

    path: Path
    stat: os.stat_result
    file_hash: str
    encoding: Encoding
    utf8_copy: Path | None  # the file in UTF-8, for DuckDB to read (None: not needed)


@contextmanager
def prefetched(files: list[tuple[Path, os.stat_result]],
               not_read: Callable[[str, str], bool]) -> Iterator[Iterator[Prepared]]:
    """The `files` (with their `stat`) prepared, in order, by a thread that works ahead.

    `not_read(file name, hash)`: the file will not be read (its content is loaded
    already), so no copy is made. An error in preparing a file is raised when the loader
    gets to that file. On leaving the block the thread stops and the copies are removed.
    """
    work = _Prefetch(files, not_read)
    thread = threading.Thread(target=work.run, name="leitstand-prefetch", daemon=True)
    thread.start()
    try:
        yield work.taken()
    finally:
        work.stop()
        thread.join()
        shutil.rmtree(work.folder, ignore_errors=True)


class _Prefetch:
    def __init__(self, files: list[tuple[Path, os.stat_result]],
                 not_read: Callable[[str, str], bool]) -> None:
        self.files, self.not_read = files, not_read
        self.folder = Path(tempfile.mkdtemp(prefix="leitstand-ingest-"))
        self.ready: deque[tuple[int, Prepared | BaseException]] = deque()  # (bytes, item)
        self.ahead = 0  # bytes of the files in `ready`
        self.stopped = False
        self.changed = threading.Condition()

    def run(self) -> None:
        """The thread: prepare each file once fewer than `AHEAD_BYTES` wait to be taken."""
        for n, (path, stat) in enumerate(self.files):
            with self.changed:
                self.changed.wait_for(lambda: self.stopped or self.ahead < AHEAD_BYTES)
                if self.stopped:
                    return
            # whatever preparing the file raises is raised in the loader, at this file: were
            # it lost, the loader would wait for the file for ever
            try:
                item: Prepared | BaseException = self._prepare(n, path, stat)
            except BaseException as exc:
                item = exc
            with self.changed:
                self.ready.append((stat.st_size, item))
                self.ahead += stat.st_size
                self.changed.notify_all()
            if isinstance(item, BaseException):
                return

    def _prepare(self, n: int, path: Path, stat: os.stat_result) -> Prepared:
        file_hash, encoding = hash_and_encoding(path)
        copy = None
        if encoding.transcode and not self.not_read(path.name, file_hash):
            copy = self.folder / f"utf8-{n}.csv"
            transcode_to_utf8(path, encoding, copy)
        return Prepared(path, stat, file_hash, encoding, copy)

    def taken(self) -> Iterator[Prepared]:
        """The prepared files, in order, each as soon as it is ready."""
        for _ in self.files:
            with self.changed:
                self.changed.wait_for(lambda: bool(self.ready))
                size, item = self.ready.popleft()
                self.ahead -= size
                self.changed.notify_all()
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()
