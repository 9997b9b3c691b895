"""The office's decisions: confirm or reject a suggestion, assign a file by hand, undo."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request

from checklist import MappingError

from .. import messages as msg
from .common import SHA, office_required, safe_back, workspace
from .errors import fail

bp = Blueprint("review", __name__)
ACTIONS = ("confirm", "reject", "assign", "unassign")


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
    ws.sync_index()
    return redirect(safe_back(request.form.get("back"), "/items"))
