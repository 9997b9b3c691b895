"""The landing page. The office sees its dashboard: the estimated score, the veto items at risk,
the suggestions waiting for its review, the problem files and the units that never uploaded,
each a link to the page that deals with it. A unit user lands on its own to-do list. A search
typed into the old front page (`/?q=…`) still searches."""
from __future__ import annotations

from flask import Blueprint, g, render_template, request

from . import search, units
from .common import check_result, login_required, workspace

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def home():
    if "q" in request.args:
        return search.search()
    if not g.user.is_office:
        return units.unit(g.user.unit)
    ws = workspace()
    c = check_result()
    problems = ws.files.problem_count()
    return render_template("dashboard.html", c=c, review_total=ws.review(limit=0)["total"],
                           problems=problems, backlog=ws.files.backlog(),
                           never=[u["unit"] for u in c["units"] if u["never_uploaded"]],
                           veto={v["code"]: v for v in c["veto"]})
