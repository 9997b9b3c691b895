"""One web process for a whole province (`yingjian serve` in a province's folder): the province's
own app (the 全省 pages, its accounts) and every city's app (its pages, its accounts), each the
same app a city would serve alone, in one WSGI site on one address.

Which app answers a request is the browser's choice of site, kept in a cookie of its own
(`SITE_COOKIE`: a city's name, or none for the province), chosen at `/site/<城市名>` (the
province's login page links every city's) and `/site/` (the province). Every app keeps its own
session cookie, signed with its own key and naming a session only its own accounts store
knows, so the choice carries no right: a session of one city sent to another city's app (a
changed cookie, a guessed address) is nobody there, and another city's file by its address is
the 404 the city's own app answers. Isolation is the cities' apps', by construction: each
holds its own city's workspace (the one the province keeps open for that city, yingjian/province.py).

A city's app is made the first time its site is chosen and kept; the body limits are the
province app's (one budget for every body being received at once, the server's).
"""
from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request, Response

from foundation.pgstore import release_connections

from ..province import ProvinceError
from . import create_app

SITE_COOKIE = "yingjian_site"
SITE_PATH = "/site/"


class ProvinceSite:
    """The WSGI site: the province's app, and each city's app behind its site cookie."""

    def __init__(self, root: Path, *, secret: str | None = None):
        self.root = Path(root)
        self.secret = secret
        self.province_app = create_app(self.root, secret=secret)
        self.province = self.province_app.extensions["yingjian.province"]
        self.province_app.jinja_env.globals["site_cities"] = self.province.city_names
        self.extensions = self.province_app.extensions      # what the servers read of an app
        self.config = self.province_app.config
        self._apps: dict[str, object] = {}
        self._making: dict[str, threading.Lock] = {}        # one city's app made at a time
        self._lock = threading.Lock()

    # -- the apps ------------------------------------------------------------------------------

    def city_app(self, name: str):
        """The city's own app (made once, the first time it is asked for: the other cities'
        requests do not wait for it), or None for a name the province does not know."""
        with self._lock:
            app = self._apps.get(name)
            if app is not None:
                return app
        try:
            found = self.province.resolve(name)
        except ProvinceError:
            return None
        if found["name"] != name:
            return None
        with self._lock:
            making = self._making.setdefault(name, threading.Lock())
        with making:
            with self._lock:
                app = self._apps.get(name)
            if app is None:
                secret = f"{self.secret}:{name}" if self.secret else None
                app = create_app(Path(found["root"]), secret=secret,
                                 workspace=self.province.city(name))
                app.config["SESSION_COOKIE_SECURE"] = self.config.get("SESSION_COOKIE_SECURE", False)
                app.jinja_env.globals["site_city"] = name
                mine, theirs = self.extensions["yingjian.guard"], app.extensions["yingjian.guard"]
                theirs.budget, theirs.server_spools = mine.budget, mine.server_spools
                with self._lock:
                    self._apps[name] = app
        return app

    def apps(self) -> list:
        with self._lock:
            return [self.province_app, *self._apps.values()]

    def close(self) -> None:
        apps = self.apps()
        for app in apps:                # first every background reader, then the workspaces
            runner = app.extensions.get("yingjian.ocr")
            if runner is not None:
                runner.stop()
        for app in apps:                # a city's app shares the province's workspace for it
            province = app.extensions.get("yingjian.province")
            if province is not None:
                province.close()
            app.extensions["yingjian"].close()

    # -- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        path = _path(environ)
        if path == SITE_PATH.rstrip("/") or path.startswith(SITE_PATH):
            try:
                return self._choose(path[len(SITE_PATH):], environ, start_response)
            finally:
                release_connections()           # the registry's, read outside any app
        request = Request(environ)
        chosen = request.cookies.get(SITE_COOKIE)
        if chosen:
            app = self.city_app(unquote(chosen))
            if app is None:                       # a city removed, or a cookie made up: none
                return self._forget(environ, start_response)
            return app(environ, start_response)
        return self.province_app(environ, start_response)

    def _choose(self, name: str, environ, start_response):
        """`/site/<城市名>`: this browser's pages are now that city's (its login page next);
        `/site/`: the province's."""
        name = name.strip("/")
        response = Response(status=302, headers={"Location": "/login", "Cache-Control": "no-store"})
        if not name:
            response.delete_cookie(SITE_COOKIE, path="/")
            return response(environ, start_response)
        if self.city_app(name) is None:          # the province's own "not found" page
            return self.province_app(environ, start_response)
        response.set_cookie(SITE_COOKIE, quote(name, safe=""), path="/", httponly=True, samesite="Lax",
                            secure=bool(self.config.get("SESSION_COOKIE_SECURE")))
        return response(environ, start_response)

    @staticmethod
    def _forget(environ, start_response):
        response = Response(status=302, headers={"Location": "/login", "Cache-Control": "no-store"})
        response.delete_cookie(SITE_COOKIE, path="/")
        return response(environ, start_response)


def _path(environ) -> str:
    """PATH_INFO as text (WSGI gives its UTF-8 bytes as Latin-1 characters)."""
    raw = environ.get("PATH_INFO", "") or ""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def create_site(root: Path, *, secret: str | None = None) -> ProvinceSite:
    """The province's one web site: its own pages and every city's."""
    return ProvinceSite(root, secret=secret)
