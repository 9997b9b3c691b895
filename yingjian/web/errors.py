"""The web app's one error handler (its sentences are in yingjian/messages.py, WEB). Every HTTP status (500 included: a
broken standard.yaml, any exception) renders the same Chinese page with what happened and
what to do; an unexpected error is logged with a short reference number shown on the page, so
a clerk can quote it and the office find the traceback.
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, abort

from ..messages import WEB as TEXT
from .. import messages as msg

log = logging.getLogger("yingjian.web")


class Named(HTTPException):
    """An HTTP error whose page says one of the named sentences above (`key`), plus details."""

    def __init__(self, code: int, key: str, detail: str | None = None, **values):
        super().__init__(description=detail)
        self.code = code
        self.key = key
        self.values = values


def fail(code: int, key: str, detail: str | None = None, **values):
    """Stop the request with status `code` and the page for `key` (a name in TEXT); `values`
    fill the page's hint."""
    raise Named(code, key, detail, **values)


def register(app: Flask, *, max_upload_mb: int) -> None:
    """One handler for every status and every exception."""

    @app.errorhandler(Exception)
    def error_page(e: Exception):
        ref, detail, values = None, None, {"max_mb": max_upload_mb}
        if isinstance(e, Named):
            code, (title, hint), detail = e.code, TEXT[e.key], e.description
            values.update(e.values)
        elif isinstance(e, HTTPException) and e.code is not None and e.code < 500:
            code = e.code
            title, hint = TEXT.get(code, TEXT["other"])
            # a view's own sentence (say a MappingError's) is shown; Werkzeug's English is not
            if isinstance(e.description, str) and e.description != type(e).description:
                detail = e.description
        else:
            code, ref = 500, secrets.token_hex(3).upper()
            log.error("网页出错 [%s]", ref, exc_info=e)
            if isinstance(getattr(e, "code", None), str):    # a core error: its own words
                m = msg.describe(e)
                title, _, detail = m.text.partition("\n")
                hint = (m.hint or TEXT[500][1]).replace("{", "{{").replace("}", "}}")
            else:
                title, hint = TEXT[500]
        try:
            hint = hint.format(**values)
        except (KeyError, IndexError, ValueError):
            pass
        return render_template("error.html", code=code, message=title, detail=detail or None,
                               hint=hint, ref=ref), code


__all__ = ["TEXT", "abort", "fail", "register"]
