"""The report as one HTML document (Jinja2, inline SVG sparklines, a print stylesheet for A4
landscape): `pdf.py` prints it with headless Chromium.

The page loads nothing: no script, no font, no image from anywhere (a Content-Security-Policy
says so too), so printing it needs no network.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from dagster_project.report import fmt
from dagster_project.report.data import KpiLine, Report

TEMPLATES = Path(__file__).with_name("templates")
STATUS_COLOURS = {"red": "#dc2626", "amber": "#f59e0b", "green": "#16a34a",
                  "no_target": "#9ca3af"}
SPARK_W, SPARK_H, SPARK_PAD = 120, 17, 2.5


def _month_index(d: date) -> int:
    return 12 * d.year + d.month - 1


def sparkline(line: KpiLine, month: date, months: int = 13) -> Markup:
    """An inline SVG of the KPI's monthly values up to `month`: published values as a line
    (broken at suppressed months, which get a grey tick on the axis and no value), the last
    value as a dot in its status colour, the expected value of the target path as a dash."""
    end = _month_index(month)
    start = end - months + 1
    points = [(_month_index(m) - start, v) for m, v in line.series if _month_index(m) >= start]
    values = [v for _, v in points if v is not None]
    if not values:
        return Markup("")
    scale_values = values + ([line.expected_value] if line.expected_value is not None
                             and line.status else [])
    lo, hi = min(scale_values), max(scale_values)
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1

    def x(i: int) -> float:
        return SPARK_PAD + i * (SPARK_W - 2 * SPARK_PAD) / max(1, months - 1)

    def y(v: float) -> float:
        return SPARK_H - SPARK_PAD - (v - lo) * (SPARK_H - 2 * SPARK_PAD) / (hi - lo)

    paths, current = [], []
    for i, v in points:
        if v is None:
            if current:
                paths.append(current)
            current = []
        else:
            current.append(f"{x(i):.1f},{y(v):.1f}")
    if current:
        paths.append(current)
    parts = [f'<svg class="spark" width="{SPARK_W}" height="{SPARK_H}" '
             f'viewBox="0 0 {SPARK_W} {SPARK_H}" role="img" aria-hidden="true">']
    for p in paths:
        if len(p) > 1:
            parts.append(f'<polyline points="{" ".join(p)}" fill="none" stroke="#1d4ed8" '
                         'stroke-width="1.4" stroke-linejoin="round"/>')
    for i, v in points:
        if v is None:
            parts.append(f'<line x1="{x(i):.1f}" y1="{SPARK_H - 1}" x2="{x(i):.1f}" '
                         f'y2="{SPARK_H - 5}" stroke="#9ca3af" stroke-width="1.2"/>')
    last_i, last_v = next((i, v) for i, v in reversed(points) if v is not None)
    if line.expected_value is not None and line.status:
        ex = x(last_i)
        parts.append(f'<line x1="{ex - 4:.1f}" y1="{y(line.expected_value):.1f}" '
                     f'x2="{ex + 4:.1f}" y2="{y(line.expected_value):.1f}" stroke="#374151" '
                     'stroke-width="1.2" stroke-dasharray="2,1"/>')
    colour = STATUS_COLOURS.get(line.status or "", "#1d4ed8")
    parts.append(f'<circle cx="{x(last_i):.1f}" cy="{y(last_v):.1f}" r="2.4" fill="{colour}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        kpi=fmt.kpi_value, delta=fmt.kpi_delta, day=fmt.day, day_time=fmt.day_time,
        month_short=fmt.month_short, month_long=fmt.month_long, status=fmt.status_label,
        action=fmt.action_label, num=fmt.num,
    )
    env.globals.update(sparkline=sparkline, trend=fmt.trend, colours=STATUS_COLOURS,
                       SUPPRESSED=fmt.SUPPRESSED_TEXT)
    return env


def render_html(report: Report, created_at: datetime | None = None) -> str:
    """The whole report (one page per unit) as an HTML document."""
    template = _environment().get_template("report.html.j2")
    return template.render(report=report, created_at=created_at or datetime.now())
