"""Logging in and out. A login is throttled and logged by the accounts store; each one starts a
new server-side session (a new token and CSRF token in the cookie); logging out ends it there.
A user sets a new password of their own under the same policy as `yingjian user passwd`."""
from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for

from .. import messages as msg
from ..users import UserError
from .common import client_address, login_required, safe_back, users
from .errors import TEXT

bp = Blueprint("accounts", __name__)
log = logging.getLogger("yingjian.web")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, hint, status = None, None, 200
    if request.method == "POST":
        try:
            user, token = users().login(request.form.get("name", ""),
                                        request.form.get("password", ""), client_address())
        except UserError as e:
            m = msg.describe(e)
            error, hint = m.text, m.hint
            log.warning("login refused (%s) for %r from %s", e.code,
                        request.form.get("name", "")[:100], client_address())
            status = 401 if e.code == "login_failed" else 429
        else:
            users().logout(session.get("sid"))       # a session this browser still had
            session.clear()
            session.permanent = True
            session["sid"] = token
            session["csrf"] = secrets.token_urlsafe(32)
            return redirect(safe_back(request.args.get("next")))
    return render_template("login.html", error=error, hint=hint), status


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """A user's own new password: the current one first, the policy of the accounts store;
    every session of the account ends, this one too."""
    error, hint, status = None, None, 200
    if request.method == "POST":
        new = request.form.get("password", "")
        if users().check(g.user.name, request.form.get("current", "")) is None:
            error, status = TEXT["password_wrong"], 400
        elif new != request.form.get("again", ""):
            error, status = TEXT["password_mismatch"], 400
        else:
            try:
                users().set_password(g.user.name, new, by=g.user.name)
            except UserError as e:
                m = msg.describe(e)
                error, hint, status = m.text, m.hint, 400
            else:
                session.clear()
                return redirect(url_for("accounts.login"))
    return render_template("password.html", error=error, hint=hint), status


@bp.route("/logout", methods=["POST"])
def logout():
    users().logout(session.get("sid"), client_address())
    session.clear()
    return redirect(url_for("accounts.login"))


@bp.route("/favicon.ico")
def favicon():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
           '<rect width="16" height="16" rx="3" fill="#8b1a1a"/></svg>')
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
