"""Writing the three outputs of `yingjian report` (and of the demo) from one check."""
from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from checklist.report import write_binder, write_html, write_xlsx

from .workspace import Workspace


def default_paths(ws: Workspace) -> tuple[Path, Path, Path]:
    stamp = datetime.now().strftime("%Y%m%d")
    out = ws.config.root / "reports"
    return (out / f"迎检准备情况报告_{stamp}.html", out / f"迎检准备情况报告_{stamp}.xlsx",
            out / f"迎检资料汇编_{stamp}.zip")


def write_reports(ws: Workspace, html: Path | None, xlsx: Path | None,
                  binder: Path | None) -> list[tuple[str, Path]]:
    """From the workspace's latest check: the HTML report (with links to the files, relative to
    where it is written), the Excel report and the binder (whose self-assessment table is the
    Excel report)."""
    written = []
    if html:
        data = ws.report_data(links_from=Path(html).resolve().parent)
        written.append(("HTML 报告", write_html(data, Path(html))))
    data = ws.report_data()
    if xlsx:
        written.append(("Excel 报告", write_xlsx(data, Path(xlsx))))
    if binder:
        with tempfile.TemporaryDirectory() as tmp:
            table = Path(xlsx) if xlsx else write_xlsx(data, Path(tmp) / "自评表.xlsx")
            written.append(("迎检资料汇编", write_binder(data, Path(binder), table)))
    return written
