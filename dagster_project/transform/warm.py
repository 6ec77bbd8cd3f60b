"""A dbt process started with the run, which has parsed the project when the dbt step comes.

Before `dbt build` builds anything it spends ~2-3 s starting: importing dbt and its adapter
(~1.3 s) and loading the project's parse state (~0.8 s; a full parse takes ~2.3 s). None of
that needs the build database, which the ingest and the gate hold until the dbt step. So
`leitstand run` starts a dbt process when the run begins (`start`): it imports dbt and
parses the project into the data dir's target folder while the run imports, ingests and
audits, and then waits.

dbt's parse state fits only the profile it was parsed with, and the build database's path
is part of it. The waiting process therefore parses with the repo's profile as `make setup`
parsed with it (`PARSE_ENV`), whatever the data dir, and a data dir without a parse state
of its own starts from the one `make setup` left in `dbt/target`: the parse then only
checks it (a full parse in a new data dir took ~2.3 s of a core the ingest uses too). The
build reads the run's own profile (`transform/profile.py`).

Switched off by not calling `start` (a run from `dagster dev` never does): the dbt step
then starts dbt as usual.

dagster-dbt starts dbt as a process of its own and reads its output. The dbt step therefore
gets a small executable in dbt's place (`warm_executable`, see `relay.py`) that hands
`dbt build`'s arguments, environment and folder to the waiting process over a socket in a
private folder and relays what it prints and its exit code; the waiting process builds
with the manifest it parsed (dbt's programmatic `dbtRunner(manifest=...)`). A relay that
ends (stopped, killed by the watchdog) interrupts the build; the run's end stops a
process the run did not use. When there is no waiting process (a run from `dagster dev`),
or it did not get ready, the step starts dbt as usual.

`python -m dagster_project.transform.warm` is the waiting process (`serve`).
"""

from __future__ import annotations

import json
import logging
import os
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from dagster_project.core.leftovers import make_temp_dir
from dagster_project.core.settings import DBT_PROJECT_DIR, Settings

PARSE_STATE_FILE = "partial_parse.msgpack"
# The environment variables the repo's profile reads (dbt/profiles.yml), unset as `make
# setup` leaves them when it parses: the waiting process parses with the same profile values,
# so setup's parse state fits (the build itself reads the run's profile, transform/profile.py).
PARSE_ENV: dict[str, str | None] = {
    "LEITSTAND_BUILD_DB": None,
    "LEITSTAND_DUCKDB_MEMORY_LIMIT": None,
}
# Starting and parsing take ~2-5 s; a process not ready after this long is stuck, and the
# dbt step starts dbt as usual.
PARSE_TIMEOUT_SECONDS = 300
# The dbt commands one process serves: the two parts of the build (transform/build.py).
COMMANDS = 2
# An interrupted build is given this long to stop before its process is ended.
STOP_GRACE_SECONDS = 10
RELAY = Path(__file__).with_name("relay.py")
log = logging.getLogger("leitstand.dbt")
LOG_FILE = "dbt-warm.log"  # the waiting process's own output, in the target folder


@dataclass
class _Waiting:
    process: subprocess.Popen
    ready: int       # read end of the pipe the process writes "ready" to
    folder: Path     # private folder: the socket and the relay executable
    parsed: bool = False  # it said "ready" (read once)


# target folder -> the dbt process waiting for it (one per `leitstand run`)
_waiting: dict[Path, _Waiting] = {}


def start(settings: Settings) -> None:
    """Start a dbt process that parses the project into the data dir's target folder."""
    target = settings.dbt_target_dir
    if target in _waiting:
        return
    try:
        _waiting[target] = _start(target)
    except OSError as exc:  # a convenience, never the reason a run fails
        log.warning("dbt not started ahead of its step (%s): the dbt step starts it", exc)


def _start(target: Path) -> _Waiting:
    target.mkdir(parents=True, exist_ok=True)
    folder = make_temp_dir("dbt")  # 0700: only this user may connect
    sock = folder / "socket"
    relay = folder / "dbt"
    relay.write_text(
        "#!/bin/sh\n"
        f"exec {shlex.quote(sys.executable)} -S -P {shlex.quote(str(RELAY))} "
        f"{shlex.quote(str(sock))} \"$@\"\n",
        encoding="utf-8",
    )
    relay.chmod(0o700)
    ready_read, ready_write = os.pipe()
    try:
        with (target / LOG_FILE).open("wb") as output:
            process = subprocess.Popen(
                # it ends with os._exit (at once, whatever dbt left running), so
                # multiprocessing's resource tracker would warn about dbt's semaphores
                [sys.executable, "-P", "-W", "ignore:resource_tracker:UserWarning",
                 "-m", "dagster_project.transform.warm", str(sock), str(target), str(ready_write)],
                stdin=subprocess.PIPE, stdout=output, stderr=subprocess.STDOUT,
                pass_fds=(ready_write,),
            )
    except OSError:
        os.close(ready_read)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        os.close(ready_write)
    return _Waiting(process, ready_read, folder)


def warm_executable(target: Path) -> str | None:
    """The executable that hands a dbt command to the process waiting for `target`.

    Waits until that process has parsed. None when no process was started for `target`, or
    it ended or got stuck before it was ready: then dbt is to be started as usual (after a
    stuck or failed parse, without the parse state it may have half written).
    """
    waiting = _waiting.get(target)
    if waiting is None:
        return None
    if waiting.parsed:  # the second command: if the process still waits for one
        return str(waiting.folder / "dbt") if waiting.process.poll() is None else None
    readable, _, _ = select.select([waiting.ready], [], [], PARSE_TIMEOUT_SECONDS)
    if readable and os.read(waiting.ready, 1) == b"R":
        waiting.parsed = True
        return str(waiting.folder / "dbt")
    stop(target)
    (target / PARSE_STATE_FILE).unlink(missing_ok=True)
    return None


