"""Chasing the units on the web: due dates on the 单位 page, 生成督办通知 for one unit (a .docx)
or all (the zip), the notices a unit was sent (a unit user sees its own), and the readiness
chart. Pages only read: the chart draws the stored days and a live point for today; the
history is kept by the forms (POST), after they have changed something, never by a GET.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, g, redirect, request, url_for
from markupsafe import Markup

from .. import messages
from ..history import view as history_view
from ..notices import chase_summaries, write_notices
from .common import check_result, login_required, office_required, send_made_file, workspace
from .errors import fail

bp = Blueprint("notices", __name__)
log = logging.getLogger("yingjian.web")


@bp.record_once
def _open_stores(state) -> None:
    """The stores' migrations run when the app starts, so that no page (a GET) writes."""
    state.app.extensions["yingjian"].open_stores()


def _day(text: str | None) -> str | None:
    text = (text or "").strip().replace("/", "-")
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        fail(400, "bad_due")


@bp.route("/due", methods=["POST"])
@office_required
def set_due():
    ws = workspace()
    name = request.form.get("unit", "")
    if name not in ws.units():
        fail(404, "no_unit")
    day = None if request.form.get("clear") else _day(request.form.get("due"))
    material = request.form.get("material", "").strip()
    if material:
        if material not in ws.standard.materials():
            fail(404, "no_material")
        ws.set_due("material", material, day, g.user.name)
    else:
        ws.set_due("unit", name, day, g.user.name)
    return redirect(url_for("units.unit", name=name) + "#chase")


@bp.route("/notices", methods=["POST"])
@office_required
def generate():
    """生成督办通知: one unit's notice (.docx), or every unit's with open materials (the zip)."""
    ws = workspace()
    unit = request.form.get("unit", "").strip() or None
    if unit is not None and unit not in ws.units():
        fail(404, "no_unit")
    due = _day(request.form.get("due"))
    tmp = Path(tempfile.mkdtemp(prefix="yingjian-notice-"))
    try:
        batch = write_notices(ws, tmp, units=[unit] if unit else None, due=due, user=g.user.name,
                              include_complete=bool(unit and request.form.get("all")))
        if not batch.notices:
            shutil.rmtree(tmp, ignore_errors=True)
            fail(409, "nothing_open")
        path = batch.notices[0].path if unit else batch.zip_path
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _send(path, cleanup=tmp)


@bp.route("/notices/<int:notice_id>")
@login_required
def download(notice_id):
    """A notice as it was sent; a unit user, only its own."""
    found = workspace().activity.notice(notice_id)
    if found is None or not g.user.may_see_unit(found[0]["unit"]) or found[1] is None:
        fail(404, "no_notice")
    path = found[1]
    return _send(path, name=path.name.split("_", 1)[-1])


def _send(path: Path, name: str | None = None, cleanup: Path | None = None) -> Response:
    mime = ("application/zip" if path.suffix == ".zip" else
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    return send_made_file(path, name=name, mimetype=mime, cleanup=cleanup)


@bp.after_app_request
def keep_history(resp):
    """After a form changed something (a decision, an upload, a due date, a notice), today's
    readiness point is kept; a GET never writes."""
    if (request.method == "POST" and resp.status_code < 400 and g.get("user") is not None
            and request.endpoint and not request.endpoint.startswith("accounts.")):
        try:
            workspace().record_history()
        except Exception:            # the history must never make a done action look failed
            log.exception("readiness history not kept")
    return resp


# -- what the pages draw ----------------------------------------------------------------------

@bp.app_template_global()
def due_badge(entry: dict) -> Markup:
    """截止 2026-12-15 and, past it while still open, a 逾期 badge."""
    if not entry.get("due"):
        return Markup("")
    out = Markup('<span class="muted due" data-due="{0}">截止 {0}</span>').format(entry["due"])
    if entry.get("overdue"):
        out = Markup('<span class="badge overdue" data-overdue="1">{0}</span> ').format(
            messages.OVERDUE_LABEL) + out
    return out


@bp.app_template_global()
def chase_view(c: dict | None, unit: str | None = None):
    """unit -> how it has been chased, with its sentence; or one unit's (`c`: the page's check,
    else the workspace's current one)."""
    c = c if c is not None else check_result()
    out = {}
    for u, state in chase_summaries(workspace(), c).items():
        out[u] = {**(state or {}), "text": messages.chase_text(state)}
    return out.get(unit, {"text": messages.chase_text(None)}) if unit is not None else out


@bp.app_template_global()
def notices_of(unit: str) -> list[dict]:
    return workspace().activity.notices_of(unit)


@bp.app_template_global()
def readiness_chart(c: dict | None, unit: str | None = None, all_units: bool = False) -> dict:
    c = c if c is not None else check_result()
    v = history_view(workspace(), c, unit=unit, all_units=all_units)
    v["svg"] = Markup(v["svg"])          # built with every text escaped (yingjian/history.py)
    return v


@bp.app_template_global()
def day_text(iso: str | None, form: str = "long") -> str:
    return messages.day_text(iso, form)
