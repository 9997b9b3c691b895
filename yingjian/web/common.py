"""What every page shares: the workspace and accounts of the app, the request's frame (limits
on the body before it is read, the CSRF check, the logged-in user, strict headers, timing; no
lock: every thread has its own store connections, see foundation/sqlstore.py), the
login and office guards, and the unit rule (a unit user sees nothing of other units: another
unit's file is "not found", never "forbidden").

The session cookie holds only a token and the CSRF token; who is logged in, and until when, is
the accounts store's (yingjian/users.py), so logging out, a new password or a removed account
ends a session even in a copied cookie. No page or file may be kept by a cache (`no-store`);
thumbnails and page previews may be kept by the user's own browser only (`private`).
"""
from __future__ import annotations

import hmac
import re
import secrets
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import RequestEntityTooLarge

from foundation.pgstore import release_connections

from .. import audit
from ..workspace import Workspace
from . import server
from .errors import fail

SHA = re.compile(r"[0-9a-f]{64}")
# C0 controls (HTAB is allowed in header values by HTTP) and DEL
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_OR_TAB = re.compile(r"[\x00-\x1f\x7f]")
# images of a file the browser may keep for itself; every other answer is never stored
PRIVATE_CACHE = {"files.thumb", "files.page_image"}
PUBLIC_CACHE = {"static", "accounts.favicon"}


def workspace() -> Workspace:
    return current_app.extensions["yingjian"]


def users():
    return current_app.extensions["yingjian.users"]


def install(app: Flask, ws: Workspace) -> None:
    """Attach the workspace to `app` and wrap every request in its frame."""
    app.extensions["yingjian"] = ws
    app.extensions["yingjian.users"] = ws.accounts
    # the cookie's own expiry is not extended by use: the store's 8 hours are absolute anyway
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    web = ws.config.web

    @app.before_request
    def begin():
        g.started = time.perf_counter()
        if any(_CONTROL.search(v) for v in request.headers.values()):
            fail(400, "bad_header")
        g.audit_client = audit.set_client(client_address())
        uploading = request.endpoint == "upload.upload" and request.method == "POST"
        # before anything of the body is read: how much this kind of request may send
        request.max_content_length = (web.upload_request_bytes + server.MULTIPART_SLACK
                                      if uploading else web.form_bytes)
        # an upload's form fields are small too, but its parser reads 64 KB at a time
        request.max_form_memory_size = 500_000 if uploading else web.form_bytes
        request.max_form_parts = web.upload_files + 20 if uploading else 200
        if request.environ.get("yingjian.busy"):
            fail(503, "busy")
        if request.method == "POST":
            try:
                token = request.form.get("csrf_token", "")
            except RequestEntityTooLarge:
                if uploading:
                    raise
                fail(413, "form_too_large")
            expected = session.get("csrf", "")
            # as bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, a 500)
            if not token or not expected or not hmac.compare_digest(
                    token.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")):
                fail(400, "csrf")
        g.user = users().session_user(session.get("sid"))

    @app.teardown_request
    def end(exc):
        token = g.pop("audit_client", None)
        if token is not None:
            audit.reset_client(token)
        # on PostgreSQL, this thread's connections back to the idle ones: a serve holds about
        # one a request being answered, not one per thread for each city it has served
        release_connections()

    @app.after_request
    def headers(resp: Response):
        ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        resp.headers["Server-Timing"] = f"app;dur={ms:.1f}"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint in PRIVATE_CACHE:
            resp.headers["Cache-Control"] = "private, max-age=3600"
        elif request.endpoint not in PUBLIC_CACHE:
            resp.headers["Cache-Control"] = "no-store"
            resp.headers.pop("Expires", None)
        if app.config.get("SESSION_COOKIE_SECURE"):
            resp.headers["Strict-Transport-Security"] = "max-age=31536000"
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
            return redirect(url_for("accounts.login", next=request.full_path))
        return fn(*a, **kw)
    return wrapper


def office_required(fn):
    @wraps(fn)
    def wrapper(*a, **kw):
        if g.user is None:
            return redirect(url_for("accounts.login", next=request.full_path))
        if not g.user.is_office:
            fail(403, "office_only")
        return fn(*a, **kw)
    return wrapper


def client_address() -> str:
    """Where the request comes from, for throttling and the audit trail."""
    return request.remote_addr or ""


def safe_back(url: str | None, default: str = "/") -> str:
    """A redirect target from a form or query: a path on this site only. Browsers drop tabs
    and newlines from a URL and read a backslash as a slash, so "/%09/evil.example/" would leave
    the site: anything holding a control character or a backslash is refused outright."""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith("//"):
        return default
    if _CONTROL_OR_TAB.search(url) or "\\" in url:
        return default
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return default
    return url


def visible_sources(sha: str) -> list:
    """The present paths holding `sha` that the user may see; empty for another unit's file."""
    if not SHA.fullmatch(sha):
        return []
    return [s for s in workspace().files.sources_of(sha) if g.user.may_see_unit(s["unit"])]


def require_visible(sha: str) -> list:
    """The visible sources of `sha`, or "not found" (also when it belongs to another unit)."""
    srcs = visible_sources(sha)
    if not srcs:
        fail(404, "no_file")
    return srcs


def check_result() -> dict:
    """The readiness check, for a page. A read: the index is kept in step by whatever changed
    the catalog (a pass, a decision, an upload), never by a page load."""
    return workspace().check()


def highlight(snippet: str) -> Markup:
    """The index marks matches with 【】; everything else is escaped."""
    out = escape(snippet)
    return Markup(str(out).replace("【", "<mark>").replace("】", "</mark>"))


def record(action: str, **data) -> None:
    """Add an entry to the audit trail: by the logged-in user, from the client's address."""
    workspace().activity.record(action, g.user.name if g.get("user") else None, **data)


def send_made_file(path, *, name: str | None = None, mimetype: str = "application/octet-stream",
                   cleanup=None) -> Response:
    """A file made for this download (a report, a notice) streamed as an attachment, its
    folder `cleanup` removed once it is sent (or the client went away)."""
    import shutil
    from urllib.parse import quote

    def stream():
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(1024 * 1024):
                    yield chunk
        finally:
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)
    return Response(stream(), mimetype=mimetype, headers={
        "Content-Length": str(path.stat().st_size),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name or path.name)}"})
