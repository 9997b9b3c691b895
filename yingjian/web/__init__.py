"""The office web app: search, files, the standard's items, the units, problems, the report and
uploads, in Simplified Chinese. Flask with Jinja2 (output escaped everywhere), served by waitress.

`create_app` is the factory: it opens the workspace, installs the request frame (`common`),
registers one blueprint per area and one error handler for every status (`errors`). Views call
the Workspace's services, as the command line does, and never write the catalog on their own.
Every form carries a CSRF token, downloads are of archived objects by id only, and a unit user
sees nothing of other units: a file of another unit is "not found".
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask
from markupsafe import Markup

from archive.reasons import human_size

from .. import messages as msg
from ..messages import (DATE_SOURCE_LABELS, FILE_STATUS_LABELS as FILE_STATUS, KIND_LABELS,
                        READINESS_LABELS as STATUS_LABELS)
from ..workspace import Workspace
from . import (accounts, dashboard, errors, files, items, problems, report, review, search,
               units, upload)
from .common import csrf_token, highlight, install, workspace
from ..uploads import safe_upload_name
from .upload import MAX_UPLOAD_MB

BLUEPRINTS = (accounts, dashboard, search, files, items, review, units, problems, report, upload)

__all__ = ["create_app", "safe_upload_name"]


def create_app(root: Path, *, secret: str | None = None) -> Flask:
    app = Flask(__name__)
    ws = Workspace.open(root)
    ws.open_stores()      # every table made at start: no page load creates one
    ws.sync_index()       # caught up once at start (a new standard, another process's changes)
    app.config.update(
        SECRET_KEY=secret or _secret(ws), SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_MB * 1024 * 1024)
    install(app, ws)
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    errors.register(app, max_upload_mb=MAX_UPLOAD_MB)
    app.jinja_env.globals.update(
        csrf_token=csrf_token, status_badge=status_badge, highlight=highlight,
        KIND_LABELS=KIND_LABELS, DATE_SOURCE_LABELS=DATE_SOURCE_LABELS, FILE_STATUS=FILE_STATUS,
        STATUS_LABELS=STATUS_LABELS, office_title=ws.config.title, material_label=material_label,
        human_size=human_size, list_status=files.STATUS_CHOICES, reason_text=msg.reason,
        action_labels=msg.ACTION_LABELS, outcome_labels=msg.OUTCOME_LABELS)
    from ..text import local_time
    app.jinja_env.filters["local_time"] = local_time      # stored UTC, shown in the office's time
    return app


def material_label(mid: str) -> str:
    """A material as people know it: "6.1a 伤病残军人接收安置台账" (the bare id if the standard
    cannot be read or no longer has it)."""
    try:
        m = workspace().standard.materials().get(mid)
    except Exception:
        m = None
    return f"{mid} {m.title}" if m else mid


def _secret(ws: Workspace) -> str:
    """The session key, made once per workspace and kept beside the catalog."""
    path = ws.config.archive / "web-secret"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="ascii")
    return path.read_text(encoding="ascii").strip()


def status_badge(status: str) -> Markup:
    return Markup('<span class="badge s-{0}">{1}</span>').format(
        status, STATUS_LABELS.get(status, status))
