"""The 搜索 page: the index's search with the unit, material, kind and year filters. A unit user
searches its own unit's files only, whatever the URL says."""
from __future__ import annotations

from flask import Blueprint, g, render_template, request

from indexer import QueryError

from .. import messages as msg
from .common import login_required, workspace

bp = Blueprint("search", __name__)
PAGE_SIZE = 20


@bp.route("/search")
@login_required
def search():
    ws = workspace()
    q = request.args.get("q", "").strip()
    unit = request.args.get("unit") or None
    if not g.user.is_office:
        unit = g.user.unit
    filters = {k: request.args.get(k) or None for k in ("item", "kind", "year")}
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 500))
    results, error = None, None
    if q:
        try:
            results = ws.search(q, unit=unit, page=page, limit=PAGE_SIZE, **filters)
        except QueryError as e:
            error = msg.describe(e).text
    return render_template("search.html", q=q, unit=unit, filters=filters, page=page,
                           results=results, error=error, units=ws.config.units,
                           items=ws.standard.materials() if g.user.is_office else {},
                           page_size=PAGE_SIZE)
