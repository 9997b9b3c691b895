"""One web process for every city of a province (`yingjian serve` in the province's folder):
the province's app and each city's app behind one address, a browser's site chosen at
/site/<城市名>. On a real PostgreSQL with two cities: each city's users see only their city,
the province's the 全省 pages; a guessed address of the other city's file, a site cookie
changed to the other city, a session of one city sent to another, a city account at the
province's login: nobody and nothing there."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from werkzeug.test import Client as WsgiClient

from tests.test_province import province  # noqa: F401  (the fixture)
from tests.test_province_web import B_ONLY, cities  # noqa: F401  (the fixture)
from tests.test_web import PASSWORD
from yingjian.web.site import SITE_COOKIE, create_site

SHA_ROUTES = ("/file/{}", "/file/{}/thumb", "/file/{}/page/1", "/file/{}/download", "/file/{}/media")


class Browser:
    """One browser on the site: its cookies, the site it chose, a login with the CSRF token."""

    def __init__(self, site, city: str | None = None, user: str | None = None):
        self.c = WsgiClient(site)
        if city is not None:
            r = self.c.get("/site/" + quote(city))
            assert r.status_code == 302 and r.headers["Location"].endswith("/login"), r.status_code
        if user is not None:
            r = self.login(user)
            assert r.status_code == 302, r.get_data(as_text=True)

    def login(self, user: str):
        return self.post("/login", {"name": user, "password": PASSWORD})

    def get(self, url):
        return self.c.get(url)

    def post(self, url, data):
        page = self.c.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.c.post(url, data={**data, "csrf_token": token})


def text(r) -> str:
    return r.get_data(as_text=True)


@pytest.fixture
def site(cities, province):  # noqa: F811
    app_a, app_b, b_only = cities
    s = create_site(province)
    yield s, b_only
    s.close()


def test_one_site_serves_every_city_and_the_province(site):
    s, b_only = site
    xingyi, zunyi = Browser(s, "兴义市", "张三"), Browser(s, "遵义市", "赵六")
    prov = Browser(s, None, "省厅")
    # the province: the 全省 page, both cities listed, a city's pages not served
    r = prov.get("/")
    assert r.status_code == 200 and "兴义市" in text(r) and "遵义市" in text(r)
    assert prov.get("/files").status_code == 404
    # each city: its own files, nothing of the other's
    r = xingyi.get("/files")
    assert r.status_code == 200 and "兴义市国防教育" in text(r)
    assert not any(w in text(r) for w in B_ONLY)
    r = zunyi.get("/files")
    assert r.status_code == 200 and "遵义市国防教育" in text(r) and "兴义市" not in text(r).split("<main", 1)[-1]
    assert zunyi.get(f"/file/{b_only[0]}").status_code == 200
    # the other city's files by their address, from the same process: 404 on every file route
    for sha in b_only:
        for route in SHA_ROUTES:
            r = xingyi.get(route.format(sha))
            assert r.status_code == 404, (route, r.status_code)
            assert sha[:8] not in text(r)
    r = xingyi.get("/search?q=遵义会议")
    assert r.status_code == 200 and "遵义市国防教育" not in text(r)
    # the login pages: the province's lists the cities' sites, a city's says whose it is
    anon = Browser(s)
    page = text(anon.get("/login"))
    assert f'href="/site/{quote("兴义市")}"' in page and f'href="/site/{quote("遵义市")}"' in page
    page = text(Browser(s, "兴义市").get("/login"))
    assert 'id="site-city"' in page and "兴义市的登录页" in page


def test_a_guessed_site_or_a_session_of_another_city_is_nobody(site):
    s, b_only = site
    xingyi = Browser(s, "兴义市", "张三")
    # the same browser (its 兴义市 session) turned to 遵义市's site: nobody there
    xingyi.c.set_cookie(SITE_COOKIE, quote("遵义市", safe=""))
    for url in ("/files", f"/file/{b_only[0]}", f"/file/{b_only[0]}/download", "/review", "/?q=遵义会议"):
        r = xingyi.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], (url, r.status_code)
    # a site cookie of a city that does not exist: back to the province's login, the cookie gone
    xingyi.c.set_cookie(SITE_COOKIE, quote("不存在市", safe=""))
    r = xingyi.get(f"/file/{b_only[0]}")
    assert r.status_code == 302 and r.headers["Location"].endswith("/login")
    assert xingyi.c.get_cookie(SITE_COOKIE) is None
    assert Browser(s).get("/site/" + quote("不存在市")).status_code == 404
    # a city's account is nobody at the province's login, and at the other city's
    assert Browser(s).login("张三").status_code == 401
    assert Browser(s, "遵义市").login("张三").status_code == 401
    # a province account is nobody in a city's site; a city's account nobody at the province's
    prov = Browser(s, None, "省厅")
    prov.c.set_cookie(SITE_COOKIE, quote("兴义市", safe=""))
    r = prov.get("/files")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    city = Browser(s, "兴义市", "张三")
    assert city.get("/files").status_code == 200
    r = city.get("/site/")
    assert r.status_code == 302 and city.c.get_cookie(SITE_COOKIE) is None
    r = city.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]          # the province: nobody
    assert city.get("/city/遵义市").status_code == 302


class HttpBrowser:
    """A browser against a real server: its cookie jar, no redirect followed."""

    def __init__(self, base: str):
        import http.cookiejar
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)

    def open(self, path: str, data: dict | None = None) -> tuple[int, str]:
        import urllib.error
        import urllib.request
        from urllib.parse import urlencode
        req = urllib.request.Request(self.base + quote(path, safe="/?=&%"),
                                     data=urlencode(data).encode() if data is not None else None)
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def login(self, name: str) -> int:
        _, page = self.open("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.open("/login", {"name": name, "password": PASSWORD, "csrf_token": token})[0]


def test_one_serve_process_in_the_province_folder_serves_both_cities_and_the_province(cities, province,  # noqa: F811
                                                                                     tmp_path):
    from tests.test_web_hostile_clients import Server
    app_a, app_b, b_only = cities
    server = Server(province, tmp_path)
    try:
        a, b, p = HttpBrowser(server.base), HttpBrowser(server.base), HttpBrowser(server.base)
        assert a.open("/site/兴义市")[0] == 302 and a.login("张三") == 302
        assert b.open("/site/遵义市")[0] == 302 and b.login("赵六") == 302
        assert p.login("省厅") == 302
        status, page = a.open("/files")
        assert status == 200 and "兴义市国防教育" in page and not any(w in page for w in B_ONLY)
        assert b.open(f"/file/{b_only[0]}")[0] == 200
        for sha in b_only:
            for route in SHA_ROUTES:
                assert a.open(route.format(sha))[0] == 404, route
        status, page = p.open("/")
        assert status == 200 and "兴义市" in page and "遵义市" in page
        # 兴义市's browser, its session kept, turned to 遵义市's site: nobody there
        assert a.open("/site/遵义市")[0] == 302
        for url in ("/files", f"/file/{b_only[0]}", f"/file/{b_only[0]}/download"):
            assert a.open(url)[0] == 302, url
    finally:
        server.close()
