"""The `leitstand` process ends without Python's teardown (cli.program): nothing is lost by it.

Real processes: output through a pipe arrives whole, the exit status is the command's, and
exit handlers registered while the command ran still run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from dagster_project.core.settings import REPO_ROOT, Settings
from tests.ops.published import publish_version

LEITSTAND = [sys.executable, "-m", "dagster_project.cli"]
# Buffered streams as on an analyst's machine (this one may set PYTHONUNBUFFERED)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
ENV["PYTHONPATH"] = str(REPO_ROOT)


def _leitstand(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*LEITSTAND, *args], cwd=REPO_ROOT, env=ENV, capture_output=True,
                          text=True, timeout=120)


def test_output_arrives_whole_and_the_status_is_the_commands(tmp_path):
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    publish_version(settings, 1)
    data_dir = str(settings.data_dir)

    many = _leitstand("query", "select range as n from range(200000)", "--csv",
                      "--data-dir", data_dir)
    assert many.returncode == 0, many.stderr
    lines = many.stdout.splitlines()  # ~1.3 MB: far more than one pipe or stdio buffer
    assert len(lines) == 200_001 and lines[0] == "n" and lines[-1] == "199999"

    refused = _leitstand("query", "drop table marts.kpi_monthly", "--data-dir", data_dir)
    assert refused.returncode == 2
    assert "refused" in refused.stderr

    usage = _leitstand("no-such-command")
    assert usage.returncode == 2
    assert "invalid choice: 'no-such-command'" in usage.stderr


def test_exit_handlers_of_the_command_still_run_and_the_teardown_does_not(tmp_path):
    marker = tmp_path / "handler-ran"
    torn_down = tmp_path / "torn-down"
    driver = textwrap.dedent(f"""
        import atexit, logging, logging.handlers
        from dagster_project.cli import main as cli

        class Module:  # finalised only when Python tears the interpreter down
            def __del__(self, _open=open):  # (`open` itself may be gone by then)
                _open({str(torn_down)!r}, "w").write("yes")

        kept = Module()

        def command(argv=None):
            atexit.register(lambda: open({str(marker)!r}, "w").write("yes"))
            # a handler that writes only when flushed or closed
            handler = logging.handlers.MemoryHandler(
                100, target=logging.FileHandler({str(tmp_path / "log.txt")!r}))
            logging.getLogger("x").addHandler(handler)
            logging.getLogger("x").warning("logged before the end")
            print("printed", end="")  # no newline: still in the buffer at the end
            return 3

        cli.main = command
        cli.program()
    """)
    ended = subprocess.run([sys.executable, "-c", driver], cwd=REPO_ROOT, env=ENV,
                           capture_output=True, text=True, timeout=60)
    assert ended.returncode == 3, ended.stderr
    assert ended.stdout == "printed"
    assert marker.read_text() == "yes"
    assert (tmp_path / "log.txt").read_text() == "logged before the end\n"
    assert not torn_down.exists()  # the ~2 s of freeing every module were skipped


def test_an_uncaught_error_ends_with_status_1_and_its_traceback():
    driver = textwrap.dedent("""
        from dagster_project.cli import main as cli

        def command(argv=None):
            raise RuntimeError("planted failure")

        cli.main = command
        cli.program()
    """)
    ended = subprocess.run([sys.executable, "-c", driver], cwd=REPO_ROOT, env=ENV,
                           capture_output=True, text=True, timeout=60)
    assert ended.returncode == 1
    assert "RuntimeError: planted failure" in ended.stderr


def test_an_interrupted_command_ends_by_sigint_as_python_would():
    driver = textwrap.dedent("""
        from dagster_project.cli import main as cli

        def command(argv=None):
            raise KeyboardInterrupt

        cli.main = command
        cli.program()
    """)
    ended = subprocess.run([sys.executable, "-c", driver], cwd=REPO_ROOT, env=ENV,
                           capture_output=True, text=True, timeout=60)
    assert ended.returncode == -signal.SIGINT, ended.stderr  # a shell shows 130
    assert "KeyboardInterrupt" in ended.stderr
