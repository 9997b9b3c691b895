"""Logging in and out. A new session (and CSRF token) at every login."""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from .common import safe_back, users
from .errors import TEXT

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        user = users().check(request.form.get("name", ""), request.form.get("password", ""))
        if user is None:
            error = TEXT["login_failed"]
        else:
            session.clear()
            session.permanent = True
            session["user"] = user.name
            session["csrf"] = secrets.token_urlsafe(32)
            return redirect(safe_back(request.args.get("next")))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("accounts.login"))


@bp.route("/favicon.ico")
def favicon():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
           '<rect width="16" height="16" rx="3" fill="#8b1a1a"/></svg>')
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
