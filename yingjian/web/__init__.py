"""The office web app: search, files, the standard's items, the units, problems, the report and
uploads, in Simplified Chinese. Flask with Jinja2 (output escaped everywhere), served by waitress.

It calls the same services as the command line (the Workspace) and never writes the catalog on
its own. Every request holds one lock while it uses the workspace (SQLite connection and Whoosh
searcher are shared), every form carries a CSRF token, downloads are of archived objects by id
only, and a unit user sees nothing of other units: a file of another unit is "not found".
"""
from __future__ import annotations

import hmac
import re
import secrets
import shutil
import threading
import time
from datetime import timedelta
from functools import wraps
from pathlib import Path, PurePosixPath

from flask import (Flask, Response, abort, g, redirect, render_template, request, send_file,
                   session, url_for)
from markupsafe import Markup, escape

from archive import Outcome
from checklist import MappingError
from indexer import QueryError

from .. import records
from .. import messages as msg
from ..messages import (DATE_SOURCE_LABELS, FILE_STATUS_LABELS as FILE_STATUS, KIND_LABELS,
                        READINESS_LABELS as STATUS_LABELS)
from ..workspace import Workspace

UPLOAD_FOLDER = "网页上传"
MAX_UPLOAD_MB = 200
PAGE_SIZE = 20
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def create_app(root: Path, *, secret: str | None = None) -> Flask:
    app = Flask(__name__)
    ws = Workspace.open(root)
    lock = threading.RLock()
    secret_file = ws.config.archive / "web-secret"
    if secret is None:
        if not secret_file.is_file():
            secret_file.parent.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(secrets.token_hex(32), encoding="ascii")
        secret = secret_file.read_text(encoding="ascii").strip()
    app.config.update(
        SECRET_KEY=secret, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8), MAX_CONTENT_LENGTH=MAX_UPLOAD_MB * 1024 * 1024)
    app.extensions["yingjian"] = ws
    users = ws.users

    # -- the request's frame: lock, user, CSRF, timing ---------------------------------------

    @app.before_request
    def begin():
        g.started = time.perf_counter()
        lock.acquire()
        g.locked = True
        g.user = users.get(session["user"]) if session.get("user") else None
        if request.method == "POST":
            token, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
            if not token or not expected or not hmac.compare_digest(token, expected):
                abort(400, "页面已过期或请求无效,请刷新页面后重试")

    @app.teardown_request
    def end(exc):
        if g.pop("locked", False):
            lock.release()

    @app.after_request
    def headers(resp: Response):
        ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        resp.headers["Server-Timing"] = f"app;dur={ms:.1f}"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                "script-src 'self'; form-action 'self'; frame-ancestors 'none'")
        return resp

    def csrf_token() -> str:
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        return session["csrf"]

    def login_required(fn):
        @wraps(fn)
        def wrapper(*a, **kw):
            if g.user is None:
                return redirect(url_for("login", next=request.full_path))
            return fn(*a, **kw)
        return wrapper

    def office_only(fn):
        @wraps(fn)
        def wrapper(*a, **kw):
            if g.user is None:
                return redirect(url_for("login", next=request.full_path))
            if not g.user.is_office:
                abort(403, "此页面仅供双拥办使用")
            return fn(*a, **kw)
        return wrapper

    def status_badge(status: str) -> Markup:
        return Markup('<span class="badge s-{0}">{1}</span>').format(status, STATUS_LABELS.get(status, status))

    def highlight(snippet: str) -> Markup:
        """The index marks matches with 【】; everything else is escaped."""
        out = escape(snippet)
        return Markup(str(out).replace("【", "<mark>").replace("】", "</mark>"))

    app.jinja_env.globals.update(
        csrf_token=csrf_token, status_badge=status_badge, highlight=highlight,
        KIND_LABELS=KIND_LABELS, DATE_SOURCE_LABELS=DATE_SOURCE_LABELS, FILE_STATUS=FILE_STATUS,
        STATUS_LABELS=STATUS_LABELS, office_title=ws.config.title)

    def visible_sources(sha: str) -> list:
        srcs = ws.catalog.sources_of(sha)
        return [s for s in srcs if g.user.may_see_unit(s["unit"])]

    def check_result() -> dict:
        ws.sync_index()
        return ws.check()

    # -- pages ---------------------------------------------------------------------------------

    @app.route("/favicon.ico")
    def favicon():
        svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
               '<rect width="16" height="16" rx="3" fill="#8b1a1a"/></svg>')
        return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    @app.route("/login", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            user = users.check(request.form.get("name", ""), request.form.get("password", ""))
            if user is None:
                error = "用户名或密码不正确"
            else:
                session.clear()                 # a new session (and CSRF token) at login
                session.permanent = True
                session["user"] = user.name
                session["csrf"] = secrets.token_urlsafe(32)
                nxt = request.args.get("next") or "/"
                return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else "/")
        return render_template("login.html", error=error), (401 if error else 200)

    @app.route("/logout", methods=["POST"])
    def logout():
        session.clear()
        return redirect(url_for("login"))

    @app.route("/")
    @login_required
    def search():
        q = request.args.get("q", "").strip()
        unit = request.args.get("unit") or None
        if not g.user.is_office:
            unit = g.user.unit                     # a unit user searches its own files only
        filters = {k: request.args.get(k) or None for k in ("item", "kind", "year")}
        page = max(1, min(request.args.get("page", 1, type=int) or 1, 500))
        results, error = None, None
        if q:
            try:
                ws.sync_index()
                results = ws.index.search(q, unit=unit, page=page, limit=PAGE_SIZE,
                                          text_of=ws.text_of, **filters)
            except QueryError as e:
                error = msg.describe(e).text
        return render_template("search.html", q=q, unit=unit, filters=filters, page=page,
                               results=results, error=error, units=ws.config.units,
                               items=ws.standard.materials() if g.user.is_office else {},
                               page_size=PAGE_SIZE)

    @app.route("/file/<sha>")
    @login_required
    def file(sha):
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            abort(404)
        obj = ws.catalog.object(sha)
        srcs = visible_sources(sha) if obj else []
        if obj is None or not srcs:
            abort(404, "找不到这个文件")        # also when it belongs to another unit only
        versions = {s["id"]: ws.catalog.versions(s["id"]) for s in srcs}
        items = ws.mapping.items_for(sha, [s["path"] for s in srcs], obj["kind"]) \
            if g.user.is_office else []
        materials = ws.standard.materials()
        text = obj["text"] or ""
        return render_template("file.html", obj=obj, sha=sha, sources=srcs, versions=versions,
                               items=[(i, materials[i]) for i in items if i in materials],
                               history=ws.mapping.history(sha) if g.user.is_office else [],
                               text=text[:20000], more=len(text) > 20000,
                               pages=[p for p in text.split("\f")][:50])

    @app.route("/file/<sha>/thumb")
    @login_required
    def thumb(sha):
        if not re.fullmatch(r"[0-9a-f]{64}", sha) or not visible_sources(sha):
            abort(404)
        path = ws.thumbnails.get(sha)
        if path is None:
            abort(404)
        return send_file(path, mimetype="image/jpeg", max_age=3600)

    @app.route("/file/<sha>/download")
    @login_required
    def download(sha):
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            abort(404)
        srcs = visible_sources(sha)
        if not srcs or not ws.store.has(sha):
            abort(404, "找不到这个文件")
        name = PurePosixPath(srcs[0]["path"]).name
        return send_file(ws.store.path(sha), as_attachment=True, download_name=name,
                         mimetype="application/octet-stream")

    @app.route("/items")
    @office_only
    def items():
        return render_template("items.html", c=check_result())

    @app.route("/items/<code>")
    @office_only
    def item(code):
        c = check_result()
        found = _find_item(c["items"], code)
        if found is None:
            abort(404, "考评标准中没有这个项目")
        q = request.args.get("q", "").strip()
        candidates, error = None, None
        if q:
            try:
                candidates = ws.index.search(q, limit=10, text_of=ws.text_of)
            except QueryError as e:
                error = msg.describe(e).text
        return render_template("item.html", it=found, q=q, candidates=candidates, error=error)

    @app.route("/decide", methods=["POST"])
    @office_only
    def decide():
        sha, material = request.form.get("sha", ""), request.form.get("material", "")
        action = request.form.get("action", "")
        if action not in ("confirm", "reject", "assign", "unassign") or not re.fullmatch(r"[0-9a-f]{64}", sha):
            abort(400, "无效的操作")
        try:
            ws.mapping.decide(sha, material, action, g.user.name)
        except MappingError as e:
            abort(400, msg.describe(e).text)
        ws.sync_index()
        back = request.form.get("back", "/items")
        return redirect(back if back.startswith("/") and not back.startswith("//") else "/items")

    @app.route("/units")
    @login_required
    def units():
        if not g.user.is_office:
            return redirect(url_for("unit", name=g.user.unit))
        return render_template("units.html", c=check_result())

    @app.route("/units/<name>")
    @login_required
    def unit(name):
        if not g.user.may_see_unit(name):
            abort(404, "找不到这个单位")
        c = check_result()
        u = next((u for u in c["units"] if u["unit"] == name), None)
        if u is None:
            abort(404, "找不到这个单位")
        rows = [r for r in records.files(ws.catalog, name) if r["status"] != "withdrawn"]
        return render_template("unit.html", u=u, files=rows[:500], total=len(rows))

    @app.route("/problems")
    @login_required
    def problems():
        rows = [p for p in records.problems(ws.catalog) if g.user.may_see_unit(p["unit"])]
        return render_template("problems.html", problems=rows)

    @app.route("/report")
    @office_only
    def report():
        return render_template("report.html", c=check_result())

    @app.route("/report/<kind>")
    @office_only
    def report_download(kind):
        import tempfile
        from ..report import write_binder, write_html, write_xlsx
        data = ws.report_data(ws.readiness())       # the reports are of a check made now
        stamp = time.strftime("%Y%m%d")
        tmp = Path(tempfile.mkdtemp(prefix="yingjian-report-"))
        if kind == "html":
            path = write_html(data, tmp / f"迎检准备情况报告_{stamp}.html")
        elif kind == "xlsx":
            path = write_xlsx(data, tmp / f"迎检准备情况报告_{stamp}.xlsx")
        elif kind == "binder":
            table = write_xlsx(data, tmp / "自评表.xlsx")
            path = write_binder(data, tmp / f"迎检资料汇编_{stamp}.zip", table)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            abort(404)
        def stream():                       # the temporary folder goes once it is sent
            try:
                with open(path, "rb") as fh:
                    while chunk := fh.read(1024 * 1024):
                        yield chunk
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        from urllib.parse import quote
        return Response(stream(), mimetype="application/octet-stream", headers={
            "Content-Length": str(path.stat().st_size),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(path.name)}"})

    @app.route("/upload", methods=["GET", "POST"])
    @login_required
    def upload():
        done, error = [], None
        if request.method == "POST":
            unit = g.user.unit if not g.user.is_office else request.form.get("unit", "")
            if unit not in ws.config.units:
                abort(400, "请选择单位")
            files = [f for f in request.files.getlist("files") if f and f.filename]
            if not files:
                error = "请选择要上传的文件"
            elif len(files) > 50:
                error = "一次最多上传 50 个文件"
            else:
                done = _save_uploads(ws, unit, files, g.user.name)
        return render_template("upload.html", done=done, error=error, units=ws.config.units)

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(413)
    def error(e):
        messages = {413: f"文件太大(单次上传不超过 {MAX_UPLOAD_MB} MB)", 404: "找不到页面",
                    403: "没有权限", 400: "请求无效"}
        desc = e.description if isinstance(getattr(e, "description", None), str) and \
            not e.description.startswith(("The ", "You ")) else messages.get(e.code, "出错了")
        return render_template("error.html", code=e.code, message=desc), e.code

    return app


def _find_item(items, code):
    for it in items:
        if it["code"] == code:
            return it
        found = _find_item(it.get("children", []), code)
        if found:
            return found
    return None


def safe_upload_name(name: str) -> str:
    """A file name from a browser, made safe: no folders, no control or reserved characters,
    Chinese kept, at most 120 characters."""
    name = PurePosixPath(name.replace("\\", "/")).name
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if name.upper().split(".")[0] in ("CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                                      *(f"LPT{i}" for i in range(1, 10))):
        name = "_" + name
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + "." + ext[:8]) if dot else name[:120]
    return name or "未命名文件"


def _save_uploads(ws: Workspace, unit: str, files, user: str) -> list[dict]:
    """Write each upload into the unit's inbox (网页上传/), then send it through the same
    pipeline as a file copied there: archive, extract, OCR, index."""
    folder = ws.config.inbox / unit / UPLOAD_FOLDER
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
        problems = [msg.reason(reason) for _, reason in (r.problems if r else [])]
        out.append({"name": target.name, "outcome": r.outcome.value if r else "ignored",
                    "ok": r is not None and r.outcome in (Outcome.INGESTED, Outcome.DUPLICATE,
                                                          Outcome.UNCHANGED),
                    "problems": problems})
    sources = (ws.catalog.source(f"{unit}/{UPLOAD_FOLDER}/{o['name']}") for o in out)
    shas = {s.sha for s in sources if s is not None and s.sha}
    if ws.config.ocr:
        with ws.ocr_queue(workers=0) as q:      # a few pages; a running watcher would do the rest
            q.submit(only=shas)
    ws.sync_index()
    return out
