"""The office web app: search, files, the standard's items, the units, problems, the report and
uploads, in Simplified Chinese. Flask with Jinja2 (output escaped everywhere), served by waitress.

`create_app` is the factory: it opens the workspace, installs the request frame (`common`),
registers one blueprint per area and one error handler for every status (`errors`). Views call
the Workspace's services, as the command line does, and never write the catalog on their own.
Every form carries a CSRF token, downloads are of archived objects by id only, and a unit user
sees nothing of other units: a file of another unit is "not found".
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask
from markupsafe import Markup

from archive.reasons import human_size
from foundation.sqlstore import private

from .. import messages as msg
from ..messages import (DATE_SOURCE_LABELS, FILE_STATUS_LABELS as FILE_STATUS, KIND_LABELS,
                        READINESS_LABELS as STATUS_LABELS)
from ..province import Province
from ..workspace import Workspace
from . import (accounts, dashboard, errors, files, items, problems, report, review, search,
               units, upload)
from . import notices, province
from .common import csrf_token, highlight, install, workspace
from ..uploads import BIDI_CONTROLS, safe_upload_name
from .server import BodyBudget, BodyGuard
from ..text import local_time

BLUEPRINTS = (accounts, dashboard, search, files, items, review, units, problems, report, upload,
              notices)
# a province's folder serves the province's pages (its own accounts) and nothing of a city's
PROVINCE_BLUEPRINTS = (accounts, province)

__all__ = ["create_app", "safe_upload_name"]


def create_app(root: Path, *, secret: str | None = None, workspace: Workspace | None = None) -> Flask:
    """The web app of the workspace at `root` (or of `workspace`, already open: a province's
    site gives a city's app the workspace its province holds for that city, one copy of its
    index and stores in the process, not two)."""
    app = Flask(__name__)
    ws = workspace if workspace is not None else Workspace.open(root)
    ws.open_stores()      # every table made at start: no page load creates one
    ws.catch_up()         # caught up once at start (a new standard, another process's changes)
    web = ws.config.web
    # the largest body of any request (an upload's); each request's own is set by the frame
    app.config.update(
        SECRET_KEY=secret or _secret(ws), SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAX_CONTENT_LENGTH=web.upload_request_bytes)
    guard = app.extensions["yingjian.guard"] = BodyGuard(app.wsgi_app, web,
                                                         BodyBudget(web.spool_bytes))
    app.wsgi_app = guard
    install(app, ws)
    is_province = ws.config.province.is_province
    if is_province:
        app.extensions["yingjian.province"] = Province(ws.config)
    for module in PROVINCE_BLUEPRINTS if is_province else BLUEPRINTS:
        app.register_blueprint(module.bp)
    errors.register(app, max_upload_mb=web.upload_request_mb)
    app.jinja_env.globals.update(
        csrf_token=csrf_token, status_badge=status_badge, highlight=highlight,
        KIND_LABELS=KIND_LABELS, DATE_SOURCE_LABELS=DATE_SOURCE_LABELS, FILE_STATUS=FILE_STATUS,
        STATUS_LABELS=STATUS_LABELS, office_title=ws.config.title, material_label=material_label,
        human_size=human_size, list_status=files.STATUS_CHOICES, reason_text=msg.reason,
        action_labels=msg.ACTION_LABELS, outcome_labels=msg.OUTCOME_LABELS, province_app=is_province,
        site_cities=None, site_city=None)        # set when served in a province's site (web/site.py)
    # every value a page shows: a bidi control in a file name (invoice\u202etxt.exe shows as
    # invoiceexe.txt) is shown as "_" instead
    app.jinja_env.finalize = _no_bidi
    app.jinja_env.filters["local_time"] = local_time      # stored UTC, shown in the office's time
    return app


def _no_bidi(value):
    if isinstance(value, str) and BIDI_CONTROLS.search(value):
        shown = BIDI_CONTROLS.sub("_", str(value))
        return Markup(shown) if isinstance(value, Markup) else shown
    return value


def material_label(mid: str) -> str:
    """A material as people know it: "6.1a 伤病残军人接收安置台账" (the bare id if the standard
    cannot be read or no longer has it)."""
    try:
        m = workspace().standard.materials().get(mid)
    except Exception:
        m = None
    return f"{mid} {m.title}" if m else mid


def _secret(ws: Workspace) -> str:
    """The session key, made once per workspace and kept beside the catalog (0600)."""
    path = ws.config.archive / "web-secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        # readable by the owner only: whoever reads the key can forge an office session
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32))
    private(path)
    return path.read_text(encoding="ascii").strip()


def status_badge(status: str) -> Markup:
    return Markup('<span class="badge s-{0}">{1}</span>').format(
        status, STATUS_LABELS.get(status, status))
