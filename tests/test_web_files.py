"""The 文件 list, page previews, video, the problem list's marks, material titles and the
search highlight, on a real workspace: Flask's test client for the rules, Debian's Chromium
(Playwright) at a desktop and a phone size for the journeys and the layout."""
import shutil
from pathlib import Path

import pytest

from tests import factories as f
from tests.conftest import ingest, standard_workspace, run_server
from tests.test_check import STANDARD
from tests.test_web import PASSWORD, Client, _free_port, _logged_in, browser  # noqa: F401
from yingjian.web import create_app

FIXTURES = Path(__file__).parent / "fixtures"


def make_site(tmp_path, ocr: bool = False):
    ws = standard_workspace(tmp_path, STANDARD, ["人武部", "教育局"])
    inbox = ws.config.inbox
    for i in range(55):          # more than one page of 50 in one unit and kind
        f.docx_file(inbox / f"人武部/2021年资料/第{i:02d}号通报.docx", [f"第 {i} 号通报", "2021年5月1日"])
    f.scanned_pdf(inbox / "人武部/议军会议纪要扫描.pdf",
                  ["议军会议纪要 第一页 2021年6月1日", "第二页 捧乍镇 民兵整组"])
    f.text_pdf(inbox / "人武部/征兵通报.pdf", ["2021年征兵任务完成情况通报\n2021年10月20日"])
    f.photo_jpeg(inbox / "人武部/IMG_20210801_090000.jpg", "军民鱼水一家亲",
                 exif_date="2021:08:01 09:00:00")
    shutil.copyfile(FIXTURES / "formats" / "visit.mp4", inbox / "人武部/慰问活动视频.mp4")
    f.xlsx_file(inbox / "人武部/优抚台账.xlsx", [["姓名", "事项"], ["张三", "alert 提醒 发放"]],
                title="Sheet1")
    f.docx_file(inbox / "教育局/1.2a_关于调整领导小组的通知.docx", ["关于调整领导小组成员的通知", "2021年3月5日"],
                table=[["职务", "姓名"], ["组长", "李明"]])
    f.png(inbox / "教育局/内页.png")
    (inbox / "教育局/空文件.pdf").write_bytes(b"")
    f.raw_zip(inbox / "教育局/资料.zip", {"a.pdf": b"", "b.pdf": b"", "c.pdf": b""})
    ingest(ws)
    if ocr:
        with ws.ocr_queue(workers=0) as q:
            q.run()
    ws.sync_index()
    users = ws.users
    users.add("张三", PASSWORD, office=True)
    users.add("李四", PASSWORD, unit="人武部")
    users.add("王五", PASSWORD, unit="教育局")
    ws.close()
    app = create_app(tmp_path / "ws", secret="test-secret")
    app.config["TESTING"] = False
    return app


@pytest.fixture
def site(tmp_path):
    app = make_site(tmp_path)
    yield app
    app.extensions["yingjian"].close()


def sha_of(app, path):
    return app.extensions["yingjian"].catalog.source(path).sha


def test_file_list_filters_sorts_and_pages_from_the_catalog(site):
    office = Client(site, "张三")
    r = office.get("/files?unit=人武部&kind=document")
    assert r.status_code == 200 and "共 57 个文件,第 1 / 2 页" in r.text
    assert r.text.count('class="file-row"') == 50 and 'id="next-page"' in r.text
    r2 = office.get("/files?unit=人武部&kind=document&page=2")
    assert r2.text.count('class="file-row"') == 7 and 'id="prev-page"' in r2.text
    assert "教育局" not in r2.text.split('id="file-list"')[1]
    assert "共 1 个文件" in office.get("/files?kind=video").text
    assert "慰问活动视频.mp4" in office.get("/files?kind=video").text
    assert "共 4 个文件" in office.get("/files?status=problem").text    # the empty pdf, 3 members
    assert "1.2a 领导小组文件" in office.get("/files?material=1.2a").text
    unmapped = office.get("/files?mapped=no&unit=教育局").text
    assert "关于调整领导小组" not in unmapped and "内页.png" in unmapped
    by_size = office.get("/files?unit=教育局&sort=size&order=desc").text
    assert by_size.index("资料.zip") < by_size.index("内页.png")
    assert "无日期" in office.get("/files").text