def stop(target: Path) -> None:
    """End the process started for `target` (if any); a build it runs is interrupted first.

    Called at the end of every run: a run that ended before its dbt step leaves no dbt
    process behind.
    """
    waiting = _waiting.pop(target, None)
    if waiting is None:
        return
    try:
        waiting.process.stdin.close()  # the process ends when its stdin does
        waiting.process.wait(timeout=STOP_GRACE_SECONDS + 5)
    except subprocess.TimeoutExpired:
        waiting.process.kill()
        waiting.process.wait()
    finally:
        os.close(waiting.ready)
        shutil.rmtree(waiting.folder, ignore_errors=True)


# --- the waiting process ----------------------------------------------------------------


class _Server:
    """Parse, then run the dbt commands relays bring (`COMMANDS`: the two parts of the build);
    end after them, or when stdin or a relay does."""

    def __init__(self, sock: str, target: Path, ready_fd: int) -> None:
        self.target, self.ready_fd = target, ready_fd
        self.building = False
        self.finished = threading.Event()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(sock)
        self.listener.listen(1)

    def run(self) -> None:
        threading.Thread(target=self._end_with, args=(sys.stdin.buffer.read,),
                         daemon=True).start()
        from dbt.cli.exceptions import DbtUsageException
        from dbt.cli.main import dbtRunner

        parse = [
            "parse", "--quiet",
            "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(self.target), "--log-path", str(self.target),
            "--log-format-file", "json",
        ]
        sys.argv = ["dbt", *parse]  # dbt logs this as the command it ran
        for name, value in PARSE_ENV.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _seed_parse_state(self.target)
        parsed = dbtRunner().invoke(parse)
        manifest = parsed.result if parsed.success else None
        os.write(self.ready_fd, b"R")
        os.close(self.ready_fd)

        for number in range(COMMANDS):
            conn, _ = self.listener.accept()
            request = json.loads(conn.makefile("rb").readline())
            if number == 0 and not self._same_project(request["env"]):
                manifest = None  # parsed for another project or target folder: dbt parses
            os.environ.clear()
            os.environ.update(request["env"])
            os.chdir(request["cwd"])
            self.finished = threading.Event()
            self.building = True
            threading.Thread(target=self._end_with,
                             args=(lambda conn=conn: conn.recv(1), self.finished),
                             daemon=True).start()
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(conn.fileno(), 1)  # dbt writes its events to stdout: the relay reads them
            os.dup2(conn.fileno(), 2)
            sys.argv = ["dbt", *request["args"]]
            try:
                result = dbtRunner(manifest=manifest).invoke(request["args"])
                code = 0 if result.success else 1 if result.exception is None else 2
                if isinstance(result.exception, DbtUsageException):
                    print(f"Error: {result.exception}")  # the CLI's click would say it
            except BaseException:  # interrupted
                code = 2
            _release_database()
            sys.stdout.flush()
            sys.stderr.flush()
            self.building = False
            self.finished.set()
            try:
                conn.sendall(b"\0" + str(code).encode())
                conn.shutdown(socket.SHUT_RDWR)  # the relay reads until the end
            except OSError:
                pass  # the relay is gone
            null = os.open(os.devnull, os.O_WRONLY)  # stdout and stderr off the socket
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.close(null)
            conn.close()
            if code == 2:
                break  # interrupted: the run is being stopped
        os._exit(0)

    def _same_project(self, env: dict[str, str]) -> bool:
        def same(a: str | None, b: Path) -> bool:
            return a is not None and Path(a).resolve() == b.resolve()

        return (same(env.get("DBT_PROJECT_DIR"), DBT_PROJECT_DIR)
                and same(env.get("DBT_PROFILES_DIR"), self.target)
                and same(env.get("DBT_TARGET_PATH"), self.target))

    def _end_with(self, read, finished: threading.Event | None = None) -> None:
        """Wait until `read` reports the other side gone, then end: a build is interrupted
        (dbt cancels its queries) and given `STOP_GRACE_SECONDS`, otherwise exit at once.
        `finished`: the build of the relay `read` listens to (its relay leaves once it has
        the answer); None for stdin, which closes when the run ends."""
        try:
            while read():
                pass
        except OSError:
            pass
        if finished is not None and finished.is_set():
            return
        if not self.building:
            os._exit(0)
        os.kill(os.getpid(), signal.SIGINT)
        if not self.finished.wait(STOP_GRACE_SECONDS):
            os._exit(1)


def _seed_parse_state(target: Path) -> None:
    """Give a target folder without a parse state the one `make setup` left in `dbt/target`
    (dbt checks it against the project's files, and parses again whatever changed)."""
    shipped = DBT_PROJECT_DIR / "target" / PARSE_STATE_FILE
    if not (target / PARSE_STATE_FILE).exists() and shipped.is_file():
        shutil.copyfile(shipped, target / PARSE_STATE_FILE)


def _release_database() -> None:
    """Close dbt-duckdb's DuckDB connection before the relay reports the end.

    It stays open after a programmatic invocation (the CLI's closes with its process), and
    the dbt step opens the build database as soon as the relay has ended.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()


def serve(argv: list[str]) -> None:
    sock, target, ready_fd = argv
    _Server(sock, Path(target), int(ready_fd)).run()


if __name__ == "__main__":
    serve(sys.argv[1:])
