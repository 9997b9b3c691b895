"""The upload page: a form of files for a unit (declared for a material when it comes from a
to-do row), handed to the workspace's upload service (yingjian/uploads.py), and the results:
each file's outcome, its standing for the material, and a problem in red with its reason.

An upload returns at once: the body was received and parsed before the view runs (within the
limits of `[web]`), the files are archived on a workspace of the request's own, never under the
shared workspace's lock, and their scans and photos are read by the background OCR runner
(yingjian/background.py). The result page says 识别中 for those and looks again every few
seconds (`/upload/batch/<id>`) until their text is in."""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from pathlib import PurePosixPath

from flask import Blueprint, current_app, g, render_template, request

from .. import messages as msg
from ..background import OcrRunner
from ..uploads import MAX_NAME_BYTES, Upload, UploadRefused, add_standing, safe_upload_name
from ..workspace import Workspace
from .common import login_required, workspace
from .errors import TEXT, fail

bp = Blueprint("upload", __name__)
BATCHES_KEPT = 500             # result pages a browser may still be looking at
REFRESH_SECONDS = 3
__all__ = ["MAX_NAME_BYTES", "bp", "safe_upload_name", "save_uploads"]


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    ws = workspace()
    web = ws.config.web
    done, error, batch = [], None, None
    material = (request.form if request.method == "POST" else request.args).get("material") or None
    if material is not None and material not in ws.standard.materials():
        fail(400, "no_material")
    if request.method == "POST":
        unit = g.user.unit if not g.user.is_office else request.form.get("unit", "")
        if unit not in ws.config.units:
            fail(400, "pick_unit")
        files = [f for f in request.files.getlist("files") if f and f.filename]
        if not files:
            error = TEXT["no_files_chosen"]
        elif len(files) > web.upload_files:
            error = TEXT["too_many_files"].format(max_files=web.upload_files)
        else:
            try:
                done = save_uploads(ws.config.root, unit, files, material=material)
            except UploadRefused as e:          # nothing of the batch was written
                error = refused_message(e)
            else:
                batch = _remember(done, material)
    if done:
        add_standing(workspace(), done, material)
    return _page(done, error, material, batch, request.args.get("unit"))


@bp.route("/upload/batch/<batch>")
@login_required
def batch_page(batch):
    """An upload's results again, as they stand now (the page refreshes while text is read)."""
    kept = _batches().get(batch)
    if kept is None or kept["user"] != g.user.name:
        fail(404, "no_page")
    done = [dict(d) for d in kept["files"]]
    add_standing(workspace(), done, kept["material"])
    return _page(done, None, kept["material"], batch, None)


def _page(done, error, material, batch, unit):
    ws = workspace()
    reading = any(d.get("standing") == "reading" for d in done)
    return render_template("upload.html", done=done, error=error, units=ws.config.units,
                           material=material, unit=unit, standing_labels=msg.STANDING_LABELS,
                           web=ws.config.web, batch=batch, reading=reading,
                           refresh=REFRESH_SECONDS)


def refused_message(e: UploadRefused) -> str:
    if e.code == "file_too_large":
        title, hint = TEXT["file_too_large"]
        names = "、".join(PurePosixPath(n.replace("\\", "/")).name for n in e.data["names"])
        return f"{title}:{names}。" + hint.format(max_file_mb=e.data["max_file_mb"])
    return long_names_message(e.data["names"])


def long_names_message(too_long: list[tuple[str, int]]) -> str:
    names = "、".join(TEXT["name_too_long"].format(name=PurePosixPath(n.replace("\\", "/")).name,
                                                   bytes=b) for n, b in too_long)
    return TEXT["names_too_long_list"].format(max_bytes=MAX_NAME_BYTES,
                                              max_chars=MAX_NAME_BYTES // 3, names=names)


def save_uploads(root, unit: str, files, material: str | None = None) -> list[dict]:
    """The workspace's upload service on the browser's files, on a workspace of this request's
    own (its own connections: no lock needed); OCR goes to the background runner. The results'
    problems are in words; their standing is added by the caller. Names too long for a file
    system, or a file over the limit, refuse the batch (UploadRefused) before anything is
    written."""
    ws = Workspace.open(root)
    try:
        out = ws.upload(unit, [Upload.of_stream(f.filename, f.stream) for f in files],
                        material=material, user=g.user.name if g.get("user") else None,
                        max_file_bytes=ws.config.web.upload_file_bytes,
                        queue_ocr=ocr_runner().wake, standing=False)
    finally:
        ws.close()
    for o in out:
        o["problems"] = [msg.reason(r) for r in o["problems"]]
    return out


def ocr_runner() -> OcrRunner:
    app = current_app
    with _APP_LOCK:
        runner = app.extensions.get("yingjian.ocr")
        if runner is None:
            runner = app.extensions["yingjian.ocr"] = OcrRunner(workspace().config.root)
    return runner


_APP_LOCK = threading.Lock()


def _batches() -> OrderedDict:
    with _APP_LOCK:
        return current_app.extensions.setdefault("yingjian.batches", OrderedDict())


def _remember(done: list[dict], material: str | None) -> str:
    key = secrets.token_urlsafe(12)
    kept = _batches()
    with _APP_LOCK:
        kept[key] = {"user": g.user.name, "material": material,
                     "files": [{k: d[k] for k in ("name", "path", "outcome", "ok", "problems", "sha")}
                               for d in done]}
        while len(kept) > BATCHES_KEPT:
            kept.popitem(last=False)
    return key
