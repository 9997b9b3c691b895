"""问题文件: the files that need a person."""
from __future__ import annotations

from flask import Blueprint, g, render_template

from .. import records
from .common import login_required, workspace

bp = Blueprint("problems", __name__)


@bp.route("/problems")
@login_required
def problems():
    rows = [p for p in records.problems(workspace().catalog) if g.user.may_see_unit(p["unit"])]
    return render_template("problems.html", problems=rows)
