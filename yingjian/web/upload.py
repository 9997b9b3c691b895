"""The upload page: a form of files for a unit (declared for a material when it comes from a
to-do row), handed to the workspace's upload service (yingjian/uploads.py), and the results:
each file's outcome, its standing for the material, and a problem in red with its reason."""
from __future__ import annotations

from pathlib import PurePosixPath

from flask import Blueprint, g, render_template, request

from .. import messages as msg
from ..uploads import MAX_NAME_BYTES, Upload, UploadRefused, safe_upload_name
from ..workspace import Workspace
from .common import login_required, workspace
from .errors import TEXT, fail

bp = Blueprint("upload", __name__)
MAX_UPLOAD_MB = 200
MAX_FILES = 50
__all__ = ["MAX_NAME_BYTES", "MAX_UPLOAD_MB", "bp", "safe_upload_name", "save_uploads"]


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    ws = workspace()
    done, error = [], None
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
        elif len(files) > MAX_FILES:
            error = TEXT["too_many_files"].format(max_files=MAX_FILES)
        else:
            try:
                done = save_uploads(ws, unit, files, material=material)
            except UploadRefused as e:          # nothing of the batch was written
                error = long_names_message(e.data["names"])
    return render_template("upload.html", done=done, error=error, units=ws.config.units,
                           material=material, unit=request.args.get("unit"),
                           standing_labels=msg.STANDING_LABELS)


def long_names_message(too_long: list[tuple[str, int]]) -> str:
    names = "、".join(TEXT["name_too_long"].format(name=PurePosixPath(n.replace("\\", "/")).name,
                                                   bytes=b) for n, b in too_long)
    return TEXT["names_too_long_list"].format(max_bytes=MAX_NAME_BYTES,
                                              max_chars=MAX_NAME_BYTES // 3, names=names)


def save_uploads(ws: Workspace, unit: str, files, material: str | None = None) -> list[dict]:
    """The workspace's upload service on the browser's files; the results' problems in words.
    Names too long for a file system refuse the batch (UploadRefused) before anything is written."""
    out = ws.upload(unit, [Upload.of_stream(f.filename, f.stream) for f in files],
                    material=material, user=g.user.name if g.get("user") else None)
    for o in out:
        o["problems"] = [msg.reason(r) for r in o["problems"]]
    return out