def test_a_unit_lists_only_its_own_files_whatever_the_url_says(site):
    unit = Client(site, "王五")
    r = unit.get("/files?unit=人武部")
    assert r.status_code == 200 and "征兵通报" not in r.text and "内页.png" in r.text


def test_previews_and_media_obey_the_unit_rule_by_guessed_url(site):
    army_scan = sha_of(site, "人武部/议军会议纪要扫描.pdf")
    video = sha_of(site, "人武部/慰问活动视频.mp4")
    edu = Client(site, "王五")
    for url in (f"/file/{army_scan}/page/1", f"/file/{army_scan}/page/2", f"/file/{video}/media"):
        r = edu.get(url)
        assert r.status_code == 404 and "找不到这个文件" in r.text, url
    army = Client(site, "李四")
    r = army.get(f"/file/{army_scan}/page/2")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and len(r.data) > 5000
    assert army.get(f"/file/{army_scan}/page/3").status_code == 404
    r = army.get(f"/file/{video}/media")
    assert r.status_code == 200 and r.mimetype == "video/mp4"
    assert r.data == site.extensions["yingjian"].store.path(video).read_bytes()


def test_text_pdf_pages_are_rendered_once_and_cached(site):
    sha = sha_of(site, "人武部/征兵通报.pdf")
    office = Client(site, "张三")
    r = office.get(f"/file/{sha}/page/1")
    assert r.status_code == 200 and r.data[:3] == b"\xff\xd8\xff"
    cached = site.extensions["yingjian"].previews.path(sha, 0)
    assert cached.is_file()
    from PIL import Image
    assert Image.open(cached).width >= 1000                  # a readable size, not a thumbnail
    assert office.get(f"/file/{sha}/page/1").data == r.data


def test_word_and_excel_show_their_structure(site):
    office = Client(site, "张三")
    r = office.get(f"/file/{sha_of(site, '教育局/1.2a_关于调整领导小组的通知.docx')}")
    assert "<p>关于调整领导小组成员的通知</p>" in r.text and "<td>组长</td><td>李明</td>" in r.text
    r = office.get(f"/file/{sha_of(site, '人武部/优抚台账.xlsx')}")
    assert "工作表:Sheet1" in r.text and "<td>姓名</td><td>事项</td>" in r.text


def test_search_highlight_marks_the_searched_word_only(site):
    r = Client(site, "张三").get("/?q=alert")
    snippet = r.text.split('class="snippet"')[1].split("</div>")[0]
    assert "<mark>alert</mark>" in snippet and snippet.count("<mark>") == 1


def test_material_titles_beside_codes_and_veto_items_without_points(site):
    office = Client(site, "张三")
    assert "1.2a 领导小组文件" in office.get("/?q=领导小组").text
    items = office.get("/items").text
    veto = items.split('data-code="2.1"')[1].split("</li>")[0]
    assert "一票否决" in veto and "分" not in veto
    assert "一票否决" in office.get("/items/2.1").text and "0/0 分" not in office.get("/items/2.1").text


def test_problems_are_grouped_and_the_office_marks_them(site):
    office, edu, army = Client(site, "张三"), Client(site, "王五"), Client(site, "李四")
    r = office.get("/problems")
    assert "压缩包 资料.zip 中的 3 个文件" in r.text and r.text.count('class="problem"') == 2
    r = office.post("/problems/mark", {"path": "教育局/空文件.pdf", "mark": "notified"})
    assert r.status_code == 302
    page = office.get("/problems").text
    notified = page.split('id="notified-problems"')[1]
    assert "空文件.pdf" in notified and "张三" in notified
    assert "空文件.pdf" not in page.split('id="notified-problems"')[0]
    assert office.post("/problems/mark", {"path": "教育局/资料.zip/a.pdf", "mark": "ignored"}).status_code == 400
    r = office.post("/problems/mark", {"path": ["教育局/资料.zip/a.pdf", "教育局/资料.zip/b.pdf",
                                                "教育局/资料.zip/c.pdf"], "mark": "ignored",
                                       "reason": "重复文件,请单位删除"})
    assert "重复文件,请单位删除" in office.get("/problems").text.split('id="ignored-problems"')[1]
    mine = edu.get("/problems").text
    assert "空文件.pdf" in mine and "请重新上传" in mine and "标记为已通知" not in mine
    assert "空文件.pdf" not in army.get("/problems").text
    assert army.post("/problems/mark", {"path": "教育局/空文件.pdf", "mark": "cleared"}).status_code == 403


