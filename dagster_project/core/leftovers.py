"""What a killed run leaves on disk, removed at the start of the next run of the data dir.

A run killed with `kill -9` (or a power cut) gets no chance to clean up. Its leftovers may
hold personal data in clear text (a transcoded copy of an HR export, DuckDB's spill files of
the build database), so the next run removes them first, while it holds the pipeline lock
(core/run_lock.py) and nothing else can be using them:

- `<data dir>/.leitstand.duckdb.<run>.tmp` (and its `.wal`): a publication the killed run
  was writing (publish/publication.py renames it over the published file only when
  complete);
- `<data dir>/build.duckdb.tmp/`: DuckDB's spill folder of the build database;
- `/tmp/leitstand-*` folders of this user whose process is gone. A folder made with
  `make_temp_dir` carries its process id in its name (`leitstand-<kind>-<pid>-…`) and goes
  as soon as that process is gone; an older folder without one goes when no live process
  refers to it (an open file, its working directory or its command line) and it has not
  changed for `UNCLAIMED_AGE_SECONDS`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from dagster_project.core.settings import Settings

TEMP_PREFIX = "leitstand-"
_PID_IN_NAME = re.compile(r"^leitstand-[a-z]+-(\d+)-")
UNCLAIMED_AGE_SECONDS = 3600.0


def make_temp_dir(kind: str) -> Path:
    """A private folder (0700) under the system temp dir, named after this process so that
    the next run can tell whether its maker is still alive."""
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{kind}-{os.getpid()}-"))


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _referenced_paths() -> set[str]:
    """Every path a live process refers to: its open files, working directory and command
    line arguments (Linux /proc; empty where there is none)."""
    found: set[str] = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            found.update(os.readlink(fd) for fd in (entry / "fd").iterdir())
        except OSError:
            pass
        try:
            found.add(os.readlink(entry / "cwd"))
        except OSError:
            pass
        try:
            found.update((entry / "cmdline").read_bytes().decode(errors="replace").split("\0"))
        except OSError:
            pass
    return found


def dead_temp_dirs(temp_root: Path | None = None, now: float | None = None) -> list[Path]:
    """This user's `leitstand-*` folders under `temp_root` whose process is gone."""
    root = Path(temp_root or tempfile.gettempdir())
    now = time.time() if now is None else now
    dead: list[Path] = []
    referenced: set[str] | None = None
    for folder in sorted(root.glob(f"{TEMP_PREFIX}*")):
        try:
            info = folder.lstat()
        except OSError:
            continue
        if not folder.is_dir() or folder.is_symlink() or info.st_uid != os.getuid():
            continue
        match = _PID_IN_NAME.match(folder.name)
        if match:
            if int(match.group(1)) != os.getpid() and not pid_alive(int(match.group(1))):
                dead.append(folder)
            continue
        if now - info.st_mtime < UNCLAIMED_AGE_SECONDS:
            continue
        if referenced is None:
            referenced = _referenced_paths()
        prefix = str(folder)
        if not any(p == prefix or p.startswith(prefix + os.sep) for p in referenced):
            dead.append(folder)
    return dead


def remove_leftovers(settings: Settings, temp_root: Path | None = None) -> list[Path]:
    """Remove what killed runs left behind (see the module docstring); the removed paths.

    Only while holding the pipeline lock of `settings.data_dir`."""
    removed: list[Path] = []
    data = settings.data_dir
    if data.is_dir():
        name = settings.published_db.name
        for tmp in sorted([*data.glob(f".{name}.*.tmp"), *data.glob(f".{name}.*.tmp.wal")]):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
        spill = settings.build_db.with_name(settings.build_db.name + ".tmp")
        if spill.is_dir() and any(spill.iterdir()):
            for entry in sorted(spill.iterdir()):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed.append(entry)
    for folder in dead_temp_dirs(temp_root):
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
