"""The dashboards offer no CSV download a spreadsheet could run formulas from.

Evidence's charts have a "Download Data" button that writes the chart's rows as CSV
unescaped (`export-to-csv`): an org unit or tool name such as `=HYPERLINK(…)` from a config
or export file would run when the file is opened. The pages draw their charts with the
project's own components; any Evidence chart a page uses must turn the download off
(`downloadableData=false`; the image download stays: an image runs nothing), and no page
uses Evidence's DataTable, whose download does the same. Data for a spreadsheet comes from
`leitstand query --csv`, which escapes such cells (docs/operations.md).
"""

from __future__ import annotations

import re

from dagster_project.core.settings import DASHBOARDS_DIR

# Evidence components that carry a CSV download of their data
DOWNLOADING = ("LineChart", "BarChart", "AreaChart", "ScatterPlot", "BubbleChart", "Histogram",
               "FunnelChart", "SankeyDiagram", "Heatmap", "BoxPlot", "CalendarHeatmap",
               "USMap", "AreaMap", "PointMap", "BubbleMap", "DataTable")


def test_no_chart_or_table_of_the_pages_offers_a_csv_download():
    tags = []
    pages = sorted((DASHBOARDS_DIR / "pages").rglob("*.md"))
    assert pages, "no pages found: this test must see them"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"<(\w+)([^>]*)/?>", text, flags=re.S):
            if match.group(1) in DOWNLOADING:
                tags.append((page.name, match.group(1), match.group(2)))
    for page, name, attributes in tags:
        assert name != "DataTable", f"{page}: DataTable downloads CSV unescaped"
        assert re.search(r"\bdownloadableData\s*=\s*(false|\{false\})", attributes), (
            f"{page}: <{name}> offers its data as CSV; add downloadableData=false")
