"""The 文件 list, a file's page with a preview of every page, and the file's images, media and
download: archived objects by id only, and only those the user may see (another unit's file is
"not found", its previews and media too)."""
from __future__ import annotations

import re
from pathlib import PurePosixPath

from flask import Blueprint, g, render_template, request, send_file

from ..messages import (FILE_LIST_STATUS_LABELS as STATUS_CHOICES, MAPPED_LABELS as MAPPED_CHOICES,
                        SORT_LABELS as SORT_CHOICES)
from ..uploads import neutral_name
from .common import login_required, require_visible, workspace
from .errors import fail

bp = Blueprint("files", __name__)
TEXT_SHOWN = 20000
PAGES_SHOWN = 200
PER_PAGE = 50
FILTERS = ("unit", "kind", "year", "status", "material", "mapped", "sort", "order")
VIDEO_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm",
               "mkv": "video/x-matroska", "3gp": "video/3gpp", "avi": "video/x-msvideo"}


@bp.route("/files")
@login_required
def files():
    ws = workspace()
    args = {k: (request.args.get(k) or "").strip() for k in FILTERS}
    if not g.user.is_office:
        args["unit"] = g.user.unit                 # a unit user lists its own files only
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 100000))
    sort = args["sort"] if args["sort"] in SORT_CHOICES else "unit"
    result = ws.files.page(
        unit=args["unit"] or None, kind=args["kind"] or None, year=args["year"] or None,
        status=args["status"] or None, material=args["material"] or None,
        mapped=args["mapped"] or None, sort=sort, descending=args["order"] == "desc",
        page=page, per_page=PER_PAGE)
    return render_template(
        "files.html", r=result, args=args, units=ws.config.units, years=ws.files.years(),
        materials=ws.standard.materials(), statuses=STATUS_CHOICES, sorts=SORT_CHOICES,
        mapped_choices=MAPPED_CHOICES,
        query={k: v for k, v in args.items() if v and (g.user.is_office or k != "unit")})


@bp.route("/file/<sha>")
@login_required
def file(sha):
    ws = workspace()
    srcs = require_visible(sha)
    detail = ws.files.detail(sha, srcs, office=g.user.is_office)
    if detail is None:
        fail(404, "no_file")
    obj, items, materials = detail.object, detail.items, ws.standard.materials()
    text = detail.text
    texts = text.split("\f")
    n_images = detail.page_images
    pages = [{"n": i + 1, "image": i < n_images, "text": texts[i] if i < len(texts) else ""}
             for i in range(min(PAGES_SHOWN, max(n_images, len(texts))))]
    return render_template("file.html", obj=obj, sha=sha, sources=srcs, versions=detail.versions,
                           items=[(i, materials[i]) for i in items if i in materials],
                           materials=materials,
                           history=detail.history,
                           pages=pages, more=len(pages) < max(n_images, len(texts)),
                           structure=structure(text[:TEXT_SHOWN], obj["format"]),
                           video=VIDEO_TYPES.get(obj["format"]) if obj["kind"] == "video" else None)


@bp.route("/file/<sha>/thumb")
@login_required
def thumb(sha):
    require_visible(sha)
    path = workspace().files.thumbnail(sha)
    if path is None:
        fail(404, "no_file")
    return send_file(path, mimetype="image/jpeg", max_age=3600)


@bp.route("/file/<sha>/page/<int:n>")
@login_required
def page_image(sha, n):
    """Page `n` (from 1) at reading size, made on first view."""
    require_visible(sha)
    path = workspace().files.page_image(sha, n - 1) if n >= 1 else None
    if path is None:
        fail(404, "no_page")
    return send_file(path, mimetype="image/jpeg", max_age=3600)


@bp.route("/file/<sha>/media")
@login_required
def media(sha):
    """A video for the browser's own player (byte ranges, so it can seek)."""
    files = workspace().files
    require_visible(sha)
    mimetype = VIDEO_TYPES.get(files.format_of(sha) or "")
    path = files.content(sha) if mimetype else None
    if path is None:
        fail(404, "no_file")
    return send_file(path, mimetype=mimetype, conditional=True, max_age=3600)


@bp.route("/file/<sha>/download")
@login_required
def download(sha):
    srcs = require_visible(sha)
    path = workspace().files.content(sha)
    if path is None:
        fail(404, "no_file")
    # a name with a line break or other control character would make an invalid header; a
    # bidi control would hide the real extension; a device name would not save on Windows
    name = neutral_name(PurePosixPath(srcs[0]["path"]).name)
    return send_file(path, as_attachment=True, download_name=name,
                     mimetype="application/octet-stream")


_SHEET = re.compile(r"^【(.+)】$")


def structure(text: str, fmt: str) -> list[tuple[str, object]] | None:
    """Word and Excel text as blocks: ("sheet", title), ("p", paragraph), ("table", rows of
    cells), as the extractor wrote them (a sheet's title in 【】, a row's cells joined by tabs).
    None for other formats, which show their text page by page."""
    if fmt not in ("docx", "xlsx", "doc", "xls", "wps", "et", "ods", "odt", "rtf", "csv"):
        return None
    blocks: list[tuple[str, object]] = []
    for line in text.replace("\f", "\n").splitlines():
        if not line.strip():
            continue
        m = _SHEET.match(line.strip())
        if m:
            blocks.append(("sheet", m.group(1)))
        elif "\t" in line:
            if not blocks or blocks[-1][0] != "table":
                blocks.append(("table", []))
            blocks[-1][1].append(line.split("\t"))
        else:
            blocks.append(("p", line))
    return blocks