# -- in the browser, at a desk and on a phone --------------------------------------------------

@pytest.fixture
def ocr_site(tmp_path):
    app = make_site(tmp_path, ocr=True)
    yield app
    app.extensions["yingjian"].close()


@pytest.fixture
def ocr_server(ocr_site):
    import threading
    from waitress.server import create_server
    srv = create_server(ocr_site, host="127.0.0.1", port=_free_port(), threads=4)
    t = threading.Thread(target=run_server, args=(srv,), daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium")
@pytest.mark.parametrize("width, height", [(1366, 900), (390, 844)])
def test_browse_files_read_a_scan_see_a_photo_play_a_video_and_mark_a_problem(
        ocr_site, ocr_server, browser, tmp_path, width, height):
    errors = []
    page = _logged_in(browser, ocr_server, "张三", errors)
    page.set_viewport_size({"width": width, "height": height})
    base = ocr_server
    page.goto(base + "/files")
    page.select_option("select[name=unit]", "人武部")
    page.select_option("select[name=kind]", "document")
    page.click("#file-filters button[type=submit]")
    assert "共 57 个文件" in page.inner_text("#file-total")
    page.click("#next-page")
    assert "第 2 / 2 页" in page.inner_text("#file-total")
    page.click("a.file-link:has-text('议军会议纪要扫描.pdf')")
    assert "捧乍镇" in page.inner_text("#page-2 .page-text")
    page.locator("#page-2 img").scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('#page-2 img').naturalWidth > 0")
    assert page.eval_on_selector("#page-2 img", "img => img.naturalWidth") >= 1000
    page.goto(base + "/files?kind=photo")
    page.click("a.file-link")
    img = page.wait_for_selector("#page-1 img")
    page.wait_for_function("() => document.querySelector('#page-1 img').naturalWidth > 0")
    assert img.evaluate("i => i.naturalWidth") > 0
    assert img.evaluate("i => i.getBoundingClientRect().right") <= width
    page.goto(base + "/files?kind=video")
    page.click("a.file-link")
    page.wait_for_function("() => document.querySelector('#video').readyState >= 1", timeout=10000)
    page.evaluate("document.querySelector('#video').muted = true")
    page.evaluate("document.querySelector('#video').play()")
    page.wait_for_function("() => document.querySelector('#video').currentTime > 0", timeout=10000)
    page.goto(base + "/problems")
    row = page.locator("#open-problems tr.problem", has_text="空文件.pdf")
    row.locator("button.mark-notified").click()
    assert "空文件.pdf" in page.inner_text("#notified-problems")
    assert "空文件.pdf" not in page.inner_text("#open-problems")
    page.screenshot(path=str(tmp_path / f"problems-{width}.png"), full_page=True)
    # every page of the app fits the screen: no sideways scroll
    scan = ocr_site.extensions["yingjian"].catalog.source("人武部/议军会议纪要扫描.pdf").sha
    ledger = ocr_site.extensions["yingjian"].catalog.source("人武部/优抚台账.xlsx").sha
    for url in ["/", "/?q=通报", "/files", "/files?unit=人武部&page=2", f"/file/{scan}",
                f"/file/{ledger}", "/items", "/items/1.2", "/units", "/units/人武部", "/problems",
                "/report", "/upload", "/no-such-page"]:
        page.goto(base + url)
        assert _fits(page), (url, width)
    if width < 640:
        assert page.is_hidden("header nav")
        page.click("label.nav-button")
        assert page.is_visible("header nav a[href='/files']")
        assert page.evaluate("[...document.querySelectorAll('button')].every("
                             "b => b.getBoundingClientRect().height < 40)")
    page.goto(base + "/login")
    assert _fits(page)
    assert [e for e in errors if "status of 404" not in e] == [] and len(errors) <= 1
