"""The province's pages (`yingjian serve` in a province's folder, province accounts): 全省, one
row per city with the summary each city's own changes wrote, sortable and filterable; a city
opened read only (its check; its review queue to decide in only when the city grants the
province decisions, otherwise every decision is a 403); search across
the cities with a city facet; the Excel report. Every view calls one function of
yingjian/province.py."""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from checklist import MappingError

from indexer import QueryError

from .. import messages as msg
from ..province import PROVINCE_ACTIONS, SORT_KEYS, ProvinceError
from .common import SHA, office_required, send_made_file
from .errors import fail

bp = Blueprint("province", __name__)


def province():
    return current_app.extensions["yingjian.province"]


@bp.route("/")
@office_required
def overview():
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORT_KEYS else "name"
    desc = request.args.get("desc") == "1"
    veto = request.args.get("veto") == "1"
    q = request.args.get("q", "").strip()
    rows = province().overview(sort=sort, descending=desc, veto_only=veto, query=q)
    return render_template("province.html", rows=rows, sort=sort, desc=desc, veto=veto, q=q,
                           province_name=province().name)


@bp.route("/city/<name>")
@office_required
def city(name):
    try:
        view = province().city_view(name)
    except ProvinceError:
        fail(404, "no_page")
    return render_template("province_city.html", view=view, province_name=province().name)


@bp.route("/city/<name>/decide", methods=["POST"])
@office_required
def decide(name):
    """A province account's decision for a city that grants it (one file or several, one
    material): the city's own decision; a 403 when the city does not grant it."""
    shas = request.form.getlist("sha")
    material, action = request.form.get("material", ""), request.form.get("action", "")
    if action not in PROVINCE_ACTIONS or not shas or not all(SHA.fullmatch(s) for s in shas):
        fail(400, "bad_action")
    try:
        province().decide(name, shas, material, action, g.user.name)
    except ProvinceError as e:
        if e.code == "province_not_granted":
            fail(403, "province_not_granted")
        fail(404, "no_page")
    except MappingError as e:
        abort(400, msg.describe(e).text)
    return redirect(url_for("province.city", name=name))


@bp.route("/search")
@office_required
def search():
    q = request.args.get("q", "").strip()
    city = request.args.get("city") or None
    results, error = None, None
    if q:
        try:
            results = province().search(q, city=city)
        except QueryError as e:
            error = msg.describe(e).text
        except ProvinceError:
            fail(404, "no_page")
    return render_template("province_search.html", q=q, city=city, results=results, error=error,
                           province_name=province().name)


@bp.route("/province.xlsx")
@office_required
def report():
    tmp = Path(tempfile.mkdtemp(prefix="yingjian-province-"))
    try:
        path = province().report_xlsx(tmp / f"{province().name}迎检准备情况{time.strftime('%Y%m%d')}.xlsx")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return send_made_file(path, name=path.name, cleanup=tmp,
                          mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
