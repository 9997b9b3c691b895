"""The report page and its downloads (HTML, Excel, the inspection binder), made now from a
fresh check; the files stream from a temporary folder that is removed once sent."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from flask import Blueprint, render_template

from .common import check_result, office_required, send_made_file, workspace
from .errors import fail

bp = Blueprint("report", __name__)


@bp.route("/report")
@office_required
def report():
    return render_template("report.html", c=check_result())


@bp.route("/report/<kind>")
@office_required
def report_download(kind):
    from ..report import write_binder, write_html, write_xlsx
    if kind not in ("html", "xlsx", "binder"):
        fail(404, "no_page")
    ws = workspace()
    data = ws.report_data(ws.readiness())       # the reports are of a check made now
    stamp = time.strftime("%Y%m%d")
    tmp = Path(tempfile.mkdtemp(prefix="yingjian-report-"))
    try:
        if kind == "html":
            path = write_html(data, tmp / f"迎检准备情况报告_{stamp}.html")
        elif kind == "xlsx":
            path = write_xlsx(data, tmp / f"迎检准备情况报告_{stamp}.xlsx")
        else:
            table = write_xlsx(data, tmp / "自评表.xlsx")
            path = write_binder(data, tmp / f"迎检资料汇编_{stamp}.zip", table)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    return send_made_file(path, cleanup=tmp)
