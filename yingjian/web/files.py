"""A file's page, its thumbnail and its download: archived objects by id only, and only those
the user may see (another unit's file is "not found")."""
from __future__ import annotations

from pathlib import PurePosixPath

from flask import Blueprint, g, render_template, send_file

from .common import login_required, require_visible, workspace
from .errors import fail

bp = Blueprint("files", __name__)
TEXT_SHOWN = 20000


@bp.route("/file/<sha>")
@login_required
def file(sha):
    ws = workspace()
    srcs = require_visible(sha)
    obj = ws.catalog.object(sha)
    if obj is None:
        fail(404, "no_file")
    versions = {s["id"]: ws.catalog.versions(s["id"]) for s in srcs}
    items = ws.mapping.items_for(sha, [s["path"] for s in srcs], obj["kind"]) \
        if g.user.is_office else []
    materials = ws.standard.materials()
    text = obj["text"] or ""
    return render_template("file.html", obj=obj, sha=sha, sources=srcs, versions=versions,
                           items=[(i, materials[i]) for i in items if i in materials],
                           history=ws.mapping.history(sha) if g.user.is_office else [],
                           text=text[:TEXT_SHOWN], more=len(text) > TEXT_SHOWN,
                           pages=text.split("\f")[:50])


@bp.route("/file/<sha>/thumb")
@login_required
def thumb(sha):
    require_visible(sha)
    path = workspace().thumbnails.get(sha)
    if path is None:
        fail(404, "no_file")
    return send_file(path, mimetype="image/jpeg", max_age=3600)


@bp.route("/file/<sha>/download")
@login_required
def download(sha):
    ws = workspace()
    srcs = require_visible(sha)
    if not ws.store.has(sha):
        fail(404, "no_file")
    name = PurePosixPath(srcs[0]["path"]).name
    return send_file(ws.store.path(sha), as_attachment=True, download_name=name,
                     mimetype="application/octet-stream")
