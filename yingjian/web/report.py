"""The report page and its downloads (HTML, Excel, the inspection binder), made now from a
fresh check; the files stream from a temporary folder that is removed once sent."""
from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

from flask import Blueprint, render_template

from ..workspace import Workspace
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
    """A report made now, in the report maker's own process: writing a report over a large
    archive takes seconds of pure Python, which in the web app's process would hold the
    interpreter's lock against every other user's page."""
    if kind not in ("html", "xlsx", "binder"):
        fail(404, "no_page")
    tmp = Path(tempfile.mkdtemp(prefix="yingjian-report-"))
    try:
        path = Path(_maker().submit(make_report, str(workspace().config.root), kind, str(tmp),
                                    time.strftime("%Y%m%d")).result())
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if type(e).__name__ == "BrokenProcessPool":        # the maker died: a new one next time
            with _MAKER_LOCK:
                _MAKER.clear()
        raise
    return send_made_file(path, cleanup=tmp)


_MAKER: list = []
_MAKER_LOCK = threading.Lock()


def _maker():
    """The process that makes reports (spawned, as on Windows; one, kept for the next)."""
    with _MAKER_LOCK:
        if not _MAKER:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context
            import atexit
            pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"))
            atexit.register(pool.shutdown)        # ended before the interpreter tears down
            _MAKER.append(pool)
        return _MAKER[0]


_WORKSPACES: dict = {}


def make_report(root: str, kind: str, folder: str, stamp: str) -> str:
    """In the report maker's process: the report of a check made now, written into `folder`;
    its path. The workspace is opened once per root and kept (its check is cached until the
    catalog changes). Reads only, like the page that asked for it."""
    from ..report import write_binder, write_html, write_xlsx
    ws = _WORKSPACES.get(root)
    if ws is None:
        ws = _WORKSPACES[root] = Workspace.open(root)
    data = ws.report_data(ws.readiness())
    tmp = Path(folder)
    if kind == "html":
        path = write_html(data, tmp / f"迎检准备情况报告_{stamp}.html")
    elif kind == "xlsx":
        path = write_xlsx(data, tmp / f"迎检准备情况报告_{stamp}.xlsx")
    else:
        table = write_xlsx(data, tmp / "自评表.xlsx")
        path = write_binder(data, tmp / f"迎检资料汇编_{stamp}.zip", table)
    return str(path)
