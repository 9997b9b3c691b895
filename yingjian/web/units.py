"""The units: each one's progress for the office; a unit user sees its own page only, which is
also where it lands: its to-do list, an upload button on each row (the upload is declared for
that material), and its files with how each stands: taken as evidence, waiting for the office's
review, or a problem."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from ..messages import STANDING_LABELS
from .common import check_result, login_required, workspace
from .errors import fail

bp = Blueprint("units", __name__)
FILES_SHOWN = 500


@bp.route("/units")
@login_required
def units():
    if not g.user.is_office:
        return redirect(url_for("units.unit", name=g.user.unit))
    return render_template("units.html", c=check_result())


@bp.route("/units/<name>")
@login_required
def unit(name):
    if not g.user.may_see_unit(name):
        fail(404, "no_unit")
    u = next((u for u in check_result()["units"] if u["unit"] == name), None)
    if u is None:
        fail(404, "no_unit")
    ws = workspace()
    rows = [r for r in ws.files.records(name) if r["status"] != "withdrawn"]
    shown = rows[:FILES_SHOWN]
    standing = ws.file_standing({r["id"] for r in shown if r["id"]})
    for r in shown:
        r["standing"] = "problem" if r["status"] == "problem" else standing.get(r["id"], "none")
    return render_template("unit.html", u=u, files=shown, total=len(rows),
                           standing_labels=STANDING_LABELS)
