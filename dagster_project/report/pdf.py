"""The monthly report as a PDF: the HTML of `render.py`, printed by headless Chromium.

Chromium is the browser the project already drives (the dashboards' browser test); its
print engine lays out the A4-landscape print stylesheet, embeds the fonts and keeps the text
extractable. Each print starts a fresh profile in a temporary folder with every background
service off (no network), and is stopped after `PRINT_TIMEOUT_SECONDS`.

`LEITSTAND_CHROMIUM` names the browser when it is not `/usr/bin/chromium` or `chromium` /
`chromium-browser` / `google-chrome` on PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster_project.report.data import ReportError, read_report
from dagster_project.report.render import render_html

CHROMIUM_ENV = "LEITSTAND_CHROMIUM"
CANDIDATES = ["/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"]
PRINT_TIMEOUT_SECONDS = 120
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--no-pdf-header-footer",
]


def find_chromium(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    wanted = env.get(CHROMIUM_ENV) or env.get("CHROMIUM_PATH")
    for candidate in [wanted] if wanted else CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise ReportError(
        f"Chromium not found ({wanted or ', '.join(CANDIDATES)}): the report is printed by "
        f"headless Chromium — install it (Debian: apt-get install chromium) or set "
        f"{CHROMIUM_ENV} to its path")


def html_to_pdf(html: str, out: Path, chromium: str | None = None) -> Path:
    """Print `html` to `out` (A4 landscape as its stylesheet says); `out` appears whole or not."""
    browser = chromium or find_chromium()
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="leitstand-report-") as tmp:
        page = Path(tmp) / "bericht.html"
        page.write_text(html, encoding="utf-8")
        printed = Path(tmp) / "bericht.pdf"
        cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--print-to-pdf={printed}", page.as_uri()]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, text=True, errors="replace")
        try:
            output, _ = proc.communicate(timeout=PRINT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the browser and the helpers it started
            proc.communicate()
            raise ReportError(f"Chromium did not print the report within "
                              f"{PRINT_TIMEOUT_SECONDS} s ({browser})") from None
        if proc.returncode != 0 or not printed.is_file() or printed.stat().st_size == 0:
            tail = "\n".join(output.strip().splitlines()[-5:])
            raise ReportError(f"Chromium could not print the report (exit {proc.returncode}, "
                              f"{browser}):\n{tail}")
        partial = out.with_name(f".{out.name}.part")
        shutil.copyfile(printed, partial)
        os.replace(partial, out)
    return out


@dataclass
class Written:
    path: Path
    month: date
    units: list[str]
    pages: int
    seconds: float


def default_name(month: date, units: list[str]) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(units))[:80]
    return f"leitstand-bericht-{month:%Y-%m}-{safe}.pdf"


def write_report(published_db: Path, out: Path | None = None, unit_ids: list[str] | None = None,
                 month: date | None = None, chromium: str | None = None) -> Written:
    """Read the publication, render the pages, print the PDF; `out` defaults to the current
    folder, named after the month and the units."""
    started = time.monotonic()
    browser = chromium or find_chromium()  # before any work: the clearest error first
    report = read_report(published_db, unit_ids, month)
    units = [p.unit.org_unit_id for p in report.pages]
    target = out or Path.cwd() / default_name(report.month, units)
    html_to_pdf(render_html(report), target, browser)
    return Written(target, report.month, units, len(report.pages), time.monotonic() - started)
