"""The web app of a province's cities and of the province itself, on a real PostgreSQL with two
cities: every GET route of a city's app, as its office and as a unit, answers 404 for the
other city's files (page, thumbnail, page image, download, media) and shows nothing of it
anywhere (lists, search, reports); a session of one city is nobody in the other; the 全省 page
lists the cities with the summaries they wrote, sorts and filters them, opens a city read
only, searches across the cities with a city facet and gives the Excel report."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest

from tests.test_province import ok, province  # noqa: F401  (the fixture)
from tests.test_web import PASSWORD, Client
from yingjian.province import Province
from yingjian.web import create_app

B_ONLY = ("遵义", "红色教育")        # words only the second city's files hold


def roots(province_root):
    p = Province.open(province_root)
    try:
        return p.city_root("兴义市"), p.city_root("遵义市")
    finally:
        p.close()


@pytest.fixture
def cities(province):  # noqa: F811
    a, b = roots(province)
    ok("--city", "兴义市", "user", "add", "张三", "--office", "--password", PASSWORD, province=province)
    ok("--city", "兴义市", "user", "add", "李四", "--unit", "人武部", "--password", PASSWORD, province=province)
    ok("--city", "遵义市", "user", "add", "赵六", "--office", "--password", PASSWORD, province=province)
    ok("user", "add", "省厅", "--province", "--password", PASSWORD, province=province)
    files_b = json.loads(ok("--city", "遵义市", "files", "--json", province=province))["files"]
    files_a = json.loads(ok("--city", "兴义市", "files", "--json", province=province))["files"]
    b_only = [x["id"] for x in files_b if x["id"] not in {y["id"] for y in files_a}]
    app_a = create_app(a, secret="secret-a")
    app_b = create_app(b, secret="secret-b")
    yield app_a, app_b, b_only
    app_a.extensions["yingjian"].close()
    app_b.extensions["yingjian"].close()


def test_every_route_of_a_city_shows_nothing_of_another_city(cities):
    app_a, app_b, b_only = cities
    assert len(b_only) == 2
    office, unit = Client(app_a, "张三"), Client(app_a, "李四")
    args = {"n": 1, "code": "1.1", "name": "人武部", "filename": "app.css", "batch": "0",
            "notice_id": 1, "id": 1}
    queries = {"search.search": "?q=遵义会议", "files.files": "?unit=人武部", "dashboard.home": "?q=遵义会议"}
    seen = set()
    for rule in app_a.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        kinds = ("html", "xlsx") if rule.endpoint == "report.report_download" else (None,)
        for kind in kinds:
            for sha in b_only:
                given = {**args, "sha": sha, **({"kind": kind} if kind else {})}
                url = rule.build({k: v for k, v in given.items() if k in rule.arguments})[1]
                url += queries.get(rule.endpoint, "")
                for who in (office, unit):
                    r = who.get(url)
                    seen.add(rule.endpoint)
                    if "sha" in rule.arguments:
                        assert r.status_code == 404, (url, r.status_code)
                        continue
                    assert r.status_code < 500, (url, r.status_code)
                    body = r.data
                    if kind == "xlsx" and r.status_code == 200:
                        wb = openpyxl.load_workbook(io.BytesIO(body))
                        body = "".join(str(c.value) for s in wb for row in s.iter_rows() for c in row
                                       if c.value is not None).encode("utf-8")
                    text = body.decode("utf-8", "replace").replace("遵义会议", "")   # the query, echoed
                    for word in B_ONLY:
                        assert word not in text, (url, word)
                    assert sha not in text and sha[:8] not in text, url
    assert {"files.file", "files.thumb", "files.page_image", "files.download", "files.media",
            "search.search", "report.report_download", "files.files", "dashboard.home"} <= seen
    # the other city's own office does see them
    other = Client(app_b, "赵六")
    assert other.get(f"/file/{b_only[0]}").status_code == 200


def test_a_session_of_one_city_is_nobody_in_another(cities):
    app_a, app_b, b_only = cities
    b = Client(app_b, "赵六")
    cookie = b.c.get_cookie("session")
    assert cookie is not None
    stranger = app_a.test_client()
    stranger.set_cookie("session", cookie.value)
    r = stranger.get("/files")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    # nor is the other city's account known here
    r = Client(app_a).post("/login", {"name": "赵六", "password": PASSWORD})
    assert r.status_code == 401


@pytest.fixture
def province_app(cities, province):  # noqa: F811
    app = create_app(province, secret="secret-p")
    yield app
    app.extensions["yingjian.province"].close()
    app.extensions["yingjian"].close()


def test_the_province_page_lists_sorts_and_filters_the_cities(province_app, province):  # noqa: F811
    p = Client(province_app, "省厅")
    r = p.get("/")
    assert r.status_code == 200
    assert r.text.index("兴义市") < r.text.index("遵义市")
    listed = json.loads(ok("city", "list", "--json", province=province))["cities"]
    for c in listed:
        assert f"{c['score']} / {c['max_score']}" in r.text
    r = p.get("/?sort=name&desc=1")
    assert r.text.index("遵义市") < r.text.index("兴义市")
    r = p.get("/?q=兴义")
    assert "/city/" + "%E5%85%B4" in r.text and "遵义市" not in r.text.split("<table", 1)[1]
    # a city's account is nobody here; the pages need a province account
    assert Client(province_app).post("/login", {"name": "张三", "password": PASSWORD}).status_code == 401
    anon = Client(province_app)
    for url in ("/", "/city/兴义市", "/search?q=征兵", "/province.xlsx"):
        assert anon.get(url).status_code == 302, url
    # nothing of a city's pages is served by the province's app
    assert p.get("/files").status_code == 404 and p.get("/review").status_code == 404


def test_a_city_is_opened_read_only_and_searched_across(province_app):
    p = Client(province_app, "省厅")
    r = p.get("/city/遵义市")
    assert r.status_code == 200 and "只读" in r.text and "遵义市" in r.text
    assert r.text.count("<form") == 1                         # logout only: not granted, nothing to decide
    assert p.get("/city/遵义").status_code == 404
    r = p.get("/search?q=征兵")
    assert r.status_code == 200 and "按城市" in r.text
    assert "兴义市" in r.text and "遵义市" in r.text
    r = p.get("/search?q=遵义会议&city=遵义市")
    assert "遵义市国防教育" in r.text
    r = p.get("/search?q=遵义会议&city=兴义市")
    assert "遵义市国防教育" not in r.text
    rules = [r for r in province_app.url_map.iter_rules() if "POST" in r.methods]
    # the one decision route answers 403 unless the city grants it (tests/test_province_grant.py)
    assert sorted(r.rule for r in rules) == ["/city/<name>/decide", "/login", "/logout", "/password"]


def test_the_province_report_has_a_row_per_city_and_a_sheet_each(province_app):
    p = Client(province_app, "省厅")
    r = p.get("/province.xlsx")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["全省", "兴义市", "遵义市"]
    rows = list(wb["全省"].iter_rows(values_only=True))
    assert rows[0][0] == "城市" and [x[0] for x in rows[1:]] == ["兴义市", "遵义市"]
    assert all(isinstance(x[1], (int, float)) for x in rows[1:])


def test_a_decision_on_another_citys_file_is_refused_and_changes_nothing_there(cities):
    app_a, app_b, b_only = cities
    office = Client(app_a, "张三")
    ws_b = app_b.extensions["yingjian"]
    before = ws_b.catalog.last_seq()
    for url, data in (("/decide", {"sha": b_only[0], "material": "1.1a", "action": "assign"}),
                      ("/review/decide", {"sha": b_only[0], "material": "1.1a", "action": "confirm"})):
        r = office.post(url, data)
        assert r.status_code in (400, 404), (url, r.status_code)
    assert ws_b.catalog.last_seq() == before
    assert ws_b.mapping.history(b_only[0]) == []


def test_one_serve_holds_about_a_connection_a_request_whatever_its_cities(cities, province_app, pg_dsn):
    """Threads of one web process serve both cities and the province at once: the answers stay
    each city's own while connections pass from city to city (their search_path set again), and
    the process keeps a bounded number of connections, not one per thread for each city (which
    with a province's 50 cities and a serve's threads passed PostgreSQL's 100)."""
    import threading

    import psycopg

    from foundation.pgstore import MAX_IDLE
    app_a, app_b, _ = cities
    problems: list = []
    start = threading.Barrier(12)

    def browse() -> None:
        try:
            a, b, p = Client(app_a, "张三"), Client(app_b, "赵六"), Client(province_app, "省厅")
            start.wait(30)
            for _ in range(3):
                files_a, files_b = a.get("/files").text, b.get("/files").text
                assert "兴义市" in files_a and not any(w in files_a for w in B_ONLY)
                assert "遵义市" in files_b and "兴义征兵" not in files_b
                found = p.get("/search?q=征兵").text
                assert "兴义市" in found and "遵义市" in found
                assert p.get("/").status_code == 200
                r = b.get("/search?q=遵义会议")
                assert "遵义市国防教育" in r.text
                r = a.get("/search?q=遵义会议")
                assert "遵义市国防教育" not in r.text
        except BaseException as e:          # noqa: BLE001 (shown by the assertion)
            problems.append(repr(e))
    threads = [threading.Thread(target=browse) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert problems == []
    name = psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"]
    with psycopg.connect(pg_dsn) as db:
        held = db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                          "pg_backend_pid()", (name,)).fetchone()[0]
    # the idle ones, and those the main thread's apps opened; 12 threads x 3 apps before
    assert held <= MAX_IDLE + 4, held
