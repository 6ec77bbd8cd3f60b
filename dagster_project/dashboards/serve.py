"""`leitstand serve`: the built Evidence site on 127.0.0.1, the newest build on every request."""

import functools
import http.server

from dagster_project.core.settings import Settings
from dagster_project.dashboards.build import DashboardBuildError, site_path


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

    def log_request(self, code="-", size="-") -> None:
        if str(code).startswith(("4", "5")):
            super().log_request(code, size)


def make_server(settings: Settings, port: int = 3000) -> http.server.ThreadingHTTPServer:
    """A static file server for the built site, bound to 127.0.0.1 only."""
    site = site_path(settings)
    if not site.is_dir():
        raise DashboardBuildError(
            f"No built dashboards at {site}: run `leitstand run` (without --no-dashboards) first."
        )
    # The directory is the symlink, resolved per request: a newly swapped-in site is served
    # without a restart.
    handler = functools.partial(_SiteHandler, directory=str(site))
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
