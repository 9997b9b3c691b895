"""What every page shares: the workspace and accounts of the app, the request's frame (one
lock around the workspace, the logged-in user, the CSRF check, strict headers, timing), the
login and office guards, and the unit rule (a unit user sees nothing of other units: another
unit's file is "not found", never "forbidden").
"""
from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from functools import wraps

from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from markupsafe import Markup, escape

from ..workspace import Workspace
from .errors import fail

SHA = re.compile(r"[0-9a-f]{64}")


def workspace() -> Workspace:
    return current_app.extensions["yingjian"]


def users():
    return current_app.extensions["yingjian.users"]


def install(app: Flask, ws: Workspace) -> None:
    """Attach the workspace to `app` and wrap every request in its frame."""
    app.extensions["yingjian"] = ws
    app.extensions["yingjian.users"] = ws.users
    lock = threading.RLock()      # the SQLite connection and the Whoosh searcher are shared

    @app.before_request
    def begin():
        g.started = time.perf_counter()
        lock.acquire()
        g.locked = True
        g.user = users().get(session["user"]) if session.get("user") else None
        if request.method == "POST":
            token, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
            if not token or not expected or not hmac.compare_digest(token, expected):
                fail(400, "csrf")

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


def safe_back(url: str | None, default: str = "/") -> str:
    """A redirect target from a form or query: a path on this site only."""
    return url if url and url.startswith("/") and not url.startswith("//") else default


def visible_sources(sha: str) -> list:
    """The present paths holding `sha` that the user may see; empty for another unit's file."""
    if not SHA.fullmatch(sha):
        return []
    return [s for s in workspace().catalog.sources_of(sha) if g.user.may_see_unit(s["unit"])]


def require_visible(sha: str) -> list:
    """The visible sources of `sha`, or "not found" (also when it belongs to another unit)."""
    srcs = visible_sources(sha)
    if not srcs:
        fail(404, "no_file")
    return srcs


def check_result() -> dict:
    ws = workspace()
    ws.sync_index()
    return ws.check()


def highlight(snippet: str) -> Markup:
    """The index marks matches with 【】; everything else is escaped."""
    out = escape(snippet)
    return Markup(str(out).replace("【", "<mark>").replace("】", "</mark>"))
