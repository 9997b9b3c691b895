"""The standard's items: the tree with each item's status, and one item with its materials,
their evidence and a search to assign more. The office's only."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from indexer import QueryError

from .. import messages as msg
from .common import check_result, office_required, workspace
from .errors import fail

bp = Blueprint("items", __name__)


@bp.route("/items")
@office_required
def items():
    return render_template("items.html", c=check_result())


@bp.route("/items/<code>")
@office_required
def item(code):
    ws = workspace()
    found = find_item(check_result()["items"], code)
    if found is None:
        fail(404, "no_item")
    q = request.args.get("q", "").strip()
    candidates, error = None, None
    if q:
        try:
            candidates = ws.search(q, limit=10)
        except QueryError as e:
            error = msg.describe(e).text
    return render_template("item.html", it=found, q=q, candidates=candidates, error=error)


def find_item(items: list[dict], code: str) -> dict | None:
    for it in items:
        if it["code"] == code:
            return it
        found = find_item(it.get("children", []), code)
        if found:
            return found
    return None
