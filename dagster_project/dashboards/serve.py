"""`leitstand serve`: the built Evidence site on 127.0.0.1, the newest build on every request.

The site is a single-page app: a path without a file (`/kpi/enps/`, `/?unit=…` reloads)
gets the app's `index.html`, which renders the page in the browser. Nothing but the hashed
app bundle (`/_app/immutable/`) may be cached without asking again, so a browser sees new data
files as soon as a refresh swapped them in. `/status/last-run.json` says how the newest run
went (from the run reports the gate writes into `<data>/runs/`), so the pages can warn when a
later run than the published one was blocked.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import posixpath
import urllib.parse
from pathlib import Path

from dagster_project.core.settings import Settings
from dagster_project.dashboards.build import DashboardBuildError, site_path

STATUS_PATH = "/status/last-run.json"
# What the pages may learn about a run's failed checks (no messages: they can quote values).
STATUS_FIELDS = ("check_name", "source_or_table", "severity", "observed", "threshold")


def last_run_status(runs_dir: Path) -> dict:
    """The newest run report, cut to what the dashboards show: run id, time, blocked or not,
    and the checks that blocked it."""
    if not runs_dir.is_dir():
        return {"run_id": None, "updated_at": None, "blocked": False, "failed": []}
    reports = sorted(runs_dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for path in reversed(reports):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        failed = [
            {key: r.get(key) for key in STATUS_FIELDS}
            for r in report.get("results", [])
            if not r.get("passed") and r.get("severity") == "error"
        ]
        return {
            "run_id": report.get("run_id"),
            "updated_at": report.get("updated_at"),
            "blocked": bool(report.get("blocked")),
            "failed": failed,
        }
    return {"run_id": None, "updated_at": None, "blocked": False, "failed": []}


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the types the Evidence site needs; quiet unless something fails."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".arrow": "application/vnd.apache.arrow.file",
        ".parquet": "application/octet-stream",
    }

    def __init__(self, *args, runs_dir: Path, **kwargs):
        self.runs_dir = runs_dir
        super().__init__(*args, **kwargs)

    def send_head(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == STATUS_PATH:
            return self._send_status()
        if not Path(self.translate_path(self.path)).exists() and _is_route(path):
            self.path = "/index.html"  # the single-page app renders the route
        return super().send_head()

    def _send_status(self):
        body = json.dumps(last_run_status(self.runs_dir)).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith("/_app/immutable/"):
            self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_request(self, code="-", size="-") -> None:
        if str(code).startswith(("4", "5")):
            super().log_request(code, size)


def _is_route(path: str) -> bool:
    """A page of the app (no file extension, not under the data, API or bundle folders)."""
    top = path.lstrip("/").split("/", 1)[0]
    return top not in {"data", "api", "_app"} and "." not in posixpath.basename(path.rstrip("/"))


def make_server(settings: Settings, port: int = 3000) -> http.server.ThreadingHTTPServer:
    """A static file server for the built site, bound to 127.0.0.1 only."""
    site = site_path(settings)
    if not site.is_dir():
        raise DashboardBuildError(
            f"No built dashboards at {site}: run `leitstand run` (without --no-dashboards) first."
        )
    # The directory is the symlink, resolved per request: a newly swapped-in site is served
    # without a restart.
    handler = functools.partial(_SiteHandler, directory=str(site), runs_dir=settings.runs_dir)
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve(settings: Settings, port: int = 3000) -> None:
    """Serve the built dashboards on http://127.0.0.1:<port>/ until interrupted."""
    server = make_server(settings, port)
    print(f"Leitstand dashboards on http://127.0.0.1:{server.server_port}/ (Ctrl+C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
