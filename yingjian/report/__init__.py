"""The readiness report (one self-contained HTML file that opens offline and prints on A4, and
an Excel workbook) and the inspection binder (a ZIP laid out as inspectors expect), all made
from one readiness check. Presentation only: every word comes from yingjian/messages.py or the
templates beside this file.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from checklist.check import STATUSES, leaves  # noqa: F401  (the report's modules use both)
from ..messages import VOLUME

COLORS = {"complete": "#2e7d32", "unconfirmed": "#b58900", "partial": "#e65100", "missing": "#c62828"}
FILLS = {"complete": "C6EFCE", "unconfirmed": "FFEB9C", "partial": "FCE4D6", "missing": "FFC7CE"}
THUMBS_PER_MATERIAL = 6


@dataclass
class ReportData:
    """Everything a report needs, gathered by the application from one workspace."""
    check: dict                                   # the result of Check.run
    office: str                                   # the workspace's title
    files: list[dict]                             # every present file (records.files rows)
    serves: dict[str, list[tuple[str, str, bool]]]  # sha -> [(material, how, confirmed)]
    problems: list[dict]
    thumbnail: Callable[[str], Path | None] = lambda sha: None
    link: Callable[[dict], str | None] = lambda ev: None   # a relative link to open a file
    object_path: Callable[[str], Path] | None = None        # the archived bytes (the binder)
    text_of: Callable[[str], str] = lambda sha: ""          # extracted text (binder search, volumes)
    font: Path | None = None                                # the configured CJK font (volumes)
    made_at: datetime = field(default_factory=datetime.now)
    history: dict | None = None       # readiness over time (yingjian/history.py view): svg, sentence


def default_paths(root: Path) -> tuple[Path, Path, Path]:
    stamp = datetime.now().strftime("%Y%m%d")
    out = Path(root) / "reports"
    return (out / f"迎检准备情况报告_{stamp}.html", out / f"迎检准备情况报告_{stamp}.xlsx",
            out / f"迎检资料汇编_{stamp}.zip")


def default_pdf_dir(root: Path) -> Path:
    return Path(root) / "reports" / f"迎检资料汇编_{datetime.now():%Y%m%d}_PDF"


def write_reports(ws, html: Path | None, xlsx: Path | None, binder: Path | None,
                  pdf: Path | None = None, pdf_whole: bool = False) -> tuple[list[tuple[str, Path]], dict]:
    """From one readiness check of the workspace: the HTML report (with links to the files,
    relative to where it is written), the Excel report, the binder (whose self-assessment
    table is the Excel report) and the bound PDF volumes (one per first-level item, and with
    `pdf_whole` one for everything). Returns what was written and the check's result."""
    from .binder import write_binder
    from .excel import write_xlsx
    from .html import write_html
    readiness = ws.readiness()
    written = []
    if html:
        data = ws.report_data(readiness, links_from=Path(html).resolve().parent)
        written.append(("HTML 报告", write_html(data, Path(html))))
    data = ws.report_data(readiness)
    if xlsx:
        written.append(("Excel 报告", write_xlsx(data, Path(xlsx))))
    if binder:
        with tempfile.TemporaryDirectory() as tmp:
            table = Path(xlsx) if xlsx else write_xlsx(data, Path(tmp) / "自评表.xlsx")
            written.append(("迎检资料汇编", write_binder(data, Path(binder), table)))
    if pdf:
        from .volumes import write_volumes
        for p in write_volumes(data, Path(pdf), whole=pdf_whole):
            written.append((VOLUME["written"], p))
    return written, readiness.result


def __getattr__(name):
    # the writers, importable from the package as before they were split into modules
    if name in ("write_html", "html_report", "chart_svg"):
        from . import html
        return getattr(html, name)
    if name == "write_xlsx":
        from .excel import write_xlsx
        return write_xlsx
    if name in ("write_binder", "safe_name"):
        from . import binder
        return getattr(binder, name)
    raise AttributeError(name)
