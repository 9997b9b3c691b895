"""Uploads: each file is written into the unit's inbox (网页上传/) under a safe name, then goes
through the same pipeline as a file copied there: archive, extract, OCR, index. A name longer
than file systems allow (255 bytes per path component: 85 Chinese characters in UTF-8) refuses
the whole batch before anything of it is written, so a clerk renames and uploads again. An
upload made from a to-do row is declared for that material (网页上传/<material id>/) and, like
any declared file, counts by itself only if the rule of checklist/trust.py holds; otherwise it
waits for the office's review. Each result says which, and a problem shows in red with its
reason."""
from __future__ import annotations

import re
import secrets
from pathlib import PurePosixPath

from flask import Blueprint, g, render_template, request

from archive import Outcome

from .. import messages as msg
from ..workspace import Workspace
from .common import login_required, record, workspace
from .errors import TEXT, fail

bp = Blueprint("upload", __name__)
UPLOAD_FOLDER = "网页上传"
MAX_UPLOAD_MB = 200
MAX_FILES = 50
# 255 bytes per path component on every file system, less room for " (12)" added to a name
# that is taken already
MAX_NAME_BYTES = 240
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_RESERVED = ("CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10)))


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
        elif too_long := long_names(files):
            error = long_names_message(too_long)
        else:
            done = save_uploads(ws, unit, files, material=material)
    return render_template("upload.html", done=done, error=error, units=ws.config.units,
                           material=material, unit=request.args.get("unit"),
                           standing_labels=msg.STANDING_LABELS)


def safe_upload_name(name: str) -> str:
    """A file name from a browser, made safe: no folders, no control or reserved characters,
    Chinese kept, at most 120 characters."""
    name = PurePosixPath(name.replace("\\", "/")).name
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if name.upper().split(".")[0] in _RESERVED:
        name = "_" + name
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + "." + ext[:8]) if dot else name[:120]
    return name or "未命名文件"


def long_names(files) -> list[tuple[str, int]]:
    """The uploads whose safe name is too long for a file system: (name, its bytes in UTF-8)."""
    out = []
    for f in files:
        size = len(safe_upload_name(f.filename).encode("utf-8"))
        if size > MAX_NAME_BYTES:
            out.append((f.filename, size))
    return out


def long_names_message(too_long: list[tuple[str, int]]) -> str:
    names = "、".join(TEXT["name_too_long"].format(name=PurePosixPath(n.replace("\\", "/")).name,
                                                   bytes=b) for n, b in too_long)
    return TEXT["names_too_long_list"].format(max_bytes=MAX_NAME_BYTES,
                                              max_chars=MAX_NAME_BYTES // 3, names=names)


def save_uploads(ws: Workspace, unit: str, files, material: str | None = None) -> list[dict]:
    """Write each upload into the unit's inbox (declared for `material`, if given, in a folder
    named by its id), then archive, OCR and index it now; with a material, say how each stands
    for it. Names too long for a file system refuse the batch before anything is written."""
    too_long = long_names(files)
    if too_long:
        fail(400, "names_too_long", long_names_message(too_long),
             max_bytes=MAX_NAME_BYTES, max_chars=MAX_NAME_BYTES // 3)
    rel = f"{unit}/{UPLOAD_FOLDER}" + (f"/{material}" if material else "")
    folder = ws.config.inbox / rel
    folder.mkdir(parents=True, exist_ok=True)
    ing = ws.ingestor(stable_seconds=0, incomplete_after=0)   # written completely by us
    out = []
    for f in files:
        name = safe_upload_name(f.filename)
        target = folder / name
        stem, suffix, n = target.stem, target.suffix, 2
        while target.exists():
            target = folder / f"{stem} ({n}){suffix}"
            n += 1
        tmp = target.with_name(f".upload-{secrets.token_hex(4)}.part")
        f.save(tmp)
        tmp.replace(target)
        r = ing.ingest_path(target)
        out.append({"name": target.name, "outcome": r.outcome.value if r else "ignored",
                    "ok": r is not None and r.outcome in (Outcome.INGESTED, Outcome.DUPLICATE,
                                                          Outcome.UNCHANGED),
                    "problems": [msg.reason(reason) for _, reason in (r.problems if r else [])]})
    sources = [ws.catalog.source(f"{rel}/{o['name']}") for o in out]
    shas = {s.sha for s in sources if s is not None and s.sha}
    if ws.config.ocr:
        with ws.ocr_queue(workers=0) as q:      # a few pages; a running watcher would do the rest
            q.submit(only=shas)
    ws.sync_index()
    record("upload", unit=unit, files=[o["name"] for o in out])
    for o, src in zip(out, sources):
        if src is None or not src.sha:
            o["standing"] = "problem"
        elif material:
            st = ws.standing(src.sha, material)
            o["standing"], o["reasons"] = st["standing"], st["reasons"]
    return out
