"""The office's decisions: 待审核, the review queue (every suggestion waiting, a preview of the file
beside the material it may prove, why it waits; confirm, reject or 不是这一项 per row, confirm-all
for a material), and the single decisions the item pages post (confirm, reject, assign, undo).
Every decision goes through the Workspace's one service."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request

from checklist import MappingError

from .. import messages as msg
from .. import province
from .common import SHA, office_required, safe_back, workspace
from .errors import fail

bp = Blueprint("review", __name__)
ACTIONS = ("confirm", "reject", "assign", "unassign")
PAGE_SIZE = 20
EXCERPT = 160            # characters of each file's text shown beside its thumbnail


@bp.route("/decide", methods=["POST"])
@office_required
def decide():
    ws = workspace()
    sha, material = request.form.get("sha", ""), request.form.get("material", "")
    action = request.form.get("action", "")
    if action not in ACTIONS or not SHA.fullmatch(sha):
        fail(400, "bad_action")
    try:
        ws.decide(sha, material, action, g.user.name)
    except MappingError as e:
        abort(400, msg.describe(e).text)
    return redirect(safe_back(request.form.get("back"), "/items"))


@bp.route("/review")
@office_required
def review():
    ws = workspace()
    unit = request.args.get("unit") or None
    item = request.args.get("item") or None
    page = max(1, request.args.get("page", 1, type=int) or 1)
    queue = ws.review(unit=unit, item=item, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-queue["total"] // PAGE_SIZE))
    if page > pages:
        queue = ws.review(unit=unit, item=item, offset=(pages - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        page = pages
    groups: dict[str, dict] = {}          # by material, in the queue's order of first sight
    for row in queue["suggestions"]:
        row["excerpt"] = " ".join(ws.text_of(row["id"])[:EXCERPT * 2].split())[:EXCERPT]
        grp = groups.setdefault(row["material"], {"material": row["material"], "title": row["title"],
                                                 "item": row["item"], "veto": row["veto"], "rows": []})
        grp["rows"].append(row)
    query = {k: v for k, v in (("unit", unit), ("item", item)) if v}
    grant = province.grant_of(ws) if ws.config.province.city else None
    return render_template("review.html", queue=queue, groups=list(groups.values()), page=page,
                           pages=pages, query=query, unit=unit, item=item, grant=grant,
                           units=ws.config.units, reject_notes=msg.REJECT_NOTES)


@bp.route("/review/province", methods=["POST"])
@office_required
def province_grant():
    """A city's office grants its province decisions in this queue, or revokes the grant."""
    choice = request.form.get("grant")
    if choice not in ("1", "0") or not workspace().config.province.city:
        fail(400, "bad_action")
    province.set_grant(workspace(), choice == "1", g.user.name)
    return redirect("/review")


@bp.route("/review/decide", methods=["POST"])
@office_required
def decide_many():
    """One decision on one or several files for one material (a row, or confirm-all)."""
    ws = workspace()
    shas = request.form.getlist("sha")
    material, action = request.form.get("material", ""), request.form.get("action", "")
    note = request.form.get("note") or None
    if action not in ("confirm", "reject") or not shas or not all(SHA.fullmatch(s) for s in shas) \
            or (note is not None and note not in msg.REJECT_NOTES):
        fail(400, "bad_action")
    try:
        ws.decide_many(shas, material, action, g.user.name, note=note)
    except MappingError as e:
        abort(400, msg.describe(e).text)
    return redirect(safe_back(request.form.get("back"), "/review"))
