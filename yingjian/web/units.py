"""The units: each one's progress for the office; a unit user sees its own page only."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from .. import records
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
    rows = [r for r in records.files(workspace().catalog, name) if r["status"] != "withdrawn"]
    return render_template("unit.html", u=u, files=rows[:FILES_SHOWN], total=len(rows))
