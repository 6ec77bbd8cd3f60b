"""`dagster dev` as the README says it: plain in the repo root with the venv's tools on PATH,
and `make dev PORT=…`; both come up with the code location loaded, nothing else needed.

Each starts the real webserver, daemon and code server, asks the webserver's GraphQL API
for the code location, and ends the whole process group.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dagster_project.core.settings import REPO_ROOT

LOCATION_QUERY = """{ workspaceOrError { __typename ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
START_TIMEOUT_SECONDS = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _locations(port: int) -> list[dict] | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": LOCATION_QUERY}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.load(response)
    except OSError:
        return None  # not listening yet
    workspace = body["data"]["workspaceOrError"]
    return workspace.get("locationEntries")


def _start_and_wait(command: list[str], env: dict[str, str], port: int, log: Path) -> list[dict]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            entries = _locations(port)
            if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                return entries
            time.sleep(1)
        pytest.fail(f"no code location loaded within {START_TIMEOUT_SECONDS} s:\n"
                    + log.read_text(errors="replace")[-3000:])
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a shell with the venv active: its bin first on PATH, and none of
    the project's variables set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LEITSTAND_", "DAGSTER_")) and k != "PYTHONPATH"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(Path(sys.executable).parent.parent)
    env.update(extra)
    return env


def _assert_loaded(entries: list[dict], log: Path) -> None:
    assert [e["name"] for e in entries] == ["leitstand"]
    assert entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation", entries
    assert "Traceback" not in log.read_text(errors="replace")


@pytest.mark.slow
def test_plain_dagster_dev_in_the_repo_root_loads_the_code_location(tmp_path):
    port = _free_port()
    log = tmp_path / "dagster-dev.log"
    entries = _start_and_wait(["dagster", "dev", "-p", str(port)], _clean_env(), port, log)
    _assert_loaded(entries, log)


@pytest.mark.slow
def test_make_dev_takes_the_port_and_loads_the_code_location(tmp_path):
    port = _free_port()
    log = tmp_path / "make-dev.log"
    # a Dagster home of its own, so the test leaves the project's run history alone
    env = _clean_env(DAGSTER_HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_bytes(
        (REPO_ROOT / ".dagster_home" / "dagster.yaml").read_bytes())
    entries = _start_and_wait(["make", "-s", "dev", f"PORT={port}"], env, port, log)
    _assert_loaded(entries, log)
